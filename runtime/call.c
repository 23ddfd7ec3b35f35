/*
 * Calls between compartments, the caller's side: requests, their
 * deadlines, and the replies that answer them, in time or late.  The
 * callee's side is serve.c; peers, their channels and the loop are
 * peer.c.
 */
#include "call.h"
#include "call_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static uint64_t
deadline_after(uint64_t timeout_ns)
{
	return timeout_ns ? sn_now_ns() + timeout_ns : 0;
}

sn_builder *
sn_message_begin(struct sn_compartment *c)
{
	sn_builder_init(&c->tx_builder, c->tx, sizeof(c->tx));
	c->tx_message = sn_message_start(&c->tx_builder);
	return &c->tx_builder;
}

sn_builder *
sn_call_builder(struct sn_compartment *c)
{
	return sn_message_begin(c);
}

sn_builder *
sn_reply_builder(struct sn_compartment *c)
{
	return sn_message_begin(c);
}

/* Completes the message in c->tx; its length goes to *len. */
int
sn_message_finish(struct sn_compartment *c, uint8_t call_type,
		  uint16_t export_id, uint64_t call_id, uint64_t deadline_ns,
		  int32_t status, uint8_t body_type, uint32_t body, size_t *len)
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

uint64_t
sn_peer_last_call_id(const struct sn_peer *p)
{
	return p->next_call_id;
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

	rc = sn_message_finish(c, SN_CALL_TYPE_REQUEST, export_id, pc->call_id,
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
		sn_peer_death_seen(p);
		rc = -SEALNET_ECOMPARTMENT;
	}
	return rc;
}

/* A pending call for export_id, its request sent: 0 and *out, or why not
 * (nothing is left pending then). */
static int
start_call(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
	   uint32_t body, uint64_t deadline_ns, bool wait,
	   struct sn_pending_call **out)
{
	struct sn_pending_call *pc;
	int rc;

	if (sn_peer_gone(p))
		return -SEALNET_ECOMPARTMENT;
	pc = pending_alloc(p);
	if (pc == NULL)
		return -EBUSY;
	pc->export_id = export_id;
	rc = send_request(p, pc, export_id, body_type, body, deadline_ns, wait);
	if (rc < 0) {
		pending_free(pc);
		return rc;
	}
	*out = pc;
	return 0;
}

int
sn_call(struct sn_peer *p, uint16_t export_id, uint8_t body_type, uint32_t body,
	uint64_t timeout_ns, uint8_t *reply_buf, size_t reply_cap,
	sn_message_ref *reply)
{
	struct sn_compartment *c = p->owner;
	uint64_t deadline_ns = deadline_after(timeout_ns);
	struct sn_pending_call *pc, *outer;
	int rc;

	rc = start_call(p, export_id, body_type, body, deadline_ns, true, &pc);
	if (rc < 0)
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	pc->reply_buf = reply_buf;
	pc->reply_cap = reply_cap;
	/* Calls nest (a handler run while this one waits may call too):
	 * the innermost receives, and the one it displaced takes over again
	 * once it returns. */
	outer = p->receives_into;
	if (reply_cap >= sizeof(c->rx) && ((uintptr_t)reply_buf & 7u) == 0)
		p->receives_into = pc;
	while (!pc->complete) {
		if (sn_peer_gone(p)) {
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
	p->receives_into = outer;
	rc = pc->status;
	if (pc->complete && rc == 0 && reply != NULL) {
		/* The reply was verified where it now is, or copied there
		 * unchanged. */
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

	/* A failure is reported here only: had `done` been set, finding the
	 * peer dead while sending would also have called it, and the caller
	 * would answer its own caller twice. */
	rc = start_call(p, export_id, body_type, body, deadline_ns, false, &pc);
	if (rc < 0)
		return rc;
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

int
sn_notify(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
	  uint32_t body)
{
	struct sn_compartment *c = p->owner;
	size_t len;
	int rc;

	if (sn_peer_gone(p))
		return -SEALNET_ECOMPARTMENT;
	rc = sn_message_finish(c, SN_CALL_TYPE_NOTICE, export_id, 0, 0, 0,
			       body_type, body, &len);
	if (rc < 0)
		return rc;
	rc = sn_channel_send(&p->channel, c->tx, len);
	if (rc == -SEALNET_ECOMPARTMENT || rc == -EPIPE) {
		sn_peer_death_seen(p);
		rc = -SEALNET_ECOMPARTMENT;
	}
	return rc;
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

void
sn_take_reply(struct sn_peer *p, const sn_message_ref *m, size_t len)
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
		if (m->buf != pc->reply_buf)
			memcpy(pc->reply_buf, m->buf, len);
		pc->reply_len = len;
		pc->reply_pos = m->pos;
	}
	pc->status = status;
	pc->complete = true;
}

void
sn_fail_pending_calls(struct sn_peer *p)
{
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
}
