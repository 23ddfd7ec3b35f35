#include "fb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

static uint64_t rejections;

uint64_t
sn_codec_rejections(void)
{
	return rejections;
}

int
sn_fb_rejected(int rc)
{
	rejections++;
	return rc;
}

/* ---- verifying ---- */

int
sn_fb_fail(sn_fb_verifier *v, uint32_t at, const char *fmt, ...)
{
	va_list ap;

	v->err->offset = at;
	va_start(ap, fmt);
	vsnprintf(v->err->reason, sizeof(v->err->reason), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* True when [pos, pos + size) lies inside the buffer; no overflow. */
static bool
in_bounds(const sn_fb_verifier *v, uint32_t pos, uint32_t size)
{
	return pos <= v->len && size <= v->len - pos;
}

int
sn_fb_table_begin(sn_fb_verifier *v, uint32_t table, uint32_t *vtable,
		  const char *name)
{
	int32_t soffset;
	int64_t vt;
	uint16_t vsize, inline_size;

	if (++v->depth > SN_FB_MAX_DEPTH)
		return sn_fb_fail(v, table, "%s: nested deeper than %u", name,
				  SN_FB_MAX_DEPTH);
	if (++v->tables > SN_FB_MAX_TABLES)
		return sn_fb_fail(v, table, "%s: more than %u tables", name,
				  SN_FB_MAX_TABLES);
	if ((table & 3u) != 0 || !in_bounds(v, table, 4))
		return sn_fb_fail(v, table,
				  "%s: table misaligned or out of "
				  "bounds",
				  name);
	soffset = (int32_t)sn_fb_u32(v->buf + table);
	vt = (int64_t)table - soffset;
	if (vt < 0 || vt > (int64_t)v->len - 4 || (vt & 1) != 0)
		return sn_fb_fail(v, table, "%s: vtable out of bounds", name);
	vsize = sn_fb_u16(v->buf + vt);
	inline_size = sn_fb_u16(v->buf + vt + 2);
	if (vsize < 4 || (vsize & 1u) != 0 ||
	    !in_bounds(v, (uint32_t)vt, vsize))
		return sn_fb_fail(v, (uint32_t)vt, "%s: bad vtable size %u",
				  name, vsize);
	if (inline_size < 4 || !in_bounds(v, table, inline_size))
		return sn_fb_fail(v, table, "%s: bad table size %u", name,
				  inline_size);
	*vtable = (uint32_t)vt;
	return 0;
}

void
sn_fb_table_end(sn_fb_verifier *v)
{
	v->depth--;
}

int
sn_fb_check_field(sn_fb_verifier *v, uint32_t table, uint32_t vtable,
		  unsigned id, uint32_t size, uint32_t align, bool required,
		  const char *name, uint32_t *pos)
{
	uint16_t vsize = sn_fb_u16(v->buf + vtable);
	uint16_t inline_size = sn_fb_u16(v->buf + vtable + 2);
	uint16_t off = 0;

	if (4u + 2u * id + 2u <= vsize)
		off = sn_fb_u16(v->buf + vtable + 4u + 2u * id);
	*pos = 0;
	if (off == 0)
		return required ? sn_fb_fail(v, table,
					     "%s: required field missing", name)
				: 0;
	if (off < 4 || (uint32_t)off + size > inline_size)
		return sn_fb_fail(v, table, "%s: field outside its table",
				  name);
	if (((table + off) & (align - 1)) != 0)
		return sn_fb_fail(v, table + off, "%s: field misaligned", name);
	*pos = table + off;
	return 0;
}

int
sn_fb_check_offset(sn_fb_verifier *v, uint32_t pos, uint32_t need,
		   const char *name, uint32_t *target)
{
	uint32_t o = sn_fb_u32(v->buf + pos);

	if (o == 0 || o > v->len - pos || !in_bounds(v, pos + o, need))
		return sn_fb_fail(v, pos, "%s: offset out of bounds", name);
	*target = pos + o;
	return 0;
}

int
sn_fb_check_vector(sn_fb_verifier *v, uint32_t field, uint32_t elem_size,
		   uint32_t elem_align, const char *name, uint32_t *start,
		   uint32_t *count)
{
	uint32_t vec = 0, n, align = elem_align > 4 ? elem_align : 4;
	int rc;

	rc = sn_fb_check_offset(v, field, 4, name, &vec);
	if (rc < 0)
		return rc;
	if ((vec & 3u) != 0 || ((vec + 4) & (align - 1)) != 0)
		return sn_fb_fail(v, vec, "%s: vector misaligned", name);
	n = sn_fb_u32(v->buf + vec);
	if (elem_size != 0 && n > (v->len - vec - 4) / elem_size)
		return sn_fb_fail(v, vec, "%s: %u elements do not fit", name,
				  n);
	*start = vec + 4;
	*count = n;
	return 0;
}

int
sn_fb_check_string(sn_fb_verifier *v, uint32_t field, const char *name)
{
	uint32_t start, n;
	int rc;

	rc = sn_fb_check_vector(v, field, 1, 1, name, &start, &n);
	if (rc < 0)
		return rc;
	if (n >= v->len - start || v->buf[start + n] != 0)
		return sn_fb_fail(v, start, "%s: string not terminated", name);
	return 0;
}

int
sn_fb_check_root(sn_fb_verifier *v, const void *buf, size_t len,
		 const char *identifier, sn_verify_error *err, uint32_t *root)
{
	*v = (sn_fb_verifier){.buf = buf, .len = (uint32_t)len, .err = err};
	err->offset = 0;
	err->reason[0] = 0;
	if (len < 8 || len > SN_FB_MAX_BUFFER) {
		v->len = 0;
		return sn_fb_fail(v, 0, "buffer of %zu bytes", len);
	}
	if (((uintptr_t)buf & 7u) != 0)
		return sn_fb_fail(v, 0, "buffer not 8-aligned in memory");
	if (memcmp(v->buf + 4, identifier, 4) != 0)
		return sn_fb_fail(v, 4, "file identifier is not %s",
				  identifier);
	return sn_fb_check_offset(v, 0, 4, "root", root);
}

/* ---- building ---- */

void
sn_builder_init(sn_builder *b, void *mem, size_t cap)
{
	b->buf = mem;
	b->cap = cap > SN_FB_MAX_BUFFER ? SN_FB_MAX_BUFFER : (uint32_t)cap;
	b->error = 0;
	/* Root offset and file identifier come first. */
	b->len = 8;
	if (((uintptr_t)mem & 7u) != 0)
		b->error = -EINVAL;
	else if (b->cap < 8)
		b->error = -EMSGSIZE;
	else
		memset(b->buf, 0, 8);
}

/* Reserves size bytes at the next multiple of align; 0 on error. */
static uint32_t
reserve(sn_builder *b, uint32_t size, uint32_t align)
{
	uint32_t pos;

	if (b->error)
		return 0;
	pos = (b->len + align - 1) & ~(align - 1);
	if (pos < b->len || pos > b->cap || size > b->cap - pos) {
		b->error = -EMSGSIZE;
		return 0;
	}
	memset(b->buf + b->len, 0, pos + size - b->len);
	b->len = pos + size;
	return pos;
}

uint32_t
sn_fb_table_start(sn_builder *b, unsigned nfields, uint32_t inline_size,
		  uint32_t align)
{
	uint32_t vsize = 4 + 2 * nfields, vtable, table;
	uint16_t header[2] = {(uint16_t)vsize, (uint16_t)inline_size};
	int32_t soffset;

	vtable = reserve(b, vsize, 2);
	table = reserve(b, inline_size, align < 4 ? 4 : align);
	if (table == 0)
		return 0;
	memcpy(b->buf + vtable, header, sizeof(header));
	soffset = (int32_t)(table - vtable);
	memcpy(b->buf + table, &soffset, sizeof(soffset));
	return table;
}

static bool
usable_table(sn_builder *b, uint32_t table)
{
	if (b->error)
		return false;
	if (table < 8 || table + 4 > b->len) {
		b->error = -EINVAL;
		return false;
	}
	return true;
}

uint8_t *
sn_fb_field_slot(sn_builder *b, uint32_t table, unsigned id, uint32_t off,
		 uint32_t size)
{
	uint32_t vtable;
	uint16_t o = (uint16_t)off;

	if (!usable_table(b, table))
		return NULL;
	vtable = table - (uint32_t)(int32_t)sn_fb_u32(b->buf + table);
	if (4 + 2 * id + 2 > sn_fb_u16(b->buf + vtable)) {
		b->error = -EINVAL;
		return NULL;
	}
	memcpy(b->buf + vtable + 4 + 2 * id, &o, sizeof(o));
	if (off < 4 || off + size > sn_fb_u16(b->buf + vtable + 2)) {
		b->error = -EINVAL;
		return NULL;
	}
	return b->buf + table + off;
}

void
sn_fb_add_scalar(sn_builder *b, uint32_t table, unsigned id, uint32_t off,
		 const void *value, uint32_t size)
{
	uint8_t *slot = sn_fb_field_slot(b, table, id, off, size);

	if (slot != NULL)
		memcpy(slot, value, size);
}

void
sn_fb_add_offset(sn_builder *b, uint32_t table, unsigned id, uint32_t off,
		 uint32_t target)
{
	uint32_t rel;

	if (b->error)
		return;
	if (target == 0 || target <= table + off || target >= b->len) {
		/* Children must be made after their parent. */
		b->error = -EINVAL;
		return;
	}
	rel = target - (table + off);
	sn_fb_add_scalar(b, table, id, off, &rel, sizeof(rel));
}

/* Appends a vector: the 4-byte count, placed so the first element is
 * aligned to max(4, elem_align), then the elements and `extra` bytes. */
/* With `from`, the elements are copied from it and only the padding and
 * `extra` are zeroed: zeroing bytes about to be overwritten cost a pass
 * over every large message.  Without, everything is zeroed, so a caller
 * that fills less than it reserved sends zeros, never an earlier
 * message's bytes. */
static uint32_t
append_vector(sn_builder *b, size_t count, uint32_t elem_size,
	      uint32_t elem_align, uint32_t extra, const void *from,
	      uint8_t **data)
{
	uint32_t align = elem_align > 4 ? elem_align : 4, pos, bytes;
	uint32_t n32 = (uint32_t)count;

	if (data != NULL)
		*data = NULL;
	if (b->error)
		return 0;
	if (count > (SN_FB_MAX_BUFFER - 16) / (elem_size ? elem_size : 1)) {
		b->error = -EMSGSIZE;
		return 0;
	}
	pos = (b->len + 3) & ~3u;
	while (((pos + 4) & (align - 1)) != 0)
		pos += 4;
	bytes = 4 + n32 * elem_size + extra;
	if (pos > b->cap || bytes > b->cap - pos) {
		b->error = -EMSGSIZE;
		return 0;
	}
	if (from != NULL && n32 > 0) {
		uint32_t elems = n32 * elem_size;

		memset(b->buf + b->len, 0, pos - b->len);
		memcpy(b->buf + pos + 4, from, elems);
		memset(b->buf + pos + 4 + elems, 0, extra);
	} else {
		memset(b->buf + b->len, 0, pos + bytes - b->len);
	}
	b->len = pos + bytes;
	memcpy(b->buf + pos, &n32, sizeof(n32));
	if (data != NULL)
		*data = b->buf + pos + 4;
	return pos;
}

uint32_t
sn_fb_create_vector(sn_builder *b, size_t count, uint32_t elem_size,
		    uint32_t elem_align, uint8_t **data)
{
	return append_vector(b, count, elem_size, elem_align, 0, NULL, data);
}

uint32_t
sn_fb_copy_vector(sn_builder *b, const void *elems, size_t count,
		  uint32_t elem_size, uint32_t elem_align)
{
	return append_vector(b, count, elem_size, elem_align, 0, elems, NULL);
}

uint32_t
sn_fb_create_string(sn_builder *b, const char *s, size_t len)
{
	/* The terminating NUL is not counted in the length. */
	return append_vector(b, len, 1, 1, 1, s, NULL);
}

void
sn_builder_set_table_at(sn_builder *b, uint32_t vector, uint32_t i,
			uint32_t table)
{
	uint32_t slot, rel;

	if (b->error)
		return;
	if (vector < 8 || vector + 4 > b->len ||
	    i >= sn_fb_u32(b->buf + vector)) {
		b->error = -EINVAL;
		return;
	}
	slot = vector + 4 + 4 * i;
	if (table <= slot || table >= b->len) {
		b->error = -EINVAL;
		return;
	}
	rel = table - slot;
	memcpy(b->buf + slot, &rel, sizeof(rel));
}

int
sn_builder_finish(sn_builder *b, uint32_t root_table, size_t *out_len)
{
	if (b->error)
		return b->error;
	if (!usable_table(b, root_table))
		return b->error;
	memcpy(b->buf, &root_table, sizeof(root_table));
	memcpy(b->buf + 4, "SNL1", 4);
	/* Pad to 8 so the receiver's copy keeps 8-byte fields aligned. */
	if (reserve(b, 0, 8), b->error)
		return b->error;
	*out_len = b->len;
	return 0;
}

/* ---- JSON ---- */

void
sn_fb_json_string(FILE *out, const uint8_t *s, uint32_t len)
{
	fputc('"', out);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void
sn_fb_json_indent(FILE *out, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", out);
}
