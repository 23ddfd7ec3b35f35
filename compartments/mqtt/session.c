/*
 * The MQTT client session.  Everything it holds lives in tables carved
 * from the caller's memory at init; each table has a count bounded by the
 * configuration, and each byte pool a fill level bounded by its size.
 *
 * A packet from the broker is checked in full (by the codec, then
 * against the session's state) before anything is changed, so a packet
 * that breaks a rule leaves the state as it was and closes the
 * connection.
 */
#include "session.h"

#include <errno.h>
#include <string.h>

#include "topic.h"

/* ---- the tables ---- */

enum out_state {
	OUT_QUEUED,	   /* to be sent (with DUP if sent_before) */
	OUT_AWAIT_PUBACK,  /* QoS 1, sent */
	OUT_AWAIT_PUBREC,  /* QoS 2, sent */
	OUT_PUBREL_QUEUED, /* QoS 2, PUBREC came: PUBREL to be sent */
	OUT_AWAIT_PUBCOMP, /* QoS 2, PUBREL sent */
	OUT_REPORT,	   /* finished: to be reported, then dropped */
};

struct mqtt_out_message {
	uint32_t token;
	uint32_t offset; /* the encoded PUBLISH, in msg_pool */
	uint32_t length; /* 0 once PUBREC came */
	int32_t result;	 /* OUT_REPORT's outcome */
	uint16_t packet_id;
	uint8_t qos;
	uint8_t state;
	uint8_t reason_code;
	bool sent_before;
};

struct mqtt_pending_ack {
	uint8_t type;
	uint8_t reason_code;
	uint16_t packet_id;
};

struct mqtt_subscription_entry {
	uint32_t offset; /* the filter, in sub_pool */
	uint32_t subscription_id;
	uint16_t length;
	uint8_t options;
};

enum request_kind { REQ_SUBSCRIBE, REQ_UNSUBSCRIBE, REQ_RESTORE };

struct mqtt_request {
	uint32_t token;
	uint32_t offset; /* the encoded packet, in req_pool */
	uint32_t length;
	/* Room held in the subscription table for this SUBSCRIBE's filters
	 * until its SUBACK says which to keep. */
	uint32_t reserved_bytes;
	uint16_t reserved_count;
	uint16_t packet_id;
	uint8_t kind;
	bool sent;
};

/* ---- memory ---- */

struct layout {
	size_t in, out, msgs, msg_pool, qos2, acks, alias_len, alias_topics,
	    subs, sub_pool, reqs, req_pool, ids, total;
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
	       (c->topic_aliases == 0 || c->alias_topic_bytes >= 1) &&
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
	s->subs = (struct mqtt_subscription_entry *)(void *)(base + l.subs);
	s->sub_pool = base + l.sub_pool;
	s->reqs = (struct mqtt_request *)(void *)(base + l.reqs);
	s->req_pool = base + l.req_pool;
	s->ids_in_use = (uint64_t *)(void *)(base + l.ids);
	s->next_packet_id = 1;
	s->next_token = 1;
	return 0;
}

/* ---- small helpers ---- */

