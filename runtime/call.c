/*
 * Calls between compartments: requests, replies, deadlines and the checks
 * a callee makes before any handler sees a request.
 */
#include "call.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "log.h"

static uint64_t
deadline_after(uint64_t timeout_ns)
{
	return timeout_ns ? sn_now_ns() + timeout_ns : 0;
}

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

static sn_builder *
begin_message(struct sn_compartment *c)
{
	sn_builder_init(&c->tx_builder, c->tx, sizeof(c->tx));
	c->tx_message = sn_message_start(&c->tx_builder);
	return &c->tx_builder;
}

sn_builder *
sn_call_builder(struct sn_compartment *c)
{
	return begin_message(c);
}

sn_builder *
sn_reply_builder(struct sn_compartment *c)
{
	return begin_message(c);
}

/* Completes the message in c->tx; its length goes to *len. */
static int
finish_message(struct sn_compartment *c, uint8_t call_type, uint16_t export_id,
	       uint64_t call_id, uint64_t deadline_ns, int32_t status,
	       uint8_t body_type, uint32_t body, size_t *len)
{
	sn_builder *b = &c->tx_builder;
	uint32_t m = c->tx_message;

	sn_message_add_call_id(b, m, call_id);
	if (deadline_ns)
		sn_message_add_deadline_ns(b, m, deadline_ns);
	sn_message_add_call_type(b, m, call_type);
	sn_message_add_export(b, m, export_id);
	if (status)
		sn_message_add_status(b, m, status);
	if (body_type != SN_BODY_NONE)
		sn_message_add_body(b, m, body_type, body);
	return sn_builder_finish(b, m, len);
}

/* ---- the caller's side ---- */

static struct sn_pending_call *
pending_alloc(struct sn_peer *p)
{
	for (unsigned i = 0; i < SN_MAX_PENDING; i++)
		if (p->pending[i].call_id == 0) {
			struct sn_pending_call *pc = &p->pending[i];
			memset(pc, 0, sizeof(*pc));
			pc->call_id = ++p->next_call_id;
			pc->timer = -1;
			pc->peer = p;
			return pc;
		}
	return NULL;
}

/* The oldest record goes first when more are given up on at once. */
static void
abandon(struct sn_pending_call *pc)
{
	struct sn_peer *p = pc->peer;

	p->abandoned[p->next_abandoned++ % SN_MAX_ABANDONED] =
	    (struct sn_abandoned_call){pc->call_id, pc->export_id};
}

void
sn_peer_on_late_reply(struct sn_peer *p, sn_late_reply_fn fn)
{
	p->late_reply = fn;
}

static void
pending_free(struct sn_pending_call *pc)
{
	if (pc->timer >= 0)
		sn_loop_cancel_timer(&pc->peer->owner->loop, pc->timer);
	pc->timer = -1;
	pc->call_id = 0;
}

/* Sends the request in c->tx, waiting for ring space until the deadline
 * only if `wait` is set. */
static int
send_request(struct sn_peer *p, struct sn_pending_call *pc, uint16_t export_id,
	     uint8_t body_type, uint32_t body, uint64_t deadline_ns, bool wait)
{
	struct sn_compartment *c = p->owner;
	size_t len;
	int rc;

	rc = finish_message(c, SN_CALL_TYPE_REQUEST, export_id, pc->call_id,
			    deadline_ns, 0, body_type, body, &len);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = sn_channel_send(&p->channel, c->tx, len);
		if (rc != -EAGAIN || !wait)
			break;
		rc = sn_channel_wait_writable(&p->channel, len, deadline_ns);
		if (rc < 0)
			break;
	}
	/* A broken ring is a dead peer to every caller, this one too. */
	if (rc == -SEALNET_ECOMPARTMENT || rc == -EPIPE) {
		sn_peer_died(p);
		rc = -SEALNET_ECOMPARTMENT;
	}
	return rc;
}

