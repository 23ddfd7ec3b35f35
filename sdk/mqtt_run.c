/*
 * mqtt_run, mqtt_disconnect and mqtt_generate_client_id (sealnet/mqtt.h):
 * the events of a connection delivered as callbacks, the transports the
 * MQTT compartment asks for, and the connection made again, with what
 * this side kept, when that compartment restarted.
 */
#include "mqtt_link.h"
#include "network_calls.h"
#include "sealnet/mqtt.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "../bench/hop_trace.h"
#include "boot.h"
#include "sdk.h"

static _Alignas(8) uint8_t events_reply[SN_MAX_MESSAGE];

#define RECONNECT_FIRST_NS (250 * SN_MS)
#define RECONNECT_MAX_NS   (30ull * SN_SECOND)
/* Making a transport and the connection again takes a TLS handshake and
 * a CONNACK: given less, the attempt would be abandoned half made, each
 * time, however long the caller keeps calling mqtt_run. */
#define RECONNECT_TIME_NS (10ull * SN_SECOND)

static struct link *
link_of(sealnet_mqtt_connection c)
{
	struct link *l = &sn_mqtt_links[c.slot % SEALNET_MQTT_CONNECTIONS_MAX];

	if (c.slot >= SEALNET_MQTT_CONNECTIONS_MAX || !l->in_use ||
	    l->generation != c.generation)
		return NULL;
	return l;
}

static void
tell_state(struct link *l, bool up, int error, bool present)
{
	if (l->options.on_state != NULL)
		l->options.on_state(l->options.ctx, up, error, present);
}

/* The MQTT compartment restarted: the connection again, resuming the
 * broker's session, with the messages and subscriptions kept here.  A
 * failure waits, doubling, before the next attempt. */
static int
reestablish(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns)
{
	uint64_t wait = RECONNECT_FIRST_NS;
	bool present = false;
	int rc;

	if (sn_now_ns() < l->retry_ns)
		return -EAGAIN;
	rc = sn_mqtt_establish(
	    l, mqtt,
	    timeout_ns > RECONNECT_TIME_NS ? timeout_ns : RECONNECT_TIME_NS,
	    false, &present);
	if (rc == 0) {
		/* The CONNECTED event the new MQTT queued tells the state. */
		l->attempts = 0;
		return 0;
	}
	for (unsigned i = 0; i < l->attempts && wait < RECONNECT_MAX_NS; i++)
		wait *= 2;
	l->attempts++;
	l->retry_ns =
	    sn_now_ns() + (wait < RECONNECT_MAX_NS ? wait : RECONNECT_MAX_NS);
	return rc;
}

/* One event: its callback, or what it changes here. */
static int
deliver(struct link *l, sn_mqtt_event_ref e)
{
	uint16_t id = sn_mqtt_event_packet_id(e);
	struct kept *k = kept_find(l, id);
	uint32_t tl = 0, pl = 0;
	const char *topic;
	const uint8_t *payload;

	switch (sn_mqtt_event_kind(e)) {
	case SN_MQTT_EVENT_KIND_CONNECTED:
		tell_state(l, true, 0, sn_mqtt_event_session_present(e));
		return 1;
	case SN_MQTT_EVENT_KIND_DISCONNECTED:
		tell_state(l, false, sn_mqtt_event_error(e), false);
		return 1;
	case SN_MQTT_EVENT_KIND_MESSAGE:
		topic = sn_mqtt_event_topic(e, &tl);
		payload = sn_mqtt_event_payload(e, &pl);
		if (l->options.on_publish == NULL)
			return 0;
		l->options.on_publish(l->options.ctx, topic, tl, payload, pl,
				      sn_mqtt_event_qos(e),
				      sn_mqtt_event_retain(e));
		return 1;
	case SN_MQTT_EVENT_KIND_RECEIVED:
		/* Recorded: a new MQTT sends only its PUBREL. */
		if (k != NULL)
			k->released = true;
		return 0;
	case SN_MQTT_EVENT_KIND_PUBLISHED:
		if (k != NULL)
			kept_remove(l, k);
		if (l->options.on_ack == NULL)
			return 0;
		l->options.on_ack(l->options.ctx, id, sn_mqtt_event_error(e));
		return 1;
	default:
		return 0;
	}
}

static int
ask_events(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
	   sn_message_ref *reply)
{
	sn_builder *b = sn_call_builder(mqtt->owner);
	uint32_t body = sn_mqtt_run_start(b);

	sn_mqtt_run_add_connection(b, body, &l->handle);
	sn_mqtt_run_add_seen(b, body, l->seen);
	sn_mqtt_run_add_transport_error(b, body, l->transport_error);
	l->transport_error = 0;
	SEALNET_HOP("app.run", l->seen);
	return sn_call(mqtt, SN_EXPORT_MQTT_RUN, SN_BODY_MQTT_RUN, body,
		       timeout_ns, events_reply, sizeof(events_reply), reply);
}

/* MQTT asked for a transport: made here, handed over; a failure is told
 * with the next mqtt_run, and MQTT backs off. */