static uint64_t
later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t
sooner(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
add_ms(uint64_t t, uint64_t d)
{
	return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

static void
see_time(struct mqtt_session *s, uint64_t now)
{
	/* A clock that steps back is held where it was. */
	s->now = later(s->now, now);
}

static uint32_t
new_token(struct mqtt_session *s)
{
	uint32_t t = s->next_token++;

	if (s->next_token == 0)
		s->next_token = 1;
	return t;
}

static bool
id_used(const struct mqtt_session *s, uint16_t id)
{
	return (s->ids_in_use[id / 64] >> (id % 64)) & 1u;
}

static void
id_set(struct mqtt_session *s, uint16_t id, bool used)
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

/* A packet identifier no message or request of ours holds; 0 if none.
 * The tables hold far fewer than 65535, so the search is short. */
static uint16_t
id_alloc(struct mqtt_session *s)
{
	for (uint32_t tries = 0; tries < 65535u; tries++) {
		uint16_t id = s->next_packet_id;

		s->next_packet_id = id == 65535u ? 1 : (uint16_t)(id + 1);
		if (!id_used(s, id)) {
			id_set(s, id, true);
			return id;
		}
	}
	return 0;
}

/* Removes len bytes at off from a pool filled to *used. */
static void
pool_cut(uint8_t *pool, uint32_t *used, uint32_t off, uint32_t len)
{
	memmove(pool + off, pool + off + len, *used - off - len);
	*used -= len;
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

/* Writes p into the output, keeping the DISCONNECT reserve unless this
 * is the DISCONNECT.  0, or -ENOBUFS when it does not fit yet. */
static int
emit(struct mqtt_session *s, const struct mqtt_packet *p)
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
		return -ENOBUFS;
	s->out_end += (uint32_t)n;
	return 0;
}

static int
emit_bytes(struct mqtt_session *s, const uint8_t *bytes, uint32_t len)
{
	uint32_t limit = s->cfg.output_bytes - MQTT_SESSION_DISCONNECT_RESERVE;

	if (s->out_end > limit || len > limit - s->out_end)
		return -ENOBUFS;
	memcpy(s->out + s->out_end, bytes, len);
	s->out_end += len;
	return 0;
}

static void
write_disconnect(struct mqtt_session *s, uint8_t reason_code)
{
	struct mqtt_packet p;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_DISCONNECT;
	p.reason_code = s->cfg.version == MQTT_V5 ? reason_code : 0;
	compact_output(s);
	/* The reserve keeps room for it; a connection ends either way. */
	(void)emit(s, &p);
}

/* ---- the outbound queue ---- */

static bool
counts_inflight(uint8_t state)
{
	return state == OUT_AWAIT_PUBACK || state == OUT_AWAIT_PUBREC ||
	       state == OUT_PUBREL_QUEUED || state == OUT_AWAIT_PUBCOMP;
}

static void
msg_drop_bytes(struct mqtt_session *s, struct mqtt_out_message *m)
{
	uint32_t off = m->offset, len = m->length;

	if (len == 0)
		return;
	pool_cut(s->msg_pool, &s->msg_pool_used, off, len);
	for (uint32_t i = 0; i < s->msg_count; i++)
		if (s->msgs[i].length > 0 && s->msgs[i].offset > off)
			s->msgs[i].offset -= len;
	m->length = 0;
	m->offset = 0;
}

static void
msg_remove(struct mqtt_session *s, uint32_t i)
{
	struct mqtt_out_message *m = &s->msgs[i];

	msg_drop_bytes(s, m);
	if (counts_inflight(m->state))
		s->inflight--;
	if (m->packet_id != 0)
		id_set(s, m->packet_id, false);
	memmove(m, m + 1, (s->msg_count - i - 1) * sizeof(*m));
	s->msg_count--;
}

/* Finishes message i: it is reported by the next poll. */
static void
msg_finish(struct mqtt_session *s, uint32_t i, int result, uint8_t reason)
{
	struct mqtt_out_message *m = &s->msgs[i];

	msg_drop_bytes(s, m);
	if (counts_inflight(m->state))
		s->inflight--;
	m->state = OUT_REPORT;
	m->result = result;
	m->reason_code = reason;
}

static int
msg_find(const struct mqtt_session *s, uint16_t id, uint8_t state)
{
	for (uint32_t i = 0; i < s->msg_count; i++)
		if (s->msgs[i].packet_id == id && s->msgs[i].state == state)
			return (int)i;
	return -1;
}

static uint32_t
window(const struct mqtt_session *s)
{
	return s->cfg.max_inflight < s->broker_receive_maximum
		   ? s->cfg.max_inflight
		   : s->broker_receive_maximum;
}

/* Sends what the queue may send now, in order; false when the output is
 * full. */
static bool
pump_messages(struct mqtt_session *s)
{
	bool blocked = false;
	uint32_t i = 0;

	while (i < s->msg_count) {
		struct mqtt_out_message *m = &s->msgs[i];
		struct mqtt_packet p;

		if (m->state == OUT_PUBREL_QUEUED) {
			memset(&p, 0, sizeof(p));
			p.type = MQTT_PUBREL;
			p.packet_id = m->packet_id;
			if (emit(s, &p) < 0)
				return false;
			m->state = OUT_AWAIT_PUBCOMP;
			i++;
			continue;
		}
		/* Order is kept: once a message must wait for the window,
		 * the ones after it wait too. */
		if (m->state != OUT_QUEUED || blocked) {
			i++;
			continue;
		}
		if (m->qos > 0 && s->inflight >= window(s)) {
			blocked = true;
			i++;
			continue;
		}
		/* The broker's maximum may have shrunk since it was queued. */
		if (m->length > s->codec.max_out) {
			msg_finish(s, i, -EMSGSIZE, 0);
			i++;
			continue;
		}
		if (emit_bytes(s, s->msg_pool + m->offset, m->length) < 0)
			return false;
		if (m->qos > 0 && m->sent_before)
			s->out[s->out_end - m->length] |= MQTT_PUBLISH_DUP;
		if (m->qos == 0) {
			msg_remove(s, i);
			continue;
		}
		m->state = m->qos == 1 ? OUT_AWAIT_PUBACK : OUT_AWAIT_PUBREC;
		m->sent_before = true;
		s->inflight++;
		i++;
	}
	return true;
}

/* ---- subscriptions and requests ---- */

static struct mqtt_bytes
sub_filter(const struct mqtt_session *s, uint32_t i)
{
	struct mqtt_bytes b = {s->sub_pool + s->subs[i].offset,
			       s->subs[i].length};

	return b;
}

static int
sub_find(const struct mqtt_session *s, struct mqtt_bytes filter)
{
	for (uint32_t i = 0; i < s->sub_count; i++)
		if (s->subs[i].length == filter.len &&
		    memcmp(s->sub_pool + s->subs[i].offset, filter.data,
			   filter.len) == 0)
			return (int)i;
	return -1;
}

static void
sub_remove(struct mqtt_session *s, uint32_t i)
{
	uint32_t off = s->subs[i].offset, len = s->subs[i].length;

	pool_cut(s->sub_pool, &s->sub_pool_used, off, len);
	memmove(&s->subs[i], &s->subs[i + 1],
		(s->sub_count - i - 1) * sizeof(s->subs[0]));
	s->sub_count--;
	for (uint32_t k = 0; k < s->sub_count; k++)
		if (s->subs[k].offset > off)
			s->subs[k].offset -= len;
	/* A restoration walking the table must not skip the next one. */
	if (s->restoring && i < s->restore_next)
		s->restore_next--;
}

/* Adds or updates a filter; the caller has made sure of the room. */
static void
sub_put(struct mqtt_session *s, const struct mqtt_subscription *sub,
	uint32_t subscription_id)
{
	int i = sub_find(s, sub->filter);
	struct mqtt_subscription_entry *e;

	if (i < 0) {
		if (s->sub_count >= s->cfg.subscriptions ||
		    sub->filter.len >
			s->cfg.subscription_bytes - s->sub_pool_used)
			return;
		e = &s->subs[s->sub_count++];
		e->offset = s->sub_pool_used;
		e->length = (uint16_t)sub->filter.len;
		memcpy(s->sub_pool + e->offset, sub->filter.data,
		       sub->filter.len);
		s->sub_pool_used += (uint32_t)sub->filter.len;
	} else {
		e = &s->subs[i];
	}
	e->options = sub->options;
	e->subscription_id = subscription_id;
}

static int
req_find(const struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->req_count; i++)
		if (s->reqs[i].packet_id == id)
			return (int)i;
	return -1;
}

static void
req_remove(struct mqtt_session *s, uint32_t i)
{
	struct mqtt_request *r = &s->reqs[i];
	uint32_t off = r->offset, len = r->length;

	s->reserved_subs -= r->reserved_count;
	s->reserved_sub_bytes -= r->reserved_bytes;
	id_set(s, r->packet_id, false);
	pool_cut(s->req_pool, &s->req_pool_used, off, len);
	memmove(r, r + 1, (s->req_count - i - 1) * sizeof(*r));
	s->req_count--;
	for (uint32_t k = 0; k < s->req_count; k++)
		if (s->reqs[k].offset > off)
			s->reqs[k].offset -= len;
}

/* Encodes p (its packet identifier still to be given) as a new request.
 * 0, -EINVAL, -EMSGSIZE or -ENOBUFS. */
static int
req_add(struct mqtt_session *s, struct mqtt_packet *p, uint8_t kind,
	uint32_t token, uint16_t reserved_count, uint32_t reserved_bytes)
{
	struct mqtt_request *r;
	ssize_t len;

	p->packet_id = 1; /* its value does not change the length */
	len = mqtt_encoded_length(&s->codec, p, NULL);
	if (len < 0)
		return (int)len;
	if (s->req_count >= s->cfg.requests ||
	    (size_t)len > s->cfg.request_bytes - s->req_pool_used)
		return -ENOBUFS;
	p->packet_id = id_alloc(s);
	if (p->packet_id == 0)
		return -ENOBUFS;
	r = &s->reqs[s->req_count];
	r->offset = s->req_pool_used;
	if (mqtt_encode(&s->codec, p, s->req_pool + r->offset, (size_t)len,
			NULL) != len) {
		id_set(s, p->packet_id, false);
		return -EINVAL;
	}
	r->length = (uint32_t)len;
	r->token = token;
	r->packet_id = p->packet_id;
	r->kind = kind;
	r->sent = false;
	r->reserved_count = reserved_count;
	r->reserved_bytes = reserved_bytes;
	s->req_pool_used += (uint32_t)len;
	s->req_count++;
	s->reserved_subs += reserved_count;
	s->reserved_sub_bytes += reserved_bytes;
	return 0;
}

/* Reads back a request we encoded, to learn its filters. */
static bool
req_decode(const struct mqtt_session *s, const struct mqtt_request *r,
	   struct mqtt_packet *p)
{
	const struct mqtt_codec server = {s->cfg.version, MQTT_SERVER, 0, 0};

	return mqtt_decode(&server, s->req_pool + r->offset, r->length, p, NULL,
			   NULL) == (ssize_t)r->length;
}

/* Queues a SUBSCRIBE for each kept filter, as room allows. */
static void
restore_subscriptions(struct mqtt_session *s)
{
	while (s->restoring && s->restore_next < s->sub_count) {
		const struct mqtt_subscription_entry *e =
		    &s->subs[s->restore_next];
		struct mqtt_subscription sub = {sub_filter(s, s->restore_next),
						e->options};
		struct mqtt_packet p;

		memset(&p, 0, sizeof(p));
		p.type = MQTT_SUBSCRIBE;
		p.u.filters.list = &sub;
		p.u.filters.count = 1;
		if (e->subscription_id != 0) {
			p.props.present = UINT64_C(1)
					  << MQTT_PROP_SUBSCRIPTION_ID;
			p.props.subscription_id = e->subscription_id;
		}
		if (req_add(s, &p, REQ_RESTORE, 0, 0, 0) < 0)
			return;
		s->restore_next++;
	}
	s->restoring = false;
}

/* ---- the output pump ---- */

static void
pump(struct mqtt_session *s)
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
		if (emit(s, &p) < 0)
			return;
		s->ack_head = (s->ack_head + 1) % s->cfg.ack_queue;
		s->ack_count--;
	}
	if (s->ping_wanted) {
		memset(&p, 0, sizeof(p));
		p.type = MQTT_PINGREQ;
		if (emit(s, &p) < 0)
			return;
		s->ping_wanted = false;
		s->ping_sent_at = s->now;
	}
	restore_subscriptions(s);
	for (uint32_t i = 0; i < s->req_count; i++) {
		struct mqtt_request *r = &s->reqs[i];

		if (r->sent)
			continue;
		if (emit_bytes(s, s->req_pool + r->offset, r->length) < 0)
			return;
		r->sent = true;
	}
	(void)pump_messages(s);
}

