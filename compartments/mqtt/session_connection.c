/*
 * A connection's life: CONNECT and the CONNACK that answers it, the
 * keep-alive that watches it, and its end, whoever ends it.
 */
#include <errno.h>
#include <string.h>

#include "session_state.h"

/* ---- closing ---- */

void
session_close(struct mqtt_session *s, enum mqtt_fault fault, int error,
	      uint8_t reason_code, const struct mqtt_properties *props)
{
	uint8_t tell = mqtt_fault_reason_code(fault);

	if (s->state == MQTT_SESSION_IDLE)
		return;
	if (s->cfg.version == MQTT_V5 && tell != 0)
		session_write_disconnect(s, tell);
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
			session_req_remove(s, i);
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

		if (m->state == OUT_PUBREL_QUEUED ||
		    m->state == OUT_PUBREC_HELD)
			/* Its PUBREC came: the broker took the message. */
			session_msg_finish(s, i, 0, 0);
		else if (m->state == OUT_QUEUED)
			m->sent_before = false;
	}
	s->qos2_count = 0;
	if (!s->clean_start && s->sub_count > 0) {
		s->restoring = true;
		s->restore_next = 0;
	}
}

int
session_violation(struct mqtt_session *s, enum mqtt_fault f)
{
	session_close(s, f, mqtt_fault_errno(f), mqtt_fault_reason_code(f),
		      NULL);
	return 0;
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
	if (session_emit(s, &p) < 0)
		return -EMSGSIZE;

	see_time(s, now_ms);
	s->in_start = s->in_end = s->in_held = 0;
	s->ack_head = s->ack_count = 0;
	for (uint32_t i = 0; i < s->cfg.topic_aliases; i++)
		s->alias_len[i] = 0;
	/* Aliases belong to one network connection, both ways. */
	s->out_alias_count = s->out_alias_limit = 0;
	s->publishes_out = 0;
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

int
session_on_connack(struct mqtt_session *s, const struct mqtt_packet *p,
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
	if (mqtt_prop_has(pr, MQTT_PROP_TOPIC_ALIAS_MAXIMUM))
		s->out_alias_limit =
		    pr->topic_alias_maximum < s->cfg.out_topic_aliases
			? pr->topic_alias_maximum
			: s->cfg.out_topic_aliases;
	if (!p->session_present)
		session_lost(s);
	s->state = MQTT_SESSION_CONNECTED;
	ev->type = MQTT_EVENT_CONNECTED;
	ev->session_present = p->session_present;
	ev->reason_code = p->reason_code;
	ev->props = *pr;
	return 1;
}

/* ---- keep-alive ---- */

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
			session_pump(s);
		}
	}
	return mqtt_session_next_deadline(s);
}

/* ---- the caller ends it ---- */

int
mqtt_session_disconnect(struct mqtt_session *s, uint8_t reason_code)
{
	if (s->state == MQTT_SESSION_IDLE)
		return -ENOTCONN;
	if (reason_code != MQTT_RC_SUCCESS &&
	    !(s->cfg.version == MQTT_V5 &&
	      reason_code == MQTT_RC_DISCONNECT_WITH_WILL))
		return -EINVAL;
	session_write_disconnect(s, reason_code);
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
