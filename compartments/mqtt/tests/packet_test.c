/*
 * The MQTT codec: the specifications' own examples byte for byte, a round
 * trip of every packet type in both versions, partial input, and one test
 * for each rule the decoder enforces.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "packet_compare.h"

#define BYTES(s) ((struct mqtt_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static const struct mqtt_codec client5 = {MQTT_V5, MQTT_CLIENT, 0, 0};
static const struct mqtt_codec server5 = {MQTT_V5, MQTT_SERVER, 0, 0};
static const struct mqtt_codec client311 = {MQTT_V311, MQTT_CLIENT, 0, 0};
static const struct mqtt_codec server311 = {MQTT_V311, MQTT_SERVER, 0, 0};

static uint8_t wire[4096];

static bool
bytes_eq(struct mqtt_bytes a, struct mqtt_bytes b)
{
	return mqtt_bytes_eq(a, b);
}

static const struct mqtt_codec *
peer_of(const struct mqtt_codec *c)
{
	if (c->version == MQTT_V5)
		return c->self == MQTT_CLIENT ? &server5 : &client5;
	return c->self == MQTT_CLIENT ? &server311 : &client311;
}

/* Encodes p as `from`, decodes it as the other end, and checks that every
 * shorter prefix asks for more: the packet's length, or a negative
 * value that says which step failed. */
static ssize_t
roundtrip(const struct mqtt_codec *from, const struct mqtt_packet *p,
	  struct mqtt_packet *out)
{
	ssize_t n = mqtt_encode(from, p, wire, sizeof(wire), NULL);
	ssize_t len = mqtt_encoded_length(from, p, NULL);
	size_t need;

	if (n < 0 || len != n)
		return -1;
	for (size_t prefix = 0; prefix < (size_t)n; prefix++) {
		need = 0;
		if (mqtt_decode(peer_of(from), wire, prefix, out, &need,
				NULL) != -EAGAIN ||
		    need == 0 || prefix + need > (size_t)n)
			return -2;
	}
	if (mqtt_decode(peer_of(from), wire, (size_t)n, out, &need, NULL) != n)
		return -3;
	return n;
}

/* Decodes bytes as the given end and returns the error, with the fault. */
static ssize_t
decode_as(const struct mqtt_codec *c, const uint8_t *b, size_t len,
	  enum mqtt_fault *fault)
{
	struct mqtt_packet p;

	*fault = MQTT_FAULT_NONE;
	return mqtt_decode(c, b, len, &p, NULL, fault);
}

#define REJECTS(codec, err, want, ...)                                         \
	do {                                                                   \
		const uint8_t pkt_[] = {__VA_ARGS__};                          \
		enum mqtt_fault got_;                                          \
		CHECK_EQ_INT(decode_as(codec, pkt_, sizeof(pkt_), &got_),      \
			     err);                                             \
		CHECK_EQ_INT(got_, want);                                      \
	} while (0)

#define ACCEPTS(codec, ...)                                                    \
	do {                                                                   \
		const uint8_t pkt_[] = {__VA_ARGS__};                          \
		enum mqtt_fault got_;                                          \
		CHECK_EQ_INT(decode_as(codec, pkt_, sizeof(pkt_), &got_),      \
			     sizeof(pkt_));                                    \
	} while (0)

static bool
props_eq(const struct mqtt_properties *a, const struct mqtt_properties *b)
{
	return mqtt_props_eq(a, b);
}

#define P(id) (UINT64_C(1) << (id))

static const struct mqtt_user_property two_users[] = {
    {{(const uint8_t *)"region", 6}, {(const uint8_t *)"eu", 2}},
    {{(const uint8_t *)"region", 6}, {(const uint8_t *)"\xc3\xa9t\xc3\xa9", 5}},
};

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

/* The CONNECT of section 3.1.2.10's example: User Name, Password, Will
 * QoS 1, Will, Clean Session; keep-alive 10 s. */
