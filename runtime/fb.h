/*
 * The hand-written core of sealnet's FlatBuffers codec.  The generated
 * code (sealnet_msg.h) calls these for every table of the schema.
 *
 * Reading: only through a verifier.  Once a buffer has passed, accessors
 * read it without further checks, so the verifier enforces every rule of
 * the format, including those the official verifiers leave out.
 *
 * Building: front to back into a buffer the caller owns.  A table is laid
 * out whole when it is started (its vtable just before it, every field
 * marked absent), and children are appended after it, so every offset
 * points forward as the format requires.  Errors are sticky: after the
 * first, every call does nothing and finish reports it.
 */
#ifndef SEALNET_FB_H
#define SEALNET_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Nesting and DAG bounds: far above what this schema can nest (3) or a
 * legitimate message holds, far below what would cost real time. */
#define SN_FB_MAX_DEPTH	 64u
#define SN_FB_MAX_TABLES 1024u
#define SN_FB_MAX_BUFFER 0x7fffffffu

typedef struct sn_builder {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	int error;
} sn_builder;

typedef struct sn_verify_error {
	uint32_t offset;
	char reason[120];
} sn_verify_error;

typedef struct sn_fb_verifier {
	const uint8_t *buf;
	uint32_t len;
	uint32_t depth;
	uint32_t tables;
	sn_verify_error *err;
} sn_fb_verifier;

/* Rejected messages in this process. */
uint64_t sn_codec_rejections(void);

/* ---- reading a verified buffer ---- */

static inline uint16_t
sn_fb_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
sn_fb_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
sn_fb_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Position of field `id` of the table at `table`, or 0 when absent. */
static inline uint32_t
sn_fb_field(const uint8_t *buf, uint32_t table, unsigned id)
{
	uint32_t vtable;
	uint16_t vsize, off;

	if (buf == NULL || table == 0)
		return 0;
	vtable = table - (uint32_t)(int32_t)sn_fb_u32(buf + table);
	vsize = sn_fb_u16(buf + vtable);
	if (4u + 2u * id + 2u > vsize)
		return 0;
	off = sn_fb_u16(buf + vtable + 4u + 2u * id);
	return off ? table + off : 0;
}

/* Follows the uoffset stored at pos. */
static inline uint32_t
sn_fb_deref(const uint8_t *buf, uint32_t pos)
{
	return pos ? pos + sn_fb_u32(buf + pos) : 0;
}

/* ---- verifying ---- */

int sn_fb_fail(sn_fb_verifier *v, uint32_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks the table header and vtable; counts depth and tables. */
int sn_fb_table_begin(sn_fb_verifier *v, uint32_t table, uint32_t *vtable,
		      const char *name);
void sn_fb_table_end(sn_fb_verifier *v);
/* Finds field id; when present checks size and alignment; *pos is 0 when
 * absent.  required: absence is an error. */
int sn_fb_check_field(sn_fb_verifier *v, uint32_t table, uint32_t vtable,
		      unsigned id, uint32_t size, uint32_t align, bool required,
		      const char *name, uint32_t *pos);
/* Checks the uoffset at pos and that its target leaves room for `need`
 * bytes; *target gets the target. */
int sn_fb_check_offset(sn_fb_verifier *v, uint32_t pos, uint32_t need,
		       const char *name, uint32_t *target);
int sn_fb_check_string(sn_fb_verifier *v, uint32_t field, const char *name);
int sn_fb_check_vector(sn_fb_verifier *v, uint32_t field, uint32_t elem_size,
		       uint32_t elem_align, const char *name, uint32_t *start,
		       uint32_t *count);
/* Buffer-level checks and the root table's position. */
int sn_fb_check_root(sn_fb_verifier *v, const void *buf, size_t len,
		     const char *identifier, sn_verify_error *err,
		     uint32_t *root);
/* Counts a rejection; returns rc. */
int sn_fb_rejected(int rc);

/* ---- building ---- */

void sn_builder_init(sn_builder *b, void *mem, size_t cap);
/* Lays out a table of nfields fields and inline_size bytes (soffset
 * included), aligned to align; returns its position or 0. */
uint32_t sn_fb_table_start(sn_builder *b, unsigned nfields,
			   uint32_t inline_size, uint32_t align);
/* Marks field id present at inline offset off and returns where its
 * bytes go, or NULL after an error. */
uint8_t *sn_fb_field_slot(sn_builder *b, uint32_t table, unsigned id,
			  uint32_t off, uint32_t size);
void sn_fb_add_scalar(sn_builder *b, uint32_t table, unsigned id, uint32_t off,
		      const void *value, uint32_t size);
/* Stores at field id an offset to target, which must lie after it. */
void sn_fb_add_offset(sn_builder *b, uint32_t table, unsigned id, uint32_t off,
		      uint32_t target);
uint32_t sn_fb_create_string(sn_builder *b, const char *s, size_t len);
/* A vector of count elements; *data (if given) is where they go. */
uint32_t sn_fb_create_vector(sn_builder *b, size_t count, uint32_t elem_size,
			     uint32_t elem_align, uint8_t **data);
/* The same, its count elements copied from elems. */
uint32_t sn_fb_copy_vector(sn_builder *b, const void *elems, size_t count,
			   uint32_t elem_size, uint32_t elem_align);
void sn_builder_set_table_at(sn_builder *b, uint32_t vector, uint32_t i,
			     uint32_t table);
int sn_builder_finish(sn_builder *b, uint32_t root_table, size_t *out_len);

/* ---- JSON, in the form flatc --json --strict-json prints ---- */

void sn_fb_json_string(FILE *out, const uint8_t *s, uint32_t len);
void sn_fb_json_indent(FILE *out, unsigned depth);

#endif