static void
push_ack(struct mqtt_session *s, enum mqtt_packet_type type, uint16_t id)
{
	struct mqtt_pending_ack *a =
	    &s->acks[(s->ack_head + s->ack_count) % s->cfg.ack_queue];

	a->type = (uint8_t)type;
	a->packet_id = id;
	a->reason_code = 0;
	s->ack_count++;
}

/* ---- closing ---- */

static void
session_close(struct mqtt_session *s, enum mqtt_fault fault, int error,
	      uint8_t reason_code, const struct mqtt_properties *props)
{
	uint8_t tell = mqtt_fault_reason_code(fault);

	if (s->state == MQTT_SESSION_IDLE)
		return;
	if (s->cfg.version == MQTT_V5 && tell != 0)
		write_disconnect(s, tell);
	s->state = MQTT_SESSION_IDLE;
	memset(&s->closed, 0, sizeof(s->closed));
	s->closed.type = MQTT_EVENT_CLOSED;
	s->closed.error = error;
	s->closed.fault = fault;
	s->closed.reason_code = reason_code;
	if (props != NULL)
		s->closed.props = *props;
	s->closed_pending = true;
	/* What was sent but not acknowledged goes again on resumption. */
	for (uint32_t i = 0; i < s->msg_count; i++) {
		struct mqtt_out_message *m = &s->msgs[i];

		if (m->state == OUT_AWAIT_PUBACK ||
		    m->state == OUT_AWAIT_PUBREC) {
			m->state = OUT_QUEUED;
			s->inflight--;
		} else if (m->state == OUT_AWAIT_PUBCOMP) {
			m->state = OUT_PUBREL_QUEUED;
		}
	}
	for (uint32_t i = 0; i < s->req_count;) {
		/* Restoration starts over if the next session needs it. */
		if (s->reqs[i].kind == REQ_RESTORE) {
			req_remove(s, i);
			continue;
		}
		s->reqs[i].sent = false;
		i++;
	}
	s->restoring = false;
	s->ack_head = s->ack_count = 0;
	s->ping_wanted = false;
}

/* The broker kept no session: what it had acknowledged is done, what
 * it had not goes again as new, and its QoS 2 state is gone. */
