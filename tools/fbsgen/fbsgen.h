// What the passes of fbsgen share: the schema being read, the header and
// source being written, and the schema's names and layouts as C sees them.
//
//   fbsgen.cc      reads the schema, runs the passes, writes the files
//   schema.cc      names, scalar types and table layouts
//   types.cc       enums, unions, structs, table references
//   accessors.cc   reading a table's fields
//   builders.cc    building a table
//   verifiers.cc   verifying a table
//   printers.cc    printing a table as JSON
//   exports.cc     the Export enum against the rpc_services
#ifndef SEALNET_FBSGEN_H
#define SEALNET_FBSGEN_H

#include <flatbuffers/reflection_generated.h>

#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fbsgen
{

using reflection::BaseType;

extern const reflection::Schema *schema;
// The generated header and source, written pass by pass.
extern std::ostringstream h, c;

[[noreturn]] void die(const std::string &why);

// ---- names (schema.cc) ----

std::string last_component(const std::string &name);
// SocketReference -> socket_reference
std::string snake(const std::string &name);
std::string upper(const std::string &s);
std::string c_string(const std::string &s);
const reflection::Object *object(int index);
const reflection::Enum *enumeration(int index);
// A table's or struct's C type, an enum's prefix, a table reference's type.
std::string table_c(const reflection::Object *o);
std::string enum_c(const reflection::Enum *e);
std::string ref(const reflection::Object *o);

// ---- types and layouts (schema.cc) ----

struct scalar_info {
	const char *ctype;
	unsigned size;
	bool is_signed;
};

scalar_info scalar(BaseType t);
bool is_scalar(BaseType t);
// Fields of a table in declaration (id) order.
std::vector<const reflection::Field *> fields_of(const reflection::Object *o);
// Inline size and alignment of a field's value inside its table.
std::pair<unsigned, unsigned> inline_size(const reflection::Field *f);

struct layout {
	std::map<unsigned, unsigned> offset; // field id -> inline offset
	unsigned size = 4, align = 4;
};

layout lay_out(const reflection::Object *o);
// A scalar field's default as a C expression of its type.
std::string field_default(const reflection::Field *f);

// ---- the passes ----

void gen_enum(const reflection::Enum *e);
void gen_struct(const reflection::Object *o);
void gen_struct_io(const reflection::Object *o);
void gen_table_decl(const reflection::Object *o);
void gen_accessors(const reflection::Object *o);
void gen_builders(const reflection::Object *o);
void gen_verifier(const reflection::Object *o);
void gen_printer(const reflection::Object *o);
void gen_exports(const reflection::Enum *export_enum,
		 const reflection::Enum *body_enum);

} // namespace fbsgen

#endif
