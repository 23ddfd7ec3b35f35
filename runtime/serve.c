/*
 * Calls between compartments, the callee's side: the checks made before
 * any handler sees a request, the handlers' replies, at once or deferred,
 * and the outbox that keeps replies a full ring did not take.
 */
#include "call.h"
#include "call_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static bool
peer_may_call(const struct sn_peer *p, uint16_t export_id)
{
	if (export_id >= 64u * SN_EXPORT_WORDS)
		return false;
	return (p->may_call[export_id / 64] >> (export_id % 64)) & 1u;
}

void
sn_peer_allow(struct sn_peer *p, uint16_t export_id)
{
	if (export_id < 64u * SN_EXPORT_WORDS)
		p->may_call[export_id / 64] |= UINT64_C(1) << (export_id % 64);
}

void
sn_outbox_flush(struct sn_peer *p)
{
	while (p->outbox_head != NULL) {
		struct sn_outbox_entry *e = p->outbox_head;
		int rc = sn_channel_send(&p->channel, e->msg, e->len);

		if (rc == -EAGAIN)
			return;
		/* Sent, or the peer is gone: either way it is done with. */
		p->outbox_head = e->next;
		if (p->outbox_head == NULL)
			p->outbox_tail = NULL;
		free(e);
		p->outbox_count--;
		p->in_flight--;
		if (p->outbox_count == 0)
			p->owner->peers_with_outbox--;
	}
}

static int
outbox_push(struct sn_peer *p, const uint8_t *msg, size_t len)
{
	struct sn_outbox_entry *e;

	/* Bounded without a check here: each entry is a reply still counted
	 * in in_flight, which SN_MAX_IN_FLIGHT and SN_MAX_WAITING bound. */
	e = malloc(sizeof(*e) + len);
	if (e == NULL)
		return -ENOMEM;
	e->next = NULL;
	e->len = len;
	memcpy(e->msg, msg, len);
	if (p->outbox_tail != NULL)
		p->outbox_tail->next = e;
	else
		p->outbox_head = e;
	p->outbox_tail = e;
	if (p->outbox_count++ == 0)
		p->owner->peers_with_outbox++;
	p->stats.replies_queued++;
	return 0;
}

/* A reply that reaches no one: its caller died, broke the ring, or
 * there was no memory to queue it.  Nothing a handler could do about it,
 * so the runtime counts it here and handlers may ignore the result.  The
 * call is over all the same: it no longer counts as in flight, or each
 * such loss would hold one of the caller's places for good. */
static int
reply_lost(struct sn_peer *p, int rc)
{
	if (p->in_flight > 0)
		p->in_flight--;
	if (sn_log_worth(++p->stats.replies_lost))
		sn_log("a reply to %s was lost: %s (%llu so far)", p->name,
		       strerror(-rc),
		       (unsigned long long)p->stats.replies_lost);
	return rc;
}

static int
send_reply(struct sn_peer *p, uint64_t call_id, uint16_t export_id,
	   uint64_t deadline_ns, int32_t status, uint8_t body_type,
	   uint32_t body)
{
	struct sn_compartment *c = p->owner;
	size_t len;
	int rc;

	rc = sn_message_finish(c, SN_CALL_TYPE_REPLY, export_id, call_id,
			       deadline_ns, status, body_type, body, &len);
	if (rc < 0) {
		/* The body did not fit: the caller still gets an answer. */
		sn_message_begin(c);
		rc =
		    sn_message_finish(c, SN_CALL_TYPE_REPLY, export_id, call_id,
				      deadline_ns, rc, SN_BODY_NONE, 0, &len);
		if (rc < 0)
			return reply_lost(p, rc);
	}
	/* Replies keep their order behind queued ones. */
	rc = p->outbox_count ? -EAGAIN
			     : sn_channel_send(&p->channel, c->tx, len);
	if (rc == -EAGAIN) {
		rc = outbox_push(p, c->tx, len);
		return rc < 0 ? reply_lost(p, rc) : 0;
	}
	if (rc == -SEALNET_ECOMPARTMENT || rc == -EPIPE)
		sn_peer_death_seen(p);
	if (rc < 0)
		return reply_lost(p, rc);
	p->in_flight--;
	return 0;
}

