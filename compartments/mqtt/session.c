/*
 * The MQTT client session.  Everything it holds lives in tables carved
 * from the caller's memory at init; each table has a count bounded by the
 * configuration, and each byte pool a fill level bounded by its size.
 *
 * A packet from the broker is checked in full (by the codec, then
 * against the session's state) before anything is changed, so a packet
 * that breaks a rule leaves the state as it was and closes the
 * connection.
 *
 * This file holds the memory, packet identifiers, the output and its
 * pump, and the input that turns into events; session_state.h says where
 * the rest is.
 */
#include "session.h"

#include <errno.h>
#include <string.h>

#include "session_state.h"

/* ---- memory ---- */

struct layout {
	size_t in, out, msgs, msg_pool, qos2, acks, alias_len, alias_topics,
	    out_alias_len, out_alias_topics, out_alias_used, subs, sub_pool,
	    reqs, req_pool, ids, total;
};

/* Places n bytes at the next 8-byte boundary; false on overflow. */
static bool
place(size_t *end, size_t n, size_t *at)
{
	size_t start = (*end + 7u) & ~(size_t)7u;

	if (start < *end || n > SIZE_MAX - start)
		return false;
	*at = start;
	*end = start + n;
	return true;
}

static bool
config_ok(const struct mqtt_session_config *c)
{
	return (c->version == MQTT_V311 || c->version == MQTT_V5) &&
	       c->input_bytes >= MQTT_SESSION_MIN_BUFFER &&
	       c->input_bytes <= MQTT_SESSION_MAX_BUFFER &&
	       c->output_bytes >= MQTT_SESSION_MIN_BUFFER &&
	       c->output_bytes <= MQTT_SESSION_MAX_BUFFER &&
	       c->queue_messages >= 1 &&
	       c->queue_messages <= MQTT_SESSION_MAX_QUEUE_MESSAGES &&
	       c->queue_bytes >= 1 &&
	       c->queue_bytes <= MQTT_SESSION_MAX_BUFFER &&
	       c->max_inflight >= 1 && c->max_inflight <= c->queue_messages &&
	       c->inbound_qos2 >= 1 &&
	       c->inbound_qos2 <= MQTT_SESSION_MAX_INBOUND_QOS2 &&
	       c->ack_queue >= 1 && c->ack_queue <= MQTT_SESSION_MAX_ACKS &&
	       c->topic_aliases <= MQTT_SESSION_MAX_TOPIC_ALIASES &&
	       c->out_topic_aliases <= MQTT_SESSION_MAX_TOPIC_ALIASES &&
	       (c->topic_aliases + c->out_topic_aliases == 0 ||
		c->alias_topic_bytes >= 1) &&
	       c->subscriptions <= MQTT_SESSION_MAX_SUBSCRIPTIONS &&
	       c->subscription_bytes <= MQTT_SESSION_MAX_BUFFER &&
	       c->requests <= MQTT_SESSION_MAX_REQUESTS &&
	       c->request_bytes <= MQTT_SESSION_MAX_BUFFER;
}

static bool
plan(const struct mqtt_session_config *c, struct layout *l)
{
	size_t end = 0;

	return config_ok(c) && place(&end, c->input_bytes, &l->in) &&
	       place(&end, c->output_bytes, &l->out) &&
	       place(&end, c->queue_messages * sizeof(struct mqtt_out_message),
		     &l->msgs) &&
	       place(&end, c->queue_bytes, &l->msg_pool) &&
	       place(&end, c->inbound_qos2 * sizeof(uint16_t), &l->qos2) &&
	       place(&end, c->ack_queue * sizeof(struct mqtt_pending_ack),
		     &l->acks) &&
	       place(&end, c->topic_aliases * sizeof(uint16_t),
		     &l->alias_len) &&
	       place(&end, (size_t)c->topic_aliases * c->alias_topic_bytes,
		     &l->alias_topics) &&
	       place(&end, c->out_topic_aliases * sizeof(uint16_t),
		     &l->out_alias_len) &&
	       place(&end, (size_t)c->out_topic_aliases * c->alias_topic_bytes,
		     &l->out_alias_topics) &&
	       place(&end, c->out_topic_aliases * sizeof(uint32_t),
		     &l->out_alias_used) &&
	       place(&end,
		     c->subscriptions * sizeof(struct mqtt_subscription_entry),
		     &l->subs) &&
	       place(&end, c->subscription_bytes, &l->sub_pool) &&
	       place(&end, c->requests * sizeof(struct mqtt_request),
		     &l->reqs) &&
	       place(&end, c->request_bytes, &l->req_pool) &&
	       place(&end, MQTT_PACKET_ID_WORDS * sizeof(uint64_t), &l->ids) &&
	       (l->total = end, true);
}

