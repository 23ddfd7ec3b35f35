/*
 * TCPIP's socket table: handles owned by one compartment, within its
 * quotas, for TCP (tcp.c) and UDP (udp.c) alike.
 *
 * A socket belongs to the compartment NetAPI named when it asked for it
 * (or to the caller itself, for UDP); any other compartment presenting
 * its handle is refused.  Calls that wait (connect, accept, receive, a
 * send into a full window) are deferred and answered from lwIP's
 * callbacks, or fail at their deadline.
 */
#include "sockets.h"

#include <string.h>

#include "boot.h"
#include "lingering.h"
#include "listeners.h"
#include "log.h"
#include "netif.h"
#include "segments.h"
#include "tcp.h"
#include "tcpip.h"
#include "udp.h"
#include "window.h"

static struct sock socks[MAX_SOCKETS];
static struct sn_handle_entry handle_slots[MAX_SOCKETS];
static struct sn_handle_table handles;
static uint64_t quota_refusals;

void
sockets_init(void)
{
	sn_handle_table_init(&handles, handle_slots, MAX_SOCKETS);
	lingering_init();
}

/* ---- the table ---- */

struct sock *
sock_alloc(void)
{
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].state == SOCK_FREE) {
			memset(&socks[i], 0, sizeof(socks[i]));
			socks[i].timer = -1;
			socks[i].quick_acks = QUICK_ACK_SEGMENTS;
			return &socks[i];
		}
	return NULL;
}

void
sock_quick_ack(struct sock *s, uint32_t len)
{
	if (s->pcb == NULL || (s->quick_acks == 0 && len >= TCP_MSS))
		return;
	if (s->quick_acks > 0)
		s->quick_acks--;
	/* tcp_input sends it with its output once the callback returns. */
	tcp_set_flags(s->pcb, TF_ACK_NOW);
}

struct sock *
sock_of(struct sn_peer *owner, sn_handle h)
{
	struct sn_handle_id id = {h.slot, h.generation, h.tag};
	void *object;

	if (sn_handle_lookup(&handles, sn_peer_identity(owner), &id, &object) <
	    0) {
		if (sn_log_worth(handles.refused))
			sn_log("refused a socket handle from %s (%llu so far)",
			       owner->name,
			       (unsigned long long)handles.refused);
		return NULL;
	}
	return object;
}

struct sock *
sock_of_listen_ticket(uint32_t ticket)
{
	for (unsigned i = 0; ticket != 0 && i < MAX_SOCKETS; i++)
		if (socks[i].state == SOCK_LISTENING &&
		    socks[i].listen_ticket == ticket)
			return &socks[i];
	return NULL;
}

struct sock *
sock_lookup(struct sn_incoming *in, sn_handle h)
{
	return sock_of(in->peer, h);
}

struct sn_peer *
owner_peer(const char *name, uint32_t len)
{
	char owner[SN_PEER_NAME_MAX];

	if (name == NULL || len == 0 || len >= sizeof(owner))
		return NULL;
	memcpy(owner, name, len);
	owner[len] = 0;
	return sn_compartment_peer(&compartment, owner);
}

/* Whether owner, with the socket it just took, holds more open sockets
 * and closed connections than LINGERING_PER_QUOTA allows.  Its open ones
 * are within its quota, so a quota as large as lwIP's pcbs leaves room
 * for as many closed ones as there can be. */
static bool
past_lingering_bound(const struct sn_peer *owner)
{
	uint64_t quota = owner->quota[SN_QUOTA_SOCKETS];
	uint64_t open = owner->quota_used[SN_QUOTA_SOCKETS];

	if (quota >= MEMP_NUM_TCP_PCB)
		return false;
	return lingering_at_least(
	    owner, (unsigned)(LINGERING_PER_QUOTA * quota - open + 1));
}

