/*
 * The MQTT codec's rules: one test for each rule the decoder enforces, the
 * encoder refusing what the decoder would, and the tables of faults and
 * reason codes.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "packet_test.h"

/* ---- every rule ---- */

TEST(rejects_utf8)
{
	/* Overlong NUL, a stray continuation, a surrogate, U+0000, a
	 * byte above F4, a code point above U+10FFFF, an overlong
	 * three-byte form, a sequence cut short. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x05, 0x00, 0x03,
		'a', 0xc0, 0x80);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x04, 0x00, 0x02,
		'a', 0x80);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_UTF8_SURROGATE, 0x30, 0x05, 0x00,
		0x03, 0xed, 0xa0, 0x80);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_UTF8_NUL, 0x30, 0x05, 0x00, 0x03,
		'a', 0x00, 'b');
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x04, 0x00, 0x02,
		'a', 0xf5);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x06, 0x00, 0x04,
		0xf4, 0x90, 0x80, 0x80);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x05, 0x00, 0x03,
		0xe0, 0x80, 0x80);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_UTF8, 0x30, 0x04, 0x00, 0x02,
		'a', 0xe2);
	/* The largest code point, and one just below the surrogates, pass. */
	ACCEPTS(&client311, 0x30, 0x06, 0x00, 0x04, 0xf4, 0x8f, 0xbf, 0xbf);
	ACCEPTS(&client311, 0x30, 0x05, 0x00, 0x03, 0xed, 0x9f, 0xbf);
	/* In a property string too. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_UTF8_SURROGATE, 0x30, 0x0a, 0x00,
		0x01, 'a', 0x06, 0x03, 0x00, 0x03, 0xed, 0xbf, 0xbf);
}

TEST(rejects_wildcards_and_empty_topic_names)
{
	REJECTS(&client5, -EPROTO, MQTT_FAULT_TOPIC_WILDCARD, 0x30, 0x06, 0x00,
		0x03, 'a', '/', '+', 0x00);
	REJECTS(&client311, -EPROTO, MQTT_FAULT_TOPIC_WILDCARD, 0x30, 0x05,
		0x00, 0x03, 'a', '/', '#');
	REJECTS(&client311, -EPROTO, MQTT_FAULT_TOPIC_EMPTY, 0x30, 0x02, 0x00,
		0x00);
	/* 5.0: empty without a Topic Alias. */
	REJECTS(&client5, -EPROTO, MQTT_FAULT_TOPIC_EMPTY, 0x30, 0x03, 0x00,
		0x00, 0x00);
	ACCEPTS(&client5, 0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01);
	/* A Will topic is a topic name. */
	struct mqtt_packet p;
	spec_connect(&p);
	p.u.connect.will_topic = BYTES("w/#");
	enum mqtt_fault f;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_TOPIC_WILDCARD);
}

TEST(rejects_qos3_and_dup_on_qos0)
{
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_QOS, 0x36, 0x05, 0x00, 0x01, 'a',
		0x00, 0x01);
	REJECTS(&client311, -EPROTO, MQTT_FAULT_DUP_QOS0, 0x38, 0x03, 0x00,
		0x01, 'a');
	/* Will QoS 3 in a CONNECT. */
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_QOS, 0x10, 0x0c, 0x00, 0x04,
		'M', 'Q', 'T', 'T', 0x04, 0x1c, 0x00, 0x00, 0x00, 0x00);
	/* A subscription's QoS 3. */
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_QOS, 0x82, 0x06, 0x00, 0x01,
		0x00, 0x01, 'a', 0x03);
	ACCEPTS(&client5, 0x3a, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, 0x00);
}

TEST(rejects_packet_id_zero)
{
	REJECTS(&client311, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0x32, 0x05,
		0x00, 0x01, 'a', 0x00, 0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0x40, 0x02, 0x00,
		0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0x62, 0x02, 0x00,
		0x00);
	REJECTS(&client311, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0x90, 0x03,
		0x00, 0x00, 0x00);
	REJECTS(&client311, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0xb0, 0x02,
		0x00, 0x00);
	REJECTS(&server5, -EPROTO, MQTT_FAULT_PACKET_ID_ZERO, 0x82, 0x07, 0x00,
		0x00, 0x00, 0x00, 0x01, 'a', 0x00);
}