static void
session_lost(struct mqtt_session *s)
{
	for (uint32_t i = 0; i < s->msg_count; i++) {
		struct mqtt_out_message *m = &s->msgs[i];

		if (m->state == OUT_PUBREL_QUEUED)
			/* Its PUBREC came: the broker took the message. */
			msg_finish(s, i, 0, 0);
		else if (m->state == OUT_QUEUED)
			m->sent_before = false;
	}
	s->qos2_count = 0;
	if (!s->clean_start && s->sub_count > 0) {
		s->restoring = true;
		s->restore_next = 0;
	}
}

/* ---- connecting ---- */

int
mqtt_session_connect(struct mqtt_session *s, uint64_t now_ms,
		     const struct mqtt_connect_options *o)
{
	const uint64_t ours = UINT64_C(1) << MQTT_PROP_RECEIVE_MAXIMUM |
			      UINT64_C(1) << MQTT_PROP_MAXIMUM_PACKET_SIZE |
			      UINT64_C(1) << MQTT_PROP_TOPIC_ALIAS_MAXIMUM;
	struct mqtt_packet p;
	ssize_t len;

	if (s->state != MQTT_SESSION_IDLE)
		return -EISCONN;
	if (o == NULL)
		return -EINVAL;
	if (mqtt_prop_has(&o->props, MQTT_PROP_AUTH_METHOD) ||
	    mqtt_prop_has(&o->props, MQTT_PROP_AUTH_DATA))
		return -EOPNOTSUPP;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNECT;
	p.u.connect = o->packet;
	p.props = o->props;
	if (s->cfg.version == MQTT_V5) {
		p.props.present &= ~ours;
		p.props.present |= UINT64_C(1) << MQTT_PROP_RECEIVE_MAXIMUM |
				   UINT64_C(1) << MQTT_PROP_MAXIMUM_PACKET_SIZE;
		p.props.receive_maximum = s->cfg.inbound_qos2;
		p.props.maximum_packet_size = s->cfg.input_bytes;
		if (s->cfg.topic_aliases > 0) {
			p.props.present |= UINT64_C(1)
					   << MQTT_PROP_TOPIC_ALIAS_MAXIMUM;
			p.props.topic_alias_maximum = s->cfg.topic_aliases;
		}
	}
	s->codec.max_out =
	    s->cfg.output_bytes - MQTT_SESSION_DISCONNECT_RESERVE;
	len = mqtt_encoded_length(&s->codec, &p, NULL);
	if (len < 0)
		return (int)len;
	/* A new transport: whatever the last one left unsent is gone. */
	s->out_start = s->out_end = 0;
	if (emit(s, &p) < 0)
		return -EMSGSIZE;

	see_time(s, now_ms);
	s->in_start = s->in_end = s->in_held = 0;
	s->ack_head = s->ack_count = 0;
	for (uint32_t i = 0; i < s->cfg.topic_aliases; i++)
		s->alias_len[i] = 0;
	s->closed_pending = false;
	s->clean_start = o->packet.clean_start;
	if (s->clean_start) {
		/* The caller asked for a fresh session: nothing to restore.
		 * Requests under way keep their reservations. */
		s->sub_count = 0;
		s->sub_pool_used = 0;
	}
	s->restoring = false;
	s->keep_alive_s = o->packet.keep_alive;
	s->broker_receive_maximum = 65535;
	s->broker_maximum_qos = 2;
	s->broker_retain = s->broker_wildcard = true;
	s->broker_subscription_ids = s->broker_shared = true;
	s->connack_deadline =
	    add_ms(s->now, o->connect_timeout_ms
			       ? o->connect_timeout_ms
			       : MQTT_SESSION_DEFAULT_CONNECT_TIMEOUT_MS);
	s->last_rx = s->last_tx = s->now;
	s->ping_sent_at = 0;
	s->ping_wanted = false;
	s->state = MQTT_SESSION_CONNECTING;
	return 0;
}

/* ---- the broker's packets ---- */

static int
on_connack(struct mqtt_session *s, const struct mqtt_packet *p,
	   struct mqtt_event *ev)
{
	const struct mqtt_properties *pr = &p->props;
	uint8_t reason = p->reason_code;
	uint32_t max_out;

	if (s->state != MQTT_SESSION_CONNECTING) {
		session_close(s, MQTT_FAULT_UNEXPECTED_PACKET,
			      mqtt_fault_errno(MQTT_FAULT_UNEXPECTED_PACKET), 0,
			      NULL);
		return 0;
	}
	if (s->cfg.version == MQTT_V311)
		reason = mqtt_v311_connack_reason(reason);
	if (reason >= MQTT_RC_FIRST_FAILURE) {
		session_close(s, MQTT_FAULT_CONNECT_REFUSED,
			      mqtt_reason_errno(reason), reason, pr);
		return 0;
	}
	if (p->session_present && s->clean_start) {
		session_close(
		    s, MQTT_FAULT_SESSION_PRESENT_CLEAN,
		    mqtt_fault_errno(MQTT_FAULT_SESSION_PRESENT_CLEAN), 0,
		    NULL);
		return 0;
	}
	if (mqtt_prop_has(pr, MQTT_PROP_RECEIVE_MAXIMUM))
		s->broker_receive_maximum = pr->receive_maximum;
	max_out = s->cfg.output_bytes - MQTT_SESSION_DISCONNECT_RESERVE;
	if (mqtt_prop_has(pr, MQTT_PROP_MAXIMUM_PACKET_SIZE) &&
	    pr->maximum_packet_size < max_out)
		max_out = pr->maximum_packet_size;
	s->codec.max_out = max_out;
	if (mqtt_prop_has(pr, MQTT_PROP_MAXIMUM_QOS))
		s->broker_maximum_qos = pr->maximum_qos;
	if (mqtt_prop_has(pr, MQTT_PROP_RETAIN_AVAILABLE))
		s->broker_retain = pr->retain_available;
	if (mqtt_prop_has(pr, MQTT_PROP_WILDCARD_AVAILABLE))
		s->broker_wildcard = pr->wildcard_available;
	if (mqtt_prop_has(pr, MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE))
		s->broker_subscription_ids = pr->subscription_ids_available;
	if (mqtt_prop_has(pr, MQTT_PROP_SHARED_AVAILABLE))
		s->broker_shared = pr->shared_available;
	if (mqtt_prop_has(pr, MQTT_PROP_SERVER_KEEP_ALIVE))
		s->keep_alive_s = pr->server_keep_alive;
	if (!p->session_present)
		session_lost(s);
	s->state = MQTT_SESSION_CONNECTED;
	ev->type = MQTT_EVENT_CONNECTED;
	ev->session_present = p->session_present;
	ev->reason_code = p->reason_code;
	ev->props = *pr;
	return 1;
}

