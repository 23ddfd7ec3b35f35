// Building a table: its start, and an add function for each field that
// writes the value (or reserves room for it) and records its offset.
#include "fbsgen.h"

namespace fbsgen
{

namespace
{

// What every add function of one field is built from: the table's C name,
// the function's name, and the field's id and inline offset as C text.
struct adder {
	std::string t, fn, id, off;
};

void
scalar_adder(const reflection::Field *f, const adder &a)
{
	auto s = scalar(f->type()->base_type());
	h << "void " << a.fn << "(sn_builder *b, uint32_t t, " << s.ctype
	  << " v);\n";
	c << "void\n"
	  << a.fn << "(sn_builder *b, uint32_t t, " << s.ctype
	  << " v)\n{\n\tsn_fb_add_scalar(b, t, " << a.id << ", " << a.off
	  << ", &v, " << s.size << ");\n}\n\n";
}

void
string_adder(const adder &a)
{
	h << "void " << a.fn
	  << "(sn_builder *b, uint32_t t, const char *s, "
	     "size_t len);\n";
	c << "void\n"
	  << a.fn
	  << "(sn_builder *b, uint32_t t, const char *s, "
	     "size_t len)\n{\n\tuint32_t v = "
	     "sn_fb_create_string(b, s, len);\n\tif (v)\n\t\t"
	     "sn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off << ", v);\n}\n\n";
}

// Bytes are reserved in place, so a caller may write them there, or
// copied from the caller's (without first zeroing what the copy fills).
void
bytes_adders(const reflection::Field *f, const adder &a)
{
	std::string rn = a.t + "_reserve_" + f->name()->str();
	h << "uint8_t *" << rn << "(sn_builder *b, uint32_t t, size_t n);\n";
	h << "void " << a.fn
	  << "(sn_builder *b, uint32_t t, const void *p, "
	     "size_t n);\n";
	c << "uint8_t *\n"
	  << rn
	  << "(sn_builder *b, uint32_t t, size_t n)\n{\n\t"
	     "uint8_t *data;\n\tuint32_t v = "
	     "sn_fb_create_vector(b, n, 1, 1, &data);\n\tif "
	     "(!v)\n\t\treturn NULL;\n\tsn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off
	  << ", v);\n\treturn b->error ? NULL : data;\n}\n\n";
	c << "void\n"
	  << a.fn
	  << "(sn_builder *b, uint32_t t, const void *p, "
	     "size_t n)\n{\n\tuint32_t v = "
	     "sn_fb_copy_vector(b, p, n, 1, 1);\n\tif (v)\n\t\t"
	     "sn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off << ", v);\n}\n\n";
}

// A vector of tables is started empty; the caller fills its offsets.
void
tables_starter(const reflection::Field *f, const adder &a)
{
	std::string sn = a.t + "_start_" + f->name()->str();
	h << "uint32_t " << sn
	  << "(sn_builder *b, uint32_t t, uint32_t count);\n";
	c << "uint32_t\n"
	  << sn
	  << "(sn_builder *b, uint32_t t, uint32_t count)\n{\n"
	     "\tuint32_t v = sn_fb_create_vector(b, count, 4, "
	     "4, NULL);\n\tif (v)\n\t\tsn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off
	  << ", v);\n\treturn b->error ? 0 : v;\n}\n\n";
}

void
struct_adder(const reflection::Field *f, const adder &a)
{
	auto e = object(f->type()->index());
	h << "void " << a.fn << "(sn_builder *b, uint32_t t, const "
	  << table_c(e) << " *v);\n";
	c << "void\n"
	  << a.fn << "(sn_builder *b, uint32_t t, const " << table_c(e)
	  << " *v)\n{\n\tuint8_t *p = sn_fb_field_slot(b, t, " << a.id << ", "
	  << a.off << ", " << e->bytesize() << ");\n\tif (p)\n\t\t"
	  << table_c(e) << "_write(p, v);\n}\n\n";
}

void
table_adder(const adder &a)
{
	h << "void " << a.fn
	  << "(sn_builder *b, uint32_t t, uint32_t child);\n";
	c << "void\n"
	  << a.fn
	  << "(sn_builder *b, uint32_t t, uint32_t "
	     "child)\n{\n\tsn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off << ", child);\n}\n\n";
}

// The type field is declared just before the value, and written with it.
void
union_adder(const reflection::Field *f, layout &l, const adder &a)
{
	std::string tid = std::to_string(f->id() - 1);
	std::string toff = std::to_string(l.offset[f->id() - 1]);
	h << "void " << a.fn
	  << "(sn_builder *b, uint32_t t, uint8_t type, "
	     "uint32_t child);\n";
	c << "void\n"
	  << a.fn
	  << "(sn_builder *b, uint32_t t, uint8_t type, "
	     "uint32_t child)\n{\n\tsn_fb_add_scalar(b, t, "
	  << tid << ", " << toff << ", &type, 1);\n\tsn_fb_add_offset(b, t, "
	  << a.id << ", " << a.off << ", child);\n}\n\n";
}

} // namespace

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
		adder a = {t, t + "_add_" + f->name()->str(),
			   std::to_string(f->id()),
			   std::to_string(l.offset[f->id()])};
		BaseType bt = f->type()->base_type();
		BaseType et = f->type()->element();
		if (bt == reflection::UType)
			continue; // written by the union's add
		if (is_scalar(bt))
			scalar_adder(f, a);
		else if (bt == reflection::String)
			string_adder(a);
		else if (bt == reflection::Vector &&
			 (et == reflection::UByte || et == reflection::Byte))
			bytes_adders(f, a);
		else if (bt == reflection::Vector)
			tables_starter(f, a);
		else if (bt == reflection::Obj &&
			 object(f->type()->index())->is_struct())
			struct_adder(f, a);
		else if (bt == reflection::Obj)
			table_adder(a);
		else if (bt == reflection::Union)
			union_adder(f, l, a);
	}
	h << "\n";
}

} // namespace fbsgen
