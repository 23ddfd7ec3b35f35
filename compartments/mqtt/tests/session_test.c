/*
 * The MQTT session against a scripted broker, in-process: the broker's
 * packets are encoded with the codec's server end and fed in as bytes;
 * what the session writes is decoded the same way and checked packet by
 * packet.  After every step the session's invariants must hold.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "session.h"

#define BYTES(s) ((struct mqtt_bytes){(const uint8_t *)(s), sizeof(s) - 1})
#define P(id)	 (UINT64_C(1) << (id))

static struct mqtt_session s;
static uint8_t memory[1 << 20];
static struct mqtt_codec broker;
static uint64_t now;

/* What the session wrote and the test has not yet read. */
static uint8_t wire[1 << 16];
static size_t wire_len, wire_held;

static struct mqtt_session_config
config(enum mqtt_version v)
{
	struct mqtt_session_config c = {
	    .version = v,
	    .input_bytes = 4096,
	    .output_bytes = 4096,
	    .max_inflight = 8,
	    .queue_messages = 16,
	    .queue_bytes = 8192,
	    .inbound_qos2 = 4,
	    .ack_queue = 8,
	    .topic_aliases = 4,
	    .alias_topic_bytes = 32,
	    .subscriptions = 8,
	    .subscription_bytes = 256,
	    .requests = 4,
	    .request_bytes = 1024,
	};

	return c;
}

static bool
setup_with(const struct mqtt_session_config *c)
{
	broker.version = c->version;
	broker.self = MQTT_SERVER;
	broker.max_in = 0;
	broker.max_out = 0;
	now = 1000;
	wire_len = wire_held = 0;
	return mqtt_session_memory_size(c) <= sizeof(memory) &&
	       mqtt_session_init(&s, c, memory, sizeof(memory)) == 0;
}

static bool
setup(enum mqtt_version v)
{
	struct mqtt_session_config c = config(v);

	return setup_with(&c);
}

static bool
healthy(void)
{
	return mqtt_session_check(&s) == 0;
}

/* Moves the session's output onto the wire. */
static void
drain(void)
{
	const uint8_t *out;
	size_t n = mqtt_session_output(&s, &out);

	if (wire_held > 0) {
		memmove(wire, wire + wire_held, wire_len - wire_held);
		wire_len -= wire_held;
		wire_held = 0;
	}
	if (n > sizeof(wire) - wire_len)
		n = sizeof(wire) - wire_len;
	memcpy(wire + wire_len, out, n);
	wire_len += n;
	mqtt_session_output_done(&s, now, n);
}

/* The next packet the session sent, as the broker reads it. */
static bool
client_sent(struct mqtt_packet *p)
{
	ssize_t n;

	drain();
	n = mqtt_decode(&broker, wire, wire_len, p, NULL, NULL);
	if (n <= 0)
		return false;
	wire_held = (size_t)n;
	return healthy();
}

static bool
client_sent_type(struct mqtt_packet *p, enum mqtt_packet_type t)
{
	return client_sent(p) && p->type == t;
}

static bool
nothing_sent(void)
{
	drain();
	return wire_len == wire_held;
}

/* Sends the broker's packet in pieces of `chunk` bytes (0: whole). */
static bool
broker_sends_chunked(const struct mqtt_packet *p, size_t chunk)
{
	static uint8_t buf[8192];
	ssize_t n = mqtt_encode(&broker, p, buf, sizeof(buf), NULL);
	size_t done = 0;

	if (n <= 0)
		return false;
	while (done < (size_t)n) {
		size_t piece = chunk && chunk < (size_t)n - done
				   ? chunk
				   : (size_t)n - done;

		if (mqtt_session_input(&s, now, buf + done, piece) !=
		    (ssize_t)piece)
			return false;
		done += piece;
	}
	return healthy();
}

static bool
broker_sends(const struct mqtt_packet *p)
{
	return broker_sends_chunked(p, 0);
}

static bool
broker_sends_bytes(const uint8_t *b, size_t len)
{
	return mqtt_session_input(&s, now, b, len) == (ssize_t)len;
}

static bool
event(struct mqtt_event *ev, enum mqtt_event_type t)
{
	return mqtt_session_poll(&s, ev) == 1 && ev->type == t && healthy();
}

static bool
no_event(void)
{
	struct mqtt_event ev;

	return mqtt_session_poll(&s, &ev) == 0 && healthy();
}

static struct mqtt_packet
packet(enum mqtt_packet_type t, uint16_t id)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof(p));
	p.type = t;
	p.packet_id = id;
	return p;
}