static bool
qos2_has(const struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->qos2_count; i++)
		if (s->qos2_ids[i] == id)
			return true;
	return false;
}

static void
qos2_remove(struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->qos2_count; i++)
		if (s->qos2_ids[i] == id) {
			s->qos2_ids[i] = s->qos2_ids[--s->qos2_count];
			return;
		}
}

/* Closes for a rule the packet broke; returns 0 (no event of its own:
 * the CLOSED event follows). */
static int
violation(struct mqtt_session *s, enum mqtt_fault f)
{
	session_close(s, f, mqtt_fault_errno(f), mqtt_fault_reason_code(f),
		      NULL);
	return 0;
}

static int
on_publish(struct mqtt_session *s, const struct mqtt_packet *p,
	   struct mqtt_event *ev)
{
	struct mqtt_publish m = p->u.publish;
	uint16_t alias = 0;
	bool duplicate = false;

	if (s->state != MQTT_SESSION_CONNECTED)
		return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	/* Every check before any change. */
	if (mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS)) {
		alias = p->props.topic_alias;
		if (alias > s->cfg.topic_aliases)
			return violation(s, MQTT_FAULT_TOPIC_ALIAS);
		if (m.topic.len > s->cfg.alias_topic_bytes)
			return violation(s, MQTT_FAULT_TOPIC_ALIAS_TOO_LONG);
		if (m.topic.len == 0 && s->alias_len[alias - 1] == 0)
			return violation(s, MQTT_FAULT_TOPIC_ALIAS);
	}
	if (m.qos == 2) {
		duplicate = qos2_has(s, p->packet_id);
		if (!duplicate && s->qos2_count >= s->cfg.inbound_qos2)
			return violation(s, MQTT_FAULT_RECEIVE_MAXIMUM);
	}
	if (alias != 0) {
		uint8_t *slot = s->alias_topics +
				(size_t)(alias - 1) * s->cfg.alias_topic_bytes;

		if (m.topic.len > 0) {
			memcpy(slot, m.topic.data, m.topic.len);
			s->alias_len[alias - 1] = (uint16_t)m.topic.len;
		}
		m.topic.data = slot;
		m.topic.len = s->alias_len[alias - 1];
	}
	if (m.qos == 1)
		push_ack(s, MQTT_PUBACK, p->packet_id);
	if (m.qos == 2) {
		push_ack(s, MQTT_PUBREC, p->packet_id);
		/* Delivered once: a PUBLISH for an identifier still awaiting
		 * its PUBREL is the broker sending it again. */
		if (duplicate)
			return 0;
		s->qos2_ids[s->qos2_count++] = p->packet_id;
	}
	ev->type = MQTT_EVENT_MESSAGE;
	ev->message = m;
	ev->props = p->props;
	return 1;
}

static int
on_publish_ack(struct mqtt_session *s, const struct mqtt_packet *p,
	       struct mqtt_event *ev)
{
	uint8_t want = p->type == MQTT_PUBACK	? OUT_AWAIT_PUBACK
		       : p->type == MQTT_PUBREC ? OUT_AWAIT_PUBREC
						: OUT_AWAIT_PUBCOMP;
	int i;

	if (s->state != MQTT_SESSION_CONNECTED)
		return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	i = msg_find(s, p->packet_id, want);
	if (i < 0)
		return violation(s, MQTT_FAULT_UNKNOWN_PACKET_ID);
	if (p->type == MQTT_PUBREC && p->reason_code < MQTT_RC_FIRST_FAILURE) {
		/* The broker has it; only the PUBREL/PUBCOMP exchange is
		 * left, so its bytes are freed and it joins the end, where
		 * PUBRELs go out in the order their PUBRECs came. */
		struct mqtt_out_message m;

		msg_drop_bytes(s, &s->msgs[i]);
		m = s->msgs[i];
		m.state = OUT_PUBREL_QUEUED;
		memmove(&s->msgs[i], &s->msgs[i + 1],
			(s->msg_count - (uint32_t)i - 1) * sizeof(m));
		s->msgs[s->msg_count - 1] = m;
		return 0;
	}
	ev->type = MQTT_EVENT_PUBLISHED;
	ev->token = s->msgs[i].token;
	ev->reason_code = p->reason_code;
	/* PUBCOMP's only failure, "identifier not found", comes after the
	 * broker took the message. */
	ev->error =
	    p->type == MQTT_PUBCOMP ? 0 : mqtt_reason_errno(p->reason_code);
	ev->props = p->props;
	msg_remove(s, (uint32_t)i);
	return 1;
}

static int
on_suback(struct mqtt_session *s, const struct mqtt_packet *p,
	  struct mqtt_event *ev)
{
	struct mqtt_packet req;
	struct mqtt_subscription sub;
	size_t cursor = 0, k = 0;
	uint32_t subscription_id = 0;
	int i = req_find(s, p->packet_id), first_error = 0;
	bool unsubscribe = p->type == MQTT_UNSUBACK;
	uint8_t kind;