size_t
mqtt_session_memory_size(const struct mqtt_session_config *cfg)
{
	struct layout l;

	/* Room to align the start of the caller's memory, too. */
	return plan(cfg, &l) ? l.total + 8 : 0;
}

int
mqtt_session_init(struct mqtt_session *s, const struct mqtt_session_config *cfg,
		  void *mem, size_t len)
{
	struct layout l;
	uint8_t *base;
	size_t skip;

	if (s == NULL || cfg == NULL || !plan(cfg, &l))
		return -EINVAL;
	if (mem == NULL || len < l.total + 8)
		return -ENOMEM;
	skip = (8u - ((uintptr_t)mem & 7u)) & 7u;
	base = (uint8_t *)mem + skip;
	memset(s, 0, sizeof(*s));
	memset(base, 0, l.total);
	s->cfg = *cfg;
	s->codec.version = cfg->version;
	s->codec.self = MQTT_CLIENT;
	s->codec.max_in = cfg->input_bytes;
	s->codec.max_out = cfg->output_bytes - MQTT_SESSION_DISCONNECT_RESERVE;
	s->state = MQTT_SESSION_IDLE;
	s->in = base + l.in;
	s->out = base + l.out;
	s->msgs = (struct mqtt_out_message *)(void *)(base + l.msgs);
	s->msg_pool = base + l.msg_pool;
	s->qos2_ids = (uint16_t *)(void *)(base + l.qos2);
	s->acks = (struct mqtt_pending_ack *)(void *)(base + l.acks);
	s->alias_len = (uint16_t *)(void *)(base + l.alias_len);
	s->alias_topics = base + l.alias_topics;
	s->out_alias_len = (uint16_t *)(void *)(base + l.out_alias_len);
	s->out_alias_topics = base + l.out_alias_topics;
	s->out_alias_used = (uint32_t *)(void *)(base + l.out_alias_used);
	s->subs = (struct mqtt_subscription_entry *)(void *)(base + l.subs);
	s->sub_pool = base + l.sub_pool;
	s->reqs = (struct mqtt_request *)(void *)(base + l.reqs);
	s->req_pool = base + l.req_pool;
	s->ids_in_use = (uint64_t *)(void *)(base + l.ids);
	s->next_packet_id = cfg->durable ? MQTT_SESSION_OWN_IDS_FIRST : 1;
	s->next_token = 1;
	/* What a broker offers until its CONNACK says otherwise: messages
	 * restored before the first connection are held to this. */
	s->broker_receive_maximum = 65535;
	s->broker_maximum_qos = 2;
	s->broker_retain = s->broker_wildcard = true;
	s->broker_subscription_ids = s->broker_shared = true;
	return 0;
}

/* ---- packet identifiers and tokens ---- */

uint32_t
session_new_token(struct mqtt_session *s)
{
	uint32_t t = s->next_token++;

	if (s->next_token == 0)
		s->next_token = 1;
	return t;
}

void
session_id_set(struct mqtt_session *s, uint16_t id, bool used)
{
	uint64_t bit = UINT64_C(1) << (id % 64);

	if (used == id_used(s, id))
		return;
	if (used) {
		s->ids_in_use[id / 64] |= bit;
		s->ids_held++;
	} else {
		s->ids_in_use[id / 64] &= ~bit;
		s->ids_held--;
	}
}

/* The tables hold far fewer than 65535 identifiers, so the search is
 * short. */
