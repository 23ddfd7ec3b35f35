/*
 * TCPIP's socket table (sockets.c): handles owned by one compartment,
 * within its quotas, over lwIP's TCP pcbs (tcp.c) and UDP pcbs (udp.c).
 */
#ifndef SEALNET_TCPIP_SOCKETS_H
#define SEALNET_TCPIP_SOCKETS_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "handle.h"

#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

/* As many as lwIP has TCP connections: the image allows an application
 * up to 1024 sockets. */
#define MAX_SOCKETS MEMP_NUM_TCP_PCB
/*
 * An owner's open sockets and its closed connections lwIP still works on
 * (lingering.h) are at most this many times its socket quota together.
 * Not once: an owner's last closed connection is still in FIN-WAIT-1 for
 * a round trip when it connects again, and one whose peer is slow to
 * close its side stays in FIN-WAIT-2 for up to 20 s, so an owner of one
 * socket that reconnects, or of a few kept open and renewed, would be
 * refused though it holds no more than it is allowed.  Twice still
 * bounds each owner's pcbs and Firewall rules by its quota.
 */
#define LINGERING_PER_QUOTA 2u
/* What fits in one reply with room for the envelope. */
#define MAX_CHUNK (SN_MAX_MESSAGE - 512)
/* Datagrams a UDP socket keeps for its owner. */
#define MAX_DATAGRAMS 16
/* lwIP hands data up in pieces under 64 KiB, joined here while the sum
 * stays under it: two neighbouring chains past the first hold more than
 * 64 KiB between them, so a window's worth never needs more than this. */
#define RX_CHAINS (2 * TCP_WND / 0x10000 + 2)
/* Data or a connection is not handed to a caller this close to giving
 * up: the answer could arrive after it stopped waiting, and be lost. */
#define GIVING_UP_NS (2 * SN_MS)
/* A connection's first segments are acknowledged at once, as Linux's
 * quick-ack mode does; later ones when lwIP's delayed-ACK timer fires
 * (up to 250 ms) or with the next segment out.  A peer that sends one
 * segment of a flight and waits for its ACK before the rest (chrony's
 * TLS server sends its ServerHello so) would otherwise wait out that
 * timer on every handshake.  A segment shorter than the MSS is
 * acknowledged at once at any age: its sender had no more to send, or
 * holds the rest back until this is acknowledged (Nagle's algorithm:
 * mosquitto, by default, holds the message for a subscriber behind the
 * PUBACK it sent just before), and lwIP would make it wait for the timer.
 * Full segments, a bulk transfer's, keep lwIP's every-second ACK. */
#define QUICK_ACK_SEGMENTS 16u

enum sock_state {
	SOCK_FREE,
	SOCK_CONNECTING,
	SOCK_OPEN,
	SOCK_LISTENING,
	SOCK_UDP
};

struct datagram {
	struct pbuf *p;
	ip_addr_t from;
	u16_t port;
	uint32_t charged; /* to the owner's buffered_bytes quota */
};

