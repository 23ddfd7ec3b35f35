/*
 * TCPIP's UDP sockets: owned by the compartment that asked for one, on a
 * random port unless it named one.  The Firewall lets through only the
 * peers NetAPI authorised for the socket's port, and every such hole
 * closes with the socket.
 */
#include "udp.h"

#include <string.h>

#include "firewall_holes.h"
#include "log.h"
#include "netif.h"
#include "receive.h"
#include "rxqueue.h"
#include "sealnet_lwip_hooks.h"
#include "tcpip.h"

/* Ports a socket that names none is given: the dynamic range. */
#define EPHEMERAL_FIRST 49152u
#define EPHEMERAL_COUNT 16384u
#define BIND_TRIES	8

void
udp_socket_close(struct sock *s)
{
	if (s->udp_hole)
		tcpip_hole_release_udp(s->udp->local_port);
	s->udp_hole = false;
	udp_remove(s->udp);
	s->udp = NULL;
	for (unsigned i = 0; i < s->nqueue; i++)
		pbuf_free(s->queue[i].p);
	s->nqueue = 0;
}

static void
deliver_datagram(struct sock *s, uint64_t margin_ns)
{
	struct datagram *d = &s->queue[0];
	sn_builder *b;
	uint32_t body, n;
	uint8_t *data;
	int rc;

	if (s->nqueue == 0 || !receive_waiting(s, margin_ns))
		return;
	n = d->p->tot_len;
	if (n > s->recv_max)
		n = s->recv_max; /* the rest of the datagram is discarded */
	b = sn_reply_builder(&compartment);
	body = sn_received_start(b);
	data = sn_received_reserve_data(b, body, n);
	rc = data == NULL ? -ENOMEM : 0;
	/* A copy short of the datagram would hand the owner zeros for data:
	 * a fault of ours, said as one. */
	if (data != NULL && pbuf_copy_partial(d->p, data, (u16_t)n, 0) != n) {
		sn_log("a datagram holds less than its length of %u bytes", n);
		rc = -EIO;
	}
	/* Answered or not, the datagram is spent, as UDP loses one. */
	if (rc == 0) {
		uint32_t from = sn_endpoint_start(b);

		tcpip_endpoint_set_address(b, from, &d->from);
		sn_endpoint_add_port(b, from, d->port);
		sn_received_add_from(b, body, from);
		receive_answer(s, body);
	} else
		receive_fail(s, rc);
	sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, d->charged);
	s->buffered -= d->charged;
	pbuf_free(d->p);
	memmove(s->queue, s->queue + 1, --s->nqueue * sizeof(s->queue[0]));
}

/* A datagram is held in a buffer of its own size, and its owner charged
 * for the buffer, header and all: kept in the pool buffer it came in,
 * the size of a full frame, a socket's sixteen empty datagrams held
 * sixteen of the pool's buffers and were charged nothing. */
static void
on_datagram(void *arg, struct udp_pcb *pcb, struct pbuf *p,
	    const ip_addr_t *addr, u16_t port)
{
	struct sock *s = arg;
	struct rx_piece piece = rxq_piece(p);
	uint32_t charge = rx_datagram_held(&piece);

	/* A full queue drops, as UDP does; the sender was told nothing
	 * would be kept. */
	if (s->nqueue >= MAX_DATAGRAMS ||
	    sn_quota_take(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, charge) < 0) {
		pbuf_free(p);
		return;
	}
	if (!rx_keeps(&piece)) {
		struct pbuf *copy = pbuf_clone(PBUF_RAW, PBUF_RAM, p);

		pbuf_free(p);
		if (copy == NULL) {
			sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
				      charge);
			return;
		}
		p = copy;
	}
	s->buffered += charge;
	s->queue[s->nqueue++] = (struct datagram){p, *addr, port, charge};
	deliver_datagram(s, GIVING_UP_NS);
}

/*
 * Binds s's pcb to `port`, or to a random port for 0 (not lwIP's next in
 * sequence), and holds the port's hole: 0, -EADDRINUSE, or -ENOMEM when
 * there is no room to hold the hole.  A port whose holes from an earlier
 * socket are still being closed is not taken: the new socket would
 * inherit the peers authorised for the old one.
 */