uint16_t
session_id_alloc(struct mqtt_session *s)
{
	/* A durable session's caller has the identifiers below its own. */
	uint16_t first = s->cfg.durable ? MQTT_SESSION_OWN_IDS_FIRST : 1;

	for (uint32_t tries = 0; tries < 65535u; tries++) {
		uint16_t id = s->next_packet_id;

		s->next_packet_id = id == 65535u ? first : (uint16_t)(id + 1);
		if (!id_used(s, id)) {
			session_id_set(s, id, true);
			return id;
		}
	}
	return 0;
}

/* ---- output ---- */

static void
compact_output(struct mqtt_session *s)
{
	if (s->out_start == 0)
		return;
	memmove(s->out, s->out + s->out_start, s->out_end - s->out_start);
	s->out_end -= s->out_start;
	s->out_start = 0;
}

int
session_emit(struct mqtt_session *s, const struct mqtt_packet *p)
{
	uint32_t limit = s->cfg.output_bytes;
	ssize_t n;

	if (p->type != MQTT_DISCONNECT)
		limit -= MQTT_SESSION_DISCONNECT_RESERVE;
	if (s->out_end >= limit)
		return -ENOBUFS;
	n = mqtt_encode(&s->codec, p, s->out + s->out_end, limit - s->out_end,
			NULL);
	if (n < 0)
		return (int)n;
	s->out_end += (uint32_t)n;
	return 0;
}

int
session_emit_bytes(struct mqtt_session *s, const uint8_t *bytes, uint32_t len)
{
	uint32_t limit = s->cfg.output_bytes - MQTT_SESSION_DISCONNECT_RESERVE;

	if (s->out_end > limit || len > limit - s->out_end)
		return -ENOBUFS;
	memcpy(s->out + s->out_end, bytes, len);
	s->out_end += len;
	return 0;
}

void
session_write_disconnect(struct mqtt_session *s, uint8_t reason_code)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_DISCONNECT;
	p.reason_code = s->cfg.version == MQTT_V5 ? reason_code : 0;
	compact_output(s);
	/* The reserve keeps room for it; a connection ends either way. */
	(void)session_emit(s, &p);
}

/* ---- the output pump ---- */

void
session_pump(struct mqtt_session *s)
{
	struct mqtt_packet p;

	if (s->state != MQTT_SESSION_CONNECTED)
		return;
	compact_output(s);
	while (s->ack_count > 0) {
		const struct mqtt_pending_ack *a = &s->acks[s->ack_head];

		memset(&p, 0, sizeof(p));
		p.type = (enum mqtt_packet_type)a->type;
		p.packet_id = a->packet_id;
		p.reason_code = a->reason_code;
		if (session_emit(s, &p) < 0)
			return;
		s->ack_head = (s->ack_head + 1) % s->cfg.ack_queue;
		s->ack_count--;
	}
	if (s->ping_wanted) {
		memset(&p, 0, sizeof(p));
		p.type = MQTT_PINGREQ;
		if (session_emit(s, &p) < 0)
			return;
		s->ping_wanted = false;
		s->ping_sent_at = s->now;
	}
	session_restore_subscriptions(s);
	for (uint32_t i = 0; i < s->req_count; i++) {
		struct mqtt_request *r = &s->reqs[i];

		if (r->sent)
			continue;
		if (session_emit_bytes(s, s->req_pool + r->offset, r->length) <
		    0)
			return;
		r->sent = true;
	}
	(void)session_pump_messages(s);
}

void
session_push_ack(struct mqtt_session *s, enum mqtt_packet_type type,
		 uint16_t id)
{
	struct mqtt_pending_ack *a =
	    &s->acks[(s->ack_head + s->ack_count) % s->cfg.ack_queue];

	a->type = (uint8_t)type;
	a->packet_id = id;
	a->reason_code = 0;
	s->ack_count++;
}

/* ---- input and events ---- */

