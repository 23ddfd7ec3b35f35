/*
 * The MQTT compartment's connections: the table, and the shell that moves
 * each one's bytes between its session and the transport its owner
 * delegated to us, through TLS's (or, plaintext, TCPIP's) calls on that
 * transport alone.  See connection.h for a connection's states.
 */
#include "connection.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>

#include "boot.h"
#include "log.h"

static struct conn conns[MQTT_CONNECTIONS_MAX];
static _Alignas(8) uint8_t
    session_memory[MQTT_CONNECTIONS_MAX][MQTT_SESSION_MEMORY];
static _Alignas(8) uint8_t inbox_memory[MQTT_CONNECTIONS_MAX][MQTT_INBOX_BYTES];
static struct sn_handle_entry handle_slots[MQTT_CONNECTIONS_MAX];
static struct sn_handle_table handles;
static struct {
	uint64_t quota_refusals, handles_refused;
} stats;

static const struct mqtt_session_config session_config = {
    .input_bytes = MQTT_PACKET_MAX,
    .output_bytes = MQTT_PACKET_MAX,
    .max_inflight = MQTT_MAX_INFLIGHT,
    .queue_messages = MQTT_QUEUE_MESSAGES,
    .queue_bytes = MQTT_QUEUE_BYTES,
    .inbound_qos2 = MQTT_INBOUND_QOS2,
    .ack_queue = MQTT_ACK_QUEUE,
    .topic_aliases = MQTT_TOPIC_ALIASES,
    .alias_topic_bytes = MQTT_ALIAS_BYTES,
    .out_topic_aliases = MQTT_OUT_TOPIC_ALIASES,
    .subscriptions = MQTT_SUBSCRIPTIONS,
    .subscription_bytes = MQTT_SUB_BYTES,
    .requests = MQTT_REQUESTS,
    .request_bytes = MQTT_REQUEST_BYTES,
    .durable = true,
};

void
connections_init(void)
{
	sn_handle_table_init(&handles, handle_slots, MQTT_CONNECTIONS_MAX);
	for (unsigned i = 0; i < MQTT_CONNECTIONS_MAX; i++)
		conns[i].timer = -1;
}

static uint64_t
now_ms(void)
{
	return sn_now_ns() / SN_MS;
}

struct conn *
conn_alloc(struct sn_peer *owner, int *rc)
{
	struct conn *c = NULL;
	unsigned slot = 0;

	for (; slot < MQTT_CONNECTIONS_MAX && c == NULL; slot++)
		if (conns[slot].state == CONN_FREE)
			c = &conns[slot];
	*rc = c == NULL ? -ENOSPC
			: sn_quota_take(owner, SN_QUOTA_MQTT_CONNECTIONS, 1);
	if (*rc == -EDQUOT && sn_log_worth(++stats.quota_refusals))
		sn_log("%s is at its quota of %llu MQTT connections",
		       owner->name,
		       (unsigned long long)
			   owner->quota[SN_QUOTA_MQTT_CONNECTIONS]);
	if (*rc < 0)
		return NULL;
	slot--;
	uint32_t use = c->use + 1;
	memset(c, 0, offsetof(struct conn, session));
	c->use = use;
	c->timer = -1;
	c->owner = owner;
	c->owner_identity = sn_peer_identity(owner);
	*rc = sn_handle_alloc(&handles, c->owner_identity, c, &c->id);
	if (*rc < 0) {
		sn_quota_give(owner, SN_QUOTA_MQTT_CONNECTIONS, 1);
		return NULL;
	}
	c->state = CONN_WAITING;
	inbox_init(&c->inbox, inbox_memory[slot], MQTT_INBOX_BYTES);
	return c;
}

/* The session, at the level the capability names. */
int
conn_session_init(struct conn *c)
{
	struct mqtt_session_config cfg = session_config;

	cfg.version = c->cap.mqtt_version == 4 ? MQTT_V311 : MQTT_V5;
	return mqtt_session_init(&c->session, &cfg, session_memory[c - conns],
				 sizeof(session_memory[0]));
}

struct conn *
conn_lookup(struct sn_peer *p, sn_handle h)
{
	struct sn_handle_id id = {h.slot, h.generation, h.tag};
	void *object;

	if (sn_handle_lookup(&handles, sn_peer_identity(p), &id, &object) < 0) {
		if (sn_log_worth(++stats.handles_refused))
			sn_log("refused a connection handle from %s (%llu so "
			       "far)",
			       p->name,
			       (unsigned long long)stats.handles_refused);
		return NULL;
	}
	/* The owner's next call: whatever the hold kept goes with it. */
	((struct conn *)object)->hold_output_until_ns = 0;
	return object;
}

/* ---- tickets ---- */

_Static_assert(MQTT_CONNECTIONS_MAX <= 256,
	       "a ticket keeps the slot in 8 bits");