static int
bind_port(struct sock *s, bool v6, uint16_t port)
{
	int rc = -EADDRINUSE;

	for (int tries = 0; tries < BIND_TRIES && rc == -EADDRINUSE; tries++) {
		u16_t p = port ? port
			       : (u16_t)(EPHEMERAL_FIRST +
					 sealnet_lwip_rand() % EPHEMERAL_COUNT);

		if (udp_bind(s->udp, v6 ? IP_ANY_TYPE : IP4_ADDR_ANY, p) !=
		    ERR_OK)
			continue;
		rc = tcpip_hole_hold_udp(p);
	}
	if (rc == 0)
		s->udp_hole = true;
	return rc == -ENOSPC ? -ENOMEM : rc;
}

void
serve_udp(void *ctx, struct sn_incoming *in)
{
	sn_socket_listen_ref req =
	    sn_message_body_as_socket_listen(in->request);
	bool v6 = sn_socket_listen_ipv6(req);
	struct sock *s = sock_alloc();
	struct udp_pcb *pcb =
	    s ? udp_new_ip_type(v6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4) : NULL;
	int rc = pcb ? sock_own(s, in->peer) : -ENOMEM;
	struct sn_deferred d;

	if (rc < 0) {
		if (pcb)
			udp_remove(pcb);
		answer_error(in, rc);
		return;
	}
	s->state = SOCK_UDP;
	s->udp = pcb;
	rc = bind_port(s, v6, sn_socket_listen_port(req));
	if (rc < 0) {
		sock_free(s);
		answer_error(in, rc);
		return;
	}
	udp_recv(pcb, on_datagram, s);
	sn_defer(in, &d);
	if (hand_over(&d, s) < 0)
		sock_free(s);
}

/* NetAPI, before it opens the Firewall for a UDP socket: is it really the
 * named compartment's, and on which port? */
void
serve_socket_port(void *ctx, struct sn_incoming *in)
{
	sn_socket_of_ref req = sn_message_body_as_socket_of(in->request);
	uint32_t len;
	const char *name = sn_socket_of_owner(req, &len);
	struct sn_peer *owner = owner_peer(name, len);
	struct sock *s;
	sn_handle h;

	sn_socket_of_socket(req, &h);
	s = owner ? sock_of(owner, h) : NULL;
	if (s == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	if (s->state != SOCK_UDP) {
		answer_error(in, -EINVAL);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body, s->udp->local_port);
	answer_ok(in, SN_BODY_SOCKET_CREATED, body);
}

void
serve_send_to(void *ctx, struct sn_incoming *in)
{
	sn_send_ref req = sn_message_body_as_send(in->request);
	sn_endpoint_ref to = sn_send_to(req);
	uint32_t len;
	const uint8_t *data = sn_send_data(req, &len);
	struct sock *s;
	struct pbuf *p;
	ip_addr_t ip;
	sn_handle h;
	err_t err;

	sn_send_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != SOCK_UDP) {
		answer_error(in, s ? -EINVAL : -EPERM);
		return;
	}
	if (to.pos == 0 || tcpip_ip_from_endpoint(to, &ip) < 0 || len > 65507) {
		answer_error(in, -EINVAL);
		return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL || pbuf_take(p, data, (u16_t)len) != ERR_OK) {
		if (p != NULL)
			pbuf_free(p);
		answer_error(in, -ENOMEM);
		return;
	}
	err = udp_sendto(s->udp, p, &ip, sn_endpoint_port(to));
	pbuf_free(p);
	if (err != ERR_OK) {
		answer_error(in, err == ERR_RTE ? -EHOSTUNREACH : -ENOMEM);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_sent_start(b);
	sn_sent_add_bytes(b, body, len);
	answer_ok(in, SN_BODY_SENT, body);
}

void
serve_receive_from(void *ctx, struct sn_incoming *in)
{
	struct sock *s = receive_park(in, SOCK_UDP, -EINVAL);

	if (s != NULL)
		deliver_datagram(s, 0);
}
