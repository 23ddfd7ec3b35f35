/*
 * The TCPIP compartment: lwIP's raw API on one thread, with no device and
 * no network of its own.  Frames arrive from the Firewall as calls
 * (tcpip_frame_receive) and leave as calls to it (firewall_frame_send).
 *
 * Sockets are handles owned by the compartment NetAPI created them for;
 * calls that wait (connect, accept, receive, send into a full window) are
 * deferred and answered from lwIP's callbacks, or fail at their deadline.
 *
 * One rule keeps the single reply buffer safe: lwIP may emit frames (and
 * so build a call to the Firewall) inside any lwIP function, so a reply
 * is built only after the lwIP work for it is done.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "boot.h"
#include "frames.h"
#include "handle.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "stack.h"
#include "tcpseg.h"

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "sealnet_lwip_hooks.h"

SEALNET_COMPARTMENT("TCPIP");
SEALNET_IMPORT(firewall_frame_send);
SEALNET_IMPORT(firewall_rule_remove);
SEALNET_IMPORT(firewall_port_close);
SEALNET_QUOTA(memory_bytes, 256 << 20);
SEALNET_RESTART(always, 10);

/* The Firewall answers SYNs for lwIP: its SYN-ACKs must promise what
 * lwIP will do. */
_Static_assert(TCP_MSS == SN_TCP_MSS_IPV4,
	       "the Firewall's SYN-ACK announces lwIP's MSS");
_Static_assert(TCP_RCV_SCALE == SN_TCP_WSCALE,
	       "the Firewall's SYN-ACK announces lwIP's window scale");

#define MAX_SOCKETS 64
/* What fits in one reply with room for the envelope. */
#define MAX_CHUNK (SN_MAX_MESSAGE - 512)

enum sock_state {
	SOCK_FREE,
	SOCK_CONNECTING,
	SOCK_OPEN,
	SOCK_LISTENING,
	SOCK_UDP
};

#define MAX_DATAGRAMS 16

struct datagram {
	struct pbuf *p;
	ip_addr_t from;
	u16_t port;
};

/* lwIP hands data up in pieces under 64 KiB, joined here while the sum
 * stays under it: two neighbouring chains past the first hold more than
 * 64 KiB between them, so a window's worth never needs more than this. */
#define RX_CHAINS (2 * TCP_WND / 0x10000 + 2)

/* A connection's hole in the Firewall: the rule NetAPI added for it, or
 * the one an inbound SYN to a server port made. */
struct hole {
	bool in_use;
	ip_addr_t remote;
	uint16_t local_port, remote_port;
};

struct sock {
	enum sock_state state;
	struct tcp_pcb *pcb;
	struct sn_handle_id id;
	uint32_t owner; /* peer identity of the owner */
	struct sn_peer *owner_peer;
	/* Received, not yet handed out: chains of pbufs, oldest first.  A
	 * chain's length is 16 bits, and the window is larger. */
	struct pbuf *rx[RX_CHAINS];
	unsigned nrx;
	bool peer_closed;  /* FIN received */
	uint32_t buffered; /* received, not handed out: the owner's quota */
	int error;	   /* set when lwIP reported the pcb gone */
	struct hole conn;  /* once connected: its hole, closed after it */
	struct sock *listener;
	unsigned accepted; /* open connections of a listener */
	unsigned max_connections;
	struct sock *backlog[8]; /* accepted, not yet asked for */
	unsigned nbacklog;
	/* At most one waiting call of each kind per socket. */
	struct sn_deferred connect_wait, accept_wait, recv_wait, send_wait;
	bool connect_waiting, accept_waiting, recv_waiting, send_waiting;
	uint32_t recv_max;
	int timer;
	/* UDP: its pcb and the datagrams not yet handed out. */
	struct udp_pcb *udp;
	struct datagram queue[MAX_DATAGRAMS];
	unsigned nqueue;
};

static struct sn_compartment compartment;
static struct sn_peer *firewall;
static struct netif netif;
static struct sock socks[MAX_SOCKETS];
static struct sn_handle_entry handle_slots[MAX_SOCKETS];
static struct sn_handle_table handles;
static uint64_t quota_refusals;
static uint8_t isn_key[32];
static struct {
	uint64_t frames_in, frames_in_dropped, frames_out, frames_out_dropped;
	uint64_t cookies_refused;
} stats;

/* While lwIP takes in a SYN the Firewall rebuilt from a SYN cookie: the
 * initial sequence number that SYN's connection must have. */
static struct {
	bool set;
	struct tcpseg syn;
	uint32_t isn;
} cookie_isn;

/* ---- lwIP's platform ---- */

u32_t
sys_now(void)
{
	return (u32_t)(sn_now_ns() / SN_MS);
}

uint32_t
sealnet_lwip_rand(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		abort();
	return r;
}

static bool
addr_is(const ip_addr_t *a, const uint8_t *bytes, bool ipv6)
{
	if (ipv6)
		return IP_IS_V6(a) && memcmp(ip_2_ip6(a)->addr, bytes, 16) == 0;
	return IP_IS_V4(a) && memcmp(&ip_2_ip4(a)->addr, bytes, 4) == 0;
}

/* The connection the cookie's SYN opens, and no other. */
static bool
is_cookie_connection(const ip_addr_t *local_ip, u16_t local_port,
		     const ip_addr_t *remote_ip, u16_t remote_port)
{
	const struct tcpseg *syn = &cookie_isn.syn;

	return cookie_isn.set && local_port == syn->dst_port &&
	       remote_port == syn->src_port &&
	       addr_is(local_ip, syn->dst_ip, syn->ipv6) &&
	       addr_is(remote_ip, syn->src_ip, syn->ipv6);
}