static struct mqtt_packet
publish(const char *topic, const char *payload, uint8_t qos, uint16_t id)
{
	struct mqtt_packet p = packet(MQTT_PUBLISH, id);

	p.u.publish.topic.data = (const uint8_t *)topic;
	p.u.publish.topic.len = strlen(topic);
	p.u.publish.payload.data = (const uint8_t *)payload;
	p.u.publish.payload.len = strlen(payload);
	p.u.publish.qos = qos;
	return p;
}

static struct mqtt_connect_options
options(bool clean_start, uint16_t keep_alive)
{
	struct mqtt_connect_options o;

	memset(&o, 0, sizeof(o));
	o.packet.client_id = BYTES("sealnet-test");
	o.packet.clean_start = clean_start;
	o.packet.keep_alive = keep_alive;
	return o;
}

/* Connects, and answers with a CONNACK carrying props. */
static bool
connect_with(bool clean_start, uint16_t keep_alive, bool present,
	     const struct mqtt_properties *props)
{
	struct mqtt_connect_options o = options(clean_start, keep_alive);
	struct mqtt_packet p, ack = packet(MQTT_CONNACK, 0);
	struct mqtt_event ev;

	if (mqtt_session_connect(&s, now, &o) != 0 ||
	    !client_sent_type(&p, MQTT_CONNECT))
		return false;
	ack.session_present = present;
	if (props != NULL)
		ack.props = *props;
	return broker_sends(&ack) && event(&ev, MQTT_EVENT_CONNECTED) &&
	       ev.session_present == present &&
	       mqtt_session_state(&s) == MQTT_SESSION_CONNECTED;
}

static bool
connect_plain(void)
{
	return connect_with(true, 0, false, NULL);
}

static bool
publish_ok(const char *topic, const char *payload, uint8_t qos, uint32_t *token)
{
	struct mqtt_publish m;
	uint32_t unused;

	memset(&m, 0, sizeof(m));
	m.topic.data = (const uint8_t *)topic;
	m.topic.len = strlen(topic);
	m.payload.data = (const uint8_t *)payload;
	m.payload.len = strlen(payload);
	m.qos = qos;
	return mqtt_session_publish(&s, &m, NULL, token ? token : &unused) ==
		   0 &&
	       healthy();
}

static int
publish_rc(const char *topic, size_t payload_len, uint8_t qos, bool retain)
{
	static const uint8_t zeros[8192];
	struct mqtt_publish m;
	uint32_t token;

	memset(&m, 0, sizeof(m));
	m.topic.data = (const uint8_t *)topic;
	m.topic.len = strlen(topic);
	m.payload.data = zeros;
	m.payload.len = payload_len;
	m.qos = qos;
	m.retain = retain;
	return mqtt_session_publish(&s, &m, NULL, &token);
}

static bool
is_publish(const struct mqtt_packet *p, const char *topic, uint8_t qos,
	   bool dup)
{
	return p->type == MQTT_PUBLISH && p->u.publish.qos == qos &&
	       p->u.publish.dup == dup &&
	       p->u.publish.topic.len == strlen(topic) &&
	       memcmp(p->u.publish.topic.data, topic, strlen(topic)) == 0;
}

static bool
bytes_are(struct mqtt_bytes b, const char *s_)
{
	return b.len == strlen(s_) && memcmp(b.data, s_, b.len) == 0;
}

/* ---- connecting ---- */

TEST(connect_announces_our_bounds)
{
	struct mqtt_connect_options o = options(true, 30);
	struct mqtt_packet p;

	CHECK(setup(MQTT_V5));
	o.props.present =
	    P(MQTT_PROP_SESSION_EXPIRY) | P(MQTT_PROP_RECEIVE_MAXIMUM);
	o.props.session_expiry = 300;
	o.props.receive_maximum = 60000; /* ours come from the config */
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_CONNECTING);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(bytes_are(p.u.connect.client_id, "sealnet-test"));
	CHECK(p.u.connect.clean_start);
	CHECK_EQ_INT(p.u.connect.keep_alive, 30);
	CHECK_EQ_INT(p.props.session_expiry, 300);
	CHECK_EQ_INT(p.props.receive_maximum, 4);
	CHECK_EQ_INT(p.props.maximum_packet_size, 4096);
	CHECK_EQ_INT(p.props.topic_alias_maximum, 4);
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), -EISCONN);
	/* Nothing may be published before CONNACK. */
	CHECK_EQ_INT(publish_rc("a", 1, 0, false), -ENOTCONN);
	/* Enhanced authentication is not offered. */
	CHECK(setup(MQTT_V5));
	o.props.present |= P(MQTT_PROP_AUTH_METHOD);
	o.props.auth_method = BYTES("SCRAM-SHA-1");
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), -EOPNOTSUPP);
}

