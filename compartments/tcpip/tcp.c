/*
 * TCP sockets: lwIP's callbacks on their pcbs, and TCP's exports.  A
 * connection's hole in the Firewall is held from the moment lwIP has
 * connected it, or made its pcb for a listener, until lwIP is done with
 * it (firewall_holes.c); closing a socket leaves that to lwIP.
 */
#include "tcp.h"

#include <string.h>

#include "firewall_holes.h"
#include "listeners.h"
#include "log.h"
#include "netif.h"
#include "receive.h"
#include "rxqueue.h"
#include "segments.h"
#include "send.h"
#include "sockets.h"
#include "tcpip.h"
#include "window.h"

/* lwIP's slot for our callbacks on a pcb: a listener's, and a closed
 * connection's whose segments are still counted. */
static u8_t pcb_ext_arg;

static err_t on_passive_open(u8_t id, struct tcp_pcb_listen *lpcb,
			     struct tcp_pcb *pcb);
static void on_left_destroyed(u8_t id, void *data);

static const struct tcp_ext_arg_callbacks listener_callbacks = {
    .passive_open = on_passive_open};
static const struct tcp_ext_arg_callbacks left_callbacks = {
    .destroy = on_left_destroyed};

void
tcp_sockets_init(void)
{
	pcb_ext_arg = tcp_ext_arg_alloc_id();
}

/* ---- closed connections' segments (segments.h) ---- */

/* Its sends that waited for its share go on, once it is under it. */
static void
owner_may_be_freed(const struct sn_peer *owner)
{
	if (segments_owner_freed(owner))
		sockets_of_owner(owner, send_room_back);
}

/* Every pcb lwIP frees passes here, whatever ended it (a reset, the
 * retransmission limit, an abort, or the end of TIME_WAIT); its record
 * is NULL when its last segment was acknowledged before. */
static void
on_left_destroyed(u8_t id, void *data)
{
	const struct sn_peer *owner;

	(void)id;
	if (data == NULL)
		return;
	owner = segments_left_owner(data);
	segments_left_gone(data);
	owner_may_be_freed(owner);
}

static err_t
on_left_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	const struct sn_peer *owner = segments_left_owner(arg);

	(void)len;
	/* The record is gone: nothing of the pcb's may reach it. */
	if (segments_left_recount(arg) == 0) {
		tcp_arg(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_ext_arg_set(pcb, pcb_ext_arg, NULL);
	}
	owner_may_be_freed(owner);
	return ERR_OK;
}

bool
tcp_count_what_is_left(const struct sock *s)
{
	struct segments_left *left;

	if (segments_leave(s->owner_peer, s->pcb, &left) < 0) {
		sn_log("no record for a closed connection's segments: it is "
		       "reset");
		return false;
	}
	if (left != NULL) {
		tcp_arg(s->pcb, left);
		tcp_sent(s->pcb, on_left_sent);
		tcp_ext_arg_set(s->pcb, pcb_ext_arg, left);
		tcp_ext_arg_set_callbacks(s->pcb, pcb_ext_arg, &left_callbacks);
	}
	return true;
}

/* ---- TCP callbacks ---- */

/* lwIP freed the pcb (reset, timeout, or abort). */
static void
on_error(void *arg, err_t err)
{
	struct sock *s = arg;
	int e = err == ERR_RST	  ? -ECONNRESET
		: err == ERR_ABRT ? -ECONNABORTED
				  : -ETIMEDOUT;

	s->pcb = NULL;
	s->error = e;
	segments_forget(s);
	if (s->connect_waiting) {
		s->connect_waiting = false;
		answer_later_error(&s->connect_wait,
				   err == ERR_RST ? -ECONNREFUSED : e);
		sock_free(s);
		return;
	}
	if (s->recv_waiting)
		receive_fail(s, e);
	if (s->send_waiting) {
		s->send_waiting = false;
		answer_later_error(&s->send_wait, e);
	}
}

/* The first n queued bytes handed out: freed, and the window opened for
 * them. */
static void
release_received(struct sock *s, uint32_t n)
{
	rxq_drop(s, n);
	window_reopen(s, n);
}