u32_t
sealnet_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		const ip_addr_t *remote_ip, u16_t remote_port)
{
	uint8_t in[2 * sizeof(ip_addr_t) + 2 * sizeof(u16_t)], out[32];
	size_t outlen = 0;
	uint32_t f;

	/* The client has acknowledged the cookie already. */
	if (is_cookie_connection(local_ip, local_port, remote_ip,
				 remote_port)) {
		cookie_isn.set = false;
		return cookie_isn.isn;
	}
	memcpy(in, local_ip, sizeof(*local_ip));
	memcpy(in + sizeof(*local_ip), &local_port, sizeof(local_port));
	memcpy(in + sizeof(*local_ip) + sizeof(local_port), remote_ip,
	       sizeof(*remote_ip));
	memcpy(in + 2 * sizeof(*local_ip) + sizeof(local_port), &remote_port,
	       sizeof(remote_port));
	/* Without the keyed hash, sequence numbers would be guessable: a
	 * failure here is not something to carry on through. */
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, isn_key,
		      sizeof(isn_key), in, sizeof(in), out, sizeof(out),
		      &outlen) == NULL ||
	    outlen < sizeof(f)) {
		sn_log("cannot compute an initial sequence number; stopping");
		abort();
	}
	memcpy(&f, out, sizeof(f));
	/* RFC 6528: a 4 us clock plus the keyed hash. */
	return (u32_t)(sn_now_ns() / 4000u) + f;
}

/* ---- frames ---- */

static void
frame_sent(void *ctx, int status, const sn_message_ref *reply)
{
	if (status < 0)
		stats.frames_out_dropped++;
}

/* Frames lwIP sends during a turn of the loop, sent at its end. */
static struct sn_frames outgoing;

static void
send_frames(void *ctx)
{
	unsigned n = outgoing.count;

	if (sn_frames_send(&outgoing, firewall, SN_EXPORT_FIREWALL_FRAME_SEND,
			   frame_sent) < 0) {
		/* The Firewall is behind or restarting: TCP retransmits. */
		if (sn_log_worth(stats.frames_out_dropped += n))
			sn_log("the Firewall is behind: %llu frames not sent",
			       (unsigned long long)stats.frames_out_dropped);
	} else
		stats.frames_out += n;
}

static err_t
link_output(struct netif *nif, struct pbuf *p)
{
	uint8_t *slot = sn_frames_reserve(&outgoing, p->tot_len);

	if (slot == NULL && p->tot_len <= SN_FRAMES_MAX_FRAME) {
		send_frames(NULL);
		slot = sn_frames_reserve(&outgoing, p->tot_len);
	}
	if (slot == NULL)
		return ERR_BUF;
	pbuf_copy_partial(p, slot, p->tot_len, 0);
	return ERR_OK;
}

/* A cookie's ISN is taken only from the Firewall, only with a whole SYN
 * (no ACK, no RST), and only for that SYN's connection; a frame that
 * carries one otherwise is dropped. */
static bool
take_cookie_isn(bool from_firewall, const uint8_t *data, uint32_t len,
		uint32_t isn)
{
	struct tcpseg syn;

	if (!from_firewall || tcpseg_read(&syn, data, len) < 0 ||
	    (syn.flags & (TCPSEG_SYN | TCPSEG_ACK | TCPSEG_RST)) !=
		TCPSEG_SYN) {
		if (sn_log_worth(++stats.cookies_refused))
			sn_log("refused %llu frames with a SYN cookie",
			       (unsigned long long)stats.cookies_refused);
		return false;
	}
	cookie_isn.syn = syn;
	cookie_isn.isn = isn;
	cookie_isn.set = true;
	return true;
}

static void
receive_one(void *ctx, const uint8_t *data, uint32_t len,
	    const uint32_t *syn_cookie)
{
	const bool *from_firewall = ctx;
	struct pbuf *p;

	/* Frames come from the Firewall only (the image says so); even so,
	 * a frame is bounded and copied before lwIP sees it. */
	if (len < SIZEOF_ETH_HDR || len > SN_MAX_FRAME) {
		stats.frames_in_dropped++;
		return;
	}
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (p == NULL) {
		stats.frames_in_dropped++;
		return;
	}
	if (syn_cookie != NULL &&
	    !take_cookie_isn(*from_firewall, data, len, *syn_cookie)) {
		pbuf_free(p);
		stats.frames_in_dropped++;
		return;
	}
	pbuf_take(p, data, (u16_t)len);
	stats.frames_in++;
	if (netif.input(p, &netif) != ERR_OK)
		pbuf_free(p);
	/* Used by the SYN's connection, or by none. */
	cookie_isn.set = false;
}

static void
serve_frame_receive(void *ctx, struct sn_incoming *in)
{
	bool from_firewall = in->peer == firewall;

	sn_frames_each(sn_message_body_as_frames(in->request), receive_one,
		       &from_firewall);
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}

/* ---- addresses ---- */

static ip_addr_t image_dns;
static bool have_image_dns;

/* Static addresses from the image; DHCP for whatever it leaves out. */
static void
configure(void)
{
	struct sn_network_config c;

	sn_compartment_network_config(&c);
	if (c.dns_family == SN_ADDRESS_FAMILY_IPV4) {
		uint32_t v;

		memcpy(&v, c.dns, 4);
		ip_addr_set_ip4_u32_val(image_dns, v);
		have_image_dns = true;
	} else if (c.dns_family == SN_ADDRESS_FAMILY_IPV6) {
		IP_SET_TYPE_VAL(image_dns, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(&image_dns)->addr, c.dns, 16);
		have_image_dns = true;
	}
	if (c.static_ipv4) {
		ip4_addr_t ip, mask, gw;
		uint32_t v;

		memcpy(&v, c.ipv4, 4);
		ip4_addr_set_u32(&ip, v);
		memcpy(&v, c.gateway, 4);
		ip4_addr_set_u32(&gw, v);
		ip4_addr_set_u32(
		    &mask, c.prefix_length == 0
			       ? 0
			       : lwip_htonl(~0u << (32 - c.prefix_length)));
		netif_set_addr(&netif, &ip, &mask, &gw);
	} else {
		dhcp_start(&netif);
	}
}

