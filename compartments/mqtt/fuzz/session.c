/*
 * The MQTT session after a valid CONNACK, fed arbitrary broker bytes
 * with the caller's own calls, ticks and reconnections in between.  The
 * first byte picks the version, keep-alive and the broker's Receive
 * Maximum, Maximum Packet Size and Topic Alias Maximum; then each byte
 * is a command:
 *
 *   0  the next n bytes from the broker (n in the following byte)
 *   1  time passes (the following byte, in units of 100 ms), then tick
 *   2  the transport takes some of the output
 *   3  publish (QoS and size from the following byte, one of three
 *      topics from the command's high bits)
 *   4  subscribe, 5 unsubscribe (a filter from a small table)
 *   6  the transport drops, and a new connection resumes
 *   7  disconnect, then connect again
 *
 * Beyond the sanitizers: the session's invariants hold after every step
 * (mqtt_session_check), every event is well formed, and every byte it
 * writes decodes, as the broker reads it, to a packet a client may send
 * and no larger than the broker allows, and every topic alias in it is
 * within the broker's maximum and was set on this connection before it
 * stands alone for its topic.  The tables are small so that
 * every bound is reached.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "session.h"
#include "topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mqtt_session s;
static uint8_t memory[64 * 1024];
static struct mqtt_codec broker;
static uint64_t now;
static uint32_t broker_max;
/* What the session wrote and the broker has not yet read. */
static uint8_t wire[4096];
static size_t wire_len;

static const char *const topics[] = {"t/x", "t/y", "t/zz"};
/* The broker's Topic Alias Maximum on this connection, and what each
 * alias stands for as the broker reads them (-1: not set). */
static uint16_t broker_aliases;
static int alias_topic[3];

static const struct mqtt_subscription filters[] = {
    {{(const uint8_t *)"a/#", 3}, 1},
    {{(const uint8_t *)"+/b", 3}, 2},
    {{(const uint8_t *)"$share/g/c", 10}, 0},
    {{(const uint8_t *)"d", 1}, 2},
};

static void
require(bool ok)
{
	if (!ok)
		abort();
}

/* The index in topics[] of topic t, or -1. */
static int
topic_index(struct mqtt_bytes t)
{
	for (int i = 0; i < 3; i++)
		if (t.len == strlen(topics[i]) &&
		    memcmp(t.data, topics[i], t.len) == 0)
			return i;
	return -1;
}

/* A PUBLISH's topic, resolved as the broker would. */
static void
broker_resolves(const struct mqtt_packet *p)
{
	int t = topic_index(p->u.publish.topic);
	uint16_t a;

	if (!mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS)) {
		require(t >= 0);
		return;
	}
	a = p->props.topic_alias;
	require(a >= 1 && a <= broker_aliases && a <= 3);
	if (p->u.publish.topic.len == 0)
		require(alias_topic[a - 1] >= 0);
	else {
		require(t >= 0);
		alias_topic[a - 1] = t;
	}
}

/* Reads every whole packet on the wire as the broker would. */
static void
broker_reads(void)
{
	size_t at = 0;

	for (;;) {
		struct mqtt_packet p;
		enum mqtt_fault f;
		ssize_t n = mqtt_decode(&broker, wire + at, wire_len - at, &p,
					NULL, &f);

		if (n == -EAGAIN)
			break;
		require(n > 0);
		require(broker_max == 0 || (size_t)n <= broker_max ||
			p.type == MQTT_CONNECT);
		if (p.type == MQTT_PUBLISH)
			broker_resolves(&p);
		at += (size_t)n;
	}
	memmove(wire, wire + at, wire_len - at);
	wire_len -= at;
}

static void
transport_takes(size_t most)
{
	const uint8_t *out;
	size_t n = mqtt_session_output(&s, &out);

	if (n > most)
		n = most;
	if (n > sizeof(wire) - wire_len)
		n = sizeof(wire) - wire_len;
	memcpy(wire + wire_len, out, n);
	wire_len += n;
	require(mqtt_session_output_done(&s, now, n) == 0);
	broker_reads();
}

static void
check_event(const struct mqtt_event *ev)
{
	switch (ev->type) {
	case MQTT_EVENT_MESSAGE:
		require(ev->message.qos <= 2);
		require(mqtt_topic_name_check(ev->message.topic.data,
					      ev->message.topic.len) ==
			MQTT_FAULT_NONE);
		break;
	case MQTT_EVENT_CLOSED:
		require(ev->error <= 0 && ev->fault < MQTT_FAULT_COUNT);
		require(mqtt_session_state(&s) == MQTT_SESSION_IDLE);
		break;
	case MQTT_EVENT_PUBLISHED:
	case MQTT_EVENT_UNSUBSCRIBED:
		require(ev->error <= 0);
		break;
	case MQTT_EVENT_SUBSCRIBED:
		require(ev->error <= 0 && ev->reason_codes.len > 0);
		break;
	case MQTT_EVENT_CONNECTED:
		break;
	default:
		abort();
	}
}

static void
poll_all(void)
{
	struct mqtt_event ev;
	int budget = 1000;

	while (mqtt_session_poll(&s, &ev) == 1 && budget-- > 0) {
		check_event(&ev);
		require(mqtt_session_check(&s) == 0);
	}
	require(budget > 0);
	require(mqtt_session_check(&s) == 0);
}