	if (s->state != MQTT_SESSION_CONNECTED)
		return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	if (i < 0 || !s->reqs[i].sent ||
	    (s->reqs[i].kind == REQ_UNSUBSCRIBE) != unsubscribe)
		return violation(s, MQTT_FAULT_UNKNOWN_PACKET_ID);
	if (!req_decode(s, &s->reqs[i], &req))
		return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	/* A 3.1.1 UNSUBACK carries no codes; every other a code a filter. */
	if (!(unsubscribe && s->cfg.version == MQTT_V311) &&
	    p->u.codes.len != req.u.filters.count)
		return violation(s, MQTT_FAULT_SUBACK_COUNT);
	kind = s->reqs[i].kind;
	if (mqtt_prop_has(&req.props, MQTT_PROP_SUBSCRIPTION_ID))
		subscription_id = req.props.subscription_id;
	/* Its reservation is released first: the filters it keeps use it. */
	s->reserved_subs -= s->reqs[i].reserved_count;
	s->reserved_sub_bytes -= s->reqs[i].reserved_bytes;
	s->reqs[i].reserved_count = 0;
	s->reqs[i].reserved_bytes = 0;
	while (mqtt_next_filter(&req, s->cfg.version, &cursor, &sub) == 1) {
		uint8_t code = p->u.codes.len > k ? p->u.codes.data[k] : 0;
		int at = sub_find(s, sub.filter);

		k++;
		if (code >= MQTT_RC_FIRST_FAILURE) {
			if (first_error == 0)
				first_error = mqtt_reason_errno(code);
			/* A filter the broker no longer takes is not kept. */
			if (kind == REQ_RESTORE && at >= 0)
				sub_remove(s, (uint32_t)at);
			continue;
		}
		if (unsubscribe) {
			if (at >= 0)
				sub_remove(s, (uint32_t)at);
		} else if (kind == REQ_SUBSCRIBE || at >= 0) {
			/* A restored filter unsubscribed meanwhile stays
			 * gone: that UNSUBSCRIBE follows this SUBSCRIBE. */
			sub_put(s, &sub, subscription_id);
		}
	}
	ev->type =
	    unsubscribe ? MQTT_EVENT_UNSUBSCRIBED : MQTT_EVENT_SUBSCRIBED;
	ev->token = s->reqs[i].token;
	ev->reason_codes = p->u.codes;
	ev->error = first_error;
	ev->props = p->props;
	req_remove(s, (uint32_t)i);
	return 1;
}

/* Acts on one packet the codec accepted: 1 with an event, or 0. */
static int
handle(struct mqtt_session *s, const struct mqtt_packet *p,
       struct mqtt_event *ev)
{
	switch (p->type) {
	case MQTT_CONNACK:
		return on_connack(s, p, ev);
	case MQTT_PUBLISH:
		return on_publish(s, p, ev);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		return on_publish_ack(s, p, ev);
	case MQTT_PUBREL:
		if (s->state != MQTT_SESSION_CONNECTED)
			return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
		/* Answered even when the identifier is unknown: after a
		 * resumption the broker repeats PUBRELs we completed. */
		qos2_remove(s, p->packet_id);
		push_ack(s, MQTT_PUBCOMP, p->packet_id);
		return 0;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return on_suback(s, p, ev);
	case MQTT_PINGRESP:
		if (s->state != MQTT_SESSION_CONNECTED)
			return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
		return 0;
	case MQTT_DISCONNECT:
		session_close(s, MQTT_FAULT_SERVER_DISCONNECT,
			      p->reason_code ? mqtt_reason_errno(p->reason_code)
					     : -ECONNRESET,
			      p->reason_code, &p->props);
		return 0;
	default:
		/* AUTH: we never begin enhanced authentication. */
		return violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	}
}

/* ---- the caller's calls ---- */

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

/* The next finished message to report, if any. */
static int
report(struct mqtt_session *s, struct mqtt_event *ev)
{
	for (uint32_t i = 0; i < s->msg_count; i++) {
		struct mqtt_out_message *m = &s->msgs[i];

		if (m->state != OUT_REPORT)
			continue;
		ev->type = MQTT_EVENT_PUBLISHED;
		ev->token = m->token;
		ev->error = m->result;
		ev->reason_code = m->reason_code;
		msg_remove(s, i);
		return 1;
	}
	return 0;
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
		if (report(s, ev))
			return 1;
		if (s->state == MQTT_SESSION_IDLE)
			return 0;
		/* Each packet may add one acknowledgement. */
		if (s->ack_count >= s->cfg.ack_queue) {
			pump(s);
			if (s->ack_count >= s->cfg.ack_queue)
				return 0;
		}
		n = mqtt_decode(&s->codec, s->in + s->in_start,
				s->in_end - s->in_start, &p, NULL, &fault);
		if (n == -EAGAIN) {
			pump(s);
			return 0;
		}
		if (n < 0) {
			violation(s, fault);
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
			pump(s);
			return 1;
		}
	}
}

static uint64_t
keep_alive_ms(const struct mqtt_session *s)
{
	return (uint64_t)s->keep_alive_s * 1000u;
}

static uint64_t
silence_deadline(const struct mqtt_session *s)
{
	return add_ms(s->last_rx,
		      keep_alive_ms(s) * MQTT_SESSION_SILENCE_HALVES / 2u);
}

/* A PINGREQ is due a keep-alive interval after we last sent anything,
 * and after the broker last sent anything unless a PINGREQ has gone out
 * since (its answer is then awaited, up to the silence deadline). */
static uint64_t
ping_due(const struct mqtt_session *s)
{
	uint64_t k = keep_alive_ms(s);
	uint64_t due = add_ms(later(s->last_tx, s->ping_sent_at), k);

	if (s->ping_sent_at < s->last_rx || s->ping_sent_at == 0)
		due = sooner(due, add_ms(s->last_rx, k));
	return due;
}

uint64_t
mqtt_session_next_deadline(const struct mqtt_session *s)
{
	uint64_t d;

	switch (s->state) {
	case MQTT_SESSION_CONNECTING:
		return s->connack_deadline;
	case MQTT_SESSION_CONNECTED:
		if (s->keep_alive_s == 0)
			return UINT64_MAX;
		d = silence_deadline(s);
		if (!s->ping_wanted)
			d = sooner(d, ping_due(s));
		return d;
	default:
		return UINT64_MAX;
	}
}

uint64_t
mqtt_session_tick(struct mqtt_session *s, uint64_t now_ms)
{
	see_time(s, now_ms);
	if (s->state == MQTT_SESSION_CONNECTING &&
	    s->now >= s->connack_deadline)
		session_close(s, MQTT_FAULT_CONNECT_TIMEOUT,
			      mqtt_fault_errno(MQTT_FAULT_CONNECT_TIMEOUT), 0,
			      NULL);
	if (s->state == MQTT_SESSION_CONNECTED && s->keep_alive_s != 0) {
		if (s->now >= silence_deadline(s)) {
			session_close(
			    s, MQTT_FAULT_KEEP_ALIVE_TIMEOUT,
			    mqtt_fault_errno(MQTT_FAULT_KEEP_ALIVE_TIMEOUT), 0,
			    NULL);
		} else if (!s->ping_wanted && s->now >= ping_due(s)) {
			s->ping_wanted = true;
			pump(s);
		}
	}
	return mqtt_session_next_deadline(s);
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
	pump(s);
	return 0;
}

