/*
 * The MQTT codec against the specifications' own examples, byte for byte:
 * Remaining Lengths, CONNECT in both versions, UTF-8, and the packets
 * small enough to spell out.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "packet_test.h"

/* ---- the specifications' examples ---- */

TEST(remaining_length_examples)
{
	/* Table 2.4 of 3.1.1 (1.5.5 of 5.0): the edges of each width. */
	static const struct {
		uint32_t value;
		uint8_t bytes[4];
		int len;
	} rows[] = {
	    {0, {0x00}, 1},
	    {127, {0x7f}, 1},
	    {128, {0x80, 0x01}, 2},
	    {16383, {0xff, 0x7f}, 2},
	    {16384, {0x80, 0x80, 0x01}, 3},
	    {2097151, {0xff, 0xff, 0x7f}, 3},
	    {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
	    {268435455, {0xff, 0xff, 0xff, 0x7f}, 4},
	    /* The worked examples in the text: 64 and 321. */
	    {64, {0x40}, 1},
	    {321, {0xc1, 0x02}, 2},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t out[4];
		uint32_t back = 0;
		enum mqtt_fault f;

		CHECK_EQ_INT(mqtt_vbi_encode(rows[i].value, out), rows[i].len);
		CHECK(memcmp(out, rows[i].bytes, (size_t)rows[i].len) == 0);
		CHECK_EQ_INT(mqtt_vbi_decode(rows[i].bytes, 4, &back, &f),
			     rows[i].len);
		CHECK_EQ_INT(back, rows[i].value);
		/* One byte short asks for more. */
		CHECK_EQ_INT(mqtt_vbi_decode(rows[i].bytes,
					     (size_t)rows[i].len - 1, &back,
					     &f),
			     -EAGAIN);
	}
	uint8_t out[4];
	CHECK_EQ_INT(mqtt_vbi_encode(268435456u, out), -EINVAL);
}

TEST(remaining_length_rejects)
{
	enum mqtt_fault f = MQTT_FAULT_NONE;
	uint32_t v;
	const uint8_t five[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
	const uint8_t padded[] = {0x80, 0x00};
	const uint8_t padded3[] = {0xff, 0x80, 0x00};

	CHECK_EQ_INT(mqtt_vbi_decode(five, sizeof(five), &v, &f), -EBADMSG);
	CHECK_EQ_INT(f, MQTT_FAULT_LENGTH_TOO_LONG);
	CHECK_EQ_INT(mqtt_vbi_decode(padded, sizeof(padded), &v, &f), -EBADMSG);
	CHECK_EQ_INT(f, MQTT_FAULT_LENGTH_NOT_MINIMAL);
	CHECK_EQ_INT(mqtt_vbi_decode(padded3, sizeof(padded3), &v, &f),
		     -EBADMSG);
	CHECK_EQ_INT(f, MQTT_FAULT_LENGTH_NOT_MINIMAL);
	/* The same inside packets. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_LENGTH_TOO_LONG, 0x30, 0xff,
		0xff, 0xff, 0xff, 0x7f);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_LENGTH_NOT_MINIMAL, 0xd0, 0x80,
		0x00);
}

TEST(connect_v311_spec_example)
{
	static const uint8_t expect[] = {
	    0x10, 0x1c,						      /* */
	    0x00, 0x04, 'M', 'Q',  'T',	 'T', 0x04, 0xce, 0x00, 0x0a, /* */
	    0x00, 0x02, 'c', '1',				      /* */
	    0x00, 0x01, 'w', 0x00, 0x03, 'b', 'y',  'e',	      /* */
	    0x00, 0x01, 'u', 0x00, 0x01, 'p'};
	struct mqtt_packet p, back;

	spec_connect(&p);
	CHECK_EQ_INT(mqtt_encode(&client311, &p, wire, sizeof(wire), NULL),
		     sizeof(expect));
	CHECK(memcmp(wire, expect, sizeof(expect)) == 0);
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), sizeof(expect));
	CHECK(bytes_eq(back.u.connect.client_id, BYTES("c1")));
	CHECK(back.u.connect.will && back.u.connect.will_qos == 1);
	CHECK(!back.u.connect.will_retain && back.u.connect.clean_start);
	CHECK(bytes_eq(back.u.connect.will_payload, BYTES("bye")));
	CHECK(bytes_eq(back.u.connect.password, BYTES("p")));
	CHECK_EQ_INT(back.u.connect.keep_alive, 10);
}