int
sn_reply_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body)
{
	in->answered = true;
	if (in->notice)
		return -EINVAL; /* nobody waits for an answer */
	return send_reply(in->peer, in->call_id, in->export_id, in->deadline_ns,
			  0, body_type, body);
}

int
sn_reply_error(struct sn_incoming *in, int negative_errno)
{
	in->answered = true;
	if (in->notice)
		return -EINVAL;
	sn_message_begin(in->peer->owner);
	return send_reply(in->peer, in->call_id, in->export_id, in->deadline_ns,
			  negative_errno, SN_BODY_NONE, 0);
}

void
sn_defer(struct sn_incoming *in, struct sn_deferred *out)
{
	in->answered = true;
	/* A notice has no one to answer: its deferred answer goes nowhere. */
	*out = (struct sn_deferred){
	    .peer = in->notice ? NULL : in->peer,
	    .incarnation = in->peer->incarnation,
	    .call_id = in->call_id,
	    .deadline_ns = in->deadline_ns,
	    .export_id = in->export_id,
	};
}

void
sn_defer_wait(struct sn_incoming *in, struct sn_deferred *out)
{
	struct sn_peer *p = in->peer;

	sn_defer(in, out);
	if (in->notice || p->waiting >= SN_MAX_WAITING)
		return;
	p->waiting++;
	p->in_flight--;
	out->waiting = true;
}

/* A call is answered once: the answer uses the deferred reply up. */
static struct sn_peer *
deferred_take(struct sn_deferred *d)
{
	struct sn_peer *p = d->peer;

	d->peer = NULL;
	if (p == NULL || sn_peer_gone(p) || d->incarnation != p->incarnation)
		return NULL;
	if (d->waiting) {
		/* Its answer is in flight until the ring takes it. */
		d->waiting = false;
		p->waiting--;
		p->in_flight++;
	}
	return p;
}

int
sn_deferred_ok(struct sn_deferred *d, uint8_t body_type, uint32_t body)
{
	struct sn_peer *p = deferred_take(d);

	if (p == NULL)
		return -SEALNET_ECOMPARTMENT;
	return send_reply(p, d->call_id, d->export_id, d->deadline_ns, 0,
			  body_type, body);
}

int
sn_deferred_error(struct sn_deferred *d, int negative_errno)
{
	struct sn_peer *p = deferred_take(d);

	if (p == NULL)
		return -SEALNET_ECOMPARTMENT;
	sn_message_begin(p->owner);
	return send_reply(p, d->call_id, d->export_id, d->deadline_ns,
			  negative_errno, SN_BODY_NONE, 0);
}

static const struct sn_handler *
find_handler(const struct sn_compartment *c, uint16_t export_id)
{
	for (unsigned i = 0; i < c->nhandlers; i++)
		if (c->handlers[i].export_id == export_id)
			return &c->handlers[i];
	return NULL;
}

static bool
same_host(const char *held, const char *s, uint32_t len)
{
	return s != NULL && strlen(held) == len && memcmp(held, s, len) == 0;
}

/* An absent identity is the empty one: a capability without an identity
 * matches only a presentation without one. */
static bool
same_identity(const char *held, const char *s, uint32_t len)
{
	return s == NULL ? held[0] == 0 : same_host(held, s, len);
}

/* A request presenting a static capability is served only if the caller
 * holds an identical one: the value proves nothing by itself. */