TEST(connect_v311)
{
	struct mqtt_connect_options o = options(false, 60);
	struct mqtt_packet p, ack = packet(MQTT_CONNACK, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V311));
	o.packet.will = true;
	o.packet.will_topic = BYTES("status/test");
	o.packet.will_payload = BYTES("offline");
	o.packet.will_retain = true;
	o.packet.has_username = o.packet.has_password = true;
	o.packet.username = BYTES("user");
	o.packet.password = BYTES("secret");
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(!p.u.connect.clean_start && p.u.connect.will &&
	      p.u.connect.will_retain);
	CHECK(bytes_are(p.u.connect.will_topic, "status/test"));
	CHECK(bytes_are(p.u.connect.password, "secret"));
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CONNECTED));
	CHECK(!ev.session_present);
}

TEST(connack_refusals_are_reported)
{
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_packet p, ack = packet(MQTT_CONNACK, 0);
	struct mqtt_event ev;

	/* 3.1.1 "not authorized". */
	CHECK(setup(MQTT_V311));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	ack.reason_code = MQTT_V311_NOT_AUTHORIZED;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_CONNECT_REFUSED);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_IDLE);
	/* 5.0 bad user name or password, with a reason string. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	ack.reason_code = MQTT_RC_BAD_USERNAME_OR_PASSWORD;
	ack.props.present = P(MQTT_PROP_REASON_STRING);
	ack.props.reason_string = BYTES("who are you");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EACCES);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_BAD_USERNAME_OR_PASSWORD);
	CHECK(bytes_are(ev.props.reason_string, "who are you"));
	/* A 3.1.1-only broker refusing level 5. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(broker_sends_bytes((const uint8_t *)"\x20\x02\x00\x01", 4));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EPROTONOSUPPORT);
	/* A session present after Clean Start breaks the protocol. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	memset(&ack, 0, sizeof(ack));
	ack.type = MQTT_CONNACK;
	ack.session_present = true;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SESSION_PRESENT_CLEAN);
}

TEST(connack_timeout)
{
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	o.connect_timeout_ms = 5000;
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), now + 5000);
	CHECK_EQ_INT(mqtt_session_tick(&s, now + 4999), now + 5000);
	CHECK(no_event());
	mqtt_session_tick(&s, now + 5000);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_CONNECT_TIMEOUT);
	CHECK_EQ_INT(ev.error, -ETIMEDOUT);
}

/* ---- QoS both ways ---- */

TEST(qos0_both_ways)
{
	struct mqtt_packet p, in = publish("t/0", "hello", 0, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/0", "out", 0, NULL));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/0", 0, false));
	CHECK(bytes_are(p.u.publish.payload, "out"));
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	in.u.publish.retain = true;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "t/0"));
	CHECK(bytes_are(ev.message.payload, "hello"));
	CHECK(ev.message.retain && ev.message.qos == 0);
	CHECK(no_event());
	CHECK(nothing_sent());
}

TEST(qos1_both_ways)
{
	struct mqtt_packet p, ack;
	struct mqtt_packet in = publish("t/1", "in", 1, 7);
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/1", "out", 1, &token));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/1", 1, false));
	CHECK(p.packet_id != 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
	ack = packet(MQTT_PUBACK, p.packet_id);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 0);
	/* Inbound: delivered, then acknowledged. */
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK_EQ_INT(ev.message.qos, 1);
	CHECK(client_sent_type(&p, MQTT_PUBACK));
	CHECK_EQ_INT(p.packet_id, 7);
	/* A refusal in PUBACK is the publish's error. */
	CHECK(publish_ok("t/1", "denied", 1, &token));
	CHECK(client_sent(&p));
	ack = packet(MQTT_PUBACK, p.packet_id);
	ack.reason_code = MQTT_RC_NOT_AUTHORIZED;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_NOT_AUTHORIZED);
}

TEST(qos2_outbound_pubrec_pubrel_pubcomp)
{
	struct mqtt_packet p, rec, comp;
	struct mqtt_event ev;
	uint32_t token;
	uint16_t id;

	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK(publish_ok("t/2", "once", 2, &token));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/2", 2, false));
	id = p.packet_id;
	CHECK(nothing_sent());
	rec = packet(MQTT_PUBREC, id);
	CHECK(broker_sends(&rec));
	/* No event yet: the message completes with PUBCOMP. */
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, id);
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
	comp = packet(MQTT_PUBCOMP, id);
	CHECK(broker_sends(&comp));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 0);
	/* PUBCOMP out of turn, or a second PUBREC, is a violation. */
	CHECK(publish_ok("t/2", "again", 2, &token));
	CHECK(client_sent(&p));
	comp = packet(MQTT_PUBCOMP, p.packet_id);
	CHECK(broker_sends(&comp));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNKNOWN_PACKET_ID);
	/* The message itself is still held, to go again. */
	CHECK_EQ_INT(mqtt_session_queued(&s), 1);
}

