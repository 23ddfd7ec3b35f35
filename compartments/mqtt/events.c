/*
 * What a connection's session reports, turned into what its owner learns
 * from mqtt_run (the inbox) or from the call that waits for it (connect,
 * subscribe, unsubscribe), and what the owner's taking of events lets go.
 */
#include <errno.h>
#include <string.h>

#include "../../bench/hop_trace.h"
#include "connection.h"
#include "log.h"

/* The events a mqtt_run answer carries at most, in bytes of topic and
 * payload: the rest wait for the next one. */
#define RUN_ANSWER_BYTES (SN_MAX_MESSAGE - 4096)

static void
push(struct conn *c, uint8_t kind, const struct mqtt_event *ev)
{
	struct inbox_event e = {
	    .kind = kind,
	    .reason_code = ev->reason_code,
	    .packet_id = ev->packet_id,
	    .error = ev->error,
	    .session_present = ev->session_present,
	};
	const void *topic = NULL, *payload = NULL;

	if (kind == SN_MQTT_EVENT_KIND_MESSAGE) {
		e.qos = ev->message.qos;
		e.retain = ev->message.retain;
		e.topic_len = (uint32_t)ev->message.topic.len;
		e.payload_len = (uint32_t)ev->message.payload.len;
		topic = ev->message.topic.data;
		payload = ev->message.payload.data;
	}
	/* Room was made sure of before the event was taken. */
	if (inbox_push(&c->inbox, &e, topic, payload) < 0)
		sn_log("%s: an event was lost: the inbox was full",
		       c->owner->name);
}

static void
answer_connected(struct conn *c, const struct mqtt_event *ev)
{
	sn_builder *b = sn_reply_builder(&compartment);
	sn_handle h = {c->id.slot, c->id.generation, c->id.tag};
	uint32_t body = sn_mqtt_connected_start(b);

	sn_mqtt_connected_add_connection(b, body, &h);
	sn_mqtt_connected_add_session_present(b, body, ev->session_present);
	(void)sn_deferred_ok(&c->connect_wait, SN_BODY_MQTT_CONNECTED, body);
	c->connect_waiting = false;
}

static void
on_closed(struct conn *c, const struct mqtt_event *ev)
{
	if (c->state == CONN_CLOSING)
		return;
	sn_log("%s: connection to %s:%u closed: %s (%s, reason 0x%02x)",
	       c->owner->name, c->cap.host, c->cap.port,
	       mqtt_fault_name(ev->fault), strerror(-ev->error),
	       ev->reason_code);
	if (c->connect_waiting) {
		/* The first connection: its caller learns why. */
		(void)sn_deferred_error(&c->connect_wait,
					ev->error < 0 ? ev->error : -EIO);
		c->connect_waiting = false;
		conn_free(c);
		return;
	}
	push(c, SN_MQTT_EVENT_KIND_DISCONNECTED, ev);
	conn_back_off(c);
}

static void
answer_request(struct conn *c, const struct mqtt_event *ev)
{
	for (unsigned i = 0; i < MQTT_REQUESTS; i++) {
		if (!c->requests[i].waiting ||
		    c->requests[i].token != ev->token)
			continue;
		sn_builder *b = sn_reply_builder(&compartment);
		uint32_t body = sn_mqtt_granted_start(b);
		if (ev->reason_codes.len > 0)
			sn_mqtt_granted_add_reason_codes(
			    b, body, ev->reason_codes.data,
			    (uint32_t)ev->reason_codes.len);
		sn_mqtt_granted_add_error(b, body, ev->error);
		(void)sn_deferred_ok(&c->requests[i].wait, SN_BODY_MQTT_GRANTED,
				     body);
		c->requests[i].waiting = false;
		return;
	}
}

static void
handle(struct conn *c, const struct mqtt_event *ev)
{
	switch (ev->type) {
	case MQTT_EVENT_CONNECTED:
		c->state = CONN_UP;
		c->attempts = 0;
		if (c->connect_waiting)
			answer_connected(c, ev);
		push(c, SN_MQTT_EVENT_KIND_CONNECTED, ev);
		break;
	case MQTT_EVENT_CLOSED:
		on_closed(c, ev);
		break;
	case MQTT_EVENT_MESSAGE:
		push(c, SN_MQTT_EVENT_KIND_MESSAGE, ev);
		break;
	case MQTT_EVENT_PUBLISHED:
		push(c, SN_MQTT_EVENT_KIND_PUBLISHED, ev);
		break;
	case MQTT_EVENT_RECEIVED:
		push(c, SN_MQTT_EVENT_KIND_RECEIVED, ev);
		break;
	case MQTT_EVENT_SUBSCRIBED:
	case MQTT_EVENT_UNSUBSCRIBED:
		answer_request(c, ev);
		break;
	default:
		break;
	}
}

