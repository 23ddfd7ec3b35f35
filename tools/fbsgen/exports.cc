// The Export enum against the rpc_services: each export's compartment,
// request and reply bodies and roles, in a table the runtime and the audit
// read; any disagreement between the two stops the build.
#include "fbsgen.h"

#include <algorithm>
#include <set>

namespace fbsgen
{

namespace
{

// The roles a call may name in its `sealnet_role` attribute, as the schema
// explains them.  audit/network_stack.jq decides who may call each role;
// a misspelt role would escape it, so an unknown one stops the build.
const std::set<std::string> known_roles = {
    "opens_holes",
    "closes_holes",
    "gates_holes",
    "connection_holes",
    "server_holes",
    "dns_holes",
    "sends_frames",
    "sends_dns_frames",
    "delivers_frames",
    "trusts_caller",
    "delegates_sockets",
    "takes_delegated_sockets",
    "exports_keying_material",
    "delegates_sessions",
    "takes_delegated_sessions",
};
const std::set<std::string> hole_kinds = {"connection_holes", "server_holes",
					  "dns_holes"};

// The call's roles, checked: "none" alone, or known roles, each once; a
// call that opens, closes or gates holes says which kind, and only such a call
// names a kind.
std::vector<std::string>
roles_of(const reflection::RPCCall *call)
{
	std::string name = call->name()->str(), text;
	bool found = false;
	if (call->attributes() != nullptr)
		for (auto kv : *call->attributes())
			if (kv->key()->str() == "sealnet_role" && kv->value()) {
				text = kv->value()->str();
				found = true;
			}
	if (!found)
		die("rpc call " + name +
		    " has no sealnet_role: say what it does, or \"none\"");
	std::vector<std::string> roles;
	std::istringstream words(text);
	for (std::string w; words >> w;) {
		if (w != "none" && !known_roles.count(w))
			die("rpc call " + name + ": unknown sealnet_role " + w);
		if (std::find(roles.begin(), roles.end(), w) != roles.end())
			die("rpc call " + name + ": sealnet_role " + w +
			    " given twice");
		roles.push_back(w);
	}
	if (roles.empty())
		die("rpc call " + name + ": empty sealnet_role");
	if (roles.size() == 1 && roles[0] == "none")
		return {};
	if (std::find(roles.begin(), roles.end(), "none") != roles.end())
		die("rpc call " + name + ": \"none\" beside other roles");
	bool holes =
	    std::count(roles.begin(), roles.end(), "opens_holes") +
		std::count(roles.begin(), roles.end(), "closes_holes") +
		std::count(roles.begin(), roles.end(), "gates_holes") ==
	    1;
	auto kinds = std::count_if(roles.begin(), roles.end(), [](auto &r) {
		return hole_kinds.count(r) != 0;
	});
	if (holes != (kinds == 1) || kinds > 1)
		die("rpc call " + name +
		    ": a call opens, closes or gates holes of exactly one "
		    "kind, "
		    "and names a kind only then");
	return roles;
}

// Whether the call carries the attribute named key.
bool
has_attribute(const reflection::RPCCall *call, const char *key)
{
	if (call->attributes() == nullptr)
		return false;
	for (auto kv : *call->attributes())
		if (kv->key()->str() == key)
			return true;
	return false;
}

// Whether the call is one-way (the sealnet_one_way attribute): then it
// says nothing back, so its result must be Empty.
bool
one_way_of(const reflection::RPCCall *call)
{
	if (!has_attribute(call, "sealnet_one_way"))
		return false;
	if (call->response()->name()->str() != "sealnet.msg.Empty")
		die("rpc call " + call->name()->str() +
		    " is one-way: its result must be Empty");
	return true;
}

// Whether the call is served even after its deadline (the
// sealnet_served_late attribute).
bool
served_late_of(const reflection::RPCCall *call)
{
	return has_attribute(call, "sealnet_served_late");
}

} // namespace

void
gen_exports(const reflection::Enum *export_enum,
	    const reflection::Enum *body_enum)
{
	std::map<std::string, std::pair<const reflection::Service *,
					const reflection::RPCCall *>>
	    calls;
	if (schema->services() == nullptr)
		die("the schema declares no rpc_service");
	for (auto s : *schema->services())
		for (auto call : *s->calls()) {
			std::string n = call->name()->str();
			if (calls.count(n))
				die("export " + n + " is in two services");
			calls[n] = {s, call};
		}
	auto body_value = [&](const reflection::Object *o) -> long {
		for (auto v : *body_enum->values())
			if (v->value() != 0 &&
			    object(v->union_type()->index()) == o)
				return (long)v->value();
		die(o->name()->str() + " is not a member of the Body union");
	};
	std::set<std::string> seen;
	for (auto v : *export_enum->values()) {
		std::string n = v->name()->str();
		auto it = calls.find(n);
		if (v->value() == 0 || it == calls.end())
			continue;
		c << "static const char *const roles_" << n << "[] = {";
		for (auto &r : roles_of(it->second.second))
			c << c_string(r) << ", ";
		c << "NULL};\n";
	}
	c << "\nstatic const sn_export_info exports[] = {\n";
	for (auto v : *export_enum->values()) {
		std::string n = v->name()->str();
		if (v->value() == 0)
			continue;
		auto it = calls.find(n);
		if (it == calls.end())
			die("export " + n + " is in no rpc_service");
		seen.insert(n);
		c << "    {" << v->value() << ", " << c_string(n) << ", "
		  << c_string(last_component(it->second.first->name()->str()))
		  << ", " << body_value(it->second.second->request()) << ", "
		  << body_value(it->second.second->response()) << ", "
		  << (one_way_of(it->second.second) ? "true" : "false") << ", "
		  << (served_late_of(it->second.second) ? "true" : "false")
		  << ", roles_" << n << "},\n";
	}
	c << "};\n\n";
	for (auto &kv : calls)
		if (!seen.count(kv.first))
			die("rpc call " + kv.first + " is not in enum Export");
	h << "typedef struct sn_export_info {\n\tuint16_t id;\n\tconst char "
	     "*name;\n\tconst char *compartment;\n\tuint8_t "
	     "request_body;\n\tuint8_t reply_body;\n\t/* Sent as a "
	     "notice, never answered (sealnet_one_way). */\n\tbool "
	     "one_way;\n\t/* Served even after its deadline: it releases "
	     "what its caller holds (sealnet_served_late). */\n\tbool "
	     "served_late;\n\t/* The schema's "
	     "sealnet_role for it, NULL-terminated; empty for none. */\n\t"
	     "const char *const *roles;\n} sn_export_info;\n";
	h << "const sn_export_info *sn_export_info_get(uint16_t id);\n";
	h << "const sn_export_info *sn_export_info_by_name(const char "
	     "*name);\n";
	h << "size_t sn_export_count(void);\n";
	h << "const sn_export_info *sn_export_info_at(size_t i);\n\n";
	c << "const sn_export_info *\nsn_export_info_get(uint16_t id)\n{\n\t"
	     "for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); "
	     "i++)\n\t\tif (exports[i].id == id)\n\t\t\treturn "
	     "&exports[i];\n\treturn NULL;\n}\n\n";
	c << "const sn_export_info *\nsn_export_info_by_name(const char "
	     "*name)\n{\n\tfor (size_t i = 0; i < sizeof(exports) / "
	     "sizeof(exports[0]); i++)\n\t\tif (strcmp(exports[i].name, "
	     "name) == 0)\n\t\t\treturn &exports[i];\n\treturn "
	     "NULL;\n}\n\n";
	c << "size_t\nsn_export_count(void)\n{\n\treturn sizeof(exports) / "
	     "sizeof(exports[0]);\n}\n\n";
	c << "const sn_export_info *\nsn_export_info_at(size_t i)\n{\n\t"
	     "return i < sn_export_count() ? &exports[i] : NULL;\n}\n\n";
}

} // namespace fbsgen