TEST(qos2_refused_by_pubrec)
{
	struct mqtt_packet p, rec;
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/2", "x", 2, &token));
	CHECK(client_sent(&p));
	rec = packet(MQTT_PUBREC, p.packet_id);
	rec.reason_code = MQTT_RC_QUOTA_EXCEEDED;
	CHECK(broker_sends(&rec));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.error, -EDQUOT);
	CHECK(nothing_sent()); /* no PUBREL after a refusal */
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
}

TEST(qos2_inbound_delivered_once)
{
	struct mqtt_packet p, in = publish("t/2", "once", 2, 9);
	struct mqtt_packet rel = packet(MQTT_PUBREL, 9);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.payload, "once"));
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK_EQ_INT(p.packet_id, 9);
	/* The broker sends it again (its PUBREC was lost, say). */
	in.u.publish.dup = true;
	CHECK(broker_sends(&in));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK_EQ_INT(p.packet_id, 9);
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
	CHECK_EQ_INT(p.packet_id, 9);
	/* After PUBREL the identifier is free for a new message. */
	in = publish("t/2", "next", 2, 9);
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.payload, "next"));
	/* A PUBREL for nothing is answered all the same. */
	rel = packet(MQTT_PUBREL, 300);
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
	CHECK_EQ_INT(p.packet_id, 300);
}

TEST(qos2_inbound_beyond_receive_maximum_closes)
{
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5)); /* inbound_qos2 = 4 */
	CHECK(connect_plain());
	for (uint16_t id = 1; id <= 4; id++) {
		struct mqtt_packet in = publish("q", "x", 2, id);

		CHECK(broker_sends(&in));
		CHECK(event(&ev, MQTT_EVENT_MESSAGE));
		CHECK(client_sent_type(&p, MQTT_PUBREC));
	}
	struct mqtt_packet fifth = publish("q", "x", 2, 5);
	CHECK(broker_sends(&fifth));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_RECEIVE_MAXIMUM);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED);
}

/* ---- resumption ---- */

/* Publishes A (QoS 1), B and C (QoS 2); the broker acknowledges B's
 * PUBLISH only; then the connection drops. */
static bool
three_in_flight(uint16_t ids[3], uint32_t tokens[3])
{
	struct mqtt_packet p, rec;
	struct mqtt_event ev;

	if (!publish_ok("a", "A", 1, &tokens[0]) ||
	    !publish_ok("b", "B", 2, &tokens[1]) ||
	    !publish_ok("c", "C", 2, &tokens[2]))
		return false;
	for (int i = 0; i < 3; i++) {
		if (!client_sent(&p) || p.type != MQTT_PUBLISH)
			return false;
		ids[i] = p.packet_id;
	}
	rec = packet(MQTT_PUBREC, ids[1]);
	if (!broker_sends(&rec) || !no_event() ||
	    !client_sent_type(&p, MQTT_PUBREL) || p.packet_id != ids[1])
		return false;
	mqtt_session_transport_closed(&s);
	return event(&ev, MQTT_EVENT_CLOSED) &&
	       ev.fault == MQTT_FAULT_TRANSPORT_CLOSED &&
	       ev.error == -ECONNRESET && mqtt_session_queued(&s) == 3;
}

TEST(resume_resends_with_dup_and_pubrel)
{
	uint16_t ids[3];
	uint32_t tokens[3];
	struct mqtt_packet p, ack;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(three_in_flight(ids, tokens));
	wire_len = wire_held = 0; /* that transport is gone */
	CHECK(connect_with(false, 0, true, NULL));
	/* A and C again, with DUP and their identifiers; B's PUBREL
	 * again; B itself never again. */
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "a", 1, true) && p.packet_id == ids[0]);
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "c", 2, true) && p.packet_id == ids[2]);
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, ids[1]);
	CHECK(nothing_sent());
	ack = packet(MQTT_PUBACK, ids[0]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[0]);
	ack = packet(MQTT_PUBCOMP, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[1]);
	ack = packet(MQTT_PUBREC, ids[2]);
	CHECK(broker_sends(&ack));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL) && p.packet_id == ids[2]);
	ack = packet(MQTT_PUBCOMP, ids[2]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[2]);
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	CHECK(no_event());
}

