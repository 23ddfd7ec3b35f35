// fbsgen: writes sealnet's C codec from the binary schema.
//
//   fbsgen SCHEMA.bfbs OUT.h OUT.c
//
// It reads the schema through FlatBuffers' own reflection tables, so field
// ids, types, defaults and `required` come from flatc itself, never from a
// second parser.  Anything it does not know how to generate stops it.
#include <flatbuffers/reflection_generated.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using reflection::BaseType;

namespace
{

const reflection::Schema *schema;
std::ostringstream h, c;

[[noreturn]] void
die(const std::string &why)
{
	std::fprintf(stderr, "fbsgen: %s\n", why.c_str());
	std::exit(1);
}

std::string
last_component(const std::string &name)
{
	auto dot = name.rfind('.');
	return dot == std::string::npos ? name : name.substr(dot + 1);
}

// SocketReference -> socket_reference
std::string
snake(const std::string &name)
{
	std::string out;
	for (size_t i = 0; i < name.size(); i++) {
		char ch = name[i];
		if (std::isupper((unsigned char)ch)) {
			if (i > 0 &&
			    (std::islower((unsigned char)name[i - 1]) ||
			     (i + 1 < name.size() &&
			      std::islower((unsigned char)name[i + 1]))))
				out += '_';
			out += (char)std::tolower((unsigned char)ch);
		} else {
			out += ch;
		}
	}
	return out;
}

std::string
upper(const std::string &s)
{
	std::string out = s;
	for (auto &ch : out)
		ch = (char)std::toupper((unsigned char)ch);
	return out;
}

const reflection::Object *
object(int index)
{
	return schema->objects()->Get((unsigned)index);
}

const reflection::Enum *
enumeration(int index)
{
	return schema->enums()->Get((unsigned)index);
}

std::string
table_c(const reflection::Object *o)
{
	return "sn_" + snake(last_component(o->name()->str()));
}

std::string
enum_c(const reflection::Enum *e)
{
	return "sn_" + snake(last_component(e->name()->str()));
}

struct scalar_info {
	const char *ctype;
	unsigned size;
	bool is_signed;
};

scalar_info
scalar(BaseType t)
{
	switch (t) {
	case reflection::Bool:
		return {"bool", 1, false};
	case reflection::Byte:
		return {"int8_t", 1, true};
	case reflection::UType:
	case reflection::UByte:
		return {"uint8_t", 1, false};
	case reflection::Short:
		return {"int16_t", 2, true};
	case reflection::UShort:
		return {"uint16_t", 2, false};
	case reflection::Int:
		return {"int32_t", 4, true};
	case reflection::UInt:
		return {"uint32_t", 4, false};
	case reflection::Long:
		return {"int64_t", 8, true};
	case reflection::ULong:
		return {"uint64_t", 8, false};
	default:
		die("unsupported scalar type " +
		    std::string(reflection::EnumNameBaseType(t)));
	}
}

bool
is_scalar(BaseType t)
{
	return t >= reflection::UType && t <= reflection::ULong;
}

// Fields of a table in declaration (id) order.
std::vector<const reflection::Field *>
fields_of(const reflection::Object *o)
{
	std::vector<const reflection::Field *> out(o->fields()->begin(),
						   o->fields()->end());
	std::sort(out.begin(), out.end(),
		  [](auto a, auto b) { return a->id() < b->id(); });
	for (size_t i = 0; i < out.size(); i++)
		if (out[i]->id() != i)
			die(o->name()->str() + ": field ids must be dense");
	return out;
}

// Inline size and alignment of a field's value inside its table.
std::pair<unsigned, unsigned>
inline_size(const reflection::Field *f)
{
	BaseType t = f->type()->base_type();
	if (is_scalar(t))
		return {scalar(t).size, scalar(t).size};
	if (t == reflection::Obj && object(f->type()->index())->is_struct()) {
		auto s = object(f->type()->index());
		return {(unsigned)s->bytesize(), (unsigned)s->minalign()};
	}
	if (t == reflection::String || t == reflection::Vector ||
	    t == reflection::Obj || t == reflection::Union)
		return {4, 4};
	die("unsupported field type in " + f->name()->str());
}

struct layout {
	std::map<unsigned, unsigned> offset; // field id -> inline offset
	unsigned size = 4, align = 4;
};

// Biggest first, so padding is only ever needed at the end.
layout
lay_out(const reflection::Object *o)
{
	layout l;
	auto fields = fields_of(o);
	std::stable_sort(fields.begin(), fields.end(), [](auto a, auto b) {
		return inline_size(a).second > inline_size(b).second;
	});
	for (auto f : fields) {
		auto [size, align] = inline_size(f);
		l.size = (l.size + align - 1) / align * align;
		l.offset[f->id()] = l.size;
		l.size += size;
		l.align = std::max(l.align, align);
	}
	l.size = (l.size + 1) / 2 * 2;
	if (l.size > 0xffff)
		die(o->name()->str() + ": table too large");
	return l;
}

std::string
c_string(const std::string &s)
{
	return "\"" + s + "\"";
}

// ---- enums and unions ----

void
gen_enum(const reflection::Enum *e)
{
	std::string name = enum_c(e), up = upper(name);
	auto ut = scalar(e->underlying_type()->base_type());
	h << "typedef " << ut.ctype << " " << name << "_t;\n";
	for (auto v : *e->values()) {
		std::string vn =
		    e->is_union() ? snake(v->name()->str()) : v->name()->str();
		if (e->is_union() && v->value() == 0)
			vn = "none";
		h << "#define " << up << "_" << upper(vn) << " " << v->value()
		  << "\n";
	}
	h << "bool " << name << "_valid(int64_t v);\n";
	h << "const char *" << name << "_name(int64_t v);\n\n";

	c << "bool\n" << name << "_valid(int64_t v)\n{\n\tswitch (v) {\n";
	for (auto v : *e->values())
		c << "\tcase " << v->value() << ":\n";
	c << "\t\treturn true;\n\tdefault:\n\t\treturn false;\n\t}\n}\n\n";
	c << "const char *\n"
	  << name << "_name(int64_t v)\n{\n\tswitch (v) {\n";
	for (auto v : *e->values())
		c << "\tcase " << v->value() << ":\n\t\treturn "
		  << c_string(v->name()->str()) << ";\n";
	c << "\tdefault:\n\t\treturn NULL;\n\t}\n}\n\n";
}

// ---- structs ----

void
gen_struct(const reflection::Object *o)
{
	std::string name = table_c(o);
	h << "typedef struct " << name << " {\n";
	for (auto f : fields_of(o)) {
		if (!is_scalar(f->type()->base_type()))
			die(o->name()->str() + ": structs hold scalars only");
		h << "\t" << scalar(f->type()->base_type()).ctype << " "
		  << f->name()->str() << ";\n";
	}
	h << "} " << name << ";\n\n";
}

// Reading and writing a struct's fields one by one keeps the C struct's
// own padding out of the wire format.
void
gen_struct_io(const reflection::Object *o)
{
	std::string name = table_c(o);
	c << "static void\n"
	  << name << "_read(const uint8_t *p, " << name << " *out)\n{\n";
	for (auto f : fields_of(o))
		c << "\tmemcpy(&out->" << f->name()->str() << ", p + "
		  << f->offset() << ", sizeof(out->" << f->name()->str()
		  << "));\n";
	c << "}\n\n";
	c << "static void\n"
	  << name << "_write(uint8_t *p, const " << name << " *v)\n{\n";
	c << "\tmemset(p, 0, " << o->bytesize() << ");\n";
	for (auto f : fields_of(o))
		c << "\tmemcpy(p + " << f->offset() << ", &v->"
		  << f->name()->str() << ", sizeof(v->" << f->name()->str()
		  << "));\n";
	c << "}\n\n";
	c << "static void\n"
	  << name << "_print(FILE *out, const " << name << " *v)\n{\n";
	bool first = true;
	for (auto f : fields_of(o)) {
		auto s = scalar(f->type()->base_type());
		c << "\tfprintf(out, \"" << (first ? "{" : ", ") << "\\\""
		  << f->name()->str() << "\\\": %"
		  << (s.is_signed ? "lld" : "llu") << "\", ("
		  << (s.is_signed ? "long long" : "unsigned long long")
		  << ")v->" << f->name()->str() << ");\n";
		first = false;
	}
	c << "\tfputc('}', out);\n}\n\n";
}

// ---- tables ----

std::string
ref(const reflection::Object *o)
{
	return table_c(o) + "_ref";
}

void
gen_table_decl(const reflection::Object *o)
{
	h << "typedef struct " << ref(o)
	  << " {\n\tconst uint8_t *buf;\n\tuint32_t len;\n\tuint32_t "
	     "pos;\n} "
	  << ref(o) << ";\n";
}

std::string
field_default(const reflection::Field *f)
{
	BaseType t = f->type()->base_type();
	if (t == reflection::Bool)
		return f->default_integer() ? "true" : "false";
	auto s = scalar(t);
	std::string v = std::to_string(f->default_integer());
	if (s.size == 8)
		v = s.is_signed
			? "INT64_C(" + v + ")"
			: "UINT64_C(" +
			      std::to_string((uint64_t)f->default_integer()) +
			      ")";
	return "(" + std::string(s.ctype) + ")" + v;
}

void
gen_accessors(const reflection::Object *o)
{
	std::string t = table_c(o), r = ref(o);
	for (auto f : fields_of(o)) {
		std::string fn = t + "_" + f->name()->str();
		std::string get = "sn_fb_field(r.buf, r.pos, " +
				  std::to_string(f->id()) + ")";
		BaseType bt = f->type()->base_type();
		h << "static inline bool\n"
		  << t << "_has_" << f->name()->str() << "(" << r
		  << " r)\n{\n\treturn " << get << " != 0;\n}\n";
		if (bt == reflection::Bool) {
			// Any byte may arrive; only 0 is false.
			h << "static inline bool\n"
			  << fn << "(" << r << " r)\n{\n\tuint32_t p = " << get
			  << ";\n\treturn p ? r.buf[p] != 0 : "
			  << field_default(f) << ";\n}\n";
		} else if (is_scalar(bt)) {
			auto s = scalar(bt);
			h << "static inline " << s.ctype << "\n"
			  << fn << "(" << r << " r)\n{\n\tuint32_t p = " << get
			  << ";\n\t" << s.ctype << " v = " << field_default(f)
			  << ";\n\tif (p)\n\t\tmemcpy(&v, r.buf + p, " << s.size
			  << ");\n\treturn v;\n}\n";
		} else if (bt == reflection::String) {
			h << "static inline const char *\n"
			  << fn << "(" << r
			  << " r, uint32_t *len)\n{\n\tuint32_t s = "
			     "sn_fb_deref(r.buf, "
			  << get
			  << ");\n\t*len = s ? sn_fb_u32(r.buf + s) : "
			     "0;\n\treturn s ? (const char *)r.buf + s + 4 : "
			     "NULL;\n}\n";
		} else if (bt == reflection::Vector) {
			BaseType et = f->type()->element();
			if (et == reflection::UByte || et == reflection::Byte) {
				h << "static inline const uint8_t *\n"
				  << fn << "(" << r
				  << " r, uint32_t *len)\n{\n\tuint32_t s = "
				     "sn_fb_deref(r.buf, "
				  << get
				  << ");\n\t*len = s ? sn_fb_u32(r.buf + s) "
				     ": 0;\n\treturn s ? r.buf + s + 4 : "
				     "NULL;\n}\n";
			} else if (et == reflection::Obj &&
				   !object(f->type()->index())->is_struct()) {
				auto e = object(f->type()->index());
				h << "static inline uint32_t\n"
				  << fn << "_count(" << r
				  << " r)\n{\n\tuint32_t s = "
				     "sn_fb_deref(r.buf, "
				  << get
				  << ");\n\treturn s ? sn_fb_u32(r.buf + s) : "
				     "0;\n}\n";
				h << "static inline " << ref(e) << "\n"
				  << fn << "_at(" << r
				  << " r, uint32_t i)\n{\n\tuint32_t s = "
				     "sn_fb_deref(r.buf, "
				  << get << ");\n\t" << ref(e)
				  << " out = {r.buf, r.len, 0};\n\tif (s && i "
				     "< sn_fb_u32(r.buf + s))\n\t\tout.pos = "
				     "sn_fb_deref(r.buf, s + 4 + 4 * "
				     "i);\n\treturn out;\n}\n";
			} else {
				die(fn + ": only vectors of bytes or tables");
			}
		} else if (bt == reflection::Obj) {
			auto e = object(f->type()->index());
			if (e->is_struct()) {
				h << "bool " << fn << "(" << r << " r, "
				  << table_c(e) << " *out);\n";
				c << "bool\n"
				  << fn << "(" << r << " r, " << table_c(e)
				  << " *out)\n{\n\tuint32_t p = " << get
				  << ";\n\tif (p)\n\t\t" << table_c(e)
				  << "_read(r.buf + p, out);\n\treturn p != "
				     "0;\n}\n\n";
			} else {
				h << "static inline " << ref(e) << "\n"
				  << fn << "(" << r << " r)\n{\n\treturn ("
				  << ref(e) << "){r.buf, r.len, "
				  << "sn_fb_deref(r.buf, " << get << ")};\n}\n";
			}
		} else if (bt == reflection::Union) {
			auto e = enumeration(f->type()->index());
			for (auto v : *e->values()) {
				if (v->value() == 0)
					continue;
				auto m = object(v->union_type()->index());
				h << "static inline " << ref(m) << "\n"
				  << fn << "_as_" << snake(v->name()->str())
				  << "(" << r << " r)\n{\n\t" << ref(m)
				  << " out = {r.buf, r.len, 0};\n\tif (" << fn
				  << "_type(r) == " << v->value()
				  << ")\n\t\tout.pos = sn_fb_deref(r.buf, "
				  << get << ");\n\treturn out;\n}\n";
			}
		}
	}
	h << "\n";
}

void
gen_builders(const reflection::Object *o)
{
	std::string t = table_c(o);
	layout l = lay_out(o);
	auto fields = fields_of(o);
	h << "uint32_t " << t << "_start(sn_builder *b);\n";
	c << "uint32_t\n"
	  << t << "_start(sn_builder *b)\n{\n\treturn sn_fb_table_start(b, "
	  << fields.size() << ", " << l.size << ", " << l.align << ");\n}\n\n";
	for (auto f : fields) {
		std::string fn = t + "_add_" + f->name()->str();
		std::string id = std::to_string(f->id());
		std::string off = std::to_string(l.offset[f->id()]);
		BaseType bt = f->type()->base_type();
		if (bt == reflection::UType)
			continue; // written by the union's add
		if (is_scalar(bt)) {
			auto s = scalar(bt);
			h << "void " << fn << "(sn_builder *b, uint32_t t, "
			  << s.ctype << " v);\n";
			c << "void\n"
			  << fn << "(sn_builder *b, uint32_t t, " << s.ctype
			  << " v)\n{\n\tsn_fb_add_scalar(b, t, " << id << ", "
			  << off << ", &v, " << s.size << ");\n}\n\n";
		} else if (bt == reflection::String) {
			h << "void " << fn
			  << "(sn_builder *b, uint32_t t, const char *s, "
			     "size_t len);\n";
			c << "void\n"
			  << fn
			  << "(sn_builder *b, uint32_t t, const char *s, "
			     "size_t len)\n{\n\tuint32_t v = "
			     "sn_fb_create_string(b, s, len);\n\tif (v)\n\t\t"
			     "sn_fb_add_offset(b, t, "
			  << id << ", " << off << ", v);\n}\n\n";
		} else if (bt == reflection::Vector &&
			   (f->type()->element() == reflection::UByte ||
			    f->type()->element() == reflection::Byte)) {
			std::string rn = t + "_reserve_" + f->name()->str();
			h << "uint8_t *" << rn
			  << "(sn_builder *b, uint32_t t, size_t n);\n";
			h << "void " << fn
			  << "(sn_builder *b, uint32_t t, const void *p, "
			     "size_t n);\n";
			c << "uint8_t *\n"
			  << rn
			  << "(sn_builder *b, uint32_t t, size_t n)\n{\n\t"
			     "uint8_t *data;\n\tuint32_t v = "
			     "sn_fb_create_vector(b, n, 1, 1, &data);\n\tif "
			     "(!v)\n\t\treturn NULL;\n\tsn_fb_add_offset(b, t, "
			  << id << ", " << off
			  << ", v);\n\treturn b->error ? NULL : data;\n}\n\n";
			c << "void\n"
			  << fn
			  << "(sn_builder *b, uint32_t t, const void *p, "
			     "size_t n)\n{\n\tuint8_t *data = "
			  << rn << "(b, t, n);\n\tif (data && n)\n\t\t"
			  << "memcpy(data, p, n);\n}\n\n";
		} else if (bt == reflection::Vector) {
			std::string sn = t + "_start_" + f->name()->str();
			h << "uint32_t " << sn
			  << "(sn_builder *b, uint32_t t, uint32_t count);\n";
			c << "uint32_t\n"
			  << sn
			  << "(sn_builder *b, uint32_t t, uint32_t count)\n{\n"
			     "\tuint32_t v = sn_fb_create_vector(b, count, 4, "
			     "4, NULL);\n\tif (v)\n\t\tsn_fb_add_offset(b, t, "
			  << id << ", " << off
			  << ", v);\n\treturn b->error ? 0 : v;\n}\n\n";
		} else if (bt == reflection::Obj &&
			   object(f->type()->index())->is_struct()) {
			auto e = object(f->type()->index());
			h << "void " << fn
			  << "(sn_builder *b, uint32_t t, const " << table_c(e)
			  << " *v);\n";
			c << "void\n"
			  << fn << "(sn_builder *b, uint32_t t, const "
			  << table_c(e)
			  << " *v)\n{\n\tuint8_t *p = sn_fb_field_slot(b, t, "
			  << id << ", " << off << ", " << e->bytesize()
			  << ");\n\tif (p)\n\t\t" << table_c(e)
			  << "_write(p, v);\n}\n\n";
		} else if (bt == reflection::Obj) {
			h << "void " << fn
			  << "(sn_builder *b, uint32_t t, uint32_t child);\n";
			c << "void\n"
			  << fn
			  << "(sn_builder *b, uint32_t t, uint32_t "
			     "child)\n{\n\tsn_fb_add_offset(b, t, "
			  << id << ", " << off << ", child);\n}\n\n";
		} else if (bt == reflection::Union) {
			// The type field is declared just before the value.
			std::string tid = std::to_string(f->id() - 1);
			std::string toff =
			    std::to_string(l.offset[f->id() - 1]);
			h << "void " << fn
			  << "(sn_builder *b, uint32_t t, uint8_t type, "
			     "uint32_t child);\n";
			c << "void\n"
			  << fn
			  << "(sn_builder *b, uint32_t t, uint8_t type, "
			     "uint32_t child)\n{\n\tsn_fb_add_scalar(b, t, "
			  << tid << ", " << toff
			  << ", &type, 1);\n\tsn_fb_add_offset(b, t, " << id
			  << ", " << off << ", child);\n}\n\n";
		}
	}
	h << "\n";
}

// ---- verifiers ----

void
gen_verifier(const reflection::Object *o)
{
	std::string t = table_c(o), tn = last_component(o->name()->str());
	c << "static int\nverify_" << snake(tn)
	  << "(sn_fb_verifier *v, uint32_t t)\n{\n\tuint32_t vt, p = 0;\n\tint "
	     "rc;\n\n\trc = sn_fb_table_begin(v, t, &vt, \""
	  << tn << "\");\n\tif (rc < 0)\n\t\treturn rc;\n\t(void)p;\n";
	for (auto f : fields_of(o)) {
		std::string name = tn + "." + f->name()->str();
		auto [size, align] = inline_size(f);
		BaseType bt = f->type()->base_type();
		c << "\trc = sn_fb_check_field(v, t, vt, " << f->id() << ", "
		  << size << ", " << align << ", "
		  << (f->required() ? "true" : "false") << ", \"" << name
		  << "\", &p);\n\tif (rc < 0)\n\t\treturn rc;\n";
		int idx = f->type()->index();
		if (is_scalar(bt) && idx >= 0) {
			auto e = enumeration(idx);
			auto s = scalar(bt);
			c << "\tif (p) {\n\t\t" << s.ctype
			  << " x;\n\t\tmemcpy(&x, v->buf + p, " << s.size
			  << ");\n\t\tif (!" << enum_c(e)
			  << "_valid(x))\n\t\t\treturn sn_fb_fail(v, p, \""
			  << name << ": %lld is not a "
			  << last_component(e->name()->str())
			  << "\", (long long)x);\n\t}\n";
		} else if (bt == reflection::String) {
			c << "\tif (p && (rc = sn_fb_check_string(v, p, \""
			  << name << "\")) < 0)\n\t\treturn rc;\n";
		} else if (bt == reflection::Vector) {
			BaseType et = f->type()->element();
			bool tables = et == reflection::Obj;
			c << "\tif (p) {\n\t\tuint32_t start, n;\n\t\trc = "
			     "sn_fb_check_vector(v, p, "
			  << (tables ? 4 : scalar(et).size) << ", "
			  << (tables ? 4 : scalar(et).size) << ", \"" << name
			  << "\", &start, &n);\n\t\tif (rc < 0)\n\t\t\treturn "
			     "rc;\n";
			if (tables) {
				auto e = object(idx);
				c << "\t\tfor (uint32_t i = 0; i < n; i++) "
				     "{\n\t\t\tuint32_t child;\n\t\t\trc = "
				     "sn_fb_check_offset(v, start + 4 * i, "
				     "4, \""
				  << name
				  << "\", &child);\n\t\t\tif (rc < 0 || (rc = "
				     "verify_"
				  << snake(last_component(e->name()->str()))
				  << "(v, child)) < 0)\n\t\t\t\treturn "
				     "rc;\n\t\t}\n";
			}
			c << "\t}\n";
		} else if (bt == reflection::Obj && !object(idx)->is_struct()) {
			c << "\tif (p) {\n\t\tuint32_t child;\n\t\trc = "
			     "sn_fb_check_offset(v, p, 4, \""
			  << name
			  << "\", &child);\n\t\tif (rc < 0 || (rc = verify_"
			  << snake(last_component(object(idx)->name()->str()))
			  << "(v, child)) < 0)\n\t\t\treturn rc;\n\t}\n";
		} else if (bt == reflection::Union) {
			auto e = enumeration(idx);
			c << "\t{\n\t\tuint32_t tp = sn_fb_field(v->buf, t, "
			  << f->id() - 1
			  << ");\n\t\tuint8_t type = tp ? v->buf[tp] : "
			     "0;\n\t\tuint32_t child;\n\n\t\tif ((type == 0) "
			     "!= (p == 0))\n\t\t\treturn sn_fb_fail(v, t, \""
			  << name
			  << ": type and value disagree\");\n\t\tif (p && "
			     "(rc = sn_fb_check_offset(v, p, 4, \""
			  << name
			  << "\", &child)) < 0)\n\t\t\treturn "
			     "rc;\n\t\tswitch (type) {\n\t\tcase 0:\n\t\t\t"
			     "break;\n";
			for (auto val : *e->values()) {
				if (val->value() == 0)
					continue;
				auto m = object(val->union_type()->index());
				c << "\t\tcase " << val->value()
				  << ":\n\t\t\trc = verify_"
				  << snake(last_component(m->name()->str()))
				  << "(v, child);\n\t\t\tbreak;\n";
			}
			c << "\t\tdefault:\n\t\t\treturn sn_fb_fail(v, tp, \""
			  << name
			  << ": unknown union type %u\", type);\n\t\t}\n\t\tif "
			     "(rc < 0)\n\t\t\treturn rc;\n\t}\n";
		}
	}
	c << "\tsn_fb_table_end(v);\n\treturn 0;\n}\n\n";
}

// ---- JSON, field order and spelling as flatc prints them ----

void
gen_printer(const reflection::Object *o)
{
	std::string tn = last_component(o->name()->str());
	std::string t = table_c(o);
	c << "static void\nprint_" << snake(tn) << "(FILE *out, " << ref(o)
	  << " r, unsigned depth)\n{\n\tbool first = true;\n\n\tfputs(\"{\", "
	     "out);\n";
	for (auto f : fields_of(o)) {
		std::string fname = f->name()->str();
		std::string fn = t + "_" + fname;
		BaseType bt = f->type()->base_type();
		int idx = f->type()->index();
		c << "\tif (" << t << "_has_" << fname
		  << "(r)) {\n\t\tfputs(first ? \"\\n\" : \",\\n\", "
		     "out);\n\t\tfirst = false;\n\t\tsn_fb_json_indent(out, "
		     "depth + 1);\n\t\tfputs(\"\\\""
		  << fname << "\\\": \", out);\n";
		if (is_scalar(bt) && idx >= 0) {
			c << "\t\tfprintf(out, \"\\\"%s\\\"\", "
			  << enum_c(enumeration(idx)) << "_name(" << fn
			  << (bt == reflection::UType ? "(r)" : "(r)")
			  << "));\n";
		} else if (bt == reflection::Bool) {
			c << "\t\tfputs(" << fn
			  << "(r) ? \"true\" : \"false\", out);\n";
		} else if (is_scalar(bt)) {
			bool sg = scalar(bt).is_signed;
			c << "\t\tfprintf(out, \"%" << (sg ? "lld" : "llu")
			  << "\", ("
			  << (sg ? "long long" : "unsigned long long") << ")"
			  << fn << "(r));\n";
		} else if (bt == reflection::String) {
			c << "\t\tuint32_t n;\n\t\tconst char *s = " << fn
			  << "(r, &n);\n\t\tsn_fb_json_string(out, (const "
			     "uint8_t *)s, n);\n";
		} else if (bt == reflection::Vector &&
			   f->type()->element() != reflection::Obj) {
			c << "\t\tuint32_t n;\n\t\tconst uint8_t *d = " << fn
			  << "(r, &n);\n\t\tfputc('[', out);\n\t\tfor "
			     "(uint32_t "
			     "i = 0; i < n; i++)\n\t\t\tfprintf(out, i ? \", "
			     "%u\" : \"%u\", d[i]);\n\t\tfputc(']', out);\n";
		} else if (bt == reflection::Vector) {
			auto e = object(idx);
			c << "\t\tuint32_t n = " << fn
			  << "_count(r);\n\t\tfputc('[', out);\n\t\tfor "
			     "(uint32_t i = 0; i < n; i++) {\n\t\t\tfputs(i ? "
			     "\",\\n\" : \"\\n\", out);\n\t\t\t"
			     "sn_fb_json_indent(out, depth + 2);\n\t\t\tprint_"
			  << snake(last_component(e->name()->str())) << "(out, "
			  << fn
			  << "_at(r, i), depth + 2);\n\t\t}\n\t\tif (n) "
			     "{\n\t\t\tfputc('\\n', out);\n\t\t\t"
			     "sn_fb_json_indent(out, depth + 1);\n\t\t}\n\t\t"
			     "fputc(']', out);\n";
		} else if (bt == reflection::Obj && object(idx)->is_struct()) {
			auto e = object(idx);
			c << "\t\t" << table_c(e) << " s = {0};\n\t\t" << fn
			  << "(r, &s);\n\t\t" << table_c(e)
			  << "_print(out, &s);\n";
		} else if (bt == reflection::Obj) {
			c << "\t\tprint_"
			  << snake(last_component(object(idx)->name()->str()))
			  << "(out, " << fn << "(r), depth + 1);\n";
		} else if (bt == reflection::Union) {
			auto e = enumeration(idx);
			c << "\t\tswitch (" << fn << "_type(r)) {\n";
			for (auto val : *e->values()) {
				if (val->value() == 0)
					continue;
				auto m = object(val->union_type()->index());
				c << "\t\tcase " << val->value()
				  << ":\n\t\t\tprint_"
				  << snake(last_component(m->name()->str()))
				  << "(out, " << fn << "_as_"
				  << snake(val->name()->str())
				  << "(r), depth + 1);\n\t\t\tbreak;\n";
			}
			c << "\t\tdefault:\n\t\t\tfputs(\"null\", "
			     "out);\n\t\t}\n";
		}
		c << "\t}\n";
	}
	c << "\tif (!first) {\n\t\tfputc('\\n', out);\n\t\t"
	     "sn_fb_json_indent(out, depth);\n\t}\n\tfputc('}', out);\n}\n\n";
}

// ---- exports: the Export enum against the rpc_services ----

// The roles a call may name in its `sealnet_role` attribute, as the schema
// explains them.  audit/network_stack.jq decides who may call each role;
// a misspelt role would escape it, so an unknown one stops the build.
const std::set<std::string> known_roles = {
    "opens_holes",	"closes_holes",	   "connection_holes",
    "server_holes",	"dns_holes",	   "sends_frames",
    "sends_dns_frames", "delivers_frames", "trusts_caller",
};
const std::set<std::string> hole_kinds = {"connection_holes", "server_holes",
					  "dns_holes"};

// The call's roles, checked: "none" alone, or known roles, each once; a
// call that opens or closes holes says which kind, and only such a call
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
		std::count(roles.begin(), roles.end(), "closes_holes") ==
	    1;
	auto kinds = std::count_if(roles.begin(), roles.end(), [](auto &r) {
		return hole_kinds.count(r) != 0;
	});
	if (holes != (kinds == 1) || kinds > 1)
		die("rpc call " + name +
		    ": a call opens or closes holes of exactly one kind, "
		    "and names a kind only then");
	return roles;
}

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
		  << body_value(it->second.second->response()) << ", roles_"
		  << n << "},\n";
	}
	c << "};\n\n";
	for (auto &kv : calls)
		if (!seen.count(kv.first))
			die("rpc call " + kv.first + " is not in enum Export");
	h << "typedef struct sn_export_info {\n\tuint16_t id;\n\tconst char "
	     "*name;\n\tconst char *compartment;\n\tuint8_t "
	     "request_body;\n\tuint8_t reply_body;\n\t/* The schema's "
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

