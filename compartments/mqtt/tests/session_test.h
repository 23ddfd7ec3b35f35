/*
 * The scripted broker the session's tests share, in-process: the broker's
 * packets are encoded with the codec's server end and fed in as bytes;
 * what the session writes is decoded the same way and checked packet by
 * packet.  After every step the session's invariants must hold.  Each test
 * binary includes it once and has its own session.
 */
#ifndef SEALNET_MQTT_SESSION_TEST_H
#define SEALNET_MQTT_SESSION_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

static inline struct mqtt_session_config
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

static inline bool
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

static inline bool
setup(enum mqtt_version v)
{
	struct mqtt_session_config c = config(v);

	return setup_with(&c);
}

static inline bool
healthy(void)
{
	return mqtt_session_check(&s) == 0;
}

/* Moves the session's output onto the wire. */
static inline void
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
static inline bool
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

static inline bool
client_sent_type(struct mqtt_packet *p, enum mqtt_packet_type t)
{
	return client_sent(p) && p->type == t;
}

static inline bool
nothing_sent(void)
{
	drain();
	return wire_len == wire_held;
}

/* Sends the broker's packet in pieces of `chunk` bytes (0: whole). */
static inline bool
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

static inline bool
broker_sends(const struct mqtt_packet *p)
{
	return broker_sends_chunked(p, 0);
}

static inline bool
broker_sends_bytes(const uint8_t *b, size_t len)
{
	return mqtt_session_input(&s, now, b, len) == (ssize_t)len;
}

static inline bool
event(struct mqtt_event *ev, enum mqtt_event_type t)
{
	return mqtt_session_poll(&s, ev) == 1 && ev->type == t && healthy();
}

static inline bool
no_event(void)
{
	struct mqtt_event ev;

	return mqtt_session_poll(&s, &ev) == 0 && healthy();
}

static inline struct mqtt_packet
packet(enum mqtt_packet_type t, uint16_t id)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof(p));
	p.type = t;
	p.packet_id = id;
	return p;
}

static inline struct mqtt_packet
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

static inline struct mqtt_connect_options
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
static inline bool
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

static inline bool
connect_plain(void)
{
	return connect_with(true, 0, false, NULL);
}

static inline bool
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

static inline int
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

static inline bool
is_publish(const struct mqtt_packet *p, const char *topic, uint8_t qos,
	   bool dup)
{
	return p->type == MQTT_PUBLISH && p->u.publish.qos == qos &&
	       p->u.publish.dup == dup &&
	       p->u.publish.topic.len == strlen(topic) &&
	       memcmp(p->u.publish.topic.data, topic, strlen(topic)) == 0;
}

static inline bool
bytes_are(struct mqtt_bytes b, const char *s_)
{
	return b.len == strlen(s_) && memcmp(b.data, s_, b.len) == 0;
}

#endif
