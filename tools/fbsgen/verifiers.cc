// Verifying a table: each field's presence, size and alignment, then what
// its value must be (an enum's known value, a string, a vector and its
// tables, a child table, a union whose type and value agree).
#include "fbsgen.h"

namespace fbsgen
{

namespace
{

// A scalar of enum type holds one of the enum's values.
void
check_enum_value(const reflection::Field *f, const std::string &name)
{
	auto e = enumeration(f->type()->index());
	auto s = scalar(f->type()->base_type());
	c << "\tif (p) {\n\t\t" << s.ctype << " x;\n\t\tmemcpy(&x, v->buf + p, "
	  << s.size << ");\n\t\tif (!" << enum_c(e)
	  << "_valid(x))\n\t\t\treturn sn_fb_fail(v, p, \"" << name
	  << ": %lld is not a " << last_component(e->name()->str())
	  << "\", (long long)x);\n\t}\n";
}

void
check_vector(const reflection::Field *f, const std::string &name)
{
	BaseType et = f->type()->element();
	bool tables = et == reflection::Obj;
	c << "\tif (p) {\n\t\tuint32_t start, n;\n\t\trc = "
	     "sn_fb_check_vector(v, p, "
	  << (tables ? 4 : scalar(et).size) << ", "
	  << (tables ? 4 : scalar(et).size) << ", \"" << name
	  << "\", &start, &n);\n\t\tif (rc < 0)\n\t\t\treturn "
	     "rc;\n";
	if (tables) {
		auto e = object(f->type()->index());
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
}

void
check_table(const reflection::Field *f, const std::string &name)
{
	auto e = object(f->type()->index());
	c << "\tif (p) {\n\t\tuint32_t child;\n\t\trc = "
	     "sn_fb_check_offset(v, p, 4, \""
	  << name << "\", &child);\n\t\tif (rc < 0 || (rc = verify_"
	  << snake(last_component(e->name()->str()))
	  << "(v, child)) < 0)\n\t\t\treturn rc;\n\t}\n";
}

void
check_union(const reflection::Field *f, const std::string &name)
{
	auto e = enumeration(f->type()->index());
	c << "\t{\n\t\tuint32_t tp = sn_fb_field(v->buf, t, " << f->id() - 1
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
		c << "\t\tcase " << val->value() << ":\n\t\t\trc = verify_"
		  << snake(last_component(m->name()->str()))
		  << "(v, child);\n\t\t\tbreak;\n";
	}
	c << "\t\tdefault:\n\t\t\treturn sn_fb_fail(v, tp, \"" << name
	  << ": unknown union type %u\", type);\n\t\t}\n\t\tif "
	     "(rc < 0)\n\t\t\treturn rc;\n\t}\n";
}

} // namespace

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
		int idx = f->type()->index();
		c << "\trc = sn_fb_check_field(v, t, vt, " << f->id() << ", "
		  << size << ", " << align << ", "
		  << (f->required() ? "true" : "false") << ", \"" << name
		  << "\", &p);\n\tif (rc < 0)\n\t\treturn rc;\n";
		if (is_scalar(bt) && idx >= 0)
			check_enum_value(f, name);
		else if (bt == reflection::String)
			c << "\tif (p && (rc = sn_fb_check_string(v, p, \""
			  << name << "\")) < 0)\n\t\treturn rc;\n";
		else if (bt == reflection::Vector)
			check_vector(f, name);
		else if (bt == reflection::Obj && !object(idx)->is_struct())
			check_table(f, name);
		else if (bt == reflection::Union)
			check_union(f, name);
	}
	c << "\tsn_fb_table_end(v);\n\treturn 0;\n}\n\n";
}

} // namespace fbsgen