static void
status_changed(struct netif *nif)
{
	char a[IP4ADDR_STRLEN_MAX], g[IP4ADDR_STRLEN_MAX];

	if (ip4_addr_isany_val(*netif_ip4_addr(nif)))
		return;
	ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof(a));
	ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof(g));
	sn_log(
	    "address %s/%d, gateway %s%s", a,
	    32 - __builtin_popcount(~ip4_addr_get_u32(netif_ip4_netmask(nif))),
	    g, dhcp_supplied_address(nif) ? ", by DHCP" : ", from the image");
}

static err_t
netif_setup(struct netif *nif)
{
	nif->name[0] = 's';
	nif->name[1] = 'n';
	nif->mtu = 1500;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		     NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = link_output;
	return ERR_OK;
}

static void
append_endpoint(sn_builder *b, uint32_t vec, uint32_t i, const ip_addr_t *a)
{
	uint32_t ep = sn_endpoint_start(b);

	if (IP_IS_V6(a)) {
		sn_endpoint_add_family(b, ep, SN_ADDRESS_FAMILY_IPV6);
		sn_endpoint_add_address(b, ep, ip_2_ip6(a)->addr, 16);
	} else {
		sn_endpoint_add_family(b, ep, SN_ADDRESS_FAMILY_IPV4);
		sn_endpoint_add_address(b, ep, &ip_2_ip4(a)->addr, 4);
	}
	sn_builder_set_table_at(b, vec, i, ep);
}

static void
serve_address_get(void *ctx, struct sn_incoming *in)
{
	ip_addr_t addrs[1 + LWIP_IPV6_NUM_ADDRESSES];
	unsigned n = 0;

	if (!ip4_addr_isany_val(*netif_ip4_addr(&netif))) {
		ip_addr_copy_from_ip4(addrs[n], *netif_ip4_addr(&netif));
		n++;
	}
	for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		if (!ip6_addr_isvalid(netif_ip6_addr_state(&netif, i)))
			continue;
		ip_addr_copy_from_ip6(addrs[n], *netif_ip6_addr(&netif, i));
		n++;
	}
	if (n == 0) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	ip_addr_t servers[DNS_MAX_SERVERS];
	unsigned nservers = 0;
	/* The image's server, if it names one, instead of DHCP's. */
	if (have_image_dns)
		servers[nservers++] = image_dns;
	for (u8_t i = 0; !have_image_dns && i < DNS_MAX_SERVERS; i++)
		if (!ip_addr_isany(dns_getserver(i)))
			servers[nservers++] = *dns_getserver(i);
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t info = sn_address_info_start(b);
	uint32_t vec = sn_address_info_start_addresses(b, info, n);
	for (unsigned i = 0; i < n; i++)
		append_endpoint(b, vec, i, &addrs[i]);
	vec = sn_address_info_start_dns_servers(b, info, nservers);
	for (unsigned i = 0; i < nservers; i++)
		append_endpoint(b, vec, i, &servers[i]);
	sn_reply_ok(in, SN_BODY_ADDRESS_INFO, info);
}

/* ---- sockets ---- */

static struct sock *
sock_alloc(void)
{
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].state == SOCK_FREE) {
			memset(&socks[i], 0, sizeof(socks[i]));
			socks[i].timer = -1;
			return &socks[i];
		}
	return NULL;
}

/* Data or a connection is not handed to a caller this close to giving
 * up: the answer could arrive after it stopped waiting, and be lost. */
#define GIVING_UP_NS (2 * SN_MS)

/* A waiting call whose caller has given up (or is about to) makes way: it
 * is answered -ETIMEDOUT, which that caller drops, and what it waited for
 * stays for the next call. */
static bool
wait_over(struct sn_deferred *d, uint64_t margin_ns)
{
	if (d->deadline_ns == 0 || sn_now_ns() + margin_ns < d->deadline_ns)
		return false;
	sn_deferred_error(d, -ETIMEDOUT);
	return true;
}

/* Whether a call still waits on `waiting`, clearing it if its caller has
 * given up.  A call answered as it arrives needs no margin. */
static bool
still_waiting(bool *waiting, struct sn_deferred *d, uint64_t margin_ns)
{
	if (*waiting && wait_over(d, margin_ns))
		*waiting = false;
	return *waiting;
}

/* The socket `h` names, if `owner` holds it. */
static struct sock *
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

static struct sock *
sock_lookup(struct sn_incoming *in, sn_handle h)
{
	return sock_of(in->peer, h);
}

static void
reply_socket(struct sn_deferred *d, struct sock *s)
{
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_handle h = {s->id.slot, s->id.generation, s->id.tag};

	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body,
					 s->pcb ? s->pcb->local_port : 0);
	sn_deferred_ok(d, SN_BODY_SOCKET_CREATED, body);
}

static void sock_free(struct sock *s);

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
	if (s->connect_waiting) {
		s->connect_waiting = false;
		sn_deferred_error(&s->connect_wait,
				  err == ERR_RST ? -ECONNREFUSED : e);
		sock_free(s);
		return;
	}
	if (s->recv_waiting) {
		s->recv_waiting = false;
		sn_deferred_error(&s->recv_wait, e);
	}
	if (s->send_waiting) {
		s->send_waiting = false;
		sn_deferred_error(&s->send_wait, e);
	}
}

/*
 * A connection's hole in the Firewall stays open while lwIP still works on
 * the connection after its socket is gone: our FIN, the peer's FIN and the
 * last ACK have to pass, however long the peer takes.  Each tick closes
 * the holes whose connection has left lwIP's active list (freed, or in
 * TIME_WAIT with its last ACK sent).  A lingering hole belongs to a live
 * pcb or one freed since the last tick, so the table cannot outgrow twice
 * lwIP's pool of them.
 */