TEST(rejects_reserved_bits)
{
	/* Fixed-header flags of each kind. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x41, 0x02, 0x00,
		0x01);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x60, 0x02, 0x00,
		0x01);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0xd8, 0x00);
	REJECTS(&server5, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x80, 0x07, 0x00,
		0x01, 0x00, 0x00, 0x01, 'a', 0x00);
	/* CONNACK's acknowledge flags. */
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x20, 0x02,
		0x02, 0x00);
	/* CONNECT's reserved flag. */
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x10, 0x0c,
		0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x00, 0x00,
		0x00);
	/* Subscription options: 3.1.1 allows the QoS bits alone, 5.0
	 * reserves the top two and Retain Handling 3. */
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x82, 0x06,
		0x00, 0x01, 0x00, 0x01, 'a', 0x04);
	REJECTS(&server5, -EBADMSG, MQTT_FAULT_RESERVED_BITS, 0x82, 0x07, 0x00,
		0x01, 0x00, 0x00, 0x01, 'a', 0x40);
	REJECTS(&server5, -EPROTO, MQTT_FAULT_RETAIN_HANDLING, 0x82, 0x07, 0x00,
		0x01, 0x00, 0x00, 0x01, 'a', 0x30);
	ACCEPTS(&server5, 0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x2e);
}

TEST(rejects_duplicate_properties)
{
	/* Two Session Expiry Intervals in a CONNACK. */
	REJECTS(&client5, -EPROTO, MQTT_FAULT_PROPERTY_DUPLICATE, 0x20, 0x0d,
		0x00, 0x00, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x01, 0x11, 0x00,
		0x00, 0x00, 0x02);
	/* Two Content Types in a PUBLISH. */
	REJECTS(&client5, -EPROTO, MQTT_FAULT_PROPERTY_DUPLICATE, 0x30, 0x0b,
		0x00, 0x01, 'a', 0x07, 0x03, 0x00, 0x01, 'x', 0x03, 0x00, 0x00);
	/* User Property repeats freely; Subscription Identifier repeats
	 * in a PUBLISH but not in a SUBSCRIBE. */
	ACCEPTS(&client5, 0x30, 0x0e, 0x00, 0x01, 'a', 0x0a, 0x26, 0x00, 0x00,
		0x00, 0x00, 0x26, 0x00, 0x00, 0x00, 0x00);
	ACCEPTS(&client5, 0x30, 0x08, 0x00, 0x01, 'a', 0x04, 0x0b, 0x01, 0x0b,
		0x02);
	REJECTS(&server5, -EPROTO, MQTT_FAULT_PROPERTY_DUPLICATE, 0x82, 0x0b,
		0x00, 0x01, 0x04, 0x0b, 0x01, 0x0b, 0x02, 0x00, 0x01, 'a',
		0x00);
	struct mqtt_packet p;
	CHECK_EQ_INT(mqtt_decode(&client5,
				 (const uint8_t *)"\x30\x08\x00\x01"
						  "a\x04\x0b\x01\x0b\x02",
				 10, &p, NULL, NULL),
		     10);
	CHECK_EQ_INT(p.props.subscription_id_count, 2);
	CHECK_EQ_INT(p.props.subscription_id, 1);
	size_t cursor = 0;
	uint32_t id;
	CHECK(mqtt_next_subscription_id(&p.props, &cursor, &id) == 1 &&
	      id == 1);
	CHECK(mqtt_next_subscription_id(&p.props, &cursor, &id) == 1 &&
	      id == 2);
	CHECK(mqtt_next_subscription_id(&p.props, &cursor, &id) == 0);
}

