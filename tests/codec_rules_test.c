/*
 * The codec's rules: a valid message with one thing broken by hand is
 * rejected, with a reason that names what, and the rejection is counted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_samples.h"
#include "harness.h"
#include "sealnet_msg.h"

/* A sample to break: a copy, so that mem stays as built. */
static _Alignas(8) uint8_t copy[1 << 16];

/* Positions inside the verified copy of a sample. */
static uint32_t
root_of(const uint8_t *buf)
{
	return sn_fb_u32(buf);
}

static uint32_t
vtable_of(const uint8_t *buf, uint32_t table)
{
	return table - (uint32_t)(int32_t)sn_fb_u32(buf + table);
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Builds a sample into `copy`, lets `mutate` break it, and expects the
 * verifier to refuse it with a reason that mentions `why`. */
static int
rejected_after(int (*sample)(sn_builder *b), void (*mutate)(uint8_t *buf),
	       const char *why)
{
	sn_verify_error err;
	sn_message_ref m;
	uint64_t before;
	int rc;

	if (build(sample) < 0)
		return 0;
	memcpy(copy, mem, len);
	mutate(copy);
	before = sn_codec_rejections();
	rc = sn_message_verify(copy, len, &m, &err);
	if (rc != -EBADMSG) {
		printf("  accepted after mutation (expected: %s)\n", why);
		return 0;
	}
	if (sn_codec_rejections() != before + 1) {
		printf("  rejection not counted\n");
		return 0;
	}
	if (strstr(err.reason, why) == NULL) {
		printf("  reason \"%s\" does not mention \"%s\"\n", err.reason,
		       why);
		return 0;
	}
	return 1;
}

static uint32_t
field_of(const uint8_t *buf, uint32_t table, unsigned id)
{
	return sn_fb_field(buf, table, id);
}

/* Message fields: 0 call_id 1 deadline 2 call_type 3 export 4 status
 * 5 body_type 6 body. */
static void
m_identifier(uint8_t *b)
{
	b[4] = 'X';
}
static void
m_root_out(uint8_t *b)
{
	put_u32(b, (uint32_t)len + 4);
}
static void
m_root_zero(uint8_t *b)
{
	put_u32(b, 0);
}
static void
m_root_misaligned(uint8_t *b)
{
	put_u32(b, root_of(b) + 2);
}
static void
m_vtable_out(uint8_t *b)
{
	put_u32(b + root_of(b), 0x7ffffff0u);
}
static void
m_vtable_odd(uint8_t *b)
{
	put_u32(b + root_of(b), sn_fb_u32(b + root_of(b)) + 1);
}
static void
m_vsize_odd(uint8_t *b)
{
	put_u16(b + vtable_of(b, root_of(b)), 7);
}
static void
m_vsize_small(uint8_t *b)
{
	put_u16(b + vtable_of(b, root_of(b)), 2);
}
static void
m_inline_huge(uint8_t *b)
{
	put_u16(b + vtable_of(b, root_of(b)) + 2, 0xfff0);
}
static void
m_field_outside(uint8_t *b)
{
	uint32_t vt = vtable_of(b, root_of(b));
	put_u16(b + vt + 4, sn_fb_u16(b + vt + 2));
}
static void
m_field_misaligned(uint8_t *b)
{
	/* call_id is 8 bytes: move it to a 4-aligned slot. */
	uint32_t vt = vtable_of(b, root_of(b));
	put_u16(b + vt + 4, 4);
}
static void
m_offset_zero(uint8_t *b)
{
	put_u32(b + field_of(b, root_of(b), 6), 0);
}
static void
m_offset_out(uint8_t *b)
{
	put_u32(b + field_of(b, root_of(b), 6), 0x10000);
}
static void
m_union_unknown(uint8_t *b)
{
	b[field_of(b, root_of(b), 5)] = 200;
}
static void
m_union_type_without_value(uint8_t *b)
{
	uint32_t vt = vtable_of(b, root_of(b));
	put_u16(b + vt + 4 + 2 * 6, 0);
}
static void
m_union_value_without_type(uint8_t *b)
{
	uint32_t vt = vtable_of(b, root_of(b));
	put_u16(b + vt + 4 + 2 * 5, 0);
}
static void
m_enum_out_of_range(uint8_t *b)
{
	b[field_of(b, root_of(b), 2)] = 7;
}
static void
m_export_unknown(uint8_t *b)
{
	put_u16(b + field_of(b, root_of(b), 3), 999);
}
static void
m_call_type_none(uint8_t *b)
{
	b[field_of(b, root_of(b), 2)] = 0;
}
static void
m_wrong_body(uint8_t *b)
{
	/* runtime_echo takes Bytes; claim the same table is Frame, whose
	 * layout is identical, so only the envelope rule can catch it. */
	b[field_of(b, root_of(b), 5)] = SN_BODY_FRAME;
}
static uint32_t
body_of(uint8_t *b)
{
	return sn_fb_deref(b, field_of(b, root_of(b), 6));
}
static void
m_required_missing(uint8_t *b)
{
	uint32_t vt = vtable_of(b, body_of(b));
	put_u16(b + vt + 4, 0);
}
static void
m_vector_overflow(uint8_t *b)
{
	uint32_t vec = sn_fb_deref(b, field_of(b, body_of(b), 0));
	put_u32(b + vec, 0xffffffffu);
}
static void
m_string_unterminated(uint8_t *b)
{
	/* Log.text is field 1; fill its NUL. */
	uint32_t s = sn_fb_deref(b, field_of(b, body_of(b), 1));
	b[s + 4 + sn_fb_u32(b + s)] = 'x';
}
static void
m_positive_status(uint8_t *b)
{
	put_u32(b + field_of(b, root_of(b), 4), 5);
}
static void
m_request_with_status(uint8_t *b)
{
	/* Turn a failed reply into a request: it now carries a status. */
	b[field_of(b, root_of(b), 2)] = SN_CALL_TYPE_REQUEST;
}

TEST(each_format_rule_rejects)
{
	CHECK(rejected_after(build_echo, m_identifier, "identifier"));
	CHECK(rejected_after(build_echo, m_root_out, "root"));
	CHECK(rejected_after(build_echo, m_root_zero, "root"));
	CHECK(rejected_after(build_echo, m_root_misaligned, "misaligned"));
	CHECK(rejected_after(build_echo, m_vtable_out, "vtable"));
	CHECK(rejected_after(build_echo, m_vtable_odd, "vtable"));
	CHECK(rejected_after(build_echo, m_vsize_odd, "vtable size"));
	CHECK(rejected_after(build_echo, m_vsize_small, "vtable size"));
	CHECK(rejected_after(build_echo, m_inline_huge, "table size"));
	CHECK(rejected_after(build_echo, m_field_outside, "outside"));
	CHECK(rejected_after(build_echo, m_field_misaligned, "misaligned"));
	CHECK(rejected_after(build_echo, m_offset_zero, "offset"));
	CHECK(rejected_after(build_echo, m_offset_out, "offset"));
	CHECK(rejected_after(build_echo, m_vector_overflow, "do not fit"));
	CHECK(
	    rejected_after(build_log, m_string_unterminated, "not terminated"));
}

TEST(each_schema_rule_rejects)
{
	CHECK(rejected_after(build_echo, m_union_unknown, "200"));
	CHECK(
	    rejected_after(build_echo, m_union_type_without_value, "disagree"));
	CHECK(
	    rejected_after(build_echo, m_union_value_without_type, "disagree"));
	CHECK(rejected_after(build_echo, m_enum_out_of_range,
			     "is not a CallType"));
	CHECK(rejected_after(build_echo, m_export_unknown, "is not a Export"));
	CHECK(rejected_after(build_echo, m_required_missing, "required"));
}

TEST(each_envelope_rule_rejects)
{
	CHECK(rejected_after(build_echo, m_call_type_none, "call_type"));
	CHECK(rejected_after(build_echo, m_wrong_body, "takes Bytes"));
	CHECK(
	    rejected_after(build_failed_reply, m_positive_status, "positive"));
	CHECK(rejected_after(build_failed_reply, m_request_with_status,
			     "status"));
}

TEST(failed_reply_with_a_body_rejects)
{
	_Alignas(8) uint8_t buf[256];
	sn_builder b;
	sn_message_ref m;
	uint32_t msg;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = start_message(&b, SN_CALL_TYPE_REPLY, SN_EXPORT_RUNTIME_NULL);
	sn_message_add_status(&b, msg, -EPERM);
	sn_message_add_body(&b, msg, SN_BODY_EMPTY, sn_empty_start(&b));
	CHECK_EQ_INT(sn_builder_finish(&b, msg, &len), 0);
	CHECK_EQ_INT(verify(buf, len, &m), -EBADMSG);
}

TEST(too_many_tables_rejects)
{
	/* A DAG: 2000 vector slots all naming one Endpoint. */
	static _Alignas(8) uint8_t buf[32768];
	sn_builder b;
	sn_message_ref m;
	uint32_t msg, body, vec, e;
	sn_verify_error err;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = start_message(&b, SN_CALL_TYPE_REPLY, SN_EXPORT_DNS_RESOLVE);
	body = sn_resolved_start(&b);
	vec = sn_resolved_start_addresses(&b, body, 2000);
	e = sn_endpoint_start(&b);
	sn_endpoint_add_address(&b, e, "abcd", 4);
	for (uint32_t i = 0; i < 2000; i++)
		sn_builder_set_table_at(&b, vec, i, e);
	sn_message_add_body(&b, msg, SN_BODY_RESOLVED, body);
	CHECK_EQ_INT(sn_builder_finish(&b, msg, &len), 0);
	CHECK_EQ_INT(sn_message_verify(buf, len, &m, &err), -EBADMSG);
	CHECK(strstr(err.reason, "more than") != NULL);
}

TEST(depth_is_bounded)
{
	/* The schema cannot nest 65 deep, so drive the core directly. */
	sn_verify_error err;
	sn_fb_verifier v;
	uint32_t root, vt;
	int rc = 0;

	CHECK_EQ_INT(build(build_null), 0);
	CHECK_EQ_INT(sn_fb_check_root(&v, mem, len, "SNL1", &err, &root), 0);
	for (unsigned i = 0; i < SN_FB_MAX_DEPTH && rc == 0; i++)
		rc = sn_fb_table_begin(&v, root, &vt, "t");
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(sn_fb_table_begin(&v, root, &vt, "t"), -EBADMSG);
	CHECK(strstr(err.reason, "deeper") != NULL);
}

TEST(buffer_rules_reject)
{
	sn_message_ref m;

	CHECK_EQ_INT(build(build_echo), 0);
	CHECK_EQ_INT(verify(mem, 7, &m), -EBADMSG);
	/* A copy at an odd address. */
	memcpy(copy + 1, mem, len);
	CHECK_EQ_INT(verify(copy + 1, len, &m), -EBADMSG);
	/* Truncated into its last object (only alignment padding follows
	 * it): rejected.  Each copy is exactly as long as the cut, so a
	 * read past the end is an ASan error in the sanitizer build. */
	for (size_t cut = 8; cut <= len - 8; cut++) {
		uint8_t *exact = aligned_alloc(8, (cut + 7) & ~(size_t)7);
		int rc;

		CHECK(exact != NULL);
		memcpy(exact, mem, cut);
		rc = verify(exact, cut, &m);
		free(exact);
		CHECK_EQ_INT(rc, -EBADMSG);
	}
}

int
main(void)
{
	RUN(each_format_rule_rejects);
	RUN(each_schema_rule_rejects);
	RUN(each_envelope_rule_rejects);
	RUN(failed_reply_with_a_body_rejects);
	RUN(too_many_tables_rejects);
	RUN(depth_is_bounded);
	RUN(buffer_rules_reject);
	HARNESS_EXIT();
}