TEST(resume_keeps_inbound_qos2_state)
{
	struct mqtt_packet p, in = publish("t", "x", 2, 40);
	struct mqtt_packet rel = packet(MQTT_PUBREL, 40);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V311));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	/* The broker never saw our PUBREC, so it sends the PUBLISH again
	 * with DUP: it must not be delivered twice. */
	CHECK(connect_with(false, 0, true, NULL));
	in.u.publish.dup = true;
	CHECK(broker_sends(&in));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
}

TEST(lost_session_sends_again_as_new_and_restores_subscriptions)
{
	uint16_t ids[3];
	uint32_t tokens[3], token;
	struct mqtt_subscription sub = {BYTES("sensors/#"), 1};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_subscription got;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &sub, 1, 12, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED) && ev.token == token);
	CHECK(three_in_flight(ids, tokens));
	wire_len = wire_held = 0;
	/* The broker kept nothing. */
	CHECK(connect_with(false, 0, false, NULL));
	/* B had been taken by the broker (PUBREC): it is done. */
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, tokens[1]);
	CHECK_EQ_INT(ev.error, 0);
	/* The subscription comes back with its identifier; A and C go
	 * again as new messages, without DUP. */
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	CHECK_EQ_INT(p.u.filters.count, 1);
	CHECK_EQ_INT(p.props.subscription_id, 12);
	ack.packet_id = p.packet_id;
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "a", 1, false));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "c", 2, false));
	CHECK(nothing_sent());
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.token, 0);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 1);
	CHECK(bytes_are(got.filter, "sensors/#"));
	/* A refused restoration drops the filter. */
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x87");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 0);
}

TEST(clean_start_forgets_subscriptions)
{
	struct mqtt_subscription sub = {BYTES("a"), 0};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &sub, 1, 0, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x00");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0), 0);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, 0);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK(connect_plain());
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &sub), 0);
}

/* ---- keep-alive ---- */

TEST(keep_alive_ping_and_silent_broker)
{
	struct mqtt_packet p, pong = packet(MQTT_PINGRESP, 0);
	struct mqtt_event ev;
	uint64_t start;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 10, false, NULL));
	start = now;
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 10000);
	/* Just before the interval nothing is sent. */
	now = start + 9999;
	mqtt_session_tick(&s, now);
	CHECK(nothing_sent());
	now = start + 10000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	CHECK(nothing_sent());
	/* The answer comes 100 ms later. */
	now = start + 10100;
	CHECK(broker_sends(&pong));
	CHECK(no_event());
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 20000);
	/* The next ping, and then silence. */
	now = start + 20000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	/* Silent since 10100: closed at 10100 + 15000, not before. */
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 25100);
	now = start + 25099;
	mqtt_session_tick(&s, now);
	CHECK(no_event());
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_CONNECTED);
	now = start + 25100;
	mqtt_session_tick(&s, now);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_KEEP_ALIVE_TIMEOUT);
	CHECK_EQ_INT(ev.error, -ETIMEDOUT);
}

TEST(keep_alive_pings_a_broker_that_only_listens)
{
	struct mqtt_packet p;
	struct mqtt_event ev;
	uint64_t start;

	CHECK(setup(MQTT_V311));
	CHECK(connect_with(true, 10, false, NULL));
	start = now;
	/* QoS 0 every 3 s: we keep sending, the broker says nothing. */
	for (int i = 1; i <= 3; i++) {
		now = start + 3000u * (uint64_t)i;
		mqtt_session_tick(&s, now);
		CHECK(publish_ok("t", "x", 0, NULL));
		CHECK(client_sent_type(&p, MQTT_PUBLISH));
	}
	/* Ten seconds without a byte from it: ask. */
	now = start + 10000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	now = start + 14999;
	mqtt_session_tick(&s, now);
	CHECK(no_event());
	now = start + 15000;
	mqtt_session_tick(&s, now);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_KEEP_ALIVE_TIMEOUT);
}

TEST(server_keep_alive_replaces_ours)
{
	struct mqtt_properties props;
	struct mqtt_packet p;
	uint64_t start;

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_SERVER_KEEP_ALIVE);
	props.server_keep_alive = 2;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 60, false, &props));
	start = now;
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 2000);
	now = start + 2000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
}

/* ---- flow control and bounds ---- */

