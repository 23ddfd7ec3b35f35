// The schema's names, scalar types and table layouts, as the generated C
// spells and lays them out.
#include "fbsgen.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace fbsgen
{

const reflection::Schema *schema;
std::ostringstream h, c;

void
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

std::string
ref(const reflection::Object *o)
{
	return table_c(o) + "_ref";
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

} // namespace fbsgen