#define MAX_LINGERING (2 * MEMP_NUM_TCP_PCB)

static struct hole lingering[MAX_LINGERING];
static uint64_t holes_closed_early;

static void
hole_closed(void *ctx, int status, const sn_message_ref *reply)
{
}

static void
close_hole_now(struct hole *h)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t rule = sn_firewall_rule_start(b);
	bool v6 = IP_IS_V6(&h->remote);
	uint32_t ep;

	sn_firewall_rule_add_protocol(b, rule, SN_PROTOCOL_TCP);
	sn_firewall_rule_add_local_port(b, rule, h->local_port);
	ep = sn_endpoint_start(b);
	sn_endpoint_add_family(
	    b, ep, v6 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	if (v6)
		sn_endpoint_add_address(
		    b, ep, (const uint8_t *)ip_2_ip6(&h->remote)->addr, 16);
	else
		sn_endpoint_add_address(
		    b, ep, (const uint8_t *)&ip_2_ip4(&h->remote)->addr, 4);
	sn_endpoint_add_port(b, ep, h->remote_port);
	sn_firewall_rule_add_remote(b, rule, ep);
	sn_call_async(firewall, SN_EXPORT_FIREWALL_RULE_REMOVE,
		      SN_BODY_FIREWALL_RULE, rule, 1000 * SN_MS, hole_closed,
		      NULL);
	h->in_use = false;
}

/* Closes conn's hole once lwIP is done with the connection: 0, or
 * -ENOSPC when too many are waiting for that already. */
static int
track_hole(const struct hole *conn)
{
	for (unsigned i = 0; i < MAX_LINGERING; i++)
		if (!lingering[i].in_use) {
			lingering[i] = *conn;
			lingering[i].in_use = true;
			return 0;
		}
	return -ENOSPC;
}

/* The hole of a connection whose socket is gone: closed once lwIP is
 * done with the connection. */
static void
close_hole(const struct hole *conn)
{
	if (track_hole(conn) == 0)
		return;
	struct hole now = *conn;
	if (sn_log_worth(++holes_closed_early))
		sn_log("%llu firewall holes closed before their connection "
		       "ended: too many closing at once",
		       (unsigned long long)holes_closed_early);
	close_hole_now(&now);
}

static bool
still_in_lwip(const struct hole *h)
{
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (p->local_port == h->local_port &&
		    p->remote_port == h->remote_port &&
		    ip_addr_cmp(&p->remote_ip, &h->remote))
			return true;
	return false;
}

static void
sweep_holes(void)
{
	for (unsigned i = 0; i < MAX_LINGERING; i++)
		if (lingering[i].in_use && !still_in_lwip(&lingering[i]))
			close_hole_now(&lingering[i]);
}

/*
 * A connection to a listener has a hole from the moment lwIP makes its
 * pcb (the Firewall opened it for the client's handshake), and the hole
 * closes when lwIP drops the pcb, whether or not the connection was ever
 * accepted: lwIP may drop it first, on a reset, a timeout, or the limit.
 * With no room to track it, lwIP drops the pcb at once and the Firewall,
 * seeing no answer to the client, closes the hole itself.
 */
static err_t
on_passive_open(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *pcb)
{
	struct hole h = {.in_use = true,
			 .local_port = pcb->local_port,
			 .remote_port = pcb->remote_port};

	ip_addr_copy(h.remote, pcb->remote_ip);
	return track_hole(&h) == 0 ? ERR_OK : ERR_MEM;
}

static const struct tcp_ext_arg_callbacks listener_callbacks = {
    .passive_open = on_passive_open};
static u8_t listener_ext_arg;

/* Kept apart from the pcb, which lwIP frees on a reset or a timeout while
 * the socket lives on. */
static void
remember_hole(struct sock *s)
{
	s->conn.in_use = true;
	ip_addr_copy(s->conn.remote, s->pcb->remote_ip);
	s->conn.local_port = s->pcb->local_port;
	s->conn.remote_port = s->pcb->remote_port;
}

/* lwIP calls nothing of ours for pcb from now on. */
static void
pcb_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

static void
sock_free(struct sock *s)
{
	/* Whoever still waits on this socket is told it is gone. */
	if (s->connect_waiting)
		sn_deferred_error(&s->connect_wait, -ENOTCONN);
	if (s->accept_waiting)
		sn_deferred_error(&s->accept_wait, -ENOTCONN);
	if (s->recv_waiting)
		sn_deferred_error(&s->recv_wait, -ENOTCONN);
	if (s->send_waiting)
		sn_deferred_error(&s->send_wait, -ENOTCONN);
	if (s->conn.in_use)
		close_hole(&s->conn);
	if (s->pcb) {
		pcb_detach(s->pcb);
		if (s->state == SOCK_LISTENING)
			tcp_accept(s->pcb, NULL);
		if (tcp_close(s->pcb) != ERR_OK)
			tcp_abort(s->pcb);
	}
	for (unsigned i = 0; i < s->nrx; i++)
		pbuf_free(s->rx[i]);
	if (s->udp) {
		/* What NetAPI authorised for this port goes with it. */
		sn_builder *b = sn_call_builder(&compartment);
		uint32_t lp = sn_local_port_start(b);

		sn_local_port_add_protocol(b, lp, SN_PROTOCOL_UDP);
		sn_local_port_add_port(b, lp, s->udp->local_port);
		sn_call_async(firewall, SN_EXPORT_FIREWALL_PORT_CLOSE,
			      SN_BODY_LOCAL_PORT, lp, 1000 * SN_MS, hole_closed,
			      NULL);
		udp_remove(s->udp);
	}
	for (unsigned i = 0; i < s->nqueue; i++)
		pbuf_free(s->queue[i].p);
	if (s->listener && s->listener->accepted)
		s->listener->accepted--;
	if (s->timer >= 0)
		sn_loop_cancel_timer(&compartment.loop, s->timer);
	sn_handle_release(&handles, s->owner, &s->id, NULL);
	if (s->owner_peer) {
		sn_quota_give(s->owner_peer, SN_QUOTA_SOCKETS, 1);
		sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
			      s->buffered);
	}
	memset(s, 0, sizeof(*s));
	s->state = SOCK_FREE;
}

