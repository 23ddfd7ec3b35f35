// Enums and unions (with their _valid and _name functions), structs
// (with their readers, writers and printers), and the reference type of
// each table.
#include "fbsgen.h"

namespace fbsgen
{

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

void
gen_table_decl(const reflection::Object *o)
{
	h << "typedef struct " << ref(o)
	  << " {\n\tconst uint8_t *buf;\n\tuint32_t len;\n\tuint32_t "
	     "pos;\n} "
	  << ref(o) << ";\n";
}

} // namespace fbsgen