void *
conn_ticket(const struct conn *c)
{
	return (void *)(uintptr_t)((uint64_t)c->use << 8 |
				   (uint64_t)(c - conns));
}

struct conn *
conn_from_ticket(void *ctx)
{
	uintptr_t t = (uintptr_t)ctx;
	struct conn *c = &conns[t & 0xff];

	return c->state != CONN_FREE && c->use == (uint32_t)(t >> 8) ? c : NULL;
}

/* ---- life ---- */

int
conn_start(struct conn *c, sn_handle transport)
{
	int rc;

	c->transport = transport;
	c->have_transport = true;
	c->transport_asked = false;
	c->options.connect_timeout_ms = MQTT_CONNECT_TIMEOUT_MS;
	rc = mqtt_session_connect(&c->session, now_ms(), &c->options);
	if (rc < 0) {
		transport_close(c);
		return rc;
	}
	/* Later connections resume the session this one starts. */
	c->options.packet.clean_start = false;
	c->state = CONN_CONNECTING;
	return 0;
}

void
conn_transport_lost(struct conn *c, int error)
{
	if (mqtt_session_state(&c->session) != MQTT_SESSION_IDLE)
		mqtt_session_transport_closed(&c->session);
	else
		transport_close(c);
	(void)error;
	conn_run(c);
}

/* The next attempt: a wait that doubles from MQTT_BACKOFF_FIRST_MS up to
 * MQTT_BACKOFF_MAX_MS, plus a random part of up to half of it, so that
 * many clients of one broker do not come back in step. */
void
conn_back_off(struct conn *c)
{
	uint32_t wait = MQTT_BACKOFF_FIRST_MS, jitter = 0;

	for (unsigned i = 0; i < c->attempts && wait < MQTT_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > MQTT_BACKOFF_MAX_MS)
		wait = MQTT_BACKOFF_MAX_MS;
	if (getrandom(&jitter, sizeof(jitter), GRND_NONBLOCK) != sizeof(jitter))
		jitter = 0;
	c->retry_ms = now_ms() + wait + jitter % (wait / 2 + 1);
	c->attempts++;
	c->transport_asked = false;
	transport_close(c);
	c->state = CONN_WAITING;
}

void
conn_transport_failed(struct conn *c, int error)
{
	/* While a transport is checked, the owner has made one. */
	if (c->state != CONN_WAITING || !c->transport_asked || c->checking)
		return;
	sn_log("%s could not make a transport to %s:%u (%d); trying again",
	       c->owner->name, c->cap.host, c->cap.port, error);
	conn_back_off(c);
}

static void
answer_waiting(bool *waiting, struct sn_deferred *d, int code)
{
	if (*waiting)
		(void)sn_deferred_error(d, code);
	*waiting = false;
}

void
conn_free(struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	if (c->timer >= 0)
		(void)sn_loop_cancel_timer(&compartment.loop, c->timer);
	c->timer = -1;
	uintptr_t closed = transport_close(c);
	answer_waiting(&c->connect_waiting, &c->connect_wait, -ENOTCONN);
	answer_waiting(&c->run_waiting, &c->run_wait, -ENOTCONN);
	answer_waiting(&c->reconnect_waiting, &c->reconnect_wait, -ENOTCONN);
	c->checking = false;
	for (unsigned i = 0; i < MQTT_REQUESTS; i++)
		answer_waiting(&c->requests[i].waiting, &c->requests[i].wait,
			       -ENOTCONN);
	if (c->disconnect_waiting &&
	    !transport_close_answers(closed, &c->disconnect_wait))
		transport_answer_disconnect(&c->disconnect_wait);
	c->disconnect_waiting = false;
	if (sn_handle_release(&handles, c->owner_identity, &c->id, NULL) < 0)
		sn_log("a connection's handle was not its owner's");
	sn_quota_give(c->owner, SN_QUOTA_MQTT_CONNECTIONS, 1);
	/* Passwords and messages do not outlive the connection here. */
	memset(&c->options, 0, sizeof(c->options));
	memset(session_memory[c - conns], 0, sizeof(session_memory[0]));
	c->state = CONN_FREE;
	c->use++;
}

/* ---- the pump ---- */

static void
on_timer(void *ctx)
{
	struct conn *c = &conns[(uintptr_t)ctx];

	c->timer = -1;
	if (c->state != CONN_FREE)
		conn_run(c);
}

