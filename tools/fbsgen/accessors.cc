// Reading a table's fields: for each, whether it is present and its value
// (the default when absent), as static inline functions in the header
// wherever they need no other generated code.
#include "fbsgen.h"

namespace fbsgen
{

namespace
{

// What every accessor of one field is built from: the table's C name, its
// reference type, the accessor's name, and the expression that finds the
// field's position (0 when absent).
struct accessor {
	std::string t, r, fn, get;
};

void
scalar_accessor(const reflection::Field *f, const accessor &a)
{
	BaseType bt = f->type()->base_type();
	if (bt == reflection::Bool) {
		// Any byte may arrive; only 0 is false.
		h << "static inline bool\n"
		  << a.fn << "(" << a.r << " r)\n{\n\tuint32_t p = " << a.get
		  << ";\n\treturn p ? r.buf[p] != 0 : " << field_default(f)
		  << ";\n}\n";
		return;
	}
	auto s = scalar(bt);
	h << "static inline " << s.ctype << "\n"
	  << a.fn << "(" << a.r << " r)\n{\n\tuint32_t p = " << a.get << ";\n\t"
	  << s.ctype << " v = " << field_default(f)
	  << ";\n\tif (p)\n\t\tmemcpy(&v, r.buf + p, " << s.size
	  << ");\n\treturn v;\n}\n";
}

void
string_accessor(const accessor &a)
{
	h << "static inline const char *\n"
	  << a.fn << "(" << a.r
	  << " r, uint32_t *len)\n{\n\tuint32_t s = "
	     "sn_fb_deref(r.buf, "
	  << a.get
	  << ");\n\t*len = s ? sn_fb_u32(r.buf + s) : "
	     "0;\n\treturn s ? (const char *)r.buf + s + 4 : "
	     "NULL;\n}\n";
}

// Bytes as a pointer and a length; tables as a count and an index.
void
vector_accessors(const reflection::Field *f, const accessor &a)
{
	BaseType et = f->type()->element();
	if (et == reflection::UByte || et == reflection::Byte) {
		h << "static inline const uint8_t *\n"
		  << a.fn << "(" << a.r
		  << " r, uint32_t *len)\n{\n\tuint32_t s = "
		     "sn_fb_deref(r.buf, "
		  << a.get
		  << ");\n\t*len = s ? sn_fb_u32(r.buf + s) "
		     ": 0;\n\treturn s ? r.buf + s + 4 : "
		     "NULL;\n}\n";
	} else if (et == reflection::Obj &&
		   !object(f->type()->index())->is_struct()) {
		auto e = object(f->type()->index());
		h << "static inline uint32_t\n"
		  << a.fn << "_count(" << a.r
		  << " r)\n{\n\tuint32_t s = "
		     "sn_fb_deref(r.buf, "
		  << a.get
		  << ");\n\treturn s ? sn_fb_u32(r.buf + s) : "
		     "0;\n}\n";
		h << "static inline " << ref(e) << "\n"
		  << a.fn << "_at(" << a.r
		  << " r, uint32_t i)\n{\n\tuint32_t s = "
		     "sn_fb_deref(r.buf, "
		  << a.get << ");\n\t" << ref(e)
		  << " out = {r.buf, r.len, 0};\n\tif (s && i "
		     "< sn_fb_u32(r.buf + s))\n\t\tout.pos = "
		     "sn_fb_deref(r.buf, s + 4 + 4 * "
		     "i);\n\treturn out;\n}\n";
	} else {
		die(a.fn + ": only vectors of bytes or tables");
	}
}

// A struct is copied out through its reader; a table is a reference.
void
object_accessor(const reflection::Field *f, const accessor &a)
{
	auto e = object(f->type()->index());
	if (e->is_struct()) {
		h << "bool " << a.fn << "(" << a.r << " r, " << table_c(e)
		  << " *out);\n";
		c << "bool\n"
		  << a.fn << "(" << a.r << " r, " << table_c(e)
		  << " *out)\n{\n\tuint32_t p = " << a.get
		  << ";\n\tif (p)\n\t\t" << table_c(e)
		  << "_read(r.buf + p, out);\n\treturn p != "
		     "0;\n}\n\n";
	} else {
		h << "static inline " << ref(e) << "\n"
		  << a.fn << "(" << a.r << " r)\n{\n\treturn (" << ref(e)
		  << "){r.buf, r.len, "
		  << "sn_fb_deref(r.buf, " << a.get << ")};\n}\n";
	}
}

// One accessor per member, which finds nothing unless the type says so.
void
union_accessors(const reflection::Field *f, const accessor &a)
{
	auto e = enumeration(f->type()->index());
	for (auto v : *e->values()) {
		if (v->value() == 0)
			continue;
		auto m = object(v->union_type()->index());
		h << "static inline " << ref(m) << "\n"
		  << a.fn << "_as_" << snake(v->name()->str()) << "(" << a.r
		  << " r)\n{\n\t" << ref(m)
		  << " out = {r.buf, r.len, 0};\n\tif (" << a.fn
		  << "_type(r) == " << v->value()
		  << ")\n\t\tout.pos = sn_fb_deref(r.buf, " << a.get
		  << ");\n\treturn out;\n}\n";
	}
}

} // namespace

void
gen_accessors(const reflection::Object *o)
{
	std::string t = table_c(o), r = ref(o);
	for (auto f : fields_of(o)) {
		accessor a = {t, r, t + "_" + f->name()->str(),
			      "sn_fb_field(r.buf, r.pos, " +
				  std::to_string(f->id()) + ")"};
		BaseType bt = f->type()->base_type();
		h << "static inline bool\n"
		  << t << "_has_" << f->name()->str() << "(" << r
		  << " r)\n{\n\treturn " << a.get << " != 0;\n}\n";
		if (is_scalar(bt))
			scalar_accessor(f, a);
		else if (bt == reflection::String)
			string_accessor(a);
		else if (bt == reflection::Vector)
			vector_accessors(f, a);
		else if (bt == reflection::Obj)
			object_accessor(f, a);
		else if (bt == reflection::Union)
			union_accessors(f, a);
	}
	h << "\n";
}

} // namespace fbsgen