/* Hands out what is queued, up to what the caller asked for. */
static void
deliver(struct sock *s, uint64_t margin_ns)
{
	uint32_t n;
	sn_builder *b;
	uint32_t body;
	uint8_t *data;

	if (!still_waiting(&s->recv_waiting, &s->recv_wait, margin_ns))
		return;
	if (s->nrx == 0) {
		if (s->peer_closed || s->error) {
			s->recv_waiting = false;
			sn_deferred_error(&s->recv_wait,
					  s->error ? s->error : -ENOTCONN);
		}
		return;
	}
	n = s->rx[0]->tot_len;
	if (n > s->recv_max)
		n = s->recv_max;
	if (n > MAX_CHUNK)
		n = MAX_CHUNK;
	b = sn_reply_builder(&compartment);
	body = sn_received_start(b);
	data = sn_received_reserve_data(b, body, n);
	if (data == NULL) {
		s->recv_waiting = false;
		sn_deferred_error(&s->recv_wait, -ENOMEM);
		return;
	}
	pbuf_copy_partial(s->rx[0], data, (u16_t)n, 0);
	s->recv_waiting = false;
	sn_deferred_ok(&s->recv_wait, SN_BODY_RECEIVED, body);
	/* After the reply: tcp_recved may send a window update. */
	sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, n);
	s->buffered -= n;
	s->rx[0] = pbuf_free_header(s->rx[0], (u16_t)n);
	if (s->rx[0] == NULL)
		memmove(&s->rx[0], &s->rx[1], --s->nrx * sizeof(s->rx[0]));
	if (s->pcb)
		tcp_recved(s->pcb, (u16_t)n);
}

static err_t
on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;

	if (p != NULL && sn_quota_take(s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
				       p->tot_len) < 0) {
		/* Over the owner's quota: lwIP keeps the data, stops taking
		 * more on this connection, and offers it again later.  TCP
		 * slows down; nothing is lost. */
		return ERR_MEM;
	}
	if (p != NULL)
		s->buffered += p->tot_len;
	if (p == NULL) {
		s->peer_closed = true;
	} else if (s->nrx > 0 &&
		   s->rx[s->nrx - 1]->tot_len + p->tot_len <= 0xffff) {
		pbuf_cat(s->rx[s->nrx - 1], p);
	} else if (s->nrx < RX_CHAINS) {
		s->rx[s->nrx++] = p;
	} else {
		/* Cannot happen within the window; lwIP keeps it if so. */
		sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
			      p->tot_len);
		s->buffered -= p->tot_len;
		return ERR_MEM;
	}
	deliver(s, GIVING_UP_NS);
	return ERR_OK;
}

static void send_room_back(struct sock *s);

static err_t
on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
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
	tcp_err(pcb, on_error);
	tcp_nagle_disable(pcb);
}

static err_t
on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;

	if (s->connect_waiting && wait_over(&s->connect_wait, GIVING_UP_NS)) {
		/* Answered -ETIMEDOUT: the socket would reach its owner
		 * after it gave up, and nobody would ever close it. */
		s->connect_waiting = false;
		pcb_detach(pcb);
		tcp_abort(pcb);
		s->pcb = NULL;
		sock_free(s);
		return ERR_ABRT;
	}
	s->state = SOCK_OPEN;
	remember_hole(s);
	if (s->timer >= 0) {
		sn_loop_cancel_timer(&compartment.loop, s->timer);
		s->timer = -1;
	}
	if (s->connect_waiting) {
		s->connect_waiting = false;
		reply_socket(&s->connect_wait, s);
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
		sn_deferred_error(&s->connect_wait, -ETIMEDOUT);
	}
	sock_free(s);
}

static int
endpoint_to_ip(sn_endpoint_ref ep, ip_addr_t *out)
{
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(ep, &len);

	if (sn_endpoint_family(ep) == SN_ADDRESS_FAMILY_IPV4 && len == 4) {
		uint32_t v;
		memcpy(&v, a, 4);
		ip_addr_set_ip4_u32_val(*out, v);
		return 0;
	}
	if (sn_endpoint_family(ep) == SN_ADDRESS_FAMILY_IPV6 && len == 16) {
		memset(out, 0, sizeof(*out));
		IP_SET_TYPE_VAL(*out, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(out)->addr, a, 16);
		ip6_addr_assign_zone(ip_2_ip6(out), IP6_UNKNOWN, &netif);
		return 0;
	}
	return -EINVAL;
}

/* The owner named in a request from NetAPI, as a peer of ours. */
static struct sn_peer *
owner_peer(const char *name, uint32_t len)
{
	char owner[SN_PEER_NAME_MAX];

	if (name == NULL || len == 0 || len >= sizeof(owner))
		return NULL;
	memcpy(owner, name, len);
	owner[len] = 0;
	return sn_compartment_peer(&compartment, owner);
}