/* Acts on one packet the codec accepted: 1 with an event, or 0. */
static int
handle(struct mqtt_session *s, const struct mqtt_packet *p,
       struct mqtt_event *ev)
{
	switch (p->type) {
	case MQTT_CONNACK:
		return session_on_connack(s, p, ev);
	case MQTT_PUBLISH:
		return session_on_publish(s, p, ev);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		return session_on_publish_ack(s, p, ev);
	case MQTT_PUBREL:
		return session_on_pubrel(s, p);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return session_on_suback(s, p, ev);
	case MQTT_PINGRESP:
		if (s->state != MQTT_SESSION_CONNECTED)
			return session_violation(s,
						 MQTT_FAULT_UNEXPECTED_PACKET);
		return 0;
	case MQTT_DISCONNECT:
		session_close(s, MQTT_FAULT_SERVER_DISCONNECT,
			      p->reason_code ? mqtt_reason_errno(p->reason_code)
					     : -ECONNRESET,
			      p->reason_code, &p->props);
		return 0;
	default:
		/* AUTH: we never begin enhanced authentication. */
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	}
}

ssize_t
mqtt_session_input(struct mqtt_session *s, uint64_t now_ms, const uint8_t *data,
		   size_t len)
{
	uint32_t room, n;

	if (s->state == MQTT_SESSION_IDLE)
		return -ENOTCONN;
	s->in_start += s->in_held;
	s->in_held = 0;
	if (s->in_start > 0) {
		memmove(s->in, s->in + s->in_start, s->in_end - s->in_start);
		s->in_end -= s->in_start;
		s->in_start = 0;
	}
	room = s->cfg.input_bytes - s->in_end;
	n = len < room ? (uint32_t)len : room;
	if (n == 0)
		return 0;
	memcpy(s->in + s->in_end, data, n);
	s->in_end += n;
	see_time(s, now_ms);
	s->last_rx = s->now;
	return n;
}

int
mqtt_session_poll(struct mqtt_session *s, struct mqtt_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	s->in_start += s->in_held;
	s->in_held = 0;
	for (;;) {
		struct mqtt_packet p;
		enum mqtt_fault fault = MQTT_FAULT_NONE;
		ssize_t n;
		int rc;

		if (s->closed_pending) {
			*ev = s->closed;
			s->closed_pending = false;
			return 1;
		}
		if (session_report(s, ev))
			return 1;
		if (s->state == MQTT_SESSION_IDLE)
			return 0;
		/* Each packet may add one acknowledgement. */
		if (s->ack_count >= s->cfg.ack_queue) {
			session_pump(s);
			if (s->ack_count >= s->cfg.ack_queue)
				return 0;
		}
		n = mqtt_decode(&s->codec, s->in + s->in_start,
				s->in_end - s->in_start, &p, NULL, &fault);
		if (n == -EAGAIN) {
			session_pump(s);
			return 0;
		}
		if (n < 0) {
			session_violation(s, fault);
			continue;
		}
		rc = handle(s, &p, ev);
		/* The event's views point into the packet: it stays until
		 * the next call. */
		if (rc == 1 || s->closed_pending)
			s->in_held = (uint32_t)n;
		else
			s->in_start += (uint32_t)n;
		if (rc == 1) {
			session_pump(s);
			return 1;
		}
	}
}

size_t
mqtt_session_output(const struct mqtt_session *s, const uint8_t **data)
{
	*data = s->out + s->out_start;
	return s->out_end - s->out_start;
}

int
mqtt_session_output_done(struct mqtt_session *s, uint64_t now_ms, size_t n)
{
	if (n > s->out_end - s->out_start)
		return -EINVAL;
	see_time(s, now_ms);
	if (n == 0)
		return 0;
	s->out_start += (uint32_t)n;
	s->last_tx = s->now;
	if (s->out_start == s->out_end)
		s->out_start = s->out_end = 0;
	session_pump(s);
	return 0;
}

enum mqtt_session_state
mqtt_session_state(const struct mqtt_session *s)
{
	return s->state;
}

uint32_t
mqtt_session_queued(const struct mqtt_session *s)
{
	return s->msg_count;
}

uint32_t
mqtt_session_inflight(const struct mqtt_session *s)
{
	return s->inflight;
}