void
conn_take_events(struct conn *c)
{
	struct mqtt_event ev;

	/* An event is taken only with room for the largest message. */
	while (c->state != CONN_FREE &&
	       inbox_fits_any_message(&c->inbox, MQTT_PACKET_MAX,
				      MQTT_ALIAS_BYTES) &&
	       mqtt_session_poll(&c->session, &ev) == 1)
		handle(c, &ev);
	/* One answer for all the bytes just read: a broker's PUBACK and the
	 * message that follows it cost the application one wake-up. */
	if (c->state != CONN_FREE)
		conn_answer_run(c, false);
}

static bool
wants_transport(const struct conn *c)
{
	return c->state == CONN_WAITING && c->transport_asked;
}

/* How many events after `after` one answer carries. */
static uint32_t
answer_count(const struct conn *c, uint64_t after)
{
	struct inbox_event e;
	const uint8_t *topic, *payload;
	size_t cursor = 0, bytes = 0;
	uint32_t n = 0;

	while (inbox_next(&c->inbox, after, &cursor, &e, &topic, &payload)) {
		bytes += e.topic_len + e.payload_len + 64;
		if (n > 0 && bytes > RUN_ANSWER_BYTES)
			break;
		n++;
	}
	return n;
}

static uint32_t
event_table(sn_builder *b, const struct inbox_event *e, const uint8_t *topic,
	    const uint8_t *payload)
{
	uint32_t t = sn_mqtt_event_start(b);

	sn_mqtt_event_add_seq(b, t, e->seq);
	sn_mqtt_event_add_kind(b, t, e->kind);
	sn_mqtt_event_add_error(b, t, e->error);
	sn_mqtt_event_add_reason_code(b, t, e->reason_code);
	sn_mqtt_event_add_packet_id(b, t, e->packet_id);
	sn_mqtt_event_add_session_present(b, t, e->session_present);
	sn_mqtt_event_add_qos(b, t, e->qos);
	sn_mqtt_event_add_retain(b, t, e->retain);
	if (e->kind == SN_MQTT_EVENT_KIND_MESSAGE) {
		sn_mqtt_event_add_topic(b, t, (const char *)topic,
					e->topic_len);
		sn_mqtt_event_add_payload(b, t, payload, e->payload_len);
	}
	return t;
}

void
conn_answer_run(struct conn *c, bool now)
{
	uint32_t n;

	if (!c->run_waiting)
		return;
	n = answer_count(c, c->run_seen);
	if (n == 0 && !wants_transport(c) && !now)
		return;
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_mqtt_events_start(b);
	uint32_t vec = sn_mqtt_events_start_events(b, body, n);
	struct inbox_event e;
	const uint8_t *topic, *payload;
	size_t cursor = 0;

	for (uint32_t i = 0; i < n && inbox_next(&c->inbox, c->run_seen,
						 &cursor, &e, &topic, &payload);
	     i++)
		sn_builder_set_table_at(b, vec, i,
					event_table(b, &e, topic, payload));
	sn_mqtt_events_add_transport_wanted(b, body, wants_transport(c));
	SEALNET_HOP("mqtt.run.answer", n);
	(void)sn_deferred_ok(&c->run_wait, SN_BODY_MQTT_EVENTS, body);
	c->run_waiting = false;
	if (n > 0)
		conn_hold_output(c);
}

static void
taken(void *ctx, const struct inbox_event *ev)
{
	struct conn *c = ctx;

	/* The owner has recorded that the broker has it: its PUBREL may
	 * go, and the broker may forget its identifier. */
	if (ev->kind == SN_MQTT_EVENT_KIND_RECEIVED)
		(void)mqtt_session_release(&c->session, ev->packet_id);
}

void
conn_events_taken(struct conn *c, uint64_t seen)
{
	inbox_take(&c->inbox, seen, taken, c);
}

int
conn_request_slot(struct conn *c)
{
	for (unsigned i = 0; i < MQTT_REQUESTS; i++)
		if (!c->requests[i].waiting)
			return (int)i;
	return -1;
}