int
mqtt_session_publish(struct mqtt_session *s, const struct mqtt_publish *m,
		     const struct mqtt_properties *props, uint32_t *token)
{
	struct mqtt_out_message *e;
	struct mqtt_packet p;
	ssize_t len;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	if (m == NULL || token == NULL || m->qos > 2)
		return -EINVAL;
	if (props != NULL && (mqtt_prop_has(props, MQTT_PROP_TOPIC_ALIAS) ||
			      mqtt_prop_has(props, MQTT_PROP_SUBSCRIPTION_ID)))
		return -EINVAL;
	if (m->qos > s->broker_maximum_qos || (m->retain && !s->broker_retain))
		return -EOPNOTSUPP;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.u.publish = *m;
	p.u.publish.dup = false;
	if (props != NULL)
		p.props = *props;
	p.packet_id = m->qos > 0 ? 1 : 0; /* the length does not depend on it */
	len = mqtt_encoded_length(&s->codec, &p, NULL);
	if (len < 0)
		return (int)len;
	if (s->msg_count >= s->cfg.queue_messages ||
	    (size_t)len > s->cfg.queue_bytes - s->msg_pool_used)
		return -ENOBUFS;
	if (m->qos > 0) {
		p.packet_id = id_alloc(s);
		if (p.packet_id == 0)
			return -ENOBUFS;
	}
	e = &s->msgs[s->msg_count];
	memset(e, 0, sizeof(*e));
	e->offset = s->msg_pool_used;
	if (mqtt_encode(&s->codec, &p, s->msg_pool + e->offset, (size_t)len,
			NULL) != len) {
		if (p.packet_id != 0)
			id_set(s, p.packet_id, false);
		return -EINVAL;
	}
	e->length = (uint32_t)len;
	e->packet_id = p.packet_id;
	e->qos = m->qos;
	e->state = OUT_QUEUED;
	e->token = new_token(s);
	s->msg_pool_used += (uint32_t)len;
	s->msg_count++;
	*token = e->token;
	pump(s);
	return 0;
}

static bool
has_wildcard(struct mqtt_bytes f)
{
	return memchr(f.data, '+', f.len) != NULL ||
	       memchr(f.data, '#', f.len) != NULL;
}

int
mqtt_session_subscribe(struct mqtt_session *s,
		       const struct mqtt_subscription *list, size_t n,
		       uint32_t subscription_id, uint32_t *token)
{
	struct mqtt_packet p;
	size_t bytes = 0;
	ssize_t len;
	uint32_t t;
	int rc;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	if (list == NULL || token == NULL || n == 0 ||
	    subscription_id > MQTT_MAX_SUBSCRIPTION_ID ||
	    (subscription_id != 0 && s->cfg.version != MQTT_V5))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (list[i].filter.len > 0 && list[i].filter.data == NULL)
			return -EINVAL;
		if (s->cfg.version == MQTT_V5 &&
		    ((!s->broker_wildcard && has_wildcard(list[i].filter)) ||
		     (!s->broker_shared &&
		      mqtt_topic_share_split(list[i].filter.data,
					     list[i].filter.len, NULL, NULL))))
			return -EOPNOTSUPP;
	}
	if (subscription_id != 0 && !s->broker_subscription_ids)
		return -EOPNOTSUPP;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.u.filters.list = list;
	p.u.filters.count = n;
	if (subscription_id != 0) {
		p.props.present = UINT64_C(1) << MQTT_PROP_SUBSCRIPTION_ID;
		p.props.subscription_id = subscription_id;
	}
	/* The filters are checked first, then the room in the table for
	 * every one of them, should the broker grant them all. */
	p.packet_id = 1;
	len = mqtt_encoded_length(&s->codec, &p, NULL);
	if (len < 0)
		return (int)len;
	if (n > (size_t)s->cfg.subscriptions - s->sub_count - s->reserved_subs)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++)
		bytes += list[i].filter.len;
	if (bytes > (size_t)s->cfg.subscription_bytes - s->sub_pool_used -
			s->reserved_sub_bytes)
		return -ENOBUFS;
	t = s->next_token;
	rc = req_add(s, &p, REQ_SUBSCRIBE, t, (uint16_t)n, (uint32_t)bytes);
	if (rc < 0)
		return rc;
	*token = new_token(s);
	pump(s);
	return 0;
}

int
mqtt_session_unsubscribe(struct mqtt_session *s,
			 const struct mqtt_bytes *filters, size_t n,
			 uint32_t *token)
{
	struct mqtt_packet p;
	uint32_t t;
	int rc;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	if (filters == NULL || token == NULL || n == 0)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBSCRIBE;
	p.u.filters.filters = filters;
	p.u.filters.count = n;
	t = s->next_token;
	rc = req_add(s, &p, REQ_UNSUBSCRIBE, t, 0, 0);
	if (rc < 0)
		return rc;
	*token = new_token(s);
	pump(s);
	return 0;
}

int
mqtt_session_disconnect(struct mqtt_session *s, uint8_t reason_code)
{
	if (s->state == MQTT_SESSION_IDLE)
		return -ENOTCONN;
	if (reason_code != MQTT_RC_SUCCESS &&
	    !(s->cfg.version == MQTT_V5 &&
	      reason_code == MQTT_RC_DISCONNECT_WITH_WILL))
		return -EINVAL;
	write_disconnect(s, reason_code);
	session_close(s, MQTT_FAULT_LOCAL_DISCONNECT, 0, reason_code, NULL);
	return 0;
}