int
sn_call(struct sn_peer *p, uint16_t export_id, uint8_t body_type, uint32_t body,
	uint64_t timeout_ns, uint8_t *reply_buf, size_t reply_cap,
	sn_message_ref *reply)
{
	struct sn_compartment *c = p->owner;
	uint64_t deadline_ns = deadline_after(timeout_ns);
	struct sn_pending_call *pc;
	int rc;

	if (p->dead)
		return -SEALNET_ECOMPARTMENT;
	pc = pending_alloc(p);
	if (pc == NULL)
		return -EBUSY;
	pc->export_id = export_id;
	pc->reply_buf = reply_buf;
	pc->reply_cap = reply_cap;
	rc = send_request(p, pc, export_id, body_type, body, deadline_ns, true);
	if (rc < 0) {
		pending_free(pc);
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	}
	while (!pc->complete) {
		if (p->dead) {
			pc->status = -SEALNET_ECOMPARTMENT;
			break;
		}
		if (deadline_ns && sn_now_ns() >= deadline_ns) {
			pc->status = -ETIMEDOUT;
			abandon(pc);
			break;
		}
		rc = sn_loop_run_once(&c->loop, deadline_ns);
		if (rc < 0 && rc != -ETIMEDOUT) {
			pc->status = rc;
			break;
		}
	}
	rc = pc->status;
	if (pc->complete && rc == 0 && reply != NULL) {
		/* The reply was verified in c->rx and copied unchanged. */
		*reply = (sn_message_ref){.buf = reply_buf,
					  .len = (uint32_t)pc->reply_len,
					  .pos = pc->reply_pos};
	}
	pending_free(pc);
	return rc;
}

static void
pending_timed_out(void *ctx)
{
	struct sn_pending_call *pc = ctx;
	sn_reply_fn done = pc->done;
	void *done_ctx = pc->done_ctx;

	pc->timer = -1;
	abandon(pc);
	pending_free(pc);
	done(done_ctx, -ETIMEDOUT, NULL);
}

int
sn_call_async(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
	      uint32_t body, uint64_t timeout_ns, sn_reply_fn done,
	      void *done_ctx)
{
	uint64_t deadline_ns = deadline_after(timeout_ns);
	struct sn_pending_call *pc;
	int rc;

	if (p->dead)
		return -SEALNET_ECOMPARTMENT;
	pc = pending_alloc(p);
	if (pc == NULL)
		return -EBUSY;
	pc->export_id = export_id;
	rc =
	    send_request(p, pc, export_id, body_type, body, deadline_ns, false);
	if (rc < 0) {
		/* Reported here only: had `done` been set, finding the peer
		 * dead while sending would also have called it, and the
		 * caller would answer its own caller twice. */
		pending_free(pc);
		return rc;
	}
	pc->done = done;
	pc->done_ctx = done_ctx;
	if (deadline_ns) {
		pc->timer = sn_loop_add_timer(&p->owner->loop, deadline_ns,
					      pending_timed_out, pc);
		if (pc->timer < 0) {
			/* Without a timer the call could wait forever. */
			rc = pc->timer;
			pending_free(pc);
			return rc;
		}
	}
	return 0;
}

/* A reply to no pending call: late, if we gave up on that call, and then
 * taken once; otherwise never asked for. */
static void
late_reply(struct sn_peer *p, const sn_message_ref *m)
{
	uint64_t call_id = sn_message_call_id(*m);
	uint16_t export_id = sn_message_export(*m);

	for (unsigned i = 0; i < SN_MAX_ABANDONED; i++) {
		struct sn_abandoned_call *a = &p->abandoned[i];

		if (call_id == 0 || a->call_id != call_id ||
		    a->export_id != export_id)
			continue;
		a->call_id = 0;
		p->stats.replies_late++;
		if (sn_message_status(*m) == 0 && p->late_reply != NULL)
			p->late_reply(p, export_id, m);
		return;
	}
	p->stats.replies_unmatched++;
}

static void
take_reply(struct sn_peer *p, const sn_message_ref *m, size_t len)
{
	uint64_t call_id = sn_message_call_id(*m);
	struct sn_pending_call *pc = NULL;
	int status;

	for (unsigned i = 0; i < SN_MAX_PENDING; i++)
		if (call_id != 0 && p->pending[i].call_id == call_id) {
			pc = &p->pending[i];
			break;
		}
	if (pc == NULL || pc->export_id != sn_message_export(*m)) {
		late_reply(p, m);
		return;
	}
	status = sn_message_status(*m);
	if (pc->done != NULL) {
		sn_reply_fn done = pc->done;
		void *done_ctx = pc->done_ctx;

		pending_free(pc);
		done(done_ctx, status, status == 0 ? m : NULL);
		return;
	}
	if (status == 0 && len > pc->reply_cap) {
		status = -EMSGSIZE;
	} else if (status == 0) {
		memcpy(pc->reply_buf, m->buf, len);
		pc->reply_len = len;
		pc->reply_pos = m->pos;
	}
	pc->status = status;
	pc->complete = true;
}

/* ---- the callee's side ---- */