TEST(connect_v5_spec_example)
{
	/* Section 3.1.2.11's example adds a Session Expiry Interval of 10. */
	static const uint8_t expect[] = {
	    0x10, 0x23,							/* */
	    0x00, 0x04, 'M',  'Q',  'T',  'T',	0x05, 0xce, 0x00, 0x0a, /* */
	    0x05, 0x11, 0x00, 0x00, 0x00, 0x0a,				/* */
	    0x00, 0x02, 'c',  '1',					/* */
	    0x00, 0x00, 0x01, 'w',  0x00, 0x03, 'b',  'y',  'e',	/* */
	    0x00, 0x01, 'u',  0x00, 0x01, 'p'};
	struct mqtt_packet p, back;

	spec_connect(&p);
	p.props.present = P(MQTT_PROP_SESSION_EXPIRY);
	p.props.session_expiry = 10;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), NULL),
		     sizeof(expect));
	CHECK(memcmp(wire, expect, sizeof(expect)) == 0);
	CHECK_EQ_INT(roundtrip(&client5, &p, &back), sizeof(expect));
	CHECK_EQ_INT(back.props.session_expiry, 10);
	CHECK(props_eq(&p.props, &back.props));
}

TEST(utf8_spec_example)
{
	/* Figure 1.3: "A" then U+2A6D4, as a PUBLISH topic. */
	static const uint8_t expect[] = {0x30, 0x07, 0x00, 0x05, 0x41,
					 0xf0, 0xaa, 0x9b, 0x94};
	struct mqtt_packet p, back;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish.topic = BYTES("A\xf0\xaa\x9b\x94");
	CHECK_EQ_INT(mqtt_encode(&client311, &p, wire, sizeof(wire), NULL),
		     sizeof(expect));
	CHECK(memcmp(wire, expect, sizeof(expect)) == 0);
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), sizeof(expect));
	CHECK(bytes_eq(back.u.publish.topic, p.u.publish.topic));
}

TEST(small_packets_byte_exact)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PINGREQ;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), NULL), 2);
	CHECK(wire[0] == 0xc0 && wire[1] == 0x00);
	p.type = MQTT_DISCONNECT;
	CHECK_EQ_INT(mqtt_encode(&client311, &p, wire, sizeof(wire), NULL), 2);
	CHECK(wire[0] == 0xe0 && wire[1] == 0x00);
	/* 5.0 leaves out a success code and empty properties. */
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), NULL), 2);
	p.type = MQTT_PUBREL;
	p.packet_id = 0x1234;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), NULL), 4);
	CHECK(memcmp(wire, "\x62\x02\x12\x34", 4) == 0);
	p.type = MQTT_PUBACK;
	p.reason_code = MQTT_RC_NO_MATCHING_SUBSCRIBERS;
	CHECK_EQ_INT(mqtt_encode(&server5, &p, wire, sizeof(wire), NULL), 5);
	CHECK(memcmp(wire, "\x40\x03\x12\x34\x10", 5) == 0);

	struct mqtt_subscription s = {BYTES("a/b"), 1};
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 10;
	p.u.filters.list = &s;
	p.u.filters.count = 1;
	CHECK_EQ_INT(mqtt_encode(&client311, &p, wire, sizeof(wire), NULL), 10);
	CHECK(memcmp(wire,
		     "\x82\x08\x00\x0a\x00\x03"
		     "a/b\x01",
		     10) == 0);
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), NULL), 11);
	CHECK(memcmp(wire,
		     "\x82\x09\x00\x0a\x00\x00\x03"
		     "a/b\x01",
		     11) == 0);
}

int
main(void)
{
	RUN(remaining_length_examples);
	RUN(remaining_length_rejects);
	RUN(connect_v311_spec_example);
	RUN(connect_v5_spec_example);
	RUN(utf8_spec_example);
	RUN(small_packets_byte_exact);
	HARNESS_EXIT();
}