int
sock_own(struct sock *s, struct sn_peer *owner)
{
	int rc = sn_quota_take(owner, SN_QUOTA_SOCKETS, 1);
	bool lingering = rc == 0 && past_lingering_bound(owner);

	if (lingering) {
		sn_quota_give(owner, SN_QUOTA_SOCKETS, 1);
		rc = -EDQUOT;
	}
	if (rc < 0) {
		if (sn_log_worth(++quota_refusals))
			sn_log(
			    "%s is at its quota of %llu sockets%s (%llu "
			    "refused so far)",
			    owner->name,
			    (unsigned long long)owner->quota[SN_QUOTA_SOCKETS],
			    lingering ? ", counting the connections it "
					"closed that lwIP still works on"
				      : "",
			    (unsigned long long)quota_refusals);
		return rc;
	}
	s->owner = sn_peer_identity(owner);
	if (sn_handle_alloc(&handles, s->owner, s, &s->id) < 0) {
		sn_quota_give(owner, SN_QUOTA_SOCKETS, 1);
		return -ENOMEM;
	}
	s->owner_peer = owner;
	return 0;
}

/* s's timer will not fire.  It is the socket's only timer, cleared when
 * it fires: a timer the loop does not know is a bug, logged. */
void
sock_cancel_timer(struct sock *s)
{
	if (s->timer >= 0 &&
	    sn_loop_cancel_timer(&compartment.loop, s->timer) < 0)
		sn_log("a socket's timer %d was not set", s->timer);
	s->timer = -1;
}

void
pcb_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	tcp_err(pcb, NULL);
}

/* What s holds of its owner's buffered_bytes quota: a UDP socket's
 * queued datagrams, or what a connection's window is paid with
 * (window.h). */
static uint32_t
sock_charged(const struct sock *s)
{
	return s->state == SOCK_UDP ? s->buffered : s->window_paid;
}

/* Only the owner was given the handle: release it and what the owner's
 * quotas lent the socket. */
static void
sock_disown(struct sock *s)
{
	if (s->owner_peer == NULL)
		return;
	if (sn_handle_release(&handles, s->owner, &s->id, NULL) < 0)
		sn_log("a socket's handle was not its owner's");
	sn_quota_give(s->owner_peer, SN_QUOTA_SOCKETS, 1);
	sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, sock_charged(s));
}

/* A connection going gives its listener's count back, and leaves the
 * backlog if nobody asked for it yet: the listener must not hand it out
 * after it is freed. */
static void
leave_listener(struct sock *s)
{
	struct sock *l = s->listener;

	for (unsigned i = 0; i < l->nbacklog; i++)
		if (l->backlog[i] == s) {
			memmove(l->backlog + i, l->backlog + i + 1,
				(--l->nbacklog - i) * sizeof(l->backlog[0]));
			break;
		}
	if (l->accepted)
		l->accepted--;
	s->listener = NULL;
}

/*
 * A listener going takes its backlog with it: nobody was given those
 * handles, so nobody else could ever close them, and each holds a socket
 * of the owner's quota and a connection its client sees open.  Each one
 * leaves the backlog as it is freed (leave_listener), so the loop ends;
 * their pcbs are detached before lwIP closes them, so no callback of
 * theirs reaches a freed socket.  The connections already handed out stay
 * their owner's but forget the listener: its slot may be another
 * listener's next, whose count of open connections their closing must
 * not lower (it would accept past its bind capability's limit).
 */
static void
orphan_connections(struct sock *l)
{
	while (l->nbacklog > 0)
		sock_free(l->backlog[l->nbacklog - 1]);
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].listener == l)
			socks[i].listener = NULL;
}

void
sockets_of_owner(const struct sn_peer *owner, void (*fn)(struct sock *))
{
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].state == SOCK_OPEN && socks[i].owner_peer == owner)
			fn(&socks[i]);
}

