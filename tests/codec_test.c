/*
 * The codec: every table type survives build -> verify -> read, and every
 * rule of the format is enforced: a valid message with one thing broken
 * by hand is rejected, and the rejection is counted.
 *
 * With --write-samples DIR it writes each sample message to
 * DIR/NAME.snmsg and runs no test: tests/codec-crosscheck.sh then has the
 * official C++ verifier check them, and compares what flatc, Python and
 * `sealnet msg verify` decode from them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "sealnet_msg.h"

static _Alignas(8) uint8_t mem[1 << 16];
static _Alignas(8) uint8_t copy[1 << 16];
static size_t len;

static const sn_handle handle = {7, 3, UINT64_C(0xfeedfacecafebeef)};
static const uint8_t ipv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0,    0,    0,	   0,	 0, 0, 0, 1};

/* ---- sample messages, one per construct ---- */

static uint32_t
start_message(sn_builder *b, uint8_t call_type, uint16_t export_id)
{
	uint32_t m = sn_message_start(b);

	sn_message_add_call_id(b, m, UINT64_C(0x123456789abcdef0));
	sn_message_add_deadline_ns(b, m, UINT64_C(5000000000));
	sn_message_add_call_type(b, m, call_type);
	sn_message_add_export(b, m, export_id);
	return m;
}

static int
finish(sn_builder *b, uint32_t m)
{
	return sn_builder_finish(b, m, &len);
}

static int
build_echo(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_ECHO);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, "hello", 5);
	sn_message_add_body(b, m, SN_BODY_BYTES, body);
	return finish(b, m);
}

static int
build_send(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REQUEST,
				   SN_EXPORT_NETWORK_SOCKET_SEND_TO);
	uint32_t body = sn_send_start(b), to;

	sn_send_add_socket(b, body, &handle);
	sn_send_add_data(b, body, "\x00\x01\x02\xff", 4);
	to = sn_endpoint_start(b);
	sn_endpoint_add_family(b, to, SN_ADDRESS_FAMILY_IPV6);
	sn_endpoint_add_address(b, to, ipv6, sizeof(ipv6));
	sn_endpoint_add_port(b, to, 443);
	sn_send_add_to(b, body, to);
	sn_message_add_body(b, m, SN_BODY_SEND, body);
	return finish(b, m);
}

static int
build_resolved(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REPLY, SN_EXPORT_DNS_RESOLVE);
	uint32_t body = sn_resolved_start(b);
	uint32_t vec = sn_resolved_start_addresses(b, body, 2);

	sn_resolved_add_canonical_name(b, body, "example.com", 11);
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t e = sn_endpoint_start(b);
		uint8_t v4[4] = {10, 0, 0, (uint8_t)(1 + i)};

		sn_endpoint_add_family(b, e, SN_ADDRESS_FAMILY_IPV4);
		sn_endpoint_add_address(b, e, v4, 4);
		sn_builder_set_table_at(b, vec, i, e);
	}
	sn_message_add_body(b, m, SN_BODY_RESOLVED, body);
	return finish(b, m);
}

static int
build_mqtt_connect(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_MQTT_CONNECT);
	uint32_t body = sn_mqtt_connect_start(b);
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, SN_PROTOCOL_TCP);
	sn_connection_capability_add_host(b, cap, "broker.test", 11);
	sn_connection_capability_add_port(b, cap, 8883);
	sn_mqtt_connect_add_capability(b, body, cap);
	sn_mqtt_connect_add_trust_anchors(b, body, "PEM", 3);
	sn_mqtt_connect_add_client_id(b, body, "client \"1\"\n", 11);
	sn_mqtt_connect_add_clean_session(b, body, false);
	sn_mqtt_connect_add_keep_alive_seconds(b, body, 60);
	sn_mqtt_connect_add_incoming_buffer_bytes(b, body, 4096);
	sn_message_add_body(b, m, SN_BODY_MQTT_CONNECT, body);
	return finish(b, m);
}

static int
build_time(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REPLY, SN_EXPORT_SNTP_UPDATE);
	uint32_t body = sn_time_start(b);

	sn_time_add_unix_seconds(b, body, INT64_C(-1234567890123));
	sn_time_add_nanoseconds(b, body, 999999999);
	sn_time_add_epoch(b, body, 4);
	sn_message_add_body(b, m, SN_BODY_TIME, body);
	return finish(b, m);
}

static int
build_failed_reply(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REPLY,
				   SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);

	sn_message_add_status(b, m, -ETIMEDOUT);
	return finish(b, m);
}

static int
build_listen(sn_builder *b)
{
	uint32_t m = start_message(b, SN_CALL_TYPE_REQUEST,
				   SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP);
	uint32_t body = sn_listen_start(b);
	uint32_t cap = sn_bind_capability_start(b);

	sn_bind_capability_add_port(b, cap, 80);
	sn_bind_capability_add_max_connections(b, cap, 4);
	sn_bind_capability_add_ipv6(b, cap, true);
	sn_listen_add_capability(b, body, cap);
	sn_message_add_body(b, m, SN_BODY_LISTEN, body);
	return finish(b, m);
}