/* Connects over a new transport and feeds the CONNACK. */
static void
connect_again(uint8_t mode, bool clean, bool present)
{
	struct mqtt_connect_options o;
	struct mqtt_packet ack;
	uint8_t bytes[64];
	ssize_t n;

	memset(&o, 0, sizeof(o));
	o.packet.client_id.data = (const uint8_t *)"fuzz";
	o.packet.client_id.len = 4;
	o.packet.clean_start = clean;
	o.packet.keep_alive = mode & 2 ? 5 : 0;
	wire_len = 0;
	/* A new connection: the broker knows no alias of ours. */
	alias_topic[0] = alias_topic[1] = alias_topic[2] = -1;
	broker_aliases = broker.version == MQTT_V5 && (mode & 0x20)
			     ? (mode & 0x40 ? 3 : 1)
			     : 0;
	if (mqtt_session_connect(&s, now, &o) != 0)
		abort();
	transport_takes(SIZE_MAX);
	memset(&ack, 0, sizeof(ack));
	ack.type = MQTT_CONNACK;
	ack.session_present = present && !clean;
	if (broker.version == MQTT_V5) {
		ack.props.present = UINT64_C(1) << MQTT_PROP_RECEIVE_MAXIMUM;
		ack.props.receive_maximum = (uint16_t)(1 + ((mode >> 2) & 3));
		if (broker_aliases != 0) {
			ack.props.present |= UINT64_C(1)
					     << MQTT_PROP_TOPIC_ALIAS_MAXIMUM;
			ack.props.topic_alias_maximum = broker_aliases;
		}
		if (broker_max != 0) {
			ack.props.present |= UINT64_C(1)
					     << MQTT_PROP_MAXIMUM_PACKET_SIZE;
			ack.props.maximum_packet_size = broker_max;
		}
	}
	n = mqtt_encode(&broker, &ack, bytes, sizeof(bytes), NULL);
	require(n > 0);
	require(mqtt_session_input(&s, now, bytes, (size_t)n) == n);
	poll_all();
	require(mqtt_session_state(&s) == MQTT_SESSION_CONNECTED);
}

/* A new session in the first byte's mode, connected. */
static void
start(uint8_t mode)
{
	struct mqtt_session_config c = {
	    .input_bytes = 512,
	    .output_bytes = 256,
	    .max_inflight = 4,
	    .queue_messages = 6,
	    .queue_bytes = 600,
	    .inbound_qos2 = 3,
	    .ack_queue = 2,
	    .topic_aliases = 2,
	    .alias_topic_bytes = 16,
	    .out_topic_aliases = 2,
	    .subscriptions = 4,
	    .subscription_bytes = 64,
	    .requests = 2,
	    .request_bytes = 128,
	};

	c.version = mode & 1 ? MQTT_V5 : MQTT_V311;
	broker.version = c.version;
	broker.self = MQTT_SERVER;
	broker.max_in = 0;
	broker.max_out = 0;
	broker_max = c.version == MQTT_V5 && (mode & 0x10) ? 96 : 0;
	now = 1;
	require(mqtt_session_memory_size(&c) <= sizeof(memory));
	require(mqtt_session_init(&s, &c, memory, sizeof(memory)) == 0);
	connect_again(mode, true, false);
}

/* Carries out the command at data[*at] and moves *at past it and what
 * it reads. */
static void
run_command(uint8_t mode, const uint8_t *data, size_t size, size_t *at)
{
	static const uint8_t payload[200];
	size_t i = *at;
	uint8_t op = data[i++];
	uint8_t arg = i < size ? data[i] : 0;
	struct mqtt_publish m;
	uint32_t token;
	size_t n;

	switch (op & 7) {
	case 0:
		i++;
		n = arg;
		if (n > size - i)
			n = size - i;
		if (mqtt_session_input(&s, now, data + i, n) < 0)
			require(mqtt_session_state(&s) == MQTT_SESSION_IDLE);
		i += n;
		break;
	case 1:
		i++;
		now += (uint64_t)arg * 100u;
		require(mqtt_session_tick(&s, now) >= now ||
			mqtt_session_state(&s) == MQTT_SESSION_IDLE);
		break;
	case 2:
		i++;
		transport_takes((size_t)arg * 4u);
		break;
	case 3:
		i++;
		memset(&m, 0, sizeof(m));
		m.topic.data = (const uint8_t *)topics[(op >> 4) % 3];
		m.topic.len = strlen(topics[(op >> 4) % 3]);
		m.payload.data = payload;
		m.payload.len = (size_t)(arg >> 2) * 3u;
		m.qos = arg & 3;
		m.retain = op & 8;
		(void)mqtt_session_publish(&s, &m, NULL, &token);
		break;
	case 4:
		i++;
		/* One filter, or two side by side. */
		(void)mqtt_session_subscribe(&s, &filters[arg & 3],
					     (arg & 3) < 3 && (arg & 4) ? 2 : 1,
					     (op & 8) ? 7 : 0, &token);
		break;
	case 5:
		i++;
		(void)mqtt_session_unsubscribe(&s, &filters[arg & 3].filter, 1,
					       &token);
		break;
	case 6:
		mqtt_session_transport_closed(&s);
		poll_all();
		connect_again(mode, false, op & 8);
		break;
	case 7:
		if (mqtt_session_disconnect(&s, 0) == 0) {
			transport_takes(SIZE_MAX);
			poll_all();
		}
		connect_again(mode, op & 8, false);
		break;
	}
	*at = i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 1;

	if (size < 1)
		return 0;
	start(data[0]);
	while (i < size) {
		uint8_t op = data[i];

		run_command(data[0], data, size, &i);
		require(mqtt_session_check(&s) == 0);
		poll_all();
		if (mqtt_session_state(&s) == MQTT_SESSION_IDLE) {
			/* Whatever ended it, the caller starts again. */
			transport_takes(SIZE_MAX);
			connect_again(data[0], false, op & 16);
		}
	}
	return 0;
}