void
sock_free(struct sock *s)
{
	/* Whoever still waits on this socket is told it is gone. */
	if (s->connect_waiting)
		answer_later_error(&s->connect_wait, -ENOTCONN);
	if (s->accept_waiting)
		answer_later_error(&s->accept_wait, -ENOTCONN);
	if (s->recv_waiting)
		answer_later_error(&s->recv_wait, -ENOTCONN);
	if (s->send_waiting)
		answer_later_error(&s->send_wait, -ENOTCONN);
	segments_forget(s);
	/* A connection's hole stays until lwIP is done with it, and the
	 * connection counts to its owner that long (lingering.h). */
	if (s->pcb) {
		struct tcp_pcb *pcb = s->pcb;
		bool counted = true;

		/* A listening pcb is a smaller struct without receive, sent
		 * or error callbacks: setting them asserts, and would write
		 * past it. */
		if (s->state == SOCK_LISTENING) {
			listener_closed(s);
			tcp_arg(pcb, NULL);
			tcp_accept(pcb, NULL);
		} else {
			pcb_detach(pcb);
			window_close(s);
			counted = tcp_count_what_is_left(s) &&
				  lingering_begin(s->owner_peer, pcb) == 0;
		}
		/* Closing may free the pcb at once, and the owner's waiting
		 * sends be retried from its count: none finds it here. */
		s->pcb = NULL;
		if (!counted || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	for (unsigned i = 0; i < s->nrx; i++)
		pbuf_free(s->rx[i]);
	if (s->udp)
		udp_socket_close(s);
	if (s->listener)
		leave_listener(s);
	if (s->state == SOCK_LISTENING)
		orphan_connections(s);
	sock_cancel_timer(s);
	sock_disown(s);
	memset(s, 0, sizeof(*s));
	s->state = SOCK_FREE;
}

/* The connection tcpip_socket_connect made or is making for owner, to
 * remote from local_port (not one a listener accepted), or NULL. */
static struct sock *
sock_of_connect(const struct sn_peer *owner, const ip_addr_t *remote,
		uint16_t remote_port, uint16_t local_port)
{
	for (unsigned i = 0; i < MAX_SOCKETS; i++) {
		struct sock *s = &socks[i];

		if ((s->state == SOCK_CONNECTING || s->state == SOCK_OPEN) &&
		    s->listener == NULL && s->owner_peer == owner &&
		    s->pcb != NULL && s->pcb->local_port == local_port &&
		    s->pcb->remote_port == remote_port &&
		    ip_addr_cmp_zoneless(&s->pcb->remote_ip, remote))
			return s;
	}
	return NULL;
}

/*
 * NetAPI asks for a connection's rule and its socket at once; when the
 * Firewall refuses the rule, NetAPI undoes the socket with this, whether
 * or not TCPIP has answered the connect yet: a connect still waiting is
 * answered -ECANCELED, and the connection goes at once, with a reset if
 * it was made (no FIN, no TIME_WAIT: its hole, if TCPIP holds one, is
 * released as soon as lwIP lets the pcb go).  Its handle, if it was
 * made, reached NetAPI only, which passes it on to nobody.  -ENOENT when
 * there is no such connection (it failed, or its owner closed it).
 */
void
serve_socket_abort(void *ctx, struct sn_incoming *in)
{
	sn_socket_connect_ref req =
	    sn_message_body_as_socket_connect(in->request);
	uint32_t len;
	const char *name = sn_socket_connect_owner(req, &len);
	struct sn_peer *owner = owner_peer(name, len);
	sn_endpoint_ref remote = sn_socket_connect_remote(req);
	struct sock *s;
	ip_addr_t ip;

	if (owner == NULL || remote.pos == 0 ||
	    tcpip_ip_from_endpoint(remote, &ip) < 0) {
		answer_error(in, owner == NULL ? -ENOENT : -EINVAL);
		return;
	}
	s = sock_of_connect(owner, &ip, sn_endpoint_port(remote),
			    sn_socket_connect_local_port(req));
	if (s == NULL) {
		answer_error(in, -ENOENT);
		return;
	}
	if (s->connect_waiting) {
		s->connect_waiting = false;
		answer_later_error(&s->connect_wait, -ECANCELED);
	}
	pcb_detach(s->pcb);
	tcp_abort(s->pcb);
	s->pcb = NULL;
	sock_free(s);
	answer_empty(in);
}

void
sockets_owner_died(struct sn_peer *p)
{
	/* Freeing a listener frees its backlog, elsewhere in the table:
	 * each entry's state is read as the loop reaches it. */
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].state != SOCK_FREE &&
		    (socks[i].owner_peer == p || socks[i].delegate_peer == p))
			sock_free(&socks[i]);
}

/* ---- delegation ---- */

static uint64_t delegations_refused;

/* The compartment the request names, if the image lets the caller hand
 * its sockets to it (it imports an export of it that takes delegated
 * sockets): else NULL, logged. */