static void
outbox_flush(struct sn_peer *p)
{
	while (p->outbox_count > 0) {
		struct sn_outbox_entry *e = &p->outbox[p->outbox_head];
		int rc = sn_channel_send(&p->channel, e->msg, e->len);

		if (rc == -EAGAIN)
			return;
		/* Sent, or the peer is gone: either way it is done with. */
		free(e->msg);
		e->msg = NULL;
		p->outbox_head = (p->outbox_head + 1) % SN_MAX_IN_FLIGHT;
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

	/* Cannot overflow: each entry is a request still counted in
	 * in_flight, and requests are read only below SN_MAX_IN_FLIGHT. */
	if (p->outbox_count >= SN_MAX_IN_FLIGHT)
		return -ENOBUFS;
	e = &p->outbox[(p->outbox_head + p->outbox_count) % SN_MAX_IN_FLIGHT];
	e->msg = malloc(len);
	if (e->msg == NULL)
		return -ENOMEM;
	memcpy(e->msg, msg, len);
	e->len = len;
	if (p->outbox_count++ == 0)
		p->owner->peers_with_outbox++;
	p->stats.replies_queued++;
	return 0;
}

static int
send_reply(struct sn_peer *p, uint64_t call_id, uint16_t export_id,
	   uint64_t deadline_ns, int32_t status, uint8_t body_type,
	   uint32_t body)
{
	struct sn_compartment *c = p->owner;
	size_t len;
	int rc;

	rc = finish_message(c, SN_CALL_TYPE_REPLY, export_id, call_id,
			    deadline_ns, status, body_type, body, &len);
	if (rc < 0) {
		/* The body did not fit: the caller still gets an answer. */
		begin_message(c);
		rc = finish_message(c, SN_CALL_TYPE_REPLY, export_id, call_id,
				    deadline_ns, rc, SN_BODY_NONE, 0, &len);
		if (rc < 0)
			return rc;
	}
	/* Replies keep their order behind queued ones. */
	rc = p->outbox_count ? -EAGAIN
			     : sn_channel_send(&p->channel, c->tx, len);
	if (rc == -EAGAIN)
		return outbox_push(p, c->tx, len);
	p->in_flight--;
	if (rc == -SEALNET_ECOMPARTMENT || rc == -EPIPE)
		sn_peer_died(p);
	return rc;
}

int
sn_reply_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body)
{
	in->answered = true;
	return send_reply(in->peer, in->call_id, in->export_id, in->deadline_ns,
			  0, body_type, body);
}

int
sn_reply_error(struct sn_incoming *in, int negative_errno)
{
	in->answered = true;
	begin_message(in->peer->owner);
	return send_reply(in->peer, in->call_id, in->export_id, in->deadline_ns,
			  negative_errno, SN_BODY_NONE, 0);
}

void
sn_defer(struct sn_incoming *in, struct sn_deferred *out)
{
	in->answered = true;
	*out = (struct sn_deferred){
	    .peer = in->peer,
	    .incarnation = in->peer->incarnation,
	    .call_id = in->call_id,
	    .deadline_ns = in->deadline_ns,
	    .export_id = in->export_id,
	};
}

/* A call is answered once: the answer uses the deferred reply up. */
static struct sn_peer *
deferred_take(struct sn_deferred *d)
{
	struct sn_peer *p = d->peer;

	d->peer = NULL;
	if (p == NULL || p->dead || d->incarnation != p->incarnation)
		return NULL;
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
	begin_message(p->owner);
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
			    same_identity(h->identity, id, id_len))
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

static void
serve_request(struct sn_peer *p, const sn_message_ref *m)
{
	struct sn_compartment *c = p->owner;
	struct sn_incoming in = {
	    .peer = p,
	    .call_id = sn_message_call_id(*m),
	    .deadline_ns = sn_message_deadline_ns(*m),
	    .export_id = sn_message_export(*m),
	    .request = *m,
	};
	const struct sn_handler *h;

	/* Counted before any answer, refusals included, so the outbox
	 * bound holds for every reply. */
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
	if (in.deadline_ns && sn_now_ns() >= in.deadline_ns) {
		sn_reply_error(&in, -ETIMEDOUT);
		return;
	}
	p->stats.calls_served++;
	h->serve(c->ctx, &in);
	if (!in.answered) {
		/* A handler that neither answered nor deferred is a bug;
		 * the caller must still not wait forever. */
		sn_log("%s: handler returned without an answer",
		       sn_export_name(in.export_id));
		sn_reply_error(&in, -EIO);
	}
}