/* Hands out what is queued, up to what the caller asked for. */
static void
deliver(struct sock *s, uint64_t margin_ns)
{
	uint32_t n, body;
	sn_builder *b;
	uint8_t *data;

	if (!receive_waiting(s, margin_ns))
		return;
	if (s->nrx == 0) {
		if (s->peer_closed || s->error)
			receive_fail(s, s->error ? s->error : -ENOTCONN);
		return;
	}
	n = s->buffered;
	if (n > s->recv_max)
		n = s->recv_max;
	if (n > MAX_CHUNK)
		n = MAX_CHUNK;
	b = sn_reply_builder(&compartment);
	body = sn_received_start(b);
	data = sn_received_reserve_data(b, body, n);
	if (data == NULL) {
		receive_fail(s, -ENOMEM);
		return;
	}
	/* Fewer bytes queued than counted would hand the owner zeros for
	 * data: a fault of ours, said as one. */
	if (rxq_copy(s, data, n) != n) {
		sn_log("a socket's queue holds less than its count of %u bytes",
		       n);
		receive_fail(s, -EIO);
		return;
	}
	/* Sent or not, the bytes are spent: a caller that cannot be
	 * answered is gone, and its successor must not see its data.
	 * tcp_recved may send a window update, and so build a call: after
	 * the reply. */
	receive_answer(s, body);
	release_received(s, n);
}

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;
	/* The queue may free p. */
	u16_t len = p ? p->tot_len : 0;

	if (p == NULL)
		s->peer_closed = true;
	else if (rxq_add(s, p) != ERR_OK)
		return ERR_MEM;
	else
		sock_quick_ack(s, len);
	if (!receive_due(s))
		deliver(s, GIVING_UP_NS);
	return ERR_OK;
}

void
tcp_deliver_due(void)
{
	struct sock *s;

	while ((s = receive_next_due()) != NULL)
		deliver(s, GIVING_UP_NS);
}

static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct sock *s = arg;

	(void)segments_recount(s);
	send_room_back(s);
	/* Sends of this owner that waited for its share on other
	 * connections. */
	owner_may_be_freed(s->owner_peer);
	return ERR_OK;
}

/* Every second: a send that waits for room lwIP had none of (its pool
 * empty, nothing of this connection in flight to be acknowledged) is
 * not left to its deadline. */
static err_t
on_poll(void *arg, struct tcp_pcb *pcb)
{
	if (arg != NULL)
		send_room_back(arg);
	return ERR_OK;
}

static void
attach_pcb(struct sock *s, struct tcp_pcb *pcb)
{
	s->pcb = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_poll(pcb, on_poll, 2);
	tcp_err(pcb, on_error);
	tcp_nagle_disable(pcb);
}

/* Inside an lwIP callback on pcb: the connection goes, with its socket.
 * The callback must return ERR_ABRT. */
static err_t
abort_connection(struct sock *s, struct tcp_pcb *pcb)
{
	pcb_detach(pcb);
	tcp_abort(pcb);
	s->pcb = NULL;
	sock_free(s);
	return ERR_ABRT;
}

static err_t
on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;

	if (s->connect_waiting && wait_over(&s->connect_wait, GIVING_UP_NS)) {
		/* Answered -ETIMEDOUT: the socket would reach its owner
		 * after it gave up, and nobody would ever close it. */
		s->connect_waiting = false;
		return abort_connection(s, pcb);
	}
	/* The hole NetAPI opened is TCPIP's to close from now on.  With no
	 * room to remember it, the connection is not kept, and NetAPI,
	 * told so, closes the hole itself. */
	if (tcpip_hole_hold_tcp(&pcb->remote_ip, pcb->remote_port,
				pcb->local_port) < 0) {
		if (s->connect_waiting) {
			s->connect_waiting = false;
			answer_later_error(&s->connect_wait, -ENOMEM);
		}
		return abort_connection(s, pcb);
	}
	s->state = SOCK_OPEN;
	window_open(s);
	sock_cancel_timer(s);
	if (s->connect_waiting) {
		s->connect_waiting = false;
		/* Its caller is gone: nobody could ever close it. */
		if (hand_over(&s->connect_wait, s) < 0)
			return abort_connection(s, pcb);
	}
	return ERR_OK;
}