static void
spec_connect(struct mqtt_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->type = MQTT_CONNECT;
	p->u.connect.client_id = BYTES("c1");
	p->u.connect.keep_alive = 10;
	p->u.connect.clean_start = true;
	p->u.connect.will = true;
	p->u.connect.will_qos = 1;
	p->u.connect.will_topic = BYTES("w");
	p->u.connect.will_payload = BYTES("bye");
	p->u.connect.has_username = true;
	p->u.connect.username = BYTES("u");
	p->u.connect.has_password = true;
	p->u.connect.password = BYTES("p");
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

/* ---- round trips ---- */

TEST(roundtrip_connect)
{
	static const enum mqtt_version versions[] = {MQTT_V311, MQTT_V5};

	for (size_t i = 0; i < 2; i++) {
		const struct mqtt_codec *c =
		    versions[i] == MQTT_V5 ? &client5 : &client311;
		struct mqtt_packet p, back;

		spec_connect(&p);
		p.u.connect.will_retain = true;
		p.u.connect.will_qos = 2;
		p.u.connect.clean_start = false;
		p.u.connect.keep_alive = 65535;
		if (c->version == MQTT_V5) {
			p.props.present = P(MQTT_PROP_SESSION_EXPIRY) |
					  P(MQTT_PROP_RECEIVE_MAXIMUM) |
					  P(MQTT_PROP_MAXIMUM_PACKET_SIZE) |
					  P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
					  P(MQTT_PROP_REQUEST_RESPONSE_INFO) |
					  P(MQTT_PROP_REQUEST_PROBLEM_INFO) |
					  P(MQTT_PROP_AUTH_METHOD) |
					  P(MQTT_PROP_AUTH_DATA);
			p.props.session_expiry = 0xffffffff;
			p.props.receive_maximum = 20;
			p.props.maximum_packet_size = 4096;
			p.props.topic_alias_maximum = 8;
			p.props.request_response_info = 1;
			p.props.auth_method = BYTES("SCRAM-SHA-1");
			p.props.auth_data = BYTES("\x00\x01\x02");
			p.props.user = two_users;
			p.props.user_count = 2;
			struct mqtt_properties *w = &p.u.connect.will_props;
			w->present = P(MQTT_PROP_WILL_DELAY) |
				     P(MQTT_PROP_PAYLOAD_FORMAT) |
				     P(MQTT_PROP_MESSAGE_EXPIRY) |
				     P(MQTT_PROP_CONTENT_TYPE) |
				     P(MQTT_PROP_RESPONSE_TOPIC) |
				     P(MQTT_PROP_CORRELATION_DATA);
			w->will_delay = 30;
			w->payload_format = 1;
			w->message_expiry = 3600;
			w->content_type = BYTES("text/plain");
			w->response_topic = BYTES("r/t");
			w->correlation_data = BYTES("\xff\x00");
		}
		CHECK(roundtrip(c, &p, &back) > 0);
		CHECK_EQ_INT(back.type, MQTT_CONNECT);
		CHECK(back.u.connect.will_retain);
		CHECK_EQ_INT(back.u.connect.will_qos, 2);
		CHECK(!back.u.connect.clean_start);
		CHECK_EQ_INT(back.u.connect.keep_alive, 65535);
		CHECK(bytes_eq(back.u.connect.will_topic, BYTES("w")));
		CHECK(bytes_eq(back.u.connect.username, BYTES("u")));
		CHECK(props_eq(&p.props, &back.props));
		CHECK(props_eq(&p.u.connect.will_props,
			       &back.u.connect.will_props));
		CHECK_EQ_INT(back.props.user_count,
			     c->version == MQTT_V5 ? 2 : 0);
	}
	/* 5.0 allows a password without a user name; 3.1.1 does not. */
	struct mqtt_packet p, back;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNECT;
	p.u.connect.has_password = true;
	p.u.connect.password = BYTES("token");
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK(back.u.connect.has_password && !back.u.connect.has_username);
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(roundtrip_connack)
{
	struct mqtt_packet p, back;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNACK;
	p.session_present = true;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	CHECK(back.session_present && back.reason_code == 0);
	p.session_present = false;
	p.reason_code = MQTT_V311_NOT_AUTHORIZED;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	CHECK_EQ_INT(back.reason_code, MQTT_V311_NOT_AUTHORIZED);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNACK;
	p.session_present = true;
	p.props.present =
	    P(MQTT_PROP_SESSION_EXPIRY) | P(MQTT_PROP_ASSIGNED_CLIENT_ID) |
	    P(MQTT_PROP_SERVER_KEEP_ALIVE) | P(MQTT_PROP_RESPONSE_INFO) |
	    P(MQTT_PROP_SERVER_REFERENCE) | P(MQTT_PROP_REASON_STRING) |
	    P(MQTT_PROP_RECEIVE_MAXIMUM) | P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
	    P(MQTT_PROP_MAXIMUM_QOS) | P(MQTT_PROP_RETAIN_AVAILABLE) |
	    P(MQTT_PROP_MAXIMUM_PACKET_SIZE) | P(MQTT_PROP_WILDCARD_AVAILABLE) |
	    P(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE) |
	    P(MQTT_PROP_SHARED_AVAILABLE) | P(MQTT_PROP_AUTH_METHOD) |
	    P(MQTT_PROP_AUTH_DATA);
	p.props.session_expiry = 60;
	p.props.assigned_client_id = BYTES("auto-1234");
	p.props.server_keep_alive = 30;
	p.props.response_info = BYTES("resp/");
	p.props.server_reference = BYTES("other.example");
	p.props.reason_string = BYTES("welcome");
	p.props.receive_maximum = 10;
	p.props.topic_alias_maximum = 5;
	p.props.maximum_qos = 1;
	p.props.retain_available = 0;
	p.props.maximum_packet_size = 1024;
	p.props.wildcard_available = 1;
	p.props.subscription_ids_available = 0;
	p.props.shared_available = 1;
	p.props.auth_method = BYTES("m");
	p.props.auth_data = BYTES("d");
	p.props.user = two_users;
	p.props.user_count = 2;
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(back.session_present);
	CHECK(props_eq(&p.props, &back.props));
	CHECK_EQ_INT(back.props.maximum_qos, 1);
}

static bool
publish_roundtrip(const struct mqtt_codec *from, uint8_t qos, bool props)
{
	struct mqtt_packet p, back;
	static const uint8_t payload[300] = {1, 2, 3};

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.packet_id = qos ? 0xfffe : 0;
	p.u.publish.qos = qos;
	p.u.publish.retain = qos != 1;
	p.u.publish.dup = qos == 2;
	p.u.publish.topic = BYTES("sensors/room 1/temp");
	p.u.publish.payload.data = payload;
	p.u.publish.payload.len = sizeof(payload);
	if (props) {
		p.props.present =
		    P(MQTT_PROP_PAYLOAD_FORMAT) | P(MQTT_PROP_MESSAGE_EXPIRY) |
		    P(MQTT_PROP_CONTENT_TYPE) | P(MQTT_PROP_RESPONSE_TOPIC) |
		    P(MQTT_PROP_CORRELATION_DATA) | P(MQTT_PROP_TOPIC_ALIAS);
		p.props.payload_format = 0;
		p.props.message_expiry = 7;
		p.props.content_type = BYTES("application/octet-stream");
		p.props.response_topic = BYTES("replies/1");
		p.props.correlation_data = BYTES("\x00\x00\x01");
		p.props.topic_alias = 3;
		p.props.user = two_users;
		p.props.user_count = 2;
		if (from->self == MQTT_SERVER) {
			p.props.present |= P(MQTT_PROP_SUBSCRIPTION_ID);
			p.props.subscription_id = MQTT_MAX_SUBSCRIPTION_ID;
		}
	}
	if (roundtrip(from, &p, &back) <= 0)
		return false;
	return back.u.publish.qos == qos &&
	       back.u.publish.retain == p.u.publish.retain &&
	       back.u.publish.dup == p.u.publish.dup &&
	       back.packet_id == p.packet_id &&
	       bytes_eq(back.u.publish.topic, p.u.publish.topic) &&
	       bytes_eq(back.u.publish.payload, p.u.publish.payload) &&
	       props_eq(&p.props, &back.props);
}

TEST(roundtrip_publish)
{
	for (uint8_t qos = 0; qos <= 2; qos++) {
		CHECK(publish_roundtrip(&client311, qos, false));
		CHECK(publish_roundtrip(&server311, qos, false));
		CHECK(publish_roundtrip(&client5, qos, false));
		CHECK(publish_roundtrip(&client5, qos, true));
		CHECK(publish_roundtrip(&server5, qos, true));
	}
	/* A Topic Alias lets the topic be empty (5.0 only). */
	struct mqtt_packet p, back;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	p.props.topic_alias = 1;
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.publish.topic.len, 0);
	CHECK_EQ_INT(back.props.topic_alias, 1);
}

TEST(roundtrip_publish_acks)
{
	static const enum mqtt_packet_type types[] = {
	    MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};

	for (size_t i = 0; i < 4; i++) {
		struct mqtt_packet p, back;
		uint8_t failure =
		    types[i] == MQTT_PUBACK || types[i] == MQTT_PUBREC
			? MQTT_RC_QUOTA_EXCEEDED
			: MQTT_RC_PACKET_ID_NOT_FOUND;

		memset(&p, 0, sizeof(p));
		p.type = types[i];
		p.packet_id = 77;
		CHECK_EQ_INT(roundtrip(&client311, &p, &back), 4);
		CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
		CHECK_EQ_INT(back.packet_id, 77);
		CHECK_EQ_INT(roundtrip(&client5, &p, &back), 4);
		p.reason_code = failure;
		CHECK_EQ_INT(roundtrip(&server5, &p, &back), 5);
		CHECK_EQ_INT(back.reason_code, failure);
		p.props.present = P(MQTT_PROP_REASON_STRING);
		p.props.reason_string = BYTES("over quota");
		p.props.user = two_users;
		p.props.user_count = 1;
		CHECK(roundtrip(&server5, &p, &back) > 5);
		CHECK_EQ_INT(back.reason_code, failure);
		CHECK(props_eq(&p.props, &back.props));
		/* 3.1.1 has no reason codes to carry. */
		CHECK_EQ_INT(roundtrip(&server311, &p, &back), -1);
	}
}

TEST(roundtrip_subscribe)
{
	const struct mqtt_subscription subs[] = {
	    {BYTES("a/+/c"), 2},
	    {BYTES("#"), 0},
	    {BYTES("$share/g/x/#"), 1 | MQTT_SUB_RETAIN_AS_PUBLISHED |
					(2 << MQTT_SUB_RETAIN_HANDLING_SHIFT)},
	    {BYTES("d"), MQTT_SUB_NO_LOCAL},
	};
	struct mqtt_packet p, back;
	struct mqtt_subscription got;
	size_t cursor = 0, n = 0;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 9;
	p.u.filters.list = subs;
	p.u.filters.count = 4;
	p.props.present = P(MQTT_PROP_SUBSCRIPTION_ID);
	p.props.subscription_id = 1000;
	p.props.user = two_users;
	p.props.user_count = 2;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.filters.count, 4);
	CHECK(props_eq(&p.props, &back.props));
	while (mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1) {
		CHECK(bytes_eq(got.filter, subs[n].filter));
		CHECK_EQ_INT(got.options, subs[n].options);
		n++;
	}
	CHECK_EQ_INT(n, 4);

	/* 3.1.1: options are the QoS alone, and "$share" is a topic. */
	const struct mqtt_subscription old[] = {{BYTES("$share/x"), 1},
						{BYTES("a"), 2}};
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 1;
	p.u.filters.list = old;
	p.u.filters.count = 2;
	CHECK(roundtrip(&client311, &p, &back) > 0);
	cursor = n = 0;
	while (mqtt_next_filter(&back, MQTT_V311, &cursor, &got) == 1) {
		CHECK(bytes_eq(got.filter, old[n].filter));
		n++;
	}
	CHECK_EQ_INT(n, 2);
	p.u.filters.list = subs; /* 5.0 options */
	p.u.filters.count = 4;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(roundtrip_suback_unsubscribe_unsuback)
{
	struct mqtt_packet p, back;
	const struct mqtt_bytes filters[] = {BYTES("a/#"), BYTES("b/+")};
	struct mqtt_subscription got;
	size_t cursor = 0;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBACK;
	p.packet_id = 3;
	p.u.codes = BYTES("\x00\x01\x02\x80");
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 8);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
	p.u.codes = BYTES("\x02\x97\xa2");
	p.props.present = P(MQTT_PROP_REASON_STRING);
	p.props.reason_string = BYTES("partly");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
	CHECK(props_eq(&p.props, &back.props));

	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBSCRIBE;
	p.packet_id = 4;
	p.u.filters.filters = filters;
	p.u.filters.count = 2;
	CHECK(roundtrip(&client311, &p, &back) > 0);
	p.props.user = two_users;
	p.props.user_count = 1;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.filters.count, 2);
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1);
	CHECK(bytes_eq(got.filter, filters[0]));
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1);
	CHECK(bytes_eq(got.filter, filters[1]));
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 0);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBACK;
	p.packet_id = 4;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	p.u.codes = BYTES("\x00\x11");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
}