struct sock {
	enum sock_state state;
	struct tcp_pcb *pcb;
	struct sn_handle_id id;
	uint32_t owner; /* peer identity of whoever may use the handle */
	/* Whose quotas the socket is charged to; and, once it handed the
	 * socket over (network_socket_delegate), the one compartment that
	 * may use it.  If either dies, the socket is closed. */
	struct sn_peer *owner_peer;
	struct sn_peer *delegate_peer;
	/* Received, not yet handed out: chains of pbufs, oldest first.  A
	 * chain's length is 16 bits, and the window is larger.  Small
	 * pieces are copied into a compact buffer at the end of the last
	 * chain, rx_tail, with room up to rx_tail_end (rxqueue.c); NULL once
	 * anything follows it. */
	struct pbuf *rx[RX_CHAINS];
	unsigned nrx;
	struct pbuf *rx_tail;
	uint8_t *rx_tail_end;
	bool peer_closed;    /* FIN received */
	unsigned quick_acks; /* segments still acknowledged at once */
	uint32_t buffered;   /* received, not handed out */
	/* What a connection's receive window (what is queued plus what its
	 * peer may still send) holds of the owner's buffered_bytes quota:
	 * the part above WINDOW_FLOOR (window.h).  A UDP socket's queued
	 * datagrams are charged instead, in `buffered`, each for the memory
	 * it holds (rxplan.h). */
	uint32_t window_paid;
	int error; /* set when lwIP reported the pcb gone */
	/* lwIP's send queue length, as last counted for the owner's share
	 * of segments (segments.h). */
	uint32_t segments;
	struct sock *listener;
	unsigned accepted; /* open connections of a listener */
	unsigned max_connections;
	/* A listener's request to the Firewall to open its port
	 * (listeners.c): its answer finds the socket by this. */
	uint32_t listen_ticket;
	struct sock *backlog[8]; /* accepted, not yet asked for */
	unsigned nbacklog;
	/* At most one waiting call of each kind per socket. */
	struct sn_deferred connect_wait, accept_wait, recv_wait, send_wait;
	bool connect_waiting, accept_waiting, recv_waiting, send_waiting;
	uint32_t recv_max;
	/* Data came for its waiting receive: answered once the frames in
	 * hand are all in (receive.h). */
	bool deliver_due;
	int timer;
	/* UDP: its pcb, whether it holds its port's hole in the Firewall,
	 * and the datagrams not yet handed out. */
	struct udp_pcb *udp;
	bool udp_hole;
	struct datagram queue[MAX_DATAGRAMS];
	unsigned nqueue;
};

void sockets_init(void);

/* A free socket, cleared, or NULL if all are in use. */
struct sock *sock_alloc(void);
/* Makes s the owner's, within its socket quota and with its closed
 * connections within LINGERING_PER_QUOTA times it: 0, -EDQUOT or
 * -ENOMEM. */
int sock_own(struct sock *s, struct sn_peer *owner);
/* Inside lwIP's receive callback: the `len` bytes just taken are
 * acknowledged at once while s is young, or if they are less than a
 * full segment (QUICK_ACK_SEGMENTS). */
void sock_quick_ack(struct sock *s, uint32_t len);
/* Closes s and whatever it holds, answering any call still waiting. */
void sock_free(struct sock *s);
/* s's timer, if set, will not fire. */
void sock_cancel_timer(struct sock *s);
/* lwIP calls nothing of ours for pcb from now on. */
void pcb_detach(struct tcp_pcb *pcb);
/* Hands s to the caller of d: 0, or what kept the answer from going,
 * and then nobody holds the handle: the caller must take s back. */
int hand_over(struct sn_deferred *d, struct sock *s);
/* The socket `h` names, if the caller of `in` owns it. */
struct sock *sock_lookup(struct sn_incoming *in, sn_handle h);
/* The same for a named owner. */
struct sock *sock_of(struct sn_peer *owner, sn_handle h);
/* The listener whose request to the Firewall carried ticket, or NULL. */
struct sock *sock_of_listen_ticket(uint32_t ticket);
/* The owner named in a request from NetAPI, as a peer of ours. */
struct sn_peer *owner_peer(const char *name, uint32_t len);

/* A dead owner's sockets are closed: its successor cannot use them; so
 * are those delegated to a compartment that died. */
void sockets_owner_died(struct sn_peer *p);
/* Runs fn on each open TCP socket charged to owner. */
void sockets_of_owner(const struct sn_peer *owner, void (*fn)(struct sock *));

/* network_socket_delegate. */
void serve_socket_delegate(void *ctx, struct sn_incoming *in);
void serve_socket_abort(void *ctx, struct sn_incoming *in);

/* Whether a call still waits on `waiting`, answering it -ETIMEDOUT and
 * clearing it if its caller has given up (or will within margin_ns). */
bool still_waiting(bool *waiting, struct sn_deferred *d, uint64_t margin_ns);
/* The same for a call about to be replaced by a new one. */
bool wait_over(struct sn_deferred *d, uint64_t margin_ns);

#endif
