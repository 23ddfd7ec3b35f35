/*
 * The messages we publish: the queue, in the order they were published,
 * the in-flight window the broker's Receive Maximum and ours allow, and
 * the QoS 1 and 2 acknowledgements that finish them.
 */
#include <errno.h>
#include <string.h>

#include "session_state.h"

bool
session_counts_inflight(uint8_t state)
{
	return state == OUT_AWAIT_PUBACK || state == OUT_AWAIT_PUBREC ||
	       state == OUT_PUBREL_QUEUED || state == OUT_AWAIT_PUBCOMP ||
	       state == OUT_PUBREC_HELD;
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
	if (session_counts_inflight(m->state))
		s->inflight--;
	if (m->packet_id != 0)
		session_id_set(s, m->packet_id, false);
	memmove(m, m + 1, (s->msg_count - i - 1) * sizeof(*m));
	s->msg_count--;
}

void
session_msg_finish(struct mqtt_session *s, uint32_t i, int result,
		   uint8_t reason)
{
	struct mqtt_out_message *m = &s->msgs[i];

	msg_drop_bytes(s, m);
	if (session_counts_inflight(m->state))
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

/* The alias this connection gave topic t, or 0. */
static uint16_t
out_alias_of(const struct mqtt_session *s, struct mqtt_bytes t)
{
	for (uint16_t i = 0; i < s->out_alias_count; i++)
		if (s->out_alias_len[i] == t.len &&
		    memcmp(s->out_alias_topics +
			       (size_t)i * s->cfg.alias_topic_bytes,
			   t.data, t.len) == 0)
			return (uint16_t)(i + 1);
	return 0;
}

/* The alias a topic that has none may take, or 0: the next one never
 * given on this connection, else the one whose topic has gone out least
 * recently if that was MQTT_SESSION_OUT_ALIAS_IDLE_ROUNDS rounds of
 * publishes ago or more.  Ages are counted modulo 2^32, so an alias idle
 * for 2^32 publishes may look young: it is then kept, which is safe. */
static uint16_t
out_alias_free(const struct mqtt_session *s)
{
	uint32_t idle = MQTT_SESSION_OUT_ALIAS_IDLE_ROUNDS * s->out_alias_limit;
	uint16_t oldest = 0;

	if (s->out_alias_count < s->out_alias_limit)
		return (uint16_t)(s->out_alias_count + 1);
	for (uint16_t i = 1; i < s->out_alias_count; i++)
		if (s->publishes_out - s->out_alias_used[i] >
		    s->publishes_out - s->out_alias_used[oldest])
			oldest = i;
	return s->publishes_out - s->out_alias_used[oldest] >= idle
		   ? (uint16_t)(oldest + 1)
		   : 0;
}

/*
 * Writes message m by its topic alias (5.0), with DUP if it went out
 * before: a topic that has one goes as an empty topic and the alias; one
 * that has none takes a free alias (out_alias_free), sent with the topic
 * this once, which tells the broker the alias's new topic.  A new alias
 * counts only once its PUBLISH is in the output, so the broker never
 * meets an alias it was not told, and the output keeps the order in
 * which the broker reads them.  -ENOENT: no alias applies (none free,
 * the topic longer than a slot, or the message too large for the broker
 * with one), write the bytes as queued; -ENOBUFS: no room in the output
 * yet; -EPROTO if the bytes queued do not decode (they are our own
 * encoder's).
 */
static int
emit_by_alias(struct mqtt_session *s, const struct mqtt_out_message *m)
{
	struct mqtt_codec as_broker = s->codec;
	struct mqtt_packet p;
	struct mqtt_bytes topic;
	uint16_t alias;
	bool new_alias;
	int rc;

	as_broker.self = MQTT_SERVER;
	as_broker.max_in = 0;
	if (mqtt_decode(&as_broker, s->msg_pool + m->offset, m->length, &p,
			NULL, NULL) != (ssize_t)m->length ||
	    p.type != MQTT_PUBLISH)
		return -EPROTO;
	topic = p.u.publish.topic;
	alias = out_alias_of(s, topic);
	new_alias = alias == 0;
	if (new_alias) {
		if (topic.len > s->cfg.alias_topic_bytes)
			return -ENOENT;
		alias = out_alias_free(s);
		if (alias == 0)
			return -ENOENT;
	} else
		p.u.publish.topic.len = 0;
	p.u.publish.dup = m->qos > 0 && m->sent_before;
	p.props.present |= UINT64_C(1) << MQTT_PROP_TOPIC_ALIAS;
	p.props.topic_alias = alias;
	rc = session_emit(s, &p);
	if (rc == -ENOBUFS)
		return rc;
	if (rc < 0)
		return -ENOENT;
	if (new_alias) {
		memcpy(s->out_alias_topics +
			   (size_t)(alias - 1) * s->cfg.alias_topic_bytes,
		       topic.data, topic.len);
		s->out_alias_len[alias - 1] = (uint16_t)topic.len;
		if (alias > s->out_alias_count)
			s->out_alias_count = alias;
	}
	s->out_alias_used[alias - 1] = s->publishes_out;
	return 0;
}

/* Writes message m to the output, by alias where one applies. */
static int
emit_message(struct mqtt_session *s, const struct mqtt_out_message *m)
{
	int rc = s->out_alias_limit > 0 ? emit_by_alias(s, m) : -ENOENT;

	if (rc == -ENOENT) {
		if (session_emit_bytes(s, s->msg_pool + m->offset, m->length) <
		    0)
			return -ENOBUFS;
		if (m->qos > 0 && m->sent_before)
			s->out[s->out_end - m->length] |= MQTT_PUBLISH_DUP;
		rc = 0;
	}
	if (rc == 0)
		s->publishes_out++;
	return rc;
}

static uint32_t
window(const struct mqtt_session *s)
{
	return s->cfg.max_inflight < s->broker_receive_maximum
		   ? s->cfg.max_inflight
		   : s->broker_receive_maximum;
}

bool
session_pump_messages(struct mqtt_session *s)
{
	bool blocked = false;
	uint32_t i = 0;

	while (i < s->msg_count) {
		struct mqtt_out_message *m = &s->msgs[i];
		struct mqtt_packet p;
		int rc;

		if (m->state == OUT_PUBREL_QUEUED) {
			memset(&p, 0, sizeof(p));
			p.type = MQTT_PUBREL;
			p.packet_id = m->packet_id;
			if (session_emit(s, &p) < 0)
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
			session_msg_finish(s, i, -EMSGSIZE, 0);
			i++;
			continue;
		}
		rc = emit_message(s, m);
		if (rc == -ENOBUFS)
			return false;
		if (rc < 0) {
			session_msg_finish(s, i, rc, 0);
			i++;
			continue;
		}
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

int
session_on_publish_ack(struct mqtt_session *s, const struct mqtt_packet *p,
		       struct mqtt_event *ev)
{
	uint8_t want = p->type == MQTT_PUBACK	? OUT_AWAIT_PUBACK
		       : p->type == MQTT_PUBREC ? OUT_AWAIT_PUBREC
						: OUT_AWAIT_PUBCOMP;
	int i;

	if (s->state != MQTT_SESSION_CONNECTED)
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	i = msg_find(s, p->packet_id, want);
	if (i < 0)
		return session_violation(s, MQTT_FAULT_UNKNOWN_PACKET_ID);
	if (p->type == MQTT_PUBREC && p->reason_code < MQTT_RC_FIRST_FAILURE) {
		/* The broker has it; only the PUBREL/PUBCOMP exchange is
		 * left, so its bytes are freed and it joins the end, where
		 * PUBRELs go out in the order their PUBRECs came. */
		struct mqtt_out_message m;

		msg_drop_bytes(s, &s->msgs[i]);
		m = s->msgs[i];
		m.state = s->cfg.durable ? OUT_PUBREC_HELD : OUT_PUBREL_QUEUED;
		memmove(&s->msgs[i], &s->msgs[i + 1],
			(s->msg_count - (uint32_t)i - 1) * sizeof(m));
		s->msgs[s->msg_count - 1] = m;
		if (!s->cfg.durable)
			return 0;
		/* Its PUBREL waits until the caller has recorded this. */
		ev->type = MQTT_EVENT_RECEIVED;
		ev->token = m.token;
		ev->packet_id = m.packet_id;
		return 1;
	}
	ev->type = MQTT_EVENT_PUBLISHED;
	ev->token = s->msgs[i].token;
	ev->packet_id = s->msgs[i].packet_id;
	ev->reason_code = p->reason_code;
	/* PUBCOMP's only failure, "identifier not found", comes after the
	 * broker took the message. */
	ev->error =
	    p->type == MQTT_PUBCOMP ? 0 : mqtt_reason_errno(p->reason_code);
	ev->props = p->props;
	msg_remove(s, (uint32_t)i);
	return 1;
}

int
session_report(struct mqtt_session *s, struct mqtt_event *ev)
{
	for (uint32_t i = 0; i < s->msg_count; i++) {
		struct mqtt_out_message *m = &s->msgs[i];

		if (m->state != OUT_REPORT)
			continue;
		ev->type = MQTT_EVENT_PUBLISHED;
		ev->token = m->token;
		ev->packet_id = m->packet_id;
		ev->error = m->result;
		ev->reason_code = m->reason_code;
		msg_remove(s, i);
		return 1;
	}
	return 0;
}

/* Queues m as the next message, with the identifier `id` (0: QoS 0, or
 * one to allocate), in state `state`. */
static int
queue_message(struct mqtt_session *s, const struct mqtt_publish *m,
	      const struct mqtt_properties *props, uint16_t id, bool allocate,
	      uint32_t *token)
{
	struct mqtt_out_message *e;
	struct mqtt_packet p;
	ssize_t len;

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
	if (m->qos > 0 && allocate) {
		id = session_id_alloc(s);
		if (id == 0)
			return -ENOBUFS;
	} else if (m->qos > 0) {
		session_id_set(s, id, true);
	}
	p.packet_id = m->qos > 0 ? id : 0;
	e = &s->msgs[s->msg_count];
	memset(e, 0, sizeof(*e));
	e->offset = s->msg_pool_used;
	if (mqtt_encode(&s->codec, &p, s->msg_pool + e->offset, (size_t)len,
			NULL) != len) {
		if (p.packet_id != 0)
			session_id_set(s, p.packet_id, false);
		return -EINVAL;
	}
	e->length = (uint32_t)len;
	e->packet_id = p.packet_id;
	e->qos = m->qos;
	e->state = OUT_QUEUED;
	e->token = session_new_token(s);
	s->msg_pool_used += (uint32_t)len;
	s->msg_count++;
	*token = e->token;
	return 0;
}

int
mqtt_session_publish(struct mqtt_session *s, const struct mqtt_publish *m,
		     const struct mqtt_properties *props, uint32_t *token)
{
	int rc;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	rc = queue_message(s, m, props, 0, true, token);
	if (rc == 0)
		session_pump(s);
	return rc;
}

void
mqtt_session_room(const struct mqtt_session *s, struct mqtt_session_room *out)
{
	out->messages = s->cfg.queue_messages - s->msg_count;
	out->bytes = s->cfg.queue_bytes - s->msg_pool_used;
	out->qos0_overhead = MQTT_QOS0_PUBLISH_OVERHEAD(s->codec.version);
	out->packet_max =
	    s->codec.max_out == 0 ? MQTT_MAX_PACKET_SIZE : s->codec.max_out;
}

/* A caller's identifier: below the session's own, and not in use. */
static int
caller_id_check(const struct mqtt_session *s, const struct mqtt_publish *m,
		uint16_t id)
{
	if (!s->cfg.durable || m == NULL || m->qos > 2 ||
	    (m->qos == 0) != (id == 0) || id >= MQTT_SESSION_OWN_IDS_FIRST)
		return -EINVAL;
	return id != 0 && id_used(s, id) ? -EBUSY : 0;
}

int
mqtt_session_publish_id(struct mqtt_session *s, const struct mqtt_publish *m,
			const struct mqtt_properties *props, uint16_t packet_id,
			uint32_t *token)
{
	int rc = caller_id_check(s, m, packet_id);

	if (rc == 0)
		rc = queue_message(s, m, props, packet_id, false, token);
	if (rc == 0)
		session_pump(s);
	return rc;
}

int
mqtt_session_release(struct mqtt_session *s, uint16_t packet_id)
{
	int i = msg_find(s, packet_id, OUT_PUBREC_HELD);

	if (i < 0)
		return -ENOENT;
	s->msgs[i].state = OUT_PUBREL_QUEUED;
	session_pump(s);
	return 0;
}

int
mqtt_session_restore(struct mqtt_session *s, const struct mqtt_publish *m,
		     uint16_t packet_id, bool released, uint32_t *token)
{
	struct mqtt_out_message *e;
	int rc = caller_id_check(s, m, packet_id);

	if (rc < 0)
		return rc;
	if (s->state != MQTT_SESSION_IDLE)
		return -EISCONN;
	if (m->qos == 0 || (released && m->qos != 2))
		return -EINVAL;
	if (!released)
		rc = queue_message(s, m, NULL, packet_id, false, token);
	else if (s->msg_count >= s->cfg.queue_messages ||
		 s->inflight >= s->cfg.max_inflight)
		rc = -ENOBUFS;
	if (rc < 0)
		return rc;
	e = &s->msgs[released ? s->msg_count : s->msg_count - 1];
	if (released) {
		memset(e, 0, sizeof(*e));
		e->packet_id = packet_id;
		e->qos = 2;
		e->state = OUT_PUBREL_QUEUED;
		e->token = session_new_token(s);
		session_id_set(s, packet_id, true);
		s->inflight++;
		s->msg_count++;
		*token = e->token;
	}
	/* It may have reached the broker: DUP. */
	e->sent_before = true;
	return 0;
}