TEST(rejects_properties_out_of_place)
{
	/* Session Expiry in a PUBLISH. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_NOT_ALLOWED, 0x30, 0x09,
		0x00, 0x01, 'a', 0x05, 0x11, 0x00, 0x00, 0x00, 0x01);
	/* Topic Alias in a CONNACK. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_NOT_ALLOWED, 0x20, 0x06,
		0x00, 0x00, 0x03, 0x23, 0x00, 0x01);
	/* A Subscription Identifier from a client's PUBLISH. */
	REJECTS(&server5, -EBADMSG, MQTT_FAULT_PROPERTY_NOT_ALLOWED, 0x30, 0x06,
		0x00, 0x01, 'a', 0x02, 0x0b, 0x01);
	/* Session Expiry in a server's DISCONNECT. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_NOT_ALLOWED, 0xe0, 0x07,
		0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00);
	/* Will Delay outside a Will. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_NOT_ALLOWED, 0x40, 0x09,
		0x00, 0x01, 0x00, 0x05, 0x18, 0x00, 0x00, 0x00, 0x01);
	/* An identifier 5.0 does not define. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_UNKNOWN, 0x40, 0x06,
		0x00, 0x01, 0x00, 0x02, 0x05, 0x00);
	/* And the encoder refuses the same. */
	struct mqtt_packet p;
	enum mqtt_fault f;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish.topic = BYTES("a");
	p.props.present = P(MQTT_PROP_SUBSCRIPTION_ID);
	p.props.subscription_id = 5;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
	p.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	p.props.topic_alias = 1;
	CHECK_EQ_INT(mqtt_encode(&client311, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
}

TEST(rejects_property_values)
{
	/* Payload Format Indicator 2. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x30, 0x06, 0x00,
		0x01, 'a', 0x02, 0x01, 0x02);
	/* Receive Maximum 0, Maximum Packet Size 0, Maximum QoS 2. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x20, 0x06, 0x00,
		0x00, 0x03, 0x21, 0x00, 0x00);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x20, 0x08, 0x00,
		0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x00);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x20, 0x05, 0x00,
		0x00, 0x02, 0x24, 0x02);
	/* Topic Alias 0, Subscription Identifier 0. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x30, 0x07, 0x00,
		0x01, 'a', 0x03, 0x23, 0x00, 0x00);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_PROPERTY_VALUE, 0x30, 0x06, 0x00,
		0x01, 'a', 0x02, 0x0b, 0x00);
	/* A property length running past the packet. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_TRUNCATED, 0x30, 0x06, 0x00,
		0x01, 'a', 0x09, 0x0b, 0x01);
	/* A value running past the property block. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_TRUNCATED, 0x30, 0x08, 0x00,
		0x01, 'a', 0x02, 0x23, 0x00, 0x01, 0x00);
}

TEST(rejects_oversized_packets)
{
	const struct mqtt_codec small = {MQTT_V5, MQTT_CLIENT, 16, 16};
	uint8_t pkt[20] = {0x30, 18, 0x00, 0x01, 'a'};
	struct mqtt_packet p;
	enum mqtt_fault f;
	size_t need;

	/* Known from the first two bytes, before the rest arrives. */
	CHECK_EQ_INT(mqtt_decode(&small, pkt, 2, &p, &need, &f), -EMSGSIZE);
	CHECK_EQ_INT(f, MQTT_FAULT_TOO_LARGE);
	pkt[1] = 14; /* 16 bytes in all: the limit itself passes */
	pkt[5] = 0;
	CHECK_EQ_INT(mqtt_decode(&small, pkt, 16, &p, &need, &f), 16);
	/* And the encoder keeps to the peer's maximum. */
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish.topic = BYTES("a");
	p.u.publish.payload = BYTES("0123456789");
	CHECK_EQ_INT(mqtt_encode(&small, &p, wire, sizeof(wire), &f), 16);
	p.u.publish.payload = BYTES("0123456789a");
	CHECK_EQ_INT(mqtt_encode(&small, &p, wire, sizeof(wire), &f),
		     -EMSGSIZE);
	CHECK_EQ_INT(f, MQTT_FAULT_TOO_LARGE);
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, 5, &f), -ENOBUFS);
}

TEST(rejects_types_a_client_never_receives)
{
	REJECTS(&client5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0x10, 0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0x82, 0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0xa2, 0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0xc0, 0x00);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0x00, 0x00);
	/* 3.1.1 has no AUTH, and its servers send no DISCONNECT. */
	REJECTS(&client311, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0xf0, 0x00);
	REJECTS(&client311, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0xe0, 0x00);
	/* And a server never receives what only servers send. */
	REJECTS(&server5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0x20, 0x00);
	REJECTS(&server5, -EPROTO, MQTT_FAULT_UNEXPECTED_TYPE, 0xd0, 0x00);
	/* Decided on the first byte, before the rest arrives. */
	struct mqtt_packet p;
	enum mqtt_fault f;
	CHECK_EQ_INT(
	    mqtt_decode(&client5, (const uint8_t *)"\x10", 1, &p, NULL, &f),
	    -EPROTO);
}