/* Makes s the owner's, within its socket quota: 0, -EDQUOT or -ENOMEM. */
static int
sock_own(struct sock *s, struct sn_peer *owner)
{
	int rc = sn_quota_take(owner, SN_QUOTA_SOCKETS, 1);

	if (rc < 0) {
		if (sn_log_worth(++quota_refusals))
			sn_log(
			    "%s is at its quota of %llu sockets (%llu "
			    "refused so far)",
			    owner->name,
			    (unsigned long long)owner->quota[SN_QUOTA_SOCKETS],
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

static void
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
	err_t err;
	int rc = -ENOMEM;

	if (owner == NULL) {
		/* The owner has no channel to us: it could not use it. */
		sn_reply_error(in, -EPERM);
		return;
	}
	if (sn_socket_connect_protocol(req) != SN_PROTOCOL_TCP ||
	    remote.pos == 0 || endpoint_to_ip(remote, &ip) < 0 ||
	    sn_socket_connect_local_port(req) == 0) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	s = sock_alloc();
	pcb = s ? tcp_new_ip_type(IP_GET_TYPE(&ip)) : NULL;
	if (pcb == NULL || (rc = sock_own(s, owner)) < 0) {
		if (pcb)
			tcp_abort(pcb);
		sn_reply_error(in, pcb ? rc : -ENOMEM);
		return;
	}
	s->state = SOCK_CONNECTING;
	attach_pcb(s, pcb);
	/* NetAPI chose the local port and opened the firewall for it. */
	err = tcp_bind(pcb, IP_ANY_TYPE, sn_socket_connect_local_port(req));
	if (err == ERR_OK)
		err = tcp_connect(pcb, &ip, sn_endpoint_port(remote),
				  on_connected);
	if (err != ERR_OK) {
		sock_free(s);
		sn_reply_error(in, err == ERR_USE   ? -EADDRINUSE
				   : err == ERR_RTE ? -EHOSTUNREACH
						    : -ENOMEM);
		return;
	}
	sn_defer(in, &s->connect_wait);
	s->connect_waiting = true;
	if (in->deadline_ns)
		s->timer = sn_loop_add_timer(&compartment.loop, in->deadline_ns,
					     connect_timed_out, s);
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
	/* Its hole is tracked since the pcb was made (on_passive_open). */
	attach_pcb(s, pcb);
	if (still_waiting(&l->accept_waiting, &l->accept_wait, GIVING_UP_NS)) {
		l->accept_waiting = false;
		reply_socket(&l->accept_wait, s);
	} else {
		l->backlog[l->nbacklog++] = s;
	}
	return ERR_OK;
}

static void
serve_socket_listen(void *ctx, struct sn_incoming *in)
{
	sn_socket_listen_ref req =
	    sn_message_body_as_socket_listen(in->request);
	uint32_t len;
	const char *name = sn_socket_listen_owner(req, &len);
	struct sn_peer *owner = owner_peer(name, len);
	struct sock *s;
	struct tcp_pcb *pcb, *lpcb;
	int rc;

	if (owner == NULL) {
		sn_reply_error(in, -EPERM);
		return;
	}
	s = sock_alloc();
	rc = s ? sock_own(s, owner) : -ENOMEM;
	if (rc < 0) {
		sn_reply_error(in, rc);
		return;
	}
	pcb = tcp_new_ip_type(sn_socket_listen_ipv6(req) ? IPADDR_TYPE_ANY
							 : IPADDR_TYPE_V4);
	/* tcp_listen hands these on to the listening pcb. */
	if (pcb != NULL)
		tcp_ext_arg_set_callbacks(pcb, listener_ext_arg,
					  &listener_callbacks);
	if (pcb == NULL ||
	    tcp_bind(pcb,
		     sn_socket_listen_ipv6(req) ? IP_ANY_TYPE : IP4_ADDR_ANY,
		     sn_socket_listen_port(req)) != ERR_OK ||
	    (lpcb = tcp_listen(pcb)) == NULL) {
		/* tcp_listen frees pcb only when it succeeds. */
		if (pcb)
			tcp_abort(pcb);
		sock_free(s);
		sn_reply_error(in, -EADDRINUSE);
		return;
	}
	s->state = SOCK_LISTENING;
	s->pcb = lpcb;
	s->max_connections = sn_socket_listen_max_connections(req);
	tcp_arg(lpcb, s);
	tcp_accept(lpcb, on_accept);
	struct sn_deferred d;
	sn_defer(in, &d);
	reply_socket(&d, s);
}

static void
serve_accept(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct sock *l;

	sn_socket_reference_socket(
	    sn_message_body_as_socket_reference(in->request), &h);
	l = sock_lookup(in, h);
	if (l == NULL || l->state != SOCK_LISTENING) {
		sn_reply_error(in, l ? -EINVAL : -EPERM);
		return;
	}
	if (l->nbacklog > 0) {
		struct sock *s = l->backlog[0];
		struct sn_deferred d;

		memmove(l->backlog, l->backlog + 1,
			--l->nbacklog * sizeof(l->backlog[0]));
		sn_defer(in, &d);
		reply_socket(&d, s);
		return;
	}
	if (l->accept_waiting && !wait_over(&l->accept_wait, 0)) {
		sn_reply_error(in, -EBUSY);
		return;
	}
	sn_defer(in, &l->accept_wait);
	l->accept_waiting = true;
}

static void
serve_receive(void *ctx, struct sn_incoming *in)
{
	sn_receive_ref req = sn_message_body_as_receive(in->request);
	sn_handle h;
	struct sock *s;

	sn_receive_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != SOCK_OPEN) {
		sn_reply_error(in, s ? -ENOTCONN : -EPERM);
		return;
	}
	if (s->recv_waiting && !wait_over(&s->recv_wait, 0)) {
		sn_reply_error(in, -EBUSY);
		return;
	}
	s->recv_max =
	    sn_receive_max_bytes(req) ? sn_receive_max_bytes(req) : MAX_CHUNK;
	sn_defer(in, &s->recv_wait);
	s->recv_waiting = true;
	deliver(s, 0);
}

/* A send takes what lwIP's send buffer has room for now and says how much
 * it took; the caller sends the rest.  Only a send that finds no room at
 * all waits, holding no data, and is answered "0 taken" once room is back,
 * so no socket's data waits in TCPIP on another's, and nothing is taken
 * for a caller that has given up. */
static uint32_t
sent_body(uint32_t taken)
{
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_sent_start(b);
	sn_sent_add_bytes(b, body, taken);
	return body;
}

/* Room enough to be worth a call: lwIP's own low-water mark. */
static bool
send_room(struct tcp_pcb *pcb)
{
	return tcp_sndbuf(pcb) >= TCP_SNDLOWAT &&
	       tcp_sndqueuelen(pcb) < TCP_SNDQUEUELOWAT;
}

static void
send_room_back(struct sock *s)
{
	if (s->pcb == NULL || !send_room(s->pcb) ||
	    !still_waiting(&s->send_waiting, &s->send_wait, 0))
		return;
	s->send_waiting = false;
	sn_deferred_ok(&s->send_wait, SN_BODY_SENT, sent_body(0));
}

static void
serve_send(void *ctx, struct sn_incoming *in)
{
	sn_send_ref req = sn_message_body_as_send(in->request);
	sn_handle h;
	struct sock *s;
	uint32_t len, n;
	const uint8_t *data = sn_send_data(req, &len);

	sn_send_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != SOCK_OPEN || s->pcb == NULL) {
		sn_reply_error(in, s == NULL  ? -EPERM
				   : s->error ? s->error
					      : -ENOTCONN);
		return;
	}
	if (still_waiting(&s->send_waiting, &s->send_wait, 0)) {
		sn_reply_error(in, -EBUSY);
		return;
	}
	n = len < tcp_sndbuf(s->pcb) ? len : tcp_sndbuf(s->pcb);
	if (n > 0xffff)
		n = 0xffff;
	/* ERR_MEM: lwIP's segment queue is full, though bytes are free. */
	if (n > 0 &&
	    tcp_write(s->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
		tcp_output(s->pcb);
		sn_reply_ok(in, SN_BODY_SENT, sent_body(n));
		return;
	}
	if (len == 0) {
		sn_reply_ok(in, SN_BODY_SENT, sent_body(0));
		return;
	}
	sn_defer(in, &s->send_wait);
	s->send_waiting = true;
}

static void
serve_close(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct sock *s;

	sn_socket_reference_socket(
	    sn_message_body_as_socket_reference(in->request), &h);
	s = sock_lookup(in, h);
	if (s == NULL) {
		sn_reply_error(in, -EPERM);
		return;
	}
	/* Tell lwIP all was read first, or it answers the close with RST. */
	for (unsigned i = 0; s->pcb && i < s->nrx; i++)
		tcp_recved(s->pcb, s->rx[i]->tot_len);
	sock_free(s);
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}

/* ---- UDP ---- */

static void
deliver_datagram(struct sock *s, uint64_t margin_ns)
{
	struct datagram *d = &s->queue[0];
	sn_builder *b;
	uint32_t body, n;
	uint8_t *data;

	if (s->nqueue == 0 ||
	    !still_waiting(&s->recv_waiting, &s->recv_wait, margin_ns))
		return;
	n = d->p->tot_len;
	if (n > s->recv_max)
		n = s->recv_max; /* the rest of the datagram is discarded */
	b = sn_reply_builder(&compartment);
	body = sn_received_start(b);
	data = sn_received_reserve_data(b, body, n);
	if (data != NULL) {
		uint32_t from = sn_endpoint_start(b);

		pbuf_copy_partial(d->p, data, (u16_t)n, 0);
		if (IP_IS_V6(&d->from)) {
			sn_endpoint_add_family(b, from, SN_ADDRESS_FAMILY_IPV6);
			sn_endpoint_add_address(b, from,
						ip_2_ip6(&d->from)->addr, 16);
		} else {
			sn_endpoint_add_family(b, from, SN_ADDRESS_FAMILY_IPV4);
			sn_endpoint_add_address(b, from,
						&ip_2_ip4(&d->from)->addr, 4);
		}
		sn_endpoint_add_port(b, from, d->port);
		sn_received_add_from(b, body, from);
	}
	s->recv_waiting = false;
	if (data != NULL)
		sn_deferred_ok(&s->recv_wait, SN_BODY_RECEIVED, body);
	else
		sn_deferred_error(&s->recv_wait, -ENOMEM);
	sn_quota_give(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, d->p->tot_len);
	s->buffered -= d->p->tot_len;
	pbuf_free(d->p);
	memmove(s->queue, s->queue + 1, --s->nqueue * sizeof(s->queue[0]));
}

static void
on_datagram(void *arg, struct udp_pcb *pcb, struct pbuf *p,
	    const ip_addr_t *addr, u16_t port)
{
	struct sock *s = arg;

	/* A full queue drops, as UDP does; the sender was told nothing
	 * would be kept. */
	if (s->nqueue >= MAX_DATAGRAMS ||
	    sn_quota_take(s->owner_peer, SN_QUOTA_BUFFERED_BYTES, p->tot_len) <
		0) {
		pbuf_free(p);
		return;
	}
	s->buffered += p->tot_len;
	s->queue[s->nqueue++] = (struct datagram){p, *addr, port};
	deliver_datagram(s, GIVING_UP_NS);
}

static void
serve_udp(void *ctx, struct sn_incoming *in)
{
	sn_socket_listen_ref req =
	    sn_message_body_as_socket_listen(in->request);
	bool v6 = sn_socket_listen_ipv6(req);
	uint16_t port = sn_socket_listen_port(req);
	struct sock *s = sock_alloc();
	struct udp_pcb *pcb =
	    s ? udp_new_ip_type(v6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4) : NULL;
	err_t err = ERR_USE;

	int rc = pcb ? sock_own(s, in->peer) : -ENOMEM;

	if (rc < 0) {
		if (pcb)
			udp_remove(pcb);
		sn_reply_error(in, rc);
		return;
	}
	/* Port 0: a random one, not lwIP's next in sequence. */
	for (int tries = 0; tries < 8 && err == ERR_USE; tries++)
		err = udp_bind(
		    pcb, v6 ? IP_ANY_TYPE : IP4_ADDR_ANY,
		    port ? port : (u16_t)(49152 + sealnet_lwip_rand() % 16384));
	s->state = SOCK_UDP;
	s->udp = pcb;
	if (err != ERR_OK) {
		sock_free(s);
		sn_reply_error(in, -EADDRINUSE);
		return;
	}
	udp_recv(pcb, on_datagram, s);
	struct sn_deferred d;
	sn_defer(in, &d);
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_handle h = {s->id.slot, s->id.generation, s->id.tag};
	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body, pcb->local_port);
	sn_deferred_ok(&d, SN_BODY_SOCKET_CREATED, body);
}

