// Printing a table as JSON, with field order and spelling as flatc prints
// them, so that the two can be compared byte for byte.
#include "fbsgen.h"

namespace fbsgen
{

namespace
{

void
print_vector(const reflection::Field *f, const std::string &fn)
{
	if (f->type()->element() != reflection::Obj) {
		c << "\t\tuint32_t n;\n\t\tconst uint8_t *d = " << fn
		  << "(r, &n);\n\t\tfputc('[', out);\n\t\tfor "
		     "(uint32_t "
		     "i = 0; i < n; i++)\n\t\t\tfprintf(out, i ? \", "
		     "%u\" : \"%u\", d[i]);\n\t\tfputc(']', out);\n";
		return;
	}
	auto e = object(f->type()->index());
	c << "\t\tuint32_t n = " << fn
	  << "_count(r);\n\t\tfputc('[', out);\n\t\tfor "
	     "(uint32_t i = 0; i < n; i++) {\n\t\t\tfputs(i ? "
	     "\",\\n\" : \"\\n\", out);\n\t\t\t"
	     "sn_fb_json_indent(out, depth + 2);\n\t\t\tprint_"
	  << snake(last_component(e->name()->str())) << "(out, " << fn
	  << "_at(r, i), depth + 2);\n\t\t}\n\t\tif (n) "
	     "{\n\t\t\tfputc('\\n', out);\n\t\t\t"
	     "sn_fb_json_indent(out, depth + 1);\n\t\t}\n\t\t"
	     "fputc(']', out);\n";
}

void
print_union(const reflection::Field *f, const std::string &fn)
{
	auto e = enumeration(f->type()->index());
	c << "\t\tswitch (" << fn << "_type(r)) {\n";
	for (auto val : *e->values()) {
		if (val->value() == 0)
			continue;
		auto m = object(val->union_type()->index());
		c << "\t\tcase " << val->value() << ":\n\t\t\tprint_"
		  << snake(last_component(m->name()->str())) << "(out, " << fn
		  << "_as_" << snake(val->name()->str())
		  << "(r), depth + 1);\n\t\t\tbreak;\n";
	}
	c << "\t\tdefault:\n\t\t\tfputs(\"null\", "
	     "out);\n\t\t}\n";
}

// The value of a present field, read through its accessor fn.
void
print_value(const reflection::Field *f, const std::string &fn)
{
	BaseType bt = f->type()->base_type();
	int idx = f->type()->index();
	if (is_scalar(bt) && idx >= 0) {
		c << "\t\tfprintf(out, \"\\\"%s\\\"\", "
		  << enum_c(enumeration(idx)) << "_name(" << fn
		  << (bt == reflection::UType ? "(r)" : "(r)") << "));\n";
	} else if (bt == reflection::Bool) {
		c << "\t\tfputs(" << fn
		  << "(r) ? \"true\" : \"false\", out);\n";
	} else if (is_scalar(bt)) {
		bool sg = scalar(bt).is_signed;
		c << "\t\tfprintf(out, \"%" << (sg ? "lld" : "llu") << "\", ("
		  << (sg ? "long long" : "unsigned long long") << ")" << fn
		  << "(r));\n";
	} else if (bt == reflection::String) {
		c << "\t\tuint32_t n;\n\t\tconst char *s = " << fn
		  << "(r, &n);\n\t\tsn_fb_json_string(out, (const "
		     "uint8_t *)s, n);\n";
	} else if (bt == reflection::Vector) {
		print_vector(f, fn);
	} else if (bt == reflection::Obj && object(idx)->is_struct()) {
		auto e = object(idx);
		c << "\t\t" << table_c(e) << " s = {0};\n\t\t" << fn
		  << "(r, &s);\n\t\t" << table_c(e) << "_print(out, &s);\n";
	} else if (bt == reflection::Obj) {
		c << "\t\tprint_"
		  << snake(last_component(object(idx)->name()->str()))
		  << "(out, " << fn << "(r), depth + 1);\n";
	} else if (bt == reflection::Union) {
		print_union(f, fn);
	}
}

} // namespace

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
		c << "\tif (" << t << "_has_" << fname
		  << "(r)) {\n\t\tfputs(first ? \"\\n\" : \",\\n\", "
		     "out);\n\t\tfirst = false;\n\t\tsn_fb_json_indent(out, "
		     "depth + 1);\n\t\tfputs(\"\\\""
		  << fname << "\\\": \", out);\n";
		print_value(f, t + "_" + fname);
		c << "\t}\n";
	}
	c << "\tif (!first) {\n\t\tfputc('\\n', out);\n\t\t"
	     "sn_fb_json_indent(out, depth);\n\t}\n\tfputc('}', out);\n}\n\n";
}

} // namespace fbsgen