TEST(rejects_reason_codes_out_of_place)
{
	/* PUBACK cannot say "packet identifier not found". */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_REASON_CODE, 0x40, 0x03, 0x00,
		0x01, 0x92);
	/* PUBREL cannot say "quota exceeded". */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_REASON_CODE, 0x62, 0x03, 0x00,
		0x01, 0x97);
	/* 3.1.1 CONNACK return codes stop at 5. */
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_REASON_CODE, 0x20, 0x02, 0x00,
		0x06);
	/* SUBACK: 3 is no QoS; 0x97 is no 3.1.1 code. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_REASON_CODE, 0x90, 0x04, 0x00,
		0x01, 0x00, 0x03);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_REASON_CODE, 0x90, 0x03, 0x00,
		0x01, 0x97);
	/* A server cannot disconnect "with Will"; a client can. */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_REASON_CODE, 0xe0, 0x01, 0x04);
	ACCEPTS(&server5, 0xe0, 0x01, 0x04);
	/* Session Present on a refusal. */
	REJECTS(&client311, -EPROTO, MQTT_FAULT_SESSION_PRESENT, 0x20, 0x02,
		0x01, 0x05);
	REJECTS(&client5, -EPROTO, MQTT_FAULT_SESSION_PRESENT, 0x20, 0x03, 0x01,
		0x87, 0x00);
}

TEST(rejects_empty_lists_and_bad_lengths)
{
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_EMPTY_LIST, 0x90, 0x03, 0x00,
		0x01, 0x00);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_EMPTY_LIST, 0x90, 0x02, 0x00,
		0x01);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_EMPTY_LIST, 0xb0, 0x03, 0x00,
		0x01, 0x00);
	REJECTS(&server5, -EBADMSG, MQTT_FAULT_EMPTY_LIST, 0x82, 0x03, 0x00,
		0x01, 0x00);
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_EMPTY_LIST, 0xa2, 0x02, 0x00,
		0x01);
	/* Fields cut short, bytes left over. */
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_TRUNCATED, 0x40, 0x01, 0x00);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_TRAILING_BYTES, 0x40, 0x03,
		0x00, 0x01, 0x00);
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_TRAILING_BYTES, 0xd0, 0x01,
		0x00);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_TRAILING_BYTES, 0x20, 0x03,
		0x00, 0x00, 0x00);
	REJECTS(&client311, -EBADMSG, MQTT_FAULT_TRUNCATED, 0x30, 0x03, 0x00,
		0x05, 'a');
	/* 5.0's CONNACK needs its property length... */
	REJECTS(&client5, -EBADMSG, MQTT_FAULT_TRUNCATED, 0x20, 0x02, 0x00,
		0x00);
	/* ...except the 3.1.1 refusal of protocol level 5, read as the
	 * 5.0 code with the same meaning. */
	struct mqtt_packet p;
	CHECK_EQ_INT(mqtt_decode(&client5, (const uint8_t *)"\x20\x02\x00\x01",
				 4, &p, NULL, NULL),
		     4);
	CHECK_EQ_INT(p.reason_code, MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION);
	CHECK_EQ_INT(mqtt_reason_errno(p.reason_code), -EPROTONOSUPPORT);
}

TEST(rejects_bad_connect)
{
	/* Name, level, Will flags, and 3.1.1's password without user. */
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_PROTOCOL_NAME, 0x10, 0x0c,
		0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x00, 0x00,
		0x00);
	REJECTS(&server311, -EPROTO, MQTT_FAULT_PROTOCOL_VERSION, 0x10, 0x0c,
		0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x00, 0x00,
		0x00);
	REJECTS(&server311, -EBADMSG, MQTT_FAULT_WILL_FLAGS, 0x10, 0x0c, 0x00,
		0x04, 'M', 'Q', 'T', 'T', 0x04, 0x22, 0x00, 0x00, 0x00, 0x00);
	REJECTS(&server311, -EPROTO, MQTT_FAULT_PASSWORD_WITHOUT_USERNAME, 0x10,
		0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 'p');
	ACCEPTS(&server311, 0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
		0x02, 0x00, 0x00, 0x00, 0x00);
}

TEST(rejects_bad_filters)
{
	/* In a SUBSCRIBE as a server reads it. */
	REJECTS(&server311, -EPROTO, MQTT_FAULT_TOPIC_FILTER, 0x82, 0x08, 0x00,
		0x01, 0x00, 0x03, 'a', '#', 'b', 0x00);
	REJECTS(&server5, -EPROTO, MQTT_FAULT_TOPIC_FILTER, 0x82, 0x0b, 0x00,
		0x01, 0x00, 0x00, 0x05, '#', '/', 'a', '/', 'b', 0x00);
	/* No Local on a shared subscription. */
	REJECTS(&server5, -EPROTO, MQTT_FAULT_SHARED_NO_LOCAL, 0x82, 0x10, 0x00,
		0x01, 0x00, 0x00, 0x0a, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
		'/', 'a', 0x04);
	/* And as a client builds one. */
	struct mqtt_subscription s = {BYTES("a/b+"), 0};
	struct mqtt_packet p;
	enum mqtt_fault f;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 1;
	p.u.filters.list = &s;
	p.u.filters.count = 1;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_TOPIC_FILTER);
	p.u.filters.count = 0;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_EMPTY_LIST);
}