static void
connect_timed_out(void *arg)
{
	struct sock *s = arg;

	s->timer = -1;
	if (s->connect_waiting) {
		s->connect_waiting = false;
		answer_later_error(&s->connect_wait, -ETIMEDOUT);
	}
	sock_free(s);
}

/*
 * A connection to a listener has a hole from the moment lwIP makes its
 * pcb (the Firewall opened it for the client's handshake), and the hole
 * closes when lwIP drops the pcb, whether or not the connection was ever
 * accepted: lwIP may drop it first, on a reset, a timeout, or the limit.
 * With no room to hold it, lwIP drops the pcb at once and the Firewall,
 * seeing no answer to the client, closes the hole itself.
 */
static err_t
on_passive_open(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *pcb)
{
	return tcpip_hole_hold_tcp(&pcb->remote_ip, pcb->remote_port,
				   pcb->local_port) == 0
		   ? ERR_OK
		   : ERR_MEM;
}

static err_t
on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *l = arg, *s;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	/* The bind capability's limit, counted per listener. */
	if (l->accepted >= l->max_connections ||
	    l->nbacklog >= sizeof(l->backlog) / sizeof(l->backlog[0]) ||
	    (s = sock_alloc()) == NULL || sock_own(s, l->owner_peer) < 0) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	s->state = SOCK_OPEN;
	s->listener = l;
	l->accepted++;
	/* Its hole is held since the pcb was made (on_passive_open). */
	attach_pcb(s, pcb);
	window_open(s);
	if (still_waiting(&l->accept_waiting, &l->accept_wait, GIVING_UP_NS)) {
		l->accept_waiting = false;
		if (hand_over(&l->accept_wait, s) == 0)
			return ERR_OK;
		/* Its caller is gone: kept for the next accept. */
	}
	l->backlog[l->nbacklog++] = s;
	return ERR_OK;
}

/* ---- TCP exports ---- */

static int
connect_pcb(struct sock *s, sn_socket_connect_ref req, const ip_addr_t *ip,
	    uint64_t deadline_ns)
{
	sn_endpoint_ref remote = sn_socket_connect_remote(req);
	err_t err;

	/* Set first: a connect lwIP would start with no timer to end it
	 * would outlive its caller. */
	if (deadline_ns != 0) {
		s->timer = sn_loop_add_timer(&compartment.loop, deadline_ns,
					     connect_timed_out, s);
		if (s->timer < 0) {
			s->timer = -1;
			tcpip_timer_refused("a connect");
			return -ENOMEM;
		}
	}
	/* NetAPI chose the local port and opened the firewall for it. */
	err = tcp_bind(s->pcb, IP_ANY_TYPE, sn_socket_connect_local_port(req));
	if (err == ERR_OK)
		err = tcp_connect(s->pcb, ip, sn_endpoint_port(remote),
				  on_connected);
	return err == ERR_OK	? 0
	       : err == ERR_USE ? -EADDRINUSE
	       : err == ERR_RTE ? -EHOSTUNREACH
				: -ENOMEM;
}

void
serve_socket_connect(void *ctx, struct sn_incoming *in)
{
	sn_socket_connect_ref req =
	    sn_message_body_as_socket_connect(in->request);
	uint32_t len;
	const char *name = sn_socket_connect_owner(req, &len);
	struct sn_peer *owner = owner_peer(name, len);
	sn_endpoint_ref remote = sn_socket_connect_remote(req);
	struct sock *s;
	ip_addr_t ip;
	struct tcp_pcb *pcb;
	int rc = -ENOMEM;

	if (owner == NULL) {
		/* The owner has no channel to us: it could not use it. */
		answer_error(in, -EPERM);
		return;
	}
	if (sn_socket_connect_protocol(req) != SN_PROTOCOL_TCP ||
	    remote.pos == 0 || tcpip_ip_from_endpoint(remote, &ip) < 0 ||
	    sn_socket_connect_local_port(req) == 0) {
		answer_error(in, -EINVAL);
		return;
	}
	s = sock_alloc();
	pcb = s ? tcp_new_ip_type(IP_GET_TYPE(&ip)) : NULL;
	if (pcb == NULL || (rc = sock_own(s, owner)) < 0) {
		if (pcb)
			tcp_abort(pcb);
		answer_error(in, pcb ? rc : -ENOMEM);
		return;
	}
	s->state = SOCK_CONNECTING;
	attach_pcb(s, pcb);
	rc = connect_pcb(s, req, &ip, in->deadline_ns);
	if (rc < 0) {
		sock_free(s);
		answer_error(in, rc);
		return;
	}
	sn_defer_wait(in, &s->connect_wait);
	s->connect_waiting = true;
}

