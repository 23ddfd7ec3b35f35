/*
 * The codec: every table type survives build -> verify -> read, and the
 * builder reports what it cannot build (codec_rules_test checks the
 * verifier's rules).
 *
 * With --write-samples DIR it writes each sample message to
 * DIR/NAME.snmsg and runs no test: tests/codec-crosscheck.sh then has the
 * official C++ verifier check them, and compares what flatc, Python and
 * `sealnet msg verify` decode from them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_samples.h"
#include "harness.h"
#include "sealnet_msg.h"

/* ---- round trips ---- */

TEST(every_sample_verifies)
{
	for (size_t i = 0; i < sample_count; i++) {
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
	CHECK(!sn_mqtt_connect_has_session_expiry_seconds(c));
	CHECK_EQ_INT(sn_mqtt_connect_session_expiry_seconds(c), 0);
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
	sn_mqtt_connect_add_transport(&b, body, &(sn_handle){1, 2, 3});
	sn_mqtt_connect_add_client_id(&b, body, "c", 1);
	sn_message_add_body(&b, msg, SN_BODY_MQTT_CONNECT, body);
	CHECK_EQ_INT(sn_builder_finish(&b, msg, &len), 0);
	CHECK_EQ_INT(verify(buf, len, &m), 0);
	CHECK(
	    sn_mqtt_connect_clean_session(sn_message_body_as_mqtt_connect(m)));
}

/* A builder's memory holds earlier messages: whatever a message does not
 * fill must be zero, or a peer would read bytes meant for another.  A
 * topic of five bytes and its terminator leave the payload's length two
 * bytes short of its alignment; a payload of three leaves one after it. */
TEST(builder_leaves_no_stale_byte)
{
	_Alignas(8) uint8_t stale[512], clean[512];
	const uint8_t three[3] = {1, 2, 3};
	size_t n[2];

	for (int pass = 0; pass < 2; pass++) {
		uint8_t *at = pass == 0 ? clean : stale;
		sn_builder b;
		uint32_t m, body;

		memset(at, pass == 0 ? 0x00 : 0xa5, sizeof(stale));
		sn_builder_init(&b, at, sizeof(stale));
		m = start_message(&b, SN_CALL_TYPE_REQUEST,
				  SN_EXPORT_MQTT_PUBLISH);
		body = sn_mqtt_publish_start(&b);
		sn_mqtt_publish_add_topic(&b, body, "abcde", 5);
		sn_mqtt_publish_add_payload(&b, body, three, sizeof(three));
		sn_mqtt_publish_add_qos(&b, body, 1);
		sn_message_add_body(&b, m, SN_BODY_MQTT_PUBLISH, body);
		CHECK_EQ_INT(sn_builder_finish(&b, m, &n[pass]), 0);
	}
	CHECK(n[0] == n[1] && memcmp(stale, clean, n[0]) == 0);
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

/* ---- samples for the cross-checks ---- */

static int
write_samples(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sample_count; i++) {
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
	RUN(builder_leaves_no_stale_byte);
	RUN(builder_overflow_is_reported);
	RUN(builder_refuses_a_child_made_before_its_parent);
	HARNESS_EXIT();
}