TEST(encoder_refuses_what_the_decoder_would)
{
	struct mqtt_packet p;
	enum mqtt_fault f;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish.topic = BYTES("a");
	p.u.publish.qos = 3;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_QOS);
	p.u.publish.qos = 1;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_PACKET_ID_ZERO);
	p.u.publish.qos = 0;
	p.u.publish.dup = true;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_DUP_QOS0);
	p.u.publish.dup = false;
	p.u.publish.topic = BYTES("a\x00");
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_UTF8_NUL);
	/* A client sends no CONNACK; a server no CONNECT. */
	p.type = MQTT_CONNACK;
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_UNEXPECTED_TYPE);
	p.type = MQTT_CONNECT;
	CHECK_EQ_INT(mqtt_encode(&server5, &p, wire, sizeof(wire), &f),
		     -EINVAL);
	CHECK_EQ_INT(f, MQTT_FAULT_UNEXPECTED_TYPE);
	/* Strings beyond 65535 bytes. */
	static uint8_t big[70000];
	memset(big, 'x', sizeof(big));
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish.topic.data = big;
	p.u.publish.topic.len = sizeof(big);
	CHECK_EQ_INT(mqtt_encode(&client5, &p, wire, sizeof(wire), &f),
		     -EMSGSIZE);
	CHECK_EQ_INT(f, MQTT_FAULT_TOO_LARGE);
}

TEST(fault_and_reason_tables)
{
	/* Every fault has a name, and each class its errno. */
	for (int i = 0; i < MQTT_FAULT_COUNT; i++)
		CHECK(mqtt_fault_name((enum mqtt_fault)i) != NULL &&
		      strcmp(mqtt_fault_name((enum mqtt_fault)i), "?") != 0);
	CHECK_EQ_INT(mqtt_fault_errno(MQTT_FAULT_UTF8), -EBADMSG);
	CHECK_EQ_INT(mqtt_fault_errno(MQTT_FAULT_PACKET_ID_ZERO), -EPROTO);
	CHECK_EQ_INT(mqtt_fault_errno(MQTT_FAULT_TOO_LARGE), -EMSGSIZE);
	CHECK_EQ_INT(mqtt_fault_reason_code(MQTT_FAULT_TOPIC_ALIAS),
		     MQTT_RC_TOPIC_ALIAS_INVALID);
	CHECK_EQ_INT(mqtt_fault_reason_code(MQTT_FAULT_RECEIVE_MAXIMUM),
		     MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_GRANTED_QOS_2), 0);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_NO_MATCHING_SUBSCRIBERS), 0);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_NOT_AUTHORIZED), -EPERM);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_BAD_USERNAME_OR_PASSWORD),
		     -EACCES);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_QUOTA_EXCEEDED), -EDQUOT);
	CHECK_EQ_INT(mqtt_reason_errno(MQTT_RC_UNSPECIFIED_ERROR), -EIO);
	CHECK_EQ_INT(mqtt_reason_errno(mqtt_v311_connack_reason(
			 MQTT_V311_IDENTIFIER_REJECTED)),
		     -EINVAL);
	CHECK_EQ_INT(mqtt_v311_connack_reason(MQTT_V311_SERVER_UNAVAILABLE),
		     MQTT_RC_SERVER_UNAVAILABLE);
}

int
main(void)
{
	RUN(rejects_utf8);
	RUN(rejects_wildcards_and_empty_topic_names);
	RUN(rejects_qos3_and_dup_on_qos0);
	RUN(rejects_packet_id_zero);
	RUN(rejects_reserved_bits);
	RUN(rejects_duplicate_properties);
	RUN(rejects_properties_out_of_place);
	RUN(rejects_property_values);
	RUN(rejects_oversized_packets);
	RUN(rejects_types_a_client_never_receives);
	RUN(rejects_reason_codes_out_of_place);
	RUN(rejects_empty_lists_and_bad_lengths);
	RUN(rejects_bad_connect);
	RUN(rejects_bad_filters);
	RUN(encoder_refuses_what_the_decoder_would);
	RUN(fault_and_reason_tables);
	HARNESS_EXIT();
}