TEST(receive_maximum_bounds_inflight)
{
	struct mqtt_properties props;
	struct mqtt_packet p, ack;
	struct mqtt_event ev;
	uint16_t ids[5];

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_RECEIVE_MAXIMUM);
	props.receive_maximum = 2;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	for (int i = 0; i < 5; i++)
		CHECK(publish_ok("flow", "x", (uint8_t)(1 + i % 2), NULL));
	/* Two go out; QoS 0 behind them waits its turn too. */
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[0] = p.packet_id;
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[1] = p.packet_id;
	CHECK(nothing_sent());
	CHECK(publish_ok("flow", "q0", 0, NULL));
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 2);
	CHECK_EQ_INT(mqtt_session_queued(&s), 6);
	/* Each acknowledgement lets one more out. */
	ack = packet(MQTT_PUBACK, ids[0]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[2] = p.packet_id;
	CHECK(nothing_sent());
	/* A PUBREC does not free a place: PUBCOMP does. */
	ack = packet(MQTT_PUBREC, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK(nothing_sent());
	ack = packet(MQTT_PUBCOMP, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 2);
}

TEST(our_own_inflight_bound)
{
	struct mqtt_session_config c = config(MQTT_V311);

	c.max_inflight = 1;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK(publish_ok("a", "1", 1, NULL));
	CHECK(publish_ok("a", "2", 1, NULL));
	struct mqtt_packet p;
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
}

TEST(queue_bound_fails_instead_of_growing)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p, ack;
	struct mqtt_event ev;

	c.queue_messages = 3;
	c.max_inflight = 3;
	c.queue_bytes = 300;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	/* By count. */
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), -ENOBUFS);
	CHECK_EQ_INT(publish_rc("q", 10, 0, false), -ENOBUFS);
	CHECK_EQ_INT(mqtt_session_queued(&s), 3);
	CHECK(client_sent(&p));
	ack = packet(MQTT_PUBACK, p.packet_id);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	/* By bytes: 2 x 17 held, 266 left. */
	CHECK_EQ_INT(publish_rc("q", 270, 1, false), -ENOBUFS);
	CHECK_EQ_INT(publish_rc("q", 240, 1, false), 0);
	CHECK_EQ_INT(mqtt_session_queued(&s), 3);
}

TEST(maximum_packet_size_both_ways)
{
	struct mqtt_properties props;
	struct mqtt_packet p;
	struct mqtt_event ev;
	uint8_t big[5000];

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_MAXIMUM_PACKET_SIZE);
	props.maximum_packet_size = 64;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	/* 2 + 3 + 1 + 58 = 64 passes; one more byte does not. */
	CHECK_EQ_INT(publish_rc("a", 58, 0, false), 0);
	CHECK_EQ_INT(publish_rc("a", 59, 0, false), -EMSGSIZE);
	CHECK(client_sent(&p));
	CHECK(nothing_sent());
	/* Our own output buffer bounds it too. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(publish_rc("a", 4500, 0, false), -EMSGSIZE);
	/* Inbound: past input_bytes closes with "packet too large", as
	 * soon as the length is known. */
	memset(big, 0, sizeof(big));
	big[0] = 0x30;
	big[1] = 0x80 | (5000 & 0x7f);
	big[2] = 5000 >> 7;
	CHECK_EQ_INT(mqtt_session_input(&s, now, big, 3), 3);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOO_LARGE);
	CHECK_EQ_INT(ev.error, -EMSGSIZE);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_PACKET_TOO_LARGE);
}

TEST(what_the_broker_does_not_offer)
{
	struct mqtt_properties props;
	struct mqtt_subscription wild = {BYTES("a/+"), 0};
	struct mqtt_subscription shared = {BYTES("$share/g/a"), 0};
	struct mqtt_subscription plain = {BYTES("a/b"), 0};
	uint32_t token;

	memset(&props, 0, sizeof(props));
	props.present =
	    P(MQTT_PROP_MAXIMUM_QOS) | P(MQTT_PROP_RETAIN_AVAILABLE) |
	    P(MQTT_PROP_WILDCARD_AVAILABLE) | P(MQTT_PROP_SHARED_AVAILABLE) |
	    P(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE);
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	CHECK_EQ_INT(publish_rc("a", 1, 1, false), -EOPNOTSUPP);
	CHECK_EQ_INT(publish_rc("a", 1, 0, true), -EOPNOTSUPP);
	CHECK_EQ_INT(publish_rc("a", 1, 0, false), 0);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &wild, 1, 0, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &shared, 1, 0, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &plain, 1, 5, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &plain, 1, 0, &token), 0);
	CHECK_EQ_INT(publish_rc("a/+", 1, 0, false), -EINVAL);
	CHECK_EQ_INT(publish_rc("a", 1, 3, false), -EINVAL);
}