/* NetAPI, before it opens the Firewall for a UDP socket: is it really the
 * named compartment's, and on which port? */
static void
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
		sn_reply_error(in, -EPERM);
		return;
	}
	if (s->state != SOCK_UDP) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body, s->udp->local_port);
	sn_reply_ok(in, SN_BODY_SOCKET_CREATED, body);
}

static void
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
		sn_reply_error(in, s ? -EINVAL : -EPERM);
		return;
	}
	if (to.pos == 0 || endpoint_to_ip(to, &ip) < 0 || len > 65507) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		sn_reply_error(in, -ENOMEM);
		return;
	}
	pbuf_take(p, data, (u16_t)len);
	err = udp_sendto(s->udp, p, &ip, sn_endpoint_port(to));
	pbuf_free(p);
	if (err != ERR_OK) {
		sn_reply_error(in, err == ERR_RTE ? -EHOSTUNREACH : -ENOMEM);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_sent_start(b);
	sn_sent_add_bytes(b, body, len);
	sn_reply_ok(in, SN_BODY_SENT, body);
}

static void
serve_receive_from(void *ctx, struct sn_incoming *in)
{
	sn_receive_ref req = sn_message_body_as_receive(in->request);
	sn_handle h;
	struct sock *s;

	sn_receive_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != SOCK_UDP) {
		sn_reply_error(in, s ? -EINVAL : -EPERM);
		return;
	}
	if (s->recv_waiting && !wait_over(&s->recv_wait, 0)) {
		sn_reply_error(in, -EBUSY);
		return;
	}
	s->recv_max =
	    sn_receive_max_bytes(req) ? sn_receive_max_bytes(req) : MAX_CHUNK;
	sn_defer(in, &s->recv_wait);
	s->recv_waiting = true;
	deliver_datagram(s, 0);
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(tcpip_frame_receive, serve_frame_receive);
SEALNET_EXPORT(tcpip_socket_connect, serve_socket_connect);
SEALNET_EXPORT(tcpip_socket_listen, serve_socket_listen);
SEALNET_EXPORT(tcpip_address_get, serve_address_get);
SEALNET_EXPORT(network_socket_accept_tcp, serve_accept);
SEALNET_EXPORT(network_socket_close, serve_close);
SEALNET_EXPORT(network_socket_receive, serve_receive);
SEALNET_EXPORT(network_socket_send, serve_send);
SEALNET_EXPORT(network_socket_udp, serve_udp);
SEALNET_EXPORT(network_socket_send_to, serve_send_to);
SEALNET_EXPORT(network_socket_receive_from, serve_receive_from);
SEALNET_EXPORT(tcpip_socket_port, serve_socket_port);

