/*
 * The Firewall's holes of TCPIP's connections and sockets: holes.c keeps
 * the books; this asks the Firewall to close what holes.c says is done
 * with, and tells holes.c how lwIP and the Firewall answered.
 */
#include "firewall_holes.h"

#include <string.h>

#include "holes.h"
#include "log.h"
#include "tcpip.h"

/* Reads lwIP's private list of connections: see lwip_works_on().  (The
 * only other reader of such lists is port/sys_arch.c, for TIME_WAIT.) */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

/* A hole per connection lwIP can hold and per UDP socket, and a request
 * in flight for every call the runtime lets TCPIP have pending. */
_Static_assert(HOLES_MAX >=
		   MEMP_NUM_TCP_PCB + MEMP_NUM_UDP_PCB + SN_MAX_PENDING,
	       "holes.h: HOLES_MAX too small for lwIP's configuration");

#define CLOSE_TIMEOUT_NS (1000 * SN_MS)

static struct holes holes;
static struct holes_stats logged;

static struct hole_key
tcp_key(const ip_addr_t *remote, uint16_t remote_port, uint16_t local_port)
{
	struct hole_key k = {.protocol = HOLE_TCP,
			     .ipv6 = IP_IS_V6(remote),
			     .local_port = local_port,
			     .remote_port = remote_port};

	if (k.ipv6)
		memcpy(k.remote, ip_2_ip6(remote)->addr, 16);
	else
		memcpy(k.remote, &ip_2_ip4(remote)->addr, 4);
	return k;
}

/*
 * Whether lwIP still works on the connection: whether it is on lwIP's
 * list of active pcbs (from SYN to the last ACK; TIME_WAIT is not, and
 * needs no hole).  lwIP has no public way to ask this: tcp_ext_arg's
 * destroy callback comes only when the pcb is freed, two minutes after
 * TIME_WAIT began, and a listener's pcbs before accept have no callbacks
 * of ours at all.  So this one function reads tcp_active_pcbs, which
 * only lwIP's private header declares.
 */
static bool
lwip_works_on(void *ctx, const struct hole_key *k)
{
	ip_addr_t remote;

	if (k->ipv6) {
		IP_SET_TYPE_VAL(remote, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(&remote)->addr, k->remote, 16);
	} else {
		IP_SET_TYPE_VAL(remote, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(&remote)->addr, k->remote, 4);
	}
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (p->local_port == k->local_port &&
		    p->remote_port == k->remote_port &&
		    ip_addr_cmp_zoneless(&p->remote_ip, &remote))
			return true;
	return false;
}

/* What went wrong since last time, worth a line each time a count
 * reaches a power of two. */
static void
log_counts(void)
{
	const struct holes_stats *s = &holes.stats;

	if (s->refused_full != logged.refused_full &&
	    sn_log_worth(s->refused_full))
		sn_log("refused %llu connections or sockets: %u firewall "
		       "holes are held or closing",
		       (unsigned long long)s->refused_full, holes_used(&holes));
	if (s->retried != logged.retried && sn_log_worth(s->retried))
		sn_log("the Firewall did not take %llu requests to close a "
		       "hole in time; asking again",
		       (unsigned long long)s->retried);
	if (s->refused_close != logged.refused_close &&
	    sn_log_worth(s->refused_close))
		sn_log("the Firewall refused to close %llu holes",
		       (unsigned long long)s->refused_close);
	logged = *s;
}

static void
closed(void *ctx, int status, const sn_message_ref *reply)
{
	/* The hole's id travels as the context pointer. */
	if (holes_answered(&holes, (uint32_t)(uintptr_t)ctx, status) < 0 &&
	    sn_log_worth(holes.stats.stale_answers))
		sn_log("%llu answers about holes nobody asked to close",
		       (unsigned long long)holes.stats.stale_answers);
	log_counts();
}

static int
ask_rule_remove(const struct hole_key *k, uint32_t id)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t rule = sn_firewall_rule_start(b);
	uint32_t ep;

	sn_firewall_rule_add_protocol(b, rule, SN_PROTOCOL_TCP);
	sn_firewall_rule_add_local_port(b, rule, k->local_port);
	ep = sn_endpoint_start(b);
	sn_endpoint_add_family(
	    b, ep, k->ipv6 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, ep, k->remote, k->ipv6 ? 16 : 4);
	sn_endpoint_add_port(b, ep, k->remote_port);
	sn_firewall_rule_add_remote(b, rule, ep);
	return sn_call_async(firewall, SN_EXPORT_FIREWALL_RULE_REMOVE,
			     SN_BODY_FIREWALL_RULE, rule, CLOSE_TIMEOUT_NS,
			     closed, (void *)(uintptr_t)id);
}

/* What NetAPI authorised for the port goes with the socket. */
static int
ask_port_close(const struct hole_key *k, uint32_t id)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t lp = sn_local_port_start(b);

	sn_local_port_add_protocol(b, lp, SN_PROTOCOL_UDP);
	sn_local_port_add_port(b, lp, k->local_port);
	return sn_call_async(firewall, SN_EXPORT_FIREWALL_PORT_CLOSE,
			     SN_BODY_LOCAL_PORT, lp, CLOSE_TIMEOUT_NS, closed,
			     (void *)(uintptr_t)id);
}

/* Asks for every closable hole.  A request that cannot be sent counts as
 * the Firewall's answer: if it is worth asking again (its ring or our
 * table of calls is full), the rest wait for the next tick too. */
static void
ask_closable(void)
{
	struct hole_key k;
	uint32_t id;

	while (holes_next_closable(&holes, &k, &id) == 0) {
		int rc = k.protocol == HOLE_UDP ? ask_port_close(&k, id)
						: ask_rule_remove(&k, id);

		if (rc < 0 && holes_answered(&holes, id, rc) == 1)
			break;
	}
	log_counts();
}

void
tcpip_holes_init(void)
{
	holes_init(&holes);
}

int
tcpip_hole_hold_tcp(const ip_addr_t *remote, uint16_t remote_port,
		    uint16_t local_port)
{
	struct hole_key k = tcp_key(remote, remote_port, local_port);
	int rc = holes_hold(&holes, &k);

	log_counts();
	return rc;
}

int
tcpip_hole_hold_udp(uint16_t port)
{
	struct hole_key k = {.protocol = HOLE_UDP, .local_port = port};
	int rc = holes_hold(&holes, &k);

	log_counts();
	return rc;
}

void
tcpip_hole_release_udp(uint16_t port)
{
	if (holes_release_port(&holes, port) == 0)
		ask_closable();
}

void
tcpip_holes_tick(void)
{
	holes_sweep(&holes, lwip_works_on, NULL);
	ask_closable();
}

void
tcpip_holes_turn_done(void)
{
	if (holes_want_sweep(&holes))
		tcpip_holes_tick();
}