TEST(acks_wait_for_output_space_without_growing)
{
	struct mqtt_session_config c = config(MQTT_V311);
	struct mqtt_event ev;
	struct mqtt_packet p;
	const uint8_t *out;
	int delivered = 0;

	c.output_bytes = 128;
	c.ack_queue = 2;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	/* Fill the output (122 of the 124 bytes the DISCONNECT reserve
	 * leaves) and let the transport take nothing. */
	CHECK_EQ_INT(publish_rc("fill", 114, 0, false), 0);
	CHECK_EQ_INT(mqtt_session_output(&s, &out), 122);
	for (uint16_t id = 1; id <= 4; id++) {
		struct mqtt_packet in = publish("t", "x", 1, id);

		CHECK(broker_sends(&in));
	}
	/* Two are delivered; their PUBACKs wait; the rest wait for them. */
	while (mqtt_session_poll(&s, &ev) == 1)
		delivered++;
	CHECK_EQ_INT(delivered, 2);
	CHECK(healthy());
	/* The transport takes the output: the rest follow, in order. */
	CHECK(client_sent_type(&p, MQTT_PUBLISH));
	while (mqtt_session_poll(&s, &ev) == 1)
		delivered++;
	CHECK_EQ_INT(delivered, 4);
	for (uint16_t id = 1; id <= 4; id++) {
		CHECK(client_sent_type(&p, MQTT_PUBACK));
		CHECK_EQ_INT(p.packet_id, id);
	}
}

/* ---- topic aliases ---- */

TEST(topic_aliases_from_the_broker)
{
	struct mqtt_packet p, in = publish("home/kitchen/temp", "21", 0, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5)); /* 4 aliases of up to 32 bytes */
	CHECK(connect_plain());
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/kitchen/temp"));
	in = publish("", "22", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends_chunked(&in, 1));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/kitchen/temp"));
	CHECK(bytes_are(ev.message.payload, "22"));
	/* The alias can be set again. */
	in = publish("home/hall", "19", 1, 3);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	in = publish("", "18", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/hall"));
	/* An alias never set. */
	in.props.topic_alias = 3;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
	CHECK(client_sent_type(&p, MQTT_PUBACK));
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_TOPIC_ALIAS_INVALID);
	/* Aliases belong to one connection. */
	wire_len = wire_held = 0;
	CHECK(connect_plain());
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
	/* Above our maximum. */
	CHECK(connect_plain());
	in = publish("x", "y", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 5;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
}

/* ---- subscriptions ---- */

TEST(subscribe_and_unsubscribe)
{
	const struct mqtt_subscription subs[] = {{BYTES("a/#"), 1},
						 {BYTES("b/+"), 2}};
	const struct mqtt_bytes gone[] = {BYTES("a/#")};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_subscription got;
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, subs, 2, 0, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	CHECK_EQ_INT(p.u.filters.count, 2);
	/* The wrong number of codes breaks the protocol... */
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SUBACK_COUNT);
	/* ...and the request goes again on the next connection. */
	wire_len = wire_held = 0;
	CHECK(connect_with(false, 0, true, NULL));
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01\x80");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, -EIO);
	CHECK(ev.reason_codes.len == 2 && ev.reason_codes.data[0] == 1);
	/* Only the granted filter is kept. */
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 1);
	CHECK(bytes_are(got.filter, "a/#"));
	CHECK_EQ_INT(mqtt_session_subscription(&s, 1, &got), 0);
	CHECK_EQ_INT(mqtt_session_unsubscribe(&s, gone, 1, &token), 0);
	CHECK(client_sent_type(&p, MQTT_UNSUBSCRIBE));
	ack = packet(MQTT_UNSUBACK, p.packet_id);
	ack.u.codes = BYTES("\x00");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_UNSUBSCRIBED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 0);
}

TEST(subscription_table_is_bounded)
{
	struct mqtt_session_config c = config(MQTT_V311);
	const struct mqtt_subscription three[] = {
	    {BYTES("a"), 0}, {BYTES("b"), 0}, {BYTES("c"), 0}};
	const struct mqtt_subscription bad = {BYTES("a/#/b"), 0};
	uint32_t token;

	c.subscriptions = 4;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &bad, 1, 0, &token), -EINVAL);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 3, 0, &token), 0);
	/* Three are reserved until the SUBACK: two more do not fit. */
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 2, 0, &token), -ENOBUFS);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 1, 0, &token), 0);
}

/* ---- a broker that breaks the rules ---- */