/* A dead owner's sockets are closed: its successor cannot use them. */
static void
owner_died(void *ctx, struct sn_peer *p)
{
	for (unsigned i = 0; i < MAX_SOCKETS; i++)
		if (socks[i].state != SOCK_FREE && socks[i].owner_peer == p) {
			sock_free(&socks[i]);
		}
}

static void
tick(void *ctx)
{
	sys_check_timeouts();
	sweep_holes();
	sn_loop_add_timer(&compartment.loop, sn_now_ns() + 10 * SN_MS, tick,
			  NULL);
}

int
main(void)
{
	ip4_addr_t any = {0};

	/* The compartment has no file system: libcrypto must not look for
	 * its configuration file, and is tried once before anything
	 * depends on it. */
	if (getrandom(isn_key, sizeof(isn_key), 0) != sizeof(isn_key) ||
	    !OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL))
		return 1;
	(void)sealnet_tcp_isn(IP_ADDR_ANY, 0, IP_ADDR_ANY, 0);
	sn_handle_table_init(&handles, handle_slots, MAX_SOCKETS);
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	firewall = sn_export_peer(&compartment, SN_EXPORT_FIREWALL_FRAME_SEND);
	if (firewall == NULL)
		return 1;
	compartment.peer_died = owner_died;
	compartment.turn_done = send_frames;
	lwip_init();
	listener_ext_arg = tcp_ext_arg_alloc_id();
	netif_add(&netif, &any, &any, &any, NULL, netif_setup, ethernet_input);
	/* The supervisor's address keeps the DHCP lease across restarts;
	 * without one, a random locally administered address. */
	if (!sn_compartment_hardware_address(netif.hwaddr)) {
		if (getrandom(netif.hwaddr, ETH_HWADDR_LEN, 0) !=
		    ETH_HWADDR_LEN)
			return 1;
		netif.hwaddr[0] = (uint8_t)((netif.hwaddr[0] & 0xfe) | 0x02);
	}
	netif_set_status_callback(&netif, status_changed);
	netif_set_default(&netif);
	netif_set_up(&netif);
	netif_set_link_up(&netif);
	netif_create_ip6_linklocal_address(&netif, 1);
	netif.ip6_autoconfig_enabled = 1;
	configure();
	tick(NULL);
	return sn_compartment_run(&compartment) < 0;
}
