/*
 * Peers: the compartments at the far end of this one's channels.  Each
 * one's channel is read here and its messages handed to the caller's or
 * the callee's side; a dead peer's calls fail; a successor takes a new
 * channel.  And the compartment's loop that serves them all.
 */
#include "call.h"
#include "call_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "log.h"

/* Where the next message goes: a waiting call's reply buffer, or c->rx.
 * Any message may land in the call's buffer, which holds nothing of
 * value until its own reply completes it; after that, nothing more. */
static uint8_t *
receive_buffer(struct sn_peer *p)
{
	struct sn_pending_call *pc = p->receives_into;

	return pc != NULL && !pc->complete ? pc->reply_buf : p->owner->rx;
}

static void
peer_readable(void *ctx, struct sn_channel *ch)
{
	struct sn_peer *p = ctx;
	struct sn_compartment *c = p->owner;

	/* Nothing of ours runs here but the loop: a death seen earlier is
	 * dealt with now, or its dead channel would keep the loop awake. */
	if (p->death_seen) {
		sn_peer_died(p);
		return;
	}
	sn_outbox_flush(p);
	/* A bounded batch keeps one busy peer from starving the others. */
	for (unsigned batch = 0; batch < 64 && !sn_peer_gone(p); batch++) {
		sn_verify_error err;
		sn_message_ref m;
		ssize_t n;

		if (p->in_flight >= SN_MAX_IN_FLIGHT) {
			sn_loop_pause_channel(&c->loop, ch, true);
			return;
		}
		uint8_t *into = receive_buffer(p);

		n = sn_channel_receive(ch, into, sizeof(c->rx));
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
		if (sn_message_verify(into, (size_t)n, &m, &err) < 0) {
			if (sn_log_worth(++p->stats.messages_rejected))
				sn_log("rejected message from %s at byte %u: "
				       "%s (%llu so far)",
				       p->name, err.offset, err.reason,
				       (unsigned long long)
					   p->stats.messages_rejected);
			continue;
		}
		if (sn_message_call_type(m) == SN_CALL_TYPE_REPLY)
			sn_take_reply(p, &m, (size_t)n);
		else
			sn_serve_request(p, &m);
	}
}

void
sn_peer_died(struct sn_peer *p)
{
	struct sn_compartment *c = p->owner;

	p->death_seen = false;
	if (p->dead)
		return;
	p->dead = true;
	p->incarnation++;
	/* Its successor answers none of them. */
	memset(p->abandoned, 0, sizeof(p->abandoned));
	sn_loop_remove_channel(&c->loop, &p->channel);
	sn_fail_pending_calls(p);
	sn_outbox_drop(p);
	p->in_flight = 0;
	p->waiting = 0;
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

uint64_t
sn_quota_take_up_to(struct sn_peer *p, enum sn_quota q, uint64_t n)
{
	uint64_t left =
	    p->quota_used[q] < p->quota[q] ? p->quota[q] - p->quota_used[q] : 0;

	if (n > left)
		n = left;
	p->quota_used[q] += n;
	return n;
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

void
sn_peer_death_seen(struct sn_peer *p)
{
	if (!p->dead)
		p->death_seen = true;
}

bool
sn_peer_gone(const struct sn_peer *p)
{
	return p->dead || p->death_seen;
}

void
sn_peer_deaths_settle(struct sn_compartment *c)
{
	for (unsigned i = 0; i < c->npeers; i++)
		if (c->peers[i]->death_seen)
			sn_peer_died(c->peers[i]);
}

/* What every turn ends with, however it waited.  Deaths seen during the
 * turn are dealt with first, and again after the turn's callbacks,
 * which may find more. */
static void
end_of_turn(struct sn_compartment *c)
{
	sn_peer_deaths_settle(c);
	sn_callbacks_turn_done(c);
	sn_peer_deaths_settle(c);
	for (unsigned i = 0; i < c->npeers; i++) {
		struct sn_peer *p = c->peers[i];

		if (p->outbox_count)
			sn_outbox_flush(p);
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