static void
give_transport(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns)
{
	_Alignas(8) uint8_t reply[512];
	sn_handle transport;
	int rc = sn_mqtt_make_transport(l, timeout_ns, &transport);

	if (rc == 0) {
		sn_builder *b = sn_call_builder(mqtt->owner);
		uint32_t body = sn_mqtt_transport_start(b);
		sn_mqtt_transport_add_connection(b, body, &l->handle);
		sn_mqtt_transport_add_transport(b, body, &transport);
		rc = sn_call(mqtt, SN_EXPORT_MQTT_RECONNECT,
			     SN_BODY_MQTT_TRANSPORT, body, timeout_ns, reply,
			     sizeof(reply), NULL);
	}
	if (rc < 0 && rc != -EALREADY)
		l->transport_error = rc;
}

static int
run_once(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns)
{
	sn_message_ref reply;
	int rc = ask_events(l, mqtt, timeout_ns, &reply), n = 0;

	if (rc == -SEALNET_ECOMPARTMENT) {
		l->broken = true;
		tell_state(l, false, rc, false);
		return 1;
	}
	if (rc < 0)
		return rc;
	sn_mqtt_events_ref ev = sn_message_body_as_mqtt_events(reply);
	bool wanted = sn_mqtt_events_transport_wanted(ev);
	uint32_t count = sn_mqtt_events_events_count(ev);

	SEALNET_HOP("app.events", count);
	for (uint32_t i = 0; i < count; i++) {
		sn_mqtt_event_ref e = sn_mqtt_events_events_at(ev, i);

		/* Taken: told to MQTT with the next mqtt_run. */
		l->seen = sn_mqtt_event_seq(e);
		n += deliver(l, e);
		if (!l->in_use)
			return n;
	}
	if (wanted)
		give_transport(l, mqtt, RECONNECT_TIME_NS);
	return n;
}

/* QoS 0 publishes sent ahead that MQTT refused (mqtt_ahead.h): each
 * told to the ack callback with packet identifier 0. */
static int
tell_refused(struct link *l)
{
	int n = 0;

	while (l->in_use && l->ahead.refused > 0) {
		l->ahead.refused--;
		if (l->options.on_ack == NULL)
			continue;
		l->options.on_ack(l->options.ctx, 0, l->ahead.refused_error);
		n++;
	}
	return n;
}

int
mqtt_run(uint64_t timeout_ns, sealnet_mqtt_connection c)
{
	uint64_t deadline = sn_now_ns() + timeout_ns;
	struct link *l = link_of(c);
	struct sn_peer *mqtt;
	int rc;

	if ((rc = sn_sdk_peer(SN_EXPORT_MQTT_RUN, __func__, &mqtt)) < 0)
		return rc;
	if (l == NULL)
		return -ENOENT;
	if (l->running)
		return -EBUSY;
	l->running = true;
	if ((rc = tell_refused(l)) > 0) {
		/* Told at once, without waiting for events. */
		l->running = false;
		return rc;
	}
	if (l->broken || l->mqtt_incarnation != mqtt->incarnation) {
		if (!l->broken) {
			/* MQTT restarted while no mqtt_run waited on it: the
			 * owner learns of it once, here. */
			l->broken = true;
			tell_state(l, false, -SEALNET_ECOMPARTMENT, false);
		}
		rc = reestablish(l, mqtt, timeout_ns);
		if (rc < 0) {
			/* Nothing to do until the next attempt. */
			uint64_t until =
			    l->retry_ns < deadline ? l->retry_ns : deadline;
			sealnet_wait(until > sn_now_ns() ? until - sn_now_ns()
							 : 0);
			rc = 0;
		}
	} else {
		rc = run_once(l, mqtt, timeout_ns);
	}
	l->running = false;
	return rc;
}

int
mqtt_disconnect(uint64_t timeout_ns, sealnet_mqtt_connection c,
		bool publish_will)
{
	_Alignas(8) uint8_t reply[512];
	struct link *l = link_of(c);
	struct sn_peer *mqtt;
	int rc;

	if ((rc = sn_sdk_peer(SN_EXPORT_MQTT_DISCONNECT, __func__, &mqtt)) < 0)
		return rc;
	if (l == NULL)
		return -ENOENT;
	if (!l->broken && l->mqtt_incarnation == mqtt->incarnation) {
		sn_builder *b = sn_call_builder(mqtt->owner);
		uint32_t body = sn_mqtt_disconnect_start(b);
		sn_mqtt_disconnect_add_connection(b, body, &l->handle);
		sn_mqtt_disconnect_add_publish_will(b, body, publish_will);
		rc = sn_call(mqtt, SN_EXPORT_MQTT_DISCONNECT,
			     SN_BODY_MQTT_DISCONNECT, body, timeout_ns, reply,
			     sizeof(reply), NULL);
	}
	kept_clear(l);
	l->in_use = false;
	return rc == -SEALNET_ECOMPARTMENT ? 0 : rc;
}

int
mqtt_generate_client_id(char *buffer, size_t length)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t random[128];

	if (buffer == NULL || length < 2 || length > sizeof(random))
		return -EINVAL;
	if (getrandom(random, length - 1, 0) != (ssize_t)(length - 1))
		return -EIO;
	for (size_t i = 0; i + 1 < length; i++)
		buffer[i] = alphabet[random[i] % (sizeof(alphabet) - 1)];
	buffer[length - 1] = 0;
	return 0;
}
