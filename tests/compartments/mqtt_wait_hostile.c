/*
 * The hostile application of tests/attack/parked-mqtt-waits.sh: the MQTT
 * compartment's side of tests/attack/parked-waits.sh.  Its broker accepts
 * the CONNECT and never answers anything else.  It makes MQTT
 * connections up to its quota, parks an mqtt_run and as many subscribes
 * as a connection takes on every one (each waits for an event or a
 * SUBACK that never comes), asks for one more of each, connects past the
 * quota, then floods MQTT: subscribes and runs whose slots are taken,
 * runs on a handle it made up, unsubscribes, which the image does not
 * let it call, and QoS 0 publishes sent without waiting for each answer
 * (taken until the connection's queue is full, then -ENOBUFS).  It logs what
 * each got, as RESULT lines, and keeps everything until it is killed; its
 * successor connects and parks the same again, which it can only if MQTT
 * released its predecessor's connections.
 *
 * The public SDK makes the connections; the calls are parked with the
 * runtime's asynchronous calls on the MQTT compartment's handles, which
 * the SDK keeps (sdk/mqtt_link.h) and an attacker can read.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "../../sdk/mqtt_link.h"
#include "boot.h"
#include "hostile_probes.h"
#include "log.h"
#include "waiting.h"

SEALNET_COMPARTMENT("mqtt_wait_hostile");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_delegate);
SEALNET_IMPORT(tls_connection_close);
SEALNET_IMPORT(mqtt_connect);
SEALNET_IMPORT(mqtt_reconnect);
SEALNET_IMPORT(mqtt_subscribe);
SEALNET_IMPORT(mqtt_publish);
SEALNET_IMPORT(mqtt_run);
SEALNET_IMPORT(mqtt_disconnect);
/* A broker that sends CONNACK and nothing more. */
SEALNET_MQTT_CAPABILITY(mute, "mute.test", 8885, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_SUBSCRIBE(mute, "hostile/#");
SEALNET_MQTT_PUBLISH(mute, "hostile/#");
/* The test opens this port when the attack may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7009);
/* One fewer connection than this compartment's SDK keeps, so that the
 * connect past the quota meets MQTT's quota and not the SDK's table;
 * each with a run and MQTT_REQUESTS (8) subscribes parked: 63 waits, more
 * than a caller may have calls in flight (SN_MAX_IN_FLIGHT, 16). */
#define QUOTA	 (SEALNET_MQTT_CONNECTIONS_MAX - 1)
#define REQUESTS 8u
#define WAITS	 (QUOTA * (1 + REQUESTS))
SEALNET_QUOTA(mqtt_connections, QUOTA);
SEALNET_QUOTA(tls_sessions, QUOTA + 1);
SEALNET_QUOTA(sockets, QUOTA + 4);
SEALNET_RESTART(on_failure, 3);

#define T	   (20 * SN_SECOND)
#define PARK_FOR   (600 * SN_SECOND)
#define ONE_MORE_T (500 * SN_MS)

static struct sn_compartment *self;
static struct sn_peer *mqtt;
static sealnet_mqtt_connection conns[QUOTA];
static unsigned nconns;

static int parked_status[WAITS];

static struct link *
link_of(sealnet_mqtt_connection c)
{
	return &sn_mqtt_links[c.slot % SEALNET_MQTT_CONNECTIONS_MAX];
}

static uint32_t
run_body(sn_builder *b, sn_handle h, uint64_t seen)
{
	uint32_t body = sn_mqtt_run_start(b);

	sn_mqtt_run_add_connection(b, body, &h);
	sn_mqtt_run_add_seen(b, body, seen);
	return body;
}

static uint32_t
subscribe_body(sn_builder *b, sn_handle h)
{
	uint32_t body = sn_mqtt_subscribe_start(b);
	uint32_t vec = sn_mqtt_subscribe_start_subscriptions(b, body, 1);
	uint32_t t = sn_mqtt_subscription_start(b);

	sn_mqtt_subscribe_add_connection(b, body, &h);
	sn_mqtt_subscription_add_filter(b, t, "hostile/x", 9);
	sn_mqtt_subscription_add_options(b, t, 1);
	sn_builder_set_table_at(b, vec, 0, t);
	return body;
}

/* A QoS 0 message, as the SDK sends those it need not wait for. */
static uint32_t
publish_body(sn_builder *b, sn_handle h)
{
	static const uint8_t payload[256];
	uint32_t body = sn_mqtt_publish_start(b);

	sn_mqtt_publish_add_connection(b, body, &h);
	sn_mqtt_publish_add_topic(b, body, "hostile/x", 9);
	sn_mqtt_publish_add_payload(b, body, payload, sizeof(payload));
	return body;
}

static uint32_t
unsubscribe_body(sn_builder *b, sn_handle h)
{
	uint32_t body = sn_mqtt_unsubscribe_start(b);
	uint32_t vec = sn_mqtt_unsubscribe_start_filters(b, body, 1);
	uint32_t t = sn_mqtt_filter_start(b);

	sn_mqtt_unsubscribe_add_connection(b, body, &h);
	sn_mqtt_filter_add_filter(b, t, "hostile/x", 9);
	sn_builder_set_table_at(b, vec, 0, t);
	return body;
}

static int
call_run(sealnet_mqtt_connection c, sn_reply_fn done, void *ctx,
	 uint64_t timeout_ns)
{
	struct link *l = link_of(c);
	sn_builder *b = sn_call_builder(self);

	return sn_call_async(mqtt, SN_EXPORT_MQTT_RUN, SN_BODY_MQTT_RUN,
			     run_body(b, l->handle, l->seen), timeout_ns, done,
			     ctx);
}

static int
call_subscribe(sealnet_mqtt_connection c, sn_reply_fn done, void *ctx,
	       uint64_t timeout_ns)
{
	sn_builder *b = sn_call_builder(self);

	return sn_call_async(
	    mqtt, SN_EXPORT_MQTT_SUBSCRIBE, SN_BODY_MQTT_SUBSCRIBE,
	    subscribe_body(b, link_of(c)->handle), timeout_ns, done, ctx);
}

static unsigned
still_parked(void)
{
	return hostile_still_parked(parked_status, nconns * (1 + REQUESTS));
}

/* A call's outcome, once it is answered (or the wait ends). */
static int
answer_of(int (*call)(sealnet_mqtt_connection, sn_reply_fn, void *, uint64_t),
	  sealnet_mqtt_connection c)
{
	int status = HOSTILE_NOT_YET,
	    rc = call(c, hostile_parked_answer, &status, ONE_MORE_T);
	uint64_t end = sn_now_ns() + ONE_MORE_T + 100 * SN_MS;

	if (rc < 0)
		return rc;
	while (status == HOSTILE_NOT_YET && sn_now_ns() < end)
		sn_loop_run_once(&self->loop, end);
	return status;
}

/* ---- the flood ---- */

enum flood_kind {
	FLOOD_SUBSCRIBE,   /* every request slot taken */
	FLOOD_RUN,	   /* a run already parked */
	FLOOD_FORGED,	   /* a run on a handle it made up */
	FLOOD_UNSUBSCRIBE, /* not imported */
	FLOOD_PUBLISH,	   /* QoS 0, never waiting: the queue's bound */
	FLOOD_KINDS
};

static struct hostile_flood flood = {
    .kinds = {[FLOOD_SUBSCRIBE] = {.name = "subscribe", .expected = -EBUSY},
	      [FLOOD_RUN] = {.name = "run", .expected = -EBUSY},
	      [FLOOD_FORGED] = {.name = "forged", .expected = -EPERM},
	      [FLOOD_UNSUBSCRIBE] = {.name = "unsubscribe", .expected = -EPERM},
	      [FLOOD_PUBLISH] = {.name = "publish",
				 .expected = 0,
				 .has_also = true,
				 .also = -ENOBUFS}},
    .nkinds = FLOOD_KINDS,
};

static int
flood_one(unsigned kind, unsigned round, sn_reply_fn done, void *ctx)
{
	sealnet_mqtt_connection c = conns[round % nconns];
	sn_builder *b;
	sn_handle h;

	switch ((enum flood_kind)kind) {
	case FLOOD_SUBSCRIBE:
		return call_subscribe(c, done, ctx, T);
	case FLOOD_RUN:
		return call_run(c, done, ctx, T);
	case FLOOD_FORGED:
		b = sn_call_builder(self);
		h = link_of(c)->handle;
		h.tag ^= UINT64_C(0x5a5a5a5a5a5a5a5a);
		return sn_call_async(mqtt, SN_EXPORT_MQTT_RUN, SN_BODY_MQTT_RUN,
				     run_body(b, h, 0), T, done, ctx);
	case FLOOD_PUBLISH:
		b = sn_call_builder(self);
		return sn_call_async(
		    mqtt, SN_EXPORT_MQTT_PUBLISH, SN_BODY_MQTT_PUBLISH,
		    publish_body(b, link_of(c)->handle), T, done, ctx);
	case FLOOD_UNSUBSCRIBE:
	default:
		b = sn_call_builder(self);
		return sn_call_async(
		    mqtt, SN_EXPORT_MQTT_UNSUBSCRIBE, SN_BODY_MQTT_UNSUBSCRIBE,
		    unsubscribe_body(b, link_of(c)->handle), T, done, ctx);
	}
}

/* ---- the attack ---- */

static void
connect_to_quota(void)
{
	struct sealnet_mqtt_options o = {.clean_session = true};
	char id[QUOTA + 1][24];
	sealnet_mqtt_connection c;
	int rc;

	for (;;) {
		if ((rc = mqtt_generate_client_id(id[nconns], sizeof(id[0]))) <
		    0)
			break;
		o.client_id = id[nconns];
		rc = mqtt_connect(T, SEALNET_CAPABILITY(mute), &o, &c);
		if (rc < 0 || nconns == QUOTA)
			break;
		conns[nconns++] = c;
	}
	sn_log("RESULT hostile connections: %u, then %s", nconns,
	       rc ? strerror(-rc) : "one more");
	/* Each connection's "connected" event, so that its next run waits. */
	for (unsigned i = 0; i < nconns; i++)
		if (mqtt_run(100 * SN_MS, conns[i]) < 0)
			sn_log("RESULT hostile: a first run failed");
}

static void
park_all(void)
{
	unsigned parked = 0, busy_run = 0, busy_subscribe = 0;

	for (unsigned i = 0; i < nconns; i++) {
		int *status = &parked_status[i * (1 + REQUESTS)];

		for (unsigned j = 0; j < 1 + REQUESTS; j++)
			status[j] = HOSTILE_NOT_YET;
		parked += call_run(conns[i], hostile_parked_answer, &status[0],
				   PARK_FOR) == 0;
		for (unsigned j = 1; j <= REQUESTS; j++)
			parked +=
			    call_subscribe(conns[i], hostile_parked_answer,
					   &status[j], PARK_FOR) == 0;
	}
	sn_loop_run_once(&self->loop, sn_now_ns() + 300 * SN_MS);
	sn_log("RESULT hostile parked: %u calls, %u still waiting", parked,
	       still_parked());
	for (unsigned i = 0; i < nconns; i++) {
		busy_run += answer_of(call_run, conns[i]) == -EBUSY;
		busy_subscribe += answer_of(call_subscribe, conns[i]) == -EBUSY;
	}
	sn_log("RESULT hostile one more run: %u of %u refused with %s",
	       busy_run, nconns, strerror(EBUSY));
	sn_log("RESULT hostile one more subscribe: %u of %u refused with %s",
	       busy_subscribe, nconns, strerror(EBUSY));
}

int
main(void)
{
	mqtt =
	    hostile_begin(SN_EXPORT_MQTT_RUN, "MQTT", SEALNET_CAPABILITY(go));
	if (mqtt == NULL)
		return 1;
	self = sn_compartment_self();
	connect_to_quota();
	if (nconns == 0)
		return 1;
	park_all();
	if (sealnet_incarnation() == 1)
		hostile_flood(self, &flood, flood_one, T);
	sn_log("RESULT hostile holds %u parked calls", still_parked());
	hostile_hold(self);
}