const reflection::Enum *
find_enum(const std::string &name)
{
	for (auto e : *schema->enums())
		if (last_component(e->name()->str()) == name)
			return e;
	die("the schema has no enum " + name);
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc != 4)
		die("usage: fbsgen SCHEMA.bfbs OUT.h OUT.c");
	std::ifstream in(argv[1], std::ios::binary);
	std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
				   std::istreambuf_iterator<char>());
	flatbuffers::Verifier verifier(bytes.data(), bytes.size());
	if (bytes.empty() || !reflection::VerifySchemaBuffer(verifier))
		die(std::string(argv[1]) + " is not a binary schema");
	schema = reflection::GetSchema(bytes.data());
	auto root = schema->root_table();
	if (root == nullptr || schema->file_ident() == nullptr ||
	    schema->file_ident()->size() != 4)
		die("the schema needs root_type and a 4-byte file_identifier");
	std::string root_c = table_c(root);

	h << "/* Generated by fbsgen from the sealnet schema: do not edit. "
	     "*/\n#ifndef SEALNET_MSG_H\n#define SEALNET_MSG_H\n\n#include "
	     "<stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include "
	     "<stdio.h>\n#include <string.h>\n\n#include \"fb.h\"\n\n";
	c << "/* Generated by fbsgen from the sealnet schema: do not edit. "
	     "*/\n#include \"sealnet_msg.h\"\n\n#include <errno.h>\n\n";
	h << "#define SN_FILE_IDENTIFIER \"" << schema->file_ident()->str()
	  << "\"\n\n";

	for (auto e : *schema->enums())
		gen_enum(e);
	for (auto o : *schema->objects())
		if (o->is_struct()) {
			gen_struct(o);
			gen_struct_io(o);
		}
	for (auto o : *schema->objects())
		if (!o->is_struct())
			gen_table_decl(o);
	h << "\n";
	for (auto o : *schema->objects())
		if (!o->is_struct())
			c << "static int verify_"
			  << snake(last_component(o->name()->str()))
			  << "(sn_fb_verifier *v, uint32_t t);\nstatic void "
			     "print_"
			  << snake(last_component(o->name()->str()))
			  << "(FILE *out, " << ref(o)
			  << " r, unsigned depth);\n";
	c << "\n";
	for (auto o : *schema->objects())
		if (!o->is_struct()) {
			gen_accessors(o);
			gen_builders(o);
			gen_verifier(o);
			gen_printer(o);
		}

	// One verifying entry point per table, so every body can be checked
	// on its own (the fuzz targets use these).
	for (auto o : *schema->objects()) {
		if (o->is_struct())
			continue;
		std::string t = table_c(o);
		h << "int " << t
		  << "_verify_as_root(const void *buf, size_t len, " << ref(o)
		  << " *out, sn_verify_error *err);\n";
		c << "int\n"
		  << t << "_verify_as_root(const void *buf, size_t len, "
		  << ref(o)
		  << " *out, sn_verify_error *err)\n{\n\tsn_fb_verifier "
		     "v;\n\tuint32_t root;\n\tint rc = sn_fb_check_root(&v, "
		     "buf, len, SN_FILE_IDENTIFIER, err, &root);\n\n\tif (rc "
		     "== 0)\n\t\trc = verify_"
		  << snake(last_component(o->name()->str()))
		  << "(&v, root);\n\tif (rc < 0)\n\t\treturn "
		     "sn_fb_rejected(rc);\n\t*out = ("
		  << ref(o) << "){v.buf, v.len, root};\n\treturn 0;\n}\n\n";
	}
	gen_exports(find_enum("Export"), find_enum("Body"));

	// Any body table as a root, for tests and fuzzing: verify, and on
	// success print it, which reads every field.
	h << "int sn_body_verify_as_root(uint8_t type, const void *buf, size_t "
	     "len, FILE *print_to, sn_verify_error *err);\n";
	c << "int\nsn_body_verify_as_root(uint8_t type, const void *buf, "
	     "size_t len, FILE *print_to, sn_verify_error *err)\n{\n\t"
	     "int rc;\n\n\tswitch (type) {\n";
	for (auto v : *find_enum("Body")->values()) {
		if (v->value() == 0)
			continue;
		auto m = object(v->union_type()->index());
		std::string sn = snake(last_component(m->name()->str()));
		c << "\tcase " << v->value() << ": {\n\t\t" << ref(m)
		  << " r;\n\t\trc = " << table_c(m)
		  << "_verify_as_root(buf, len, &r, err);\n\t\tif (rc == 0 "
		     "&& print_to)\n\t\t\tprint_"
		  << sn << "(print_to, r, 0);\n\t\treturn rc;\n\t}\n";
	}
	c << "\tdefault:\n\t\treturn -EINVAL;\n\t}\n}\n\n";

	// Static capabilities presented in a request body: the runtime checks
	// each against what the image says the caller holds, so no callee
	// can forget to.
	h << "/* The capability a request body presents: 0 if none, else the\n"
	     " * position of its ConnectionCapability (*kind = 1) or\n"
	     " * BindCapability (*kind = 2) table. */\n"
	     "uint32_t sn_message_presented_capability(sn_message_ref m, int "
	     "*kind);\n";
	int body_id = -1;
	for (auto f : fields_of(schema->root_table()))
		if (f->name()->str() == "body")
			body_id = f->id();
	if (body_id < 0)
		die("the root table has no body");
	c << "uint32_t\nsn_message_presented_capability(sn_message_ref m, int "
	     "*kind)\n{\n\tuint32_t body = sn_fb_deref(m.buf, "
	     "sn_fb_field(m.buf, m.pos, "
	  << body_id
	  << "));\n\n\t*kind "
	     "= 0;\n\tif (!body)\n\t\treturn 0;\n\tswitch "
	     "(sn_message_body_type(m)) {\n";
	for (auto v : *find_enum("Body")->values()) {
		if (v->value() == 0)
			continue;
		auto m = object(v->union_type()->index());
		for (auto f : fields_of(m)) {
			if (f->type()->base_type() != reflection::Obj)
				continue;
			std::string cap = last_component(
			    object(f->type()->index())->name()->str());
			int kind = cap == "ConnectionCapability" ? 1
				   : cap == "BindCapability"	 ? 2
								 : 0;
			if (!kind)
				continue;
			c << "\tcase " << v->value()
			  << ":\n\t\t*kind = " << kind
			  << ";\n\t\treturn sn_fb_deref(m.buf, "
			     "sn_fb_field(m.buf, body, "
			  << f->id() << "));\n";
		}
	}
	c << "\tdefault:\n\t\treturn 0;\n\t}\n}\n\n";

	// The root: the buffer, then the envelope's rules.
	h << "int sn_message_verify(const void *buf, size_t len, "
	     "sn_message_ref *out, sn_verify_error *err);\n";
	h << "int sn_message_print_json(sn_message_ref m, FILE *out);\n";
	c << R"(int