void
mqtt_session_transport_closed(struct mqtt_session *s)
{
	session_close(s, MQTT_FAULT_TRANSPORT_CLOSED,
		      mqtt_fault_errno(MQTT_FAULT_TRANSPORT_CLOSED), 0, NULL);
	s->out_start = s->out_end = 0;
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

int
mqtt_session_subscription(const struct mqtt_session *s, uint32_t i,
			  struct mqtt_subscription *out)
{
	if (i >= s->sub_count)
		return 0;
	out->filter = sub_filter(s, i);
	out->options = s->subs[i].options;
	return 1;
}

/* ---- invariants ---- */

#define CHECK_OR_FAIL(cond)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			return -EFAULT;                                        \
	} while (0)

/* Each table's entries with bytes lie in its pool back to back, in
 * table order, from 0 to the fill level: `at` walks them. */
static bool
next_in_pool(uint32_t *at, uint32_t offset, uint32_t length, uint32_t used)
{
	if (length == 0)
		return true;
	if (offset != *at || length > used - *at)
		return false;
	*at += length;
	return true;
}

int
mqtt_session_check(const struct mqtt_session *s)
{
	uint32_t inflight = 0, ids = 0, reserved = 0, reserved_bytes = 0;
	uint32_t at;

	CHECK_OR_FAIL(s->in_start <= s->in_end &&
		      s->in_end <= s->cfg.input_bytes &&
		      s->in_held <= s->in_end - s->in_start);
	CHECK_OR_FAIL(s->out_start <= s->out_end &&
		      s->out_end <= s->cfg.output_bytes);

	CHECK_OR_FAIL(s->msg_count <= s->cfg.queue_messages &&
		      s->msg_pool_used <= s->cfg.queue_bytes);
	at = 0;
	for (uint32_t i = 0; i < s->msg_count; i++) {
		const struct mqtt_out_message *m = &s->msgs[i];

		CHECK_OR_FAIL(m->qos <= 2 && m->state <= OUT_REPORT);
		CHECK_OR_FAIL((m->qos == 0) == (m->packet_id == 0));
		CHECK_OR_FAIL(m->packet_id == 0 || id_used(s, m->packet_id));
		/* Bytes are kept exactly while a PUBLISH may be sent. */
		CHECK_OR_FAIL((m->length > 0) ==
			      (m->state == OUT_QUEUED ||
			       m->state == OUT_AWAIT_PUBACK ||
			       m->state == OUT_AWAIT_PUBREC));
		CHECK_OR_FAIL(m->qos == 2 || (m->state != OUT_AWAIT_PUBREC &&
					      m->state != OUT_PUBREL_QUEUED &&
					      m->state != OUT_AWAIT_PUBCOMP));
		CHECK_OR_FAIL(m->qos == 1 || m->state != OUT_AWAIT_PUBACK);
		/* Without a connection nothing awaits an answer. */
		CHECK_OR_FAIL(s->state != MQTT_SESSION_IDLE ||
			      (m->state != OUT_AWAIT_PUBACK &&
			       m->state != OUT_AWAIT_PUBREC &&
			       m->state != OUT_AWAIT_PUBCOMP));
		CHECK_OR_FAIL(
		    next_in_pool(&at, m->offset, m->length, s->msg_pool_used));
		inflight += counts_inflight(m->state);
		ids += m->packet_id != 0;
	}
	CHECK_OR_FAIL(at == s->msg_pool_used);
	CHECK_OR_FAIL(inflight == s->inflight &&
		      inflight <= s->cfg.max_inflight);

	CHECK_OR_FAIL(s->qos2_count <= s->cfg.inbound_qos2);
	for (uint32_t i = 0; i < s->qos2_count; i++) {
		CHECK_OR_FAIL(s->qos2_ids[i] != 0);
		for (uint32_t k = 0; k < i; k++)
			CHECK_OR_FAIL(s->qos2_ids[k] != s->qos2_ids[i]);
	}
	CHECK_OR_FAIL(s->ack_count <= s->cfg.ack_queue &&
		      s->ack_head < s->cfg.ack_queue);
	for (uint32_t i = 0; i < s->cfg.topic_aliases; i++)
		CHECK_OR_FAIL(s->alias_len[i] <= s->cfg.alias_topic_bytes);

	CHECK_OR_FAIL(s->sub_count <= s->cfg.subscriptions &&
		      s->sub_pool_used <= s->cfg.subscription_bytes);
	at = 0;
	for (uint32_t i = 0; i < s->sub_count; i++) {
		/* Each filter once: the first match is itself. */
		CHECK_OR_FAIL(s->subs[i].length > 0 &&
			      sub_find(s, sub_filter(s, i)) == (int)i);
		CHECK_OR_FAIL(next_in_pool(&at, s->subs[i].offset,
					   s->subs[i].length,
					   s->sub_pool_used));
	}
	CHECK_OR_FAIL(at == s->sub_pool_used);
	CHECK_OR_FAIL(!s->restoring || s->restore_next <= s->sub_count);

	CHECK_OR_FAIL(s->req_count <= s->cfg.requests &&
		      s->req_pool_used <= s->cfg.request_bytes);
	at = 0;
	for (uint32_t i = 0; i < s->req_count; i++) {
		const struct mqtt_request *r = &s->reqs[i];

		CHECK_OR_FAIL(r->length > 0 && r->kind <= REQ_RESTORE);
		CHECK_OR_FAIL(r->packet_id != 0 && id_used(s, r->packet_id));
		CHECK_OR_FAIL(
		    next_in_pool(&at, r->offset, r->length, s->req_pool_used));
		reserved += r->reserved_count;
		reserved_bytes += r->reserved_bytes;
		ids++;
	}
	CHECK_OR_FAIL(at == s->req_pool_used);
	CHECK_OR_FAIL(reserved == s->reserved_subs &&
		      reserved_bytes == s->reserved_sub_bytes);
	CHECK_OR_FAIL(s->sub_count + reserved <= s->cfg.subscriptions &&
		      s->sub_pool_used + reserved_bytes <=
			  s->cfg.subscription_bytes);

	/* As many identifiers marked as there are holders, and each
	 * holder's marked: so no two share one.  (ids_held changes only
	 * when a mark does, so it counts the marks.) */
	CHECK_OR_FAIL(!id_used(s, 0) && s->ids_held == ids);
	return 0;
}