static bool
peer_holds_presented(const struct sn_peer *p, const sn_message_ref *m)
{
	int kind;
	uint32_t pos = sn_message_presented_capability(*m, &kind);

	if (kind == 0)
		return true;
	for (unsigned i = 0; i < p->nheld; i++) {
		const struct sn_capability *h = &p->held[i];

		if (kind == SN_CAPABILITY_CONNECTION &&
		    h->kind == SN_CAPABILITY_CONNECTION) {
			sn_connection_capability_ref r = {m->buf, m->len, pos};
			uint32_t len, id_len = 0;
			const char *host =
			    sn_connection_capability_host(r, &len);
			const char *id =
			    sn_connection_capability_identity(r, &id_len);

			if (h->protocol ==
				sn_connection_capability_protocol(r) &&
			    h->port == sn_connection_capability_port(r) &&
			    same_host(h->host, host, len) &&
			    same_identity(h->identity, id, id_len) &&
			    sn_capability_mqtt_same(
				h, sn_connection_capability_mqtt(r)))
				return true;
		} else if (kind == SN_CAPABILITY_BIND &&
			   h->kind == SN_CAPABILITY_BIND) {
			sn_bind_capability_ref r = {m->buf, m->len, pos};

			if (h->port == sn_bind_capability_port(r) &&
			    h->max_connections ==
				sn_bind_capability_max_connections(r) &&
			    h->ipv6 == sn_bind_capability_ipv6(r))
				return true;
		}
	}
	return false;
}

static bool
served_late(uint16_t export_id)
{
	const sn_export_info *e = sn_export_info_get(export_id);

	return e != NULL && e->served_late;
}

void
sn_serve_request(struct sn_peer *p, const sn_message_ref *m)
{
	struct sn_compartment *c = p->owner;
	struct sn_incoming in = {
	    .peer = p,
	    .call_id = sn_message_call_id(*m),
	    .deadline_ns = sn_message_deadline_ns(*m),
	    .export_id = sn_message_export(*m),
	    .request = *m,
	    .notice = sn_message_call_type(*m) == SN_CALL_TYPE_NOTICE,
	};
	const struct sn_handler *h;

	/* Counted before any answer, refusals included, so the outbox
	 * bound holds for every reply.  A notice is served before the next
	 * message is read and gets no reply: nothing of it stays. */
	if (!in.notice)
		p->in_flight++;
	if (!peer_may_call(p, in.export_id)) {
		if (sn_log_worth(++p->stats.calls_refused))
			sn_log("refused %s from %s: not imported (%llu so far)",
			       sn_export_name(in.export_id), p->name,
			       (unsigned long long)p->stats.calls_refused);
		sn_reply_error(&in, -EPERM);
		return;
	}
	if (!peer_holds_presented(p, m)) {
		if (sn_log_worth(++p->stats.capabilities_refused))
			sn_log(
			    "refused %s from %s: presented a capability it "
			    "does not hold (%llu so far)",
			    sn_export_name(in.export_id), p->name,
			    (unsigned long long)p->stats.capabilities_refused);
		sn_reply_error(&in, -EPERM);
		return;
	}
	h = find_handler(c, in.export_id);
	if (h == NULL) {
		sn_reply_error(&in, -ENOSYS);
		return;
	}
	/* Nobody waits for the answer any more; but a release is still
	 * wanted (sealnet_served_late). */
	if (in.deadline_ns && sn_now_ns() >= in.deadline_ns &&
	    !served_late(in.export_id)) {
		sn_reply_error(&in, -ETIMEDOUT);
		return;
	}
	p->stats.calls_served++;
	h->serve(c->ctx, &in);
	if (!in.answered && !in.notice) {
		/* A handler that neither answered nor deferred is a bug;
		 * the caller must still not wait forever. */
		sn_log("%s: handler returned without an answer",
		       sn_export_name(in.export_id));
		sn_reply_error(&in, -EIO);
	}
}

void
sn_outbox_drop(struct sn_peer *p)
{
	while (p->outbox_head != NULL) {
		struct sn_outbox_entry *e = p->outbox_head;

		p->outbox_head = e->next;
		free(e);
	}
	p->outbox_tail = NULL;
	if (p->outbox_count != 0)
		p->owner->peers_with_outbox--;
	p->outbox_count = 0;
}