TEST(garbage_closes_with_a_reason_and_keeps_state)
{
	static const uint8_t garbage[] = {0x00, 0x13, 0x37};
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("keep", "me", 1, NULL));
	CHECK(client_sent(&p));
	CHECK(broker_sends_bytes(garbage, sizeof(garbage)));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_TYPE);
	CHECK_EQ_INT(ev.error, -EPROTO);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_PROTOCOL_ERROR);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_IDLE);
	CHECK_EQ_INT(mqtt_session_queued(&s), 1);
	CHECK_EQ_INT(mqtt_session_input(&s, now, garbage, 1), -ENOTCONN);
	CHECK(no_event());

	/* A malformed packet: 0x81. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(broker_sends_bytes((const uint8_t *)"\x40\x01\x00", 3));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EBADMSG);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_MALFORMED_PACKET);

	/* Packet identifier 0 on QoS 1. */
	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK(broker_sends_bytes((const uint8_t *)"\x32\x05\x00\x01"
						  "a\x00\x00",
				 7));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_PACKET_ID_ZERO);
	CHECK(nothing_sent()); /* 3.1.1 has no DISCONNECT reason */

	/* A PUBACK for nothing we sent. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet ack = packet(MQTT_PUBACK, 77);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNKNOWN_PACKET_ID);

	/* A PUBLISH before CONNACK. */
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_packet early = publish("t", "x", 0, 0);
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(broker_sends(&early));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);

	/* A second CONNACK. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet again = packet(MQTT_CONNACK, 0);
	CHECK(broker_sends(&again));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);

	/* AUTH we never asked for. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet auth = packet(MQTT_AUTH, 0);
	auth.reason_code = MQTT_RC_CONTINUE_AUTHENTICATION;
	CHECK(broker_sends(&auth));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);
}

TEST(broker_disconnect_is_reported)
{
	struct mqtt_packet bye = packet(MQTT_DISCONNECT, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	bye.reason_code = MQTT_RC_SERVER_SHUTTING_DOWN;
	bye.props.present = P(MQTT_PROP_REASON_STRING);
	bye.props.reason_string = BYTES("maintenance");
	CHECK(broker_sends(&bye));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SERVER_DISCONNECT);
	CHECK_EQ_INT(ev.error, -ESHUTDOWN);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_SERVER_SHUTTING_DOWN);
	CHECK(bytes_are(ev.props.reason_string, "maintenance"));
	CHECK(nothing_sent());
}

TEST(disconnect_with_will)
{
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0x99), -EINVAL);
	CHECK_EQ_INT(mqtt_session_disconnect(&s, MQTT_RC_DISCONNECT_WITH_WILL),
		     0);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_DISCONNECT_WITH_WILL);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_LOCAL_DISCONNECT);
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0), -ENOTCONN);
}

TEST(config_bounds)
{
	struct mqtt_session_config c = config(MQTT_V5);
	static uint8_t small[64];

	CHECK(mqtt_session_memory_size(&c) > 0);
	CHECK_EQ_INT(mqtt_session_init(&s, &c, small, sizeof(small)), -ENOMEM);
	c.max_inflight = 0;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	CHECK_EQ_INT(mqtt_session_init(&s, &c, memory, sizeof(memory)),
		     -EINVAL);
	c = config(MQTT_V5);
	c.input_bytes = MQTT_SESSION_MIN_BUFFER - 1;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	c = config(MQTT_V5);
	c.version = 3;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	/* Memory at an odd address is aligned inside what it gives. */
	c = config(MQTT_V5);
	CHECK_EQ_INT(
	    mqtt_session_init(&s, &c, memory + 1, mqtt_session_memory_size(&c)),
	    0);
	CHECK(healthy());
}

int
main(void)
{
	RUN(connect_announces_our_bounds);
	RUN(connect_v311);
	RUN(connack_refusals_are_reported);
	RUN(connack_timeout);
	RUN(qos0_both_ways);
	RUN(qos1_both_ways);
	RUN(qos2_outbound_pubrec_pubrel_pubcomp);
	RUN(qos2_refused_by_pubrec);
	RUN(qos2_inbound_delivered_once);
	RUN(qos2_inbound_beyond_receive_maximum_closes);
	RUN(resume_resends_with_dup_and_pubrel);
	RUN(resume_keeps_inbound_qos2_state);
	RUN(lost_session_sends_again_as_new_and_restores_subscriptions);
	RUN(clean_start_forgets_subscriptions);
	RUN(keep_alive_ping_and_silent_broker);
	RUN(keep_alive_pings_a_broker_that_only_listens);
	RUN(server_keep_alive_replaces_ours);
	RUN(receive_maximum_bounds_inflight);
	RUN(our_own_inflight_bound);
	RUN(queue_bound_fails_instead_of_growing);
	RUN(maximum_packet_size_both_ways);
	RUN(what_the_broker_does_not_offer);
	RUN(acks_wait_for_output_space_without_growing);
	RUN(topic_aliases_from_the_broker);
	RUN(subscribe_and_unsubscribe);
	RUN(subscription_table_is_bounded);
	RUN(garbage_closes_with_a_reason_and_keeps_state);
	RUN(broker_disconnect_is_reported);
	RUN(disconnect_with_will);
	RUN(config_bounds);
	HARNESS_EXIT();
}