static void
peer_readable(void *ctx, struct sn_channel *ch)
{
	struct sn_peer *p = ctx;
	struct sn_compartment *c = p->owner;

	outbox_flush(p);
	/* A bounded batch keeps one busy peer from starving the others. */
	for (unsigned batch = 0; batch < 64 && !p->dead; batch++) {
		sn_verify_error err;
		sn_message_ref m;
		ssize_t n;

		if (p->in_flight >= SN_MAX_IN_FLIGHT) {
			sn_loop_pause_channel(&c->loop, ch, true);
			return;
		}
		n = sn_channel_receive(ch, c->rx, sizeof(c->rx));
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			sn_log("channel to %s: %s", p->name,
			       n == -EBADMSG  ? "peer broke the ring"
			       : n == -EPROTO ? "its schema differs"
					      : "peer died");
			sn_peer_died(p);
			return;
		}
		if (sn_message_verify(c->rx, (size_t)n, &m, &err) < 0) {
			if (sn_log_worth(++p->stats.messages_rejected))
				sn_log("rejected message from %s at byte %u: "
				       "%s (%llu so far)",
				       p->name, err.offset, err.reason,
				       (unsigned long long)
					   p->stats.messages_rejected);
			continue;
		}
		if (sn_message_call_type(m) == SN_CALL_TYPE_REPLY)
			take_reply(p, &m, (size_t)n);
		else
			serve_request(p, &m);
	}
}

void
sn_peer_died(struct sn_peer *p)
{
	struct sn_compartment *c = p->owner;

	if (p->dead)
		return;
	p->dead = true;
	p->incarnation++;
	/* Its successor answers none of them. */
	memset(p->abandoned, 0, sizeof(p->abandoned));
	sn_loop_remove_channel(&c->loop, &p->channel);
	for (unsigned i = 0; i < SN_MAX_PENDING; i++) {
		struct sn_pending_call *pc = &p->pending[i];

		if (pc->call_id == 0 || pc->complete)
			continue;
		if (pc->done != NULL) {
			sn_reply_fn done = pc->done;
			void *done_ctx = pc->done_ctx;

			pending_free(pc);
			done(done_ctx, -SEALNET_ECOMPARTMENT, NULL);
		} else {
			pc->status = -SEALNET_ECOMPARTMENT;
			pc->complete = true;
		}
	}
	while (p->outbox_count > 0) {
		free(p->outbox[p->outbox_head].msg);
		p->outbox[p->outbox_head].msg = NULL;
		p->outbox_head = (p->outbox_head + 1) % SN_MAX_IN_FLIGHT;
		if (--p->outbox_count == 0)
			c->peers_with_outbox--;
	}
	p->in_flight = 0;
	sn_callbacks_peer_died(c, p);
}

/* ---- set-up ---- */

int
sn_compartment_init(struct sn_compartment *c, const char *name,
		    const struct sn_handler *handlers, unsigned nhandlers,
		    void *ctx)
{
	memset(c, 0, offsetof(struct sn_compartment, rx));
	c->name = name;
	c->handlers = handlers;
	c->nhandlers = nhandlers;
	c->ctx = ctx;
	sn_log_set_name(name);
	return sn_loop_init(&c->loop);
}

static int
peer_setup(struct sn_compartment *c, struct sn_peer *p,
	   const struct sn_channel_fds *fds, unsigned side,
	   const char *peer_name)
{
	if (c->npeers >= SN_MAX_PEERS)
		return -ENOSPC;
	if (strlen(peer_name) >= sizeof(p->name))
		return -ENAMETOOLONG;
	memset(p, 0, sizeof(*p));
	p->owner = c;
	strcpy(p->name, peer_name);
	for (unsigned i = 0; i < SN_MAX_PENDING; i++)
		p->pending[i].timer = -1;
	return sn_channel_attach(&p->channel, fds, side, peer_name);
}

static int
peer_join_loop(struct sn_compartment *c, struct sn_peer *p)
{
	int rc = sn_loop_add_channel(&c->loop, &p->channel, peer_readable, p);

	if (rc < 0) {
		sn_channel_detach(&p->channel);
		return rc;
	}
	c->peers[c->npeers++] = p;
	return 0;
}

int
sn_compartment_add_peer(struct sn_compartment *c, struct sn_peer *p,
			const struct sn_channel_fds *fds, unsigned side,
			const char *peer_name, uint64_t deadline_ns, char *err,
			size_t errlen)
{
	int rc = peer_setup(c, p, fds, side, peer_name);

	if (rc < 0)
		return rc;
	rc = sn_channel_open(&p->channel, deadline_ns, err, errlen);
	if (rc < 0) {
		sn_channel_detach(&p->channel);
		return rc;
	}
	return peer_join_loop(c, p);
}