/* A listening pcb on `port`, or NULL if the port is taken. */
static struct tcp_pcb *
listen_pcb(bool ipv6, uint16_t port)
{
	struct tcp_pcb *pcb, *lpcb;

	pcb = tcp_new_ip_type(ipv6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4);
	if (pcb == NULL)
		return NULL;
	/* tcp_listen hands these on to the listening pcb. */
	tcp_ext_arg_set_callbacks(pcb, pcb_ext_arg, &listener_callbacks);
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, ipv6 ? IP_ANY_TYPE : IP4_ADDR_ANY, port) != ERR_OK ||
	    (lpcb = tcp_listen(pcb)) == NULL) {
		/* tcp_listen frees pcb only when it succeeds. */
		tcp_abort(pcb);
		return NULL;
	}
	return lpcb;
}

void
serve_socket_listen(void *ctx, struct sn_incoming *in)
{
	sn_socket_listen_ref req =
	    sn_message_body_as_socket_listen(in->request);
	uint32_t len;
	const char *name = sn_socket_listen_owner(req, &len);
	struct sn_peer *owner = owner_peer(name, len);
	struct sock *s;
	int rc;

	if (owner == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	s = sock_alloc();
	rc = s ? sock_own(s, owner) : -ENOMEM;
	if (rc < 0) {
		answer_error(in, rc);
		return;
	}
	s->pcb =
	    listen_pcb(sn_socket_listen_ipv6(req), sn_socket_listen_port(req));
	if (s->pcb == NULL) {
		sock_free(s);
		answer_error(in, -EADDRINUSE);
		return;
	}
	s->state = SOCK_LISTENING;
	s->max_connections = sn_socket_listen_max_connections(req);
	tcp_arg(s->pcb, s);
	tcp_accept(s->pcb, on_accept);
	sn_defer_wait(in, &s->connect_wait);
	s->connect_waiting = true;
	rc = listener_open(s);
	if (rc < 0) {
		s->connect_waiting = false;
		answer_later_error(&s->connect_wait, rc);
		sock_free(s);
	}
}

void
serve_accept(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct sock *l;

	sn_socket_reference_socket(
	    sn_message_body_as_socket_reference(in->request), &h);
	l = sock_lookup(in, h);
	if (l == NULL || l->state != SOCK_LISTENING) {
		answer_error(in, l ? -EINVAL : -EPERM);
		return;
	}
	if (l->nbacklog > 0) {
		struct sock *s = l->backlog[0];
		struct sn_deferred d;

		sn_defer(in, &d);
		if (hand_over(&d, s) < 0)
			return; /* still first in the backlog */
		memmove(l->backlog, l->backlog + 1,
			--l->nbacklog * sizeof(l->backlog[0]));
		return;
	}
	if (l->accept_waiting && !wait_over(&l->accept_wait, 0)) {
		answer_error(in, -EBUSY);
		return;
	}
	sn_defer_wait(in, &l->accept_wait);
	l->accept_waiting = true;
}

void
serve_receive(void *ctx, struct sn_incoming *in)
{
	struct sock *s = receive_park(in, SOCK_OPEN, -ENOTCONN);

	if (s != NULL)
		deliver(s, 0);
}

void
serve_close(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct sock *s;

	sn_socket_reference_socket(
	    sn_message_body_as_socket_reference(in->request), &h);
	s = sock_lookup(in, h);
	if (s == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	/* Tell lwIP all was read first, or it answers the close with RST. */
	for (unsigned i = 0; s->pcb && i < s->nrx; i++)
		tcp_recved(s->pcb, s->rx[i]->tot_len);
	sock_free(s);
	answer_empty(in);
}