static void
arm_timer(struct conn *c)
{
	uint64_t at = mqtt_session_next_deadline(&c->session);
	uint64_t ns;

	if (c->state == CONN_WAITING && !c->transport_asked && c->retry_ms < at)
		at = c->retry_ms;
	if (c->state == CONN_CLOSING && c->closing_until_ms < at)
		at = c->closing_until_ms;
	ns = at == UINT64_MAX ? UINT64_MAX : at * SN_MS;
	if (c->run_waiting && c->run_wait.deadline_ns != 0 &&
	    c->run_wait.deadline_ns - MQTT_RUN_MARGIN_NS < ns)
		ns = c->run_wait.deadline_ns - MQTT_RUN_MARGIN_NS;
	if (c->connect_waiting && c->connect_wait.deadline_ns != 0 &&
	    c->connect_wait.deadline_ns < ns)
		ns = c->connect_wait.deadline_ns;
	if (c->hold_output_until_ns > sn_now_ns() &&
	    c->hold_output_until_ns < ns)
		ns = c->hold_output_until_ns;
	if (c->timer >= 0)
		(void)sn_loop_cancel_timer(&compartment.loop, c->timer);
	c->timer = -1;
	if (ns != UINT64_MAX)
		c->timer = sn_loop_add_timer(&compartment.loop, ns, on_timer,
					     (void *)(uintptr_t)(c - conns));
}

void
conn_hold_output(struct conn *c)
{
	c->hold_output_until_ns = sn_now_ns() + MQTT_ACK_HOLD_NS;
	arm_timer(c);
}

/* Bytes received go to the session as far as it takes them. */
static void
feed(struct conn *c)
{
	while (c->rx_len > 0 &&
	       mqtt_session_state(&c->session) != MQTT_SESSION_IDLE) {
		ssize_t n = mqtt_session_input(&c->session, now_ms(),
					       c->rx + c->rx_start, c->rx_len);

		if (n <= 0)
			return;
		c->rx_start += (uint32_t)n;
		c->rx_len -= (uint32_t)n;
		conn_take_events(c);
	}
}

/* One step: returns whether it did anything. */
static bool
step(struct conn *c)
{
	const uint8_t *out;

	/* Nothing moves on a transport until its server is known. */
	if (c->checking)
		return false;
	feed(c);
	conn_take_events(c);
	if (c->state == CONN_FREE)
		return false;
	if (now_ms() >= mqtt_session_next_deadline(&c->session)) {
		(void)mqtt_session_tick(&c->session, now_ms());
		return true;
	}
	if (c->have_transport && !c->send_in_flight &&
	    sn_now_ns() >= c->hold_output_until_ns &&
	    mqtt_session_output(&c->session, &out) > 0) {
		if (transport_send(c) < 0)
			conn_transport_lost(c, -EPERM);
		return true;
	}
	if (c->state == CONN_CLOSING && !c->send_in_flight &&
	    (!c->have_transport || now_ms() >= c->closing_until_ms)) {
		conn_free(c);
		return false;
	}
	if (c->have_transport && !c->receive_in_flight && c->rx_len == 0) {
		if (transport_receive(c) < 0)
			conn_transport_lost(c, -EPERM);
		return true;
	}
	if (c->state == CONN_WAITING && !c->transport_asked &&
	    now_ms() >= c->retry_ms) {
		c->transport_asked = true;
		conn_answer_run(c, false);
		return true;
	}
	return false;
}

/* A connect whose caller stopped waiting: nobody would learn of the
 * connection, which would hold the caller's quotas. */
static bool
connect_abandoned(const struct conn *c)
{
	return c->connect_waiting && c->connect_wait.deadline_ns != 0 &&
	       sn_now_ns() >= c->connect_wait.deadline_ns;
}

void
conn_run(struct conn *c)
{
	if (connect_abandoned(c)) {
		sn_log("%s stopped waiting for its connection to %s:%u; "
		       "closing it",
		       c->owner->name, c->cap.host, c->cap.port);
		conn_free(c);
		return;
	}
	for (int i = 0; i < 64 && c->state != CONN_FREE; i++)
		if (!step(c))
			break;
	if (c->state == CONN_FREE)
		return;
	if (c->run_waiting && c->run_wait.deadline_ns != 0 &&
	    sn_now_ns() + MQTT_RUN_MARGIN_NS >= c->run_wait.deadline_ns)
		conn_answer_run(c, true);
	arm_timer(c);
}

void
connections_peer_died(struct sn_peer *p)
{
	for (unsigned i = 0; i < MQTT_CONNECTIONS_MAX; i++) {
		struct conn *c = &conns[i];

		if (c->state == CONN_FREE)
			continue;
		if (c->owner == p) {
			/* No DISCONNECT: the broker publishes the Will. */
			conn_free(c);
		} else if (c->checking &&
			   transport_peer(c, SN_EXPORT_TLS_CONNECTION_SEND,
					  SN_EXPORT_NETWORK_SOCKET_SEND) == p) {
			/* Its session went before it said whose it was. */
			conn_check_done(c, -SEALNET_ECOMPARTMENT);
		} else if (c->have_transport &&
			   transport_peer(c, SN_EXPORT_TLS_CONNECTION_SEND,
					  SN_EXPORT_NETWORK_SOCKET_SEND) == p) {
			/* Its calls failed already; the transport went with
			 * it. */
			c->have_transport = false;
			c->use++;
			conn_transport_lost(c, -SEALNET_ECOMPARTMENT);
		}
	}
}