static int
build_log(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_SUPERVISOR_LOG);
	uint32_t body = sn_log_start(b);

	sn_log_add_level(b, body, SN_LOG_LEVEL_WARNING);
	sn_log_add_text(b, body, "disk \\ full", 11);
	sn_message_add_body(b, m, SN_BODY_LOG, body);
	return finish(b, m);
}

static int
build_ready(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_SUPERVISOR_READY);
	uint32_t body = sn_ready_start(b);

	sn_ready_add_compartment(b, body, "app", 3);
	sn_message_add_body(b, m, SN_BODY_READY, body);
	return finish(b, m);
}

/* A boot message: vectors of tables inside a vector of tables. */
static int
build_boot(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_COMPARTMENT_BOOT);
	uint32_t boot = sn_boot_start(b), peers, peer, perms, perm, conns, cap,
		 binds, bind;

	sn_boot_add_compartment(b, boot, "NetAPI", 6);
	sn_boot_add_incarnation(b, boot, 2);
	peers = sn_boot_start_peers(b, boot, 1);
	peer = sn_boot_peer_start(b);
	sn_boot_peer_add_name(b, peer, "app", 3);
	sn_boot_peer_add_side(b, peer, 1);
	perms = sn_boot_peer_start_may_call(b, peer, 1);
	perm = sn_permission_start(b);
	sn_permission_add_export(b, perm, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);
	sn_builder_set_table_at(b, perms, 0, perm);
	conns = sn_boot_peer_start_connections(b, peer, 1);
	cap = sn_connection_capability_start(b);
	sn_connection_capability_add_protocol(b, cap, SN_PROTOCOL_TCP);
	sn_connection_capability_add_host(b, cap, "example.test", 12);
	sn_connection_capability_add_port(b, cap, 443);
	sn_builder_set_table_at(b, conns, 0, cap);
	binds = sn_boot_peer_start_binds(b, peer, 1);
	bind = sn_bind_capability_start(b);
	sn_bind_capability_add_port(b, bind, 8080);
	sn_bind_capability_add_max_connections(b, bind, 2);
	sn_builder_set_table_at(b, binds, 0, bind);
	sn_builder_set_table_at(b, peers, 0, peer);
	sn_message_add_body(b, m, SN_BODY_BOOT, boot);
	return finish(b, m);
}

static int
build_null(sn_builder *b)
{
	uint32_t m =
	    start_message(b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_NULL);

	sn_message_add_body(b, m, SN_BODY_EMPTY, sn_empty_start(b));
	return finish(b, m);
}

static const struct sample {
	const char *name;
	int (*build)(sn_builder *b);
} samples[] = {
    {"echo", build_echo},	  {"send", build_send},
    {"resolved", build_resolved}, {"mqtt_connect", build_mqtt_connect},
    {"time", build_time},	  {"failed_reply", build_failed_reply},
    {"listen", build_listen},	  {"log", build_log},
    {"null", build_null},	  {"ready", build_ready},
    {"boot", build_boot},
};

static int
build(int (*fn)(sn_builder *b))
{
	sn_builder b;

	sn_builder_init(&b, mem, sizeof(mem));
	return fn(&b);
}

static int
verify(const uint8_t *buf, size_t n, sn_message_ref *m)
{
	sn_verify_error err;

	return sn_message_verify(buf, n, m, &err);
}

/* ---- round trips ---- */

TEST(every_sample_verifies)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		sn_message_ref m;

		CHECK_EQ_INT(build(samples[i].build), 0);
		CHECK_EQ_INT(verify(mem, len, &m), 0);
	}
}

TEST(send_reads_back)
{
	sn_message_ref m;
	sn_send_ref s;
	sn_endpoint_ref to;
	sn_handle h;
	uint32_t n;
	const uint8_t *d;

	CHECK_EQ_INT(build(build_send), 0);
	CHECK_EQ_INT(verify(mem, len, &m), 0);
	CHECK(sn_message_call_id(m) == UINT64_C(0x123456789abcdef0));
	CHECK_EQ_INT(sn_message_export(m), SN_EXPORT_NETWORK_SOCKET_SEND_TO);
	CHECK_EQ_INT(sn_message_body_type(m), SN_BODY_SEND);
	s = sn_message_body_as_send(m);
	CHECK(sn_send_socket(s, &h));
	CHECK(h.slot == 7 && h.generation == 3 && h.tag == handle.tag);
	d = sn_send_data(s, &n);
	CHECK(n == 4 && memcmp(d, "\x00\x01\x02\xff", 4) == 0);
	to = sn_send_to(s);
	CHECK_EQ_INT(sn_endpoint_family(to), SN_ADDRESS_FAMILY_IPV6);
	CHECK_EQ_INT(sn_endpoint_port(to), 443);
	d = sn_endpoint_address(to, &n);
	CHECK(n == 16 && memcmp(d, ipv6, 16) == 0);
	/* Another member of the union reads as absent, not as garbage. */
	CHECK_EQ_INT(sn_message_body_as_bytes(m).pos, 0);
}