TEST(roundtrip_ping_disconnect_auth)
{
	struct mqtt_packet p, back;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PINGREQ;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), 2);
	CHECK_EQ_INT(roundtrip(&client5, &p, &back), 2);
	p.type = MQTT_PINGRESP;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 2);
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 2);
	CHECK_EQ_INT(back.type, MQTT_PINGRESP);

	p.type = MQTT_DISCONNECT;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), 2);
	p.reason_code = MQTT_RC_DISCONNECT_WITH_WILL;
	p.props.present = P(MQTT_PROP_SESSION_EXPIRY);
	p.props.session_expiry = 0;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_DISCONNECT_WITH_WILL);
	CHECK(props_eq(&p.props, &back.props));
	p.reason_code = MQTT_RC_SERVER_MOVED;
	p.props.present =
	    P(MQTT_PROP_SERVER_REFERENCE) | P(MQTT_PROP_REASON_STRING);
	p.props.server_reference = BYTES("mqtt2.example");
	p.props.reason_string = BYTES("moved");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(props_eq(&p.props, &back.props));
	/* The reason code alone. */
	memset(&p.props, 0, sizeof(p.props));
	p.reason_code = MQTT_RC_SERVER_SHUTTING_DOWN;
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 3);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_SERVER_SHUTTING_DOWN);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_AUTH;
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 2);
	p.reason_code = MQTT_RC_CONTINUE_AUTHENTICATION;
	p.props.present = P(MQTT_PROP_AUTH_METHOD) | P(MQTT_PROP_AUTH_DATA);
	p.props.auth_method = BYTES("SCRAM-SHA-1");
	p.props.auth_data = BYTES("challenge");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_CONTINUE_AUTHENTICATION);
	CHECK(props_eq(&p.props, &back.props));
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(partial_input_asks_for_exactly_what_is_missing)
{
	/* A PUBLISH with a two-byte Remaining Length of 200. */
	uint8_t pkt[203] = {0x30, 0xc8, 0x01, 0x00, 0x01, 'a'};
	struct mqtt_packet p;
	size_t need;

	need = 0;
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 0, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 2);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 1, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 2, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 3, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 200);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 202, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 203, &p, &need, NULL), 203);
	CHECK_EQ_INT(p.u.publish.payload.len, 200 - 3 - 1);
	/* Bytes after the packet belong to the next one. */
	uint8_t two[6] = {0xd0, 0x00, 0xd0, 0x00, 0xd0, 0x00};
	CHECK_EQ_INT(mqtt_decode(&client5, two, sizeof(two), &p, &need, NULL),
		     2);
}

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
	RUN(remaining_length_examples);
	RUN(remaining_length_rejects);
	RUN(connect_v311_spec_example);
	RUN(connect_v5_spec_example);
	RUN(utf8_spec_example);
	RUN(small_packets_byte_exact);
	RUN(roundtrip_connect);
	RUN(roundtrip_connack);
	RUN(roundtrip_publish);
	RUN(roundtrip_publish_acks);
	RUN(roundtrip_subscribe);
	RUN(roundtrip_suback_unsubscribe_unsuback);
	RUN(roundtrip_ping_disconnect_auth);
	RUN(partial_input_asks_for_exactly_what_is_missing);
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