int
sn_compartment_attach_peer(struct sn_compartment *c, struct sn_peer *p,
			   const struct sn_channel_fds *fds, unsigned side,
			   const char *peer_name)
{
	int rc = peer_setup(c, p, fds, side, peer_name);

	if (rc < 0)
		return rc;
	sn_channel_announce(&p->channel);
	return peer_join_loop(c, p);
}

int
sn_peer_reattach(struct sn_peer *p, const struct sn_channel_fds *fds,
		 unsigned side)
{
	struct sn_compartment *c = p->owner;
	int rc;

	/* Whatever was in flight belongs to the predecessor. */
	sn_peer_died(p);
	sn_channel_detach(&p->channel);
	rc = sn_channel_attach(&p->channel, fds, side, p->name);
	if (rc < 0)
		return rc;
	sn_channel_announce(&p->channel);
	rc = sn_loop_add_channel(&c->loop, &p->channel, peer_readable, p);
	if (rc < 0)
		return rc;
	p->dead = false;
	return 0;
}

int
sn_quota_take(struct sn_peer *p, enum sn_quota q, uint64_t n)
{
	if (n > p->quota[q] - p->quota_used[q])
		return -EDQUOT;
	p->quota_used[q] += n;
	return 0;
}

void
sn_quota_give(struct sn_peer *p, enum sn_quota q, uint64_t n)
{
	p->quota_used[q] -= n < p->quota_used[q] ? n : p->quota_used[q];
}

uint32_t
sn_peer_identity(const struct sn_peer *p)
{
	const struct sn_compartment *c = p->owner;

	for (unsigned i = 0; i < c->npeers; i++)
		if (c->peers[i] == p)
			return (i + 1) << 16 | (p->incarnation & 0xffffu);
	return 0;
}

int
sn_peer_grant(struct sn_peer *p, const struct sn_capability *cap)
{
	if (p->nheld >= SN_MAX_HELD_CAPABILITIES)
		return -ENOSPC;
	if ((cap->kind != SN_CAPABILITY_CONNECTION &&
	     cap->kind != SN_CAPABILITY_BIND) ||
	    memchr(cap->host, 0, sizeof(cap->host)) == NULL ||
	    memchr(cap->identity, 0, sizeof(cap->identity)) == NULL)
		return -EINVAL;
	p->held[p->nheld++] = *cap;
	return 0;
}

int
sn_peer_allow_delegation(struct sn_peer *p, const char *name)
{
	size_t len = strnlen(name, SN_PEER_NAME_MAX);

	if (len == 0 || len >= SN_PEER_NAME_MAX)
		return -EINVAL;
	if (sn_peer_may_delegate_to(p, name))
		return 0;
	if (p->ndelegates >= SN_MAX_DELEGATES)
		return -ENOSPC;
	memcpy(p->delegates_to[p->ndelegates++], name, len + 1);
	return 0;
}

bool
sn_peer_may_delegate_to(const struct sn_peer *p, const char *name)
{
	for (unsigned i = 0; i < p->ndelegates; i++)
		if (strcmp(p->delegates_to[i], name) == 0)
			return true;
	return false;
}

int
sn_compartment_serve_step(struct sn_compartment *c)
{
	return sn_compartment_serve_step_until(c, 0);
}

/* What every turn ends with, however it waited. */
static void
end_of_turn(struct sn_compartment *c)
{
	sn_callbacks_turn_done(c);
	for (unsigned i = 0; i < c->npeers; i++) {
		struct sn_peer *p = c->peers[i];

		if (p->outbox_count)
			outbox_flush(p);
		if (!p->dead && p->in_flight < SN_MAX_IN_FLIGHT)
			sn_loop_pause_channel(&c->loop, &p->channel, false);
	}
}

int
sn_compartment_serve_step_until(struct sn_compartment *c, uint64_t deadline_ns)
{
	int rc;

	/* Queued replies wait for ring space, which no wake-up announces:
	 * look again soon while any are queued. */
	if (c->peers_with_outbox &&
	    (deadline_ns == 0 || deadline_ns > sn_now_ns() + 1000000))
		deadline_ns = sn_now_ns() + 1000000;
	rc = sn_loop_run_once(&c->loop, deadline_ns);
	if (rc < 0 && rc != -ETIMEDOUT)
		return rc;
	end_of_turn(c);
	return 0;
}

int
sn_compartment_serve_ready(struct sn_compartment *c)
{
	int rc = sn_loop_dispatch_ready(&c->loop);

	if (rc < 0)
		return rc;
	end_of_turn(c);
	return rc;
}

int
sn_compartment_serve(struct sn_compartment *c)
{
	int rc;

	while ((rc = sn_compartment_serve_step(c)) == 0)
		;
	return rc == -ECANCELED ? 0 : rc;
}