TEST(vectors_strings_defaults_read_back)
{
	sn_message_ref m;
	sn_resolved_ref r;
	sn_mqtt_connect_ref c;
	uint32_t n;
	const char *s;

	CHECK_EQ_INT(build(build_resolved), 0);
	CHECK_EQ_INT(verify(mem, len, &m), 0);
	r = sn_message_body_as_resolved(m);
	CHECK_EQ_INT(sn_resolved_addresses_count(r), 2);
	CHECK(sn_endpoint_address(sn_resolved_addresses_at(r, 1), &n)[3] == 2);
	CHECK_EQ_INT(sn_resolved_addresses_at(r, 2).pos, 0);
	s = sn_resolved_canonical_name(r, &n);
	CHECK(n == 11 && memcmp(s, "example.com", 11) == 0 && s[11] == 0);

	CHECK_EQ_INT(build(build_mqtt_connect), 0);
	CHECK_EQ_INT(verify(mem, len, &m), 0);
	c = sn_message_body_as_mqtt_connect(m);
	CHECK(sn_mqtt_connect_clean_session(c) == false);
	CHECK_EQ_INT(sn_mqtt_connect_keep_alive_seconds(c), 60);
	/* Absent field: the schema's default. */
	CHECK(!sn_mqtt_connect_has_outgoing_buffer_bytes(c));
	CHECK_EQ_INT(sn_mqtt_connect_outgoing_buffer_bytes(c), 0);
}

TEST(bool_default_true_when_absent)
{
	_Alignas(8) uint8_t buf[512];
	sn_builder b;
	sn_message_ref m;
	uint32_t msg, body, cap;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = start_message(&b, SN_CALL_TYPE_REQUEST, SN_EXPORT_MQTT_CONNECT);
	body = sn_mqtt_connect_start(&b);
	cap = sn_connection_capability_start(&b);
	sn_connection_capability_add_host(&b, cap, "h", 1);
	sn_mqtt_connect_add_capability(&b, body, cap);
	sn_mqtt_connect_add_trust_anchors(&b, body, "", 0);
	sn_mqtt_connect_add_client_id(&b, body, "c", 1);
	sn_message_add_body(&b, msg, SN_BODY_MQTT_CONNECT, body);
	CHECK_EQ_INT(sn_builder_finish(&b, msg, &len), 0);
	CHECK_EQ_INT(verify(buf, len, &m), 0);
	CHECK(
	    sn_mqtt_connect_clean_session(sn_message_body_as_mqtt_connect(m)));
}

TEST(builder_overflow_is_reported)
{
	_Alignas(8) uint8_t small[64];
	sn_builder b;
	uint32_t m, body;

	sn_builder_init(&b, small, sizeof(small));
	m = start_message(&b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_ECHO);
	body = sn_bytes_start(&b);
	sn_bytes_add_data(&b, body, mem, 100);
	sn_message_add_body(&b, m, SN_BODY_BYTES, body);
	CHECK_EQ_INT(sn_builder_finish(&b, m, &len), -EMSGSIZE);
}

TEST(builder_refuses_a_child_made_before_its_parent)
{
	_Alignas(8) uint8_t buf[512];
	sn_builder b;
	uint32_t body, m;

	sn_builder_init(&b, buf, sizeof(buf));
	body = sn_empty_start(&b);
	m = start_message(&b, SN_CALL_TYPE_REQUEST, SN_EXPORT_RUNTIME_NULL);
	sn_message_add_body(&b, m, SN_BODY_EMPTY, body);
	CHECK_EQ_INT(sn_builder_finish(&b, m, &len), -EINVAL);
}

/* ---- rejections ---- */

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

/* ---- samples for the cross-checks ---- */

static int
write_samples(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		FILE *f;

		if (build(samples[i].build) < 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%s.snmsg", dir,
			 samples[i].name);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(mem, 1, len, f) != len ||
		    fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-samples") == 0)
		return write_samples(argv[2]);
	RUN(every_sample_verifies);
	RUN(send_reads_back);
	RUN(vectors_strings_defaults_read_back);
	RUN(bool_default_true_when_absent);
	RUN(builder_overflow_is_reported);
	RUN(builder_refuses_a_child_made_before_its_parent);
	RUN(each_format_rule_rejects);
	RUN(each_schema_rule_rejects);
	RUN(each_envelope_rule_rejects);
	RUN(failed_reply_with_a_body_rejects);
	RUN(too_many_tables_rejects);
	RUN(depth_is_bounded);
	RUN(buffer_rules_reject);
	HARNESS_EXIT();
}