sn_message_verify(const void *buf, size_t len, sn_message_ref *out,
		  sn_verify_error *err)
{
	sn_fb_verifier v = {.buf = buf, .len = (uint32_t)len, .err = err};
	const sn_export_info *e;
	sn_message_ref m;
	uint8_t call_type, body;
	int32_t status;
	int rc;

	rc = sn_message_verify_as_root(buf, len, &m, err);
	if (rc < 0)
		return rc;
	call_type = sn_message_call_type(m);
	body = sn_message_body_type(m);
	status = sn_message_status(m);
	e = sn_export_info_get(sn_message_export(m));
	if (call_type == SN_CALL_TYPE_NONE)
		rc = sn_fb_fail(&v, m.pos, "Message.call_type is none");
	else if (e == NULL)
		rc = sn_fb_fail(&v, m.pos, "Message.export is none");
	else if (call_type == SN_CALL_TYPE_REQUEST && status != 0)
		rc = sn_fb_fail(&v, m.pos, "a request carries a status");
	else if (call_type == SN_CALL_TYPE_REQUEST && body != e->request_body)
		rc = sn_fb_fail(&v, m.pos, "%s takes %s, not %s", e->name,
				sn_body_name(e->request_body), sn_body_name(body));
	else if (call_type == SN_CALL_TYPE_REPLY && status > 0)
		rc = sn_fb_fail(&v, m.pos, "reply status %d is positive",
				status);
	else if (call_type == SN_CALL_TYPE_REPLY && status == 0 &&
		 body != e->reply_body)
		rc = sn_fb_fail(&v, m.pos, "%s answers %s, not %s", e->name,
				sn_body_name(e->reply_body), sn_body_name(body));
	else if (call_type == SN_CALL_TYPE_REPLY && status < 0 &&
		 body != SN_BODY_NONE)
		rc = sn_fb_fail(&v, m.pos, "a failed reply carries a body");
	if (rc < 0)
		return sn_fb_rejected(rc);
	*out = m;
	return 0;
}

int
sn_message_print_json(sn_message_ref m, FILE *out)
{
	print_message(out, m, 0);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
)";
	h << "#endif\n";

	std::ofstream(argv[2]) << h.str();
	std::ofstream(argv[3]) << c.str();
	return 0;
}