static struct sn_peer *
delegation_target(struct sn_incoming *in, sn_socket_delegate_ref req)
{
	char name[SN_PEER_NAME_MAX];
	uint32_t len;
	const char *to = sn_socket_delegate_to(req, &len);
	struct sn_peer *target = NULL;

	if (to != NULL && len > 0 && len < sizeof(name) &&
	    memchr(to, 0, len) == NULL) {
		memcpy(name, to, len);
		name[len] = 0;
		if (sn_peer_may_delegate_to(in->peer, name))
			target = sn_compartment_peer(&compartment, name);
	}
	if (target == NULL || target == in->peer) {
		if (sn_log_worth(++delegations_refused))
			sn_log("refused to let %s hand a socket to a "
			       "compartment the image does not let it "
			       "delegate to (%llu so far)",
			       in->peer->name,
			       (unsigned long long)delegations_refused);
		return NULL;
	}
	return target;
}

/* The caller's handle stops working and the target gets one of its own;
 * the quotas stay the caller's.  Only a connected TCP socket with no call
 * waiting on it moves: a deferred answer would reach the wrong one. */
void
serve_socket_delegate(void *ctx, struct sn_incoming *in)
{
	sn_socket_delegate_ref req =
	    sn_message_body_as_socket_delegate(in->request);
	struct sn_deferred d;
	struct sn_peer *target;
	struct sock *s;
	sn_handle h;

	sn_socket_delegate_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || (target = delegation_target(in, req)) == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	if (target->dead) {
		answer_error(in, -ENOTRECOVERABLE);
		return;
	}
	if (s->state != SOCK_OPEN || s->pcb == NULL) {
		answer_error(in, s->state == SOCK_OPEN
				     ? (s->error ? s->error : -ENOTCONN)
				     : -EINVAL);
		return;
	}
	/* A call whose caller has given up is answered and waits no
	 * longer, as a new call on the socket would find it: it must not
	 * keep the socket from moving until data or room comes. */
	if (still_waiting(&s->recv_waiting, &s->recv_wait, 0) ||
	    still_waiting(&s->send_waiting, &s->send_wait, 0)) {
		answer_error(in, -EBUSY);
		return;
	}
	if (sn_handle_release(&handles, s->owner, &s->id, NULL) < 0)
		sn_log("a socket's handle was not its owner's");
	s->owner = sn_peer_identity(target);
	s->delegate_peer = target;
	if (sn_handle_alloc(&handles, s->owner, s, &s->id) < 0) {
		/* No random tag: the socket goes, with what it was lent.
		 * Its segments leave its owner's count first: without an
		 * owner, sock_free cannot tell whose count holds them. */
		segments_forget(s);
		sn_quota_give(s->owner_peer, SN_QUOTA_SOCKETS, 1);
		sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
			      sock_charged(s));
		s->owner_peer = NULL;
		sock_free(s);
		answer_error(in, -EIO);
		return;
	}
	sn_defer(in, &d);
	if (hand_over(&d, s) < 0)
		sock_free(s);
}

/* ---- waiting calls ---- */

/* A waiting call whose caller has given up (or is about to) makes way: it
 * is answered -ETIMEDOUT, which that caller drops, and what it waited for
 * stays for the next call. */
bool
wait_over(struct sn_deferred *d, uint64_t margin_ns)
{
	if (d->deadline_ns == 0 || sn_now_ns() + margin_ns < d->deadline_ns)
		return false;
	answer_later_error(d, -ETIMEDOUT);
	return true;
}

/* A call answered as it arrives needs no margin. */
bool
still_waiting(bool *waiting, struct sn_deferred *d, uint64_t margin_ns)
{
	if (*waiting && wait_over(d, margin_ns))
		*waiting = false;
	return *waiting;
}

int
hand_over(struct sn_deferred *d, struct sock *s)
{
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_handle h = {s->id.slot, s->id.generation, s->id.tag};
	u16_t port = s->pcb   ? s->pcb->local_port
		     : s->udp ? s->udp->local_port
			      : 0;

	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body, port);
	return answer_later_ok(d, SN_BODY_SOCKET_CREATED, body);
}
