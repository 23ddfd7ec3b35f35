/*
 * The TCPIP compartment: lwIP's raw API on one thread, with no device and
 * no network of its own.  Frames arrive from the Firewall as calls
 * (tcpip_frame_receive) and leave as calls to it (firewall_frame_send).
 *
 * Sockets are handles owned by the compartment NetAPI created them for;
 * calls that wait (connect, accept, receive, send into a full window) are
 * deferred and answered from lwIP's callbacks, or fail at their deadline.
 * tcpip.h says which file does what.
 */
#include "tcpip.h"

#include <stdlib.h>

#include "boot.h"
#include "firewall_holes.h"
#include "listeners.h"
#include "log.h"
#include "netif.h"
#include "orphans.h"
#include "sealnet/compartment.h"
#include "sockets.h"
#include "stack.h"
#include "sys_arch.h"
#include "tcp.h"
#include "udp.h"

#include "lwip/init.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

SEALNET_COMPARTMENT("TCPIP");
SEALNET_IMPORT(firewall_frame_send);
SEALNET_IMPORT(firewall_rule_remove);
SEALNET_IMPORT(firewall_port_close);
SEALNET_IMPORT(firewall_server_port_listening);
SEALNET_QUOTA(memory_bytes, 256 << 20);
SEALNET_RESTART(always, 10);

/* The Firewall answers SYNs for lwIP: its SYN-ACKs must promise what
 * lwIP will do. */
_Static_assert(TCP_MSS == SN_TCP_MSS_IPV4,
	       "the Firewall's SYN-ACK announces lwIP's MSS");
_Static_assert(TCP_RCV_SCALE == SN_TCP_WSCALE,
	       "the Firewall's SYN-ACK announces lwIP's window scale");

/* lwIP's timers, and the sweep of holes lwIP is done with. */
#define TICK_NS (10 * SN_MS)

struct sn_compartment compartment;
struct sn_peer *firewall;

static struct {
	uint64_t answers_lost, timers_refused;
} stats;
static bool tick_armed;

/* ---- answers ---- */

static int
answered(int rc)
{
	if (rc < 0 && sn_log_worth(++stats.answers_lost))
		sn_log("answers with no caller left to take them: %llu",
		       (unsigned long long)stats.answers_lost);
	return rc;
}

int
answer_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body)
{
	return answered(sn_reply_ok(in, body_type, body));
}

int
answer_error(struct sn_incoming *in, int negative_errno)
{
	return answered(sn_reply_error(in, negative_errno));
}

int
answer_later_ok(struct sn_deferred *d, uint8_t body_type, uint32_t body)
{
	return answered(sn_deferred_ok(d, body_type, body));
}

int
answer_later_error(struct sn_deferred *d, int negative_errno)
{
	return answered(sn_deferred_error(d, negative_errno));
}

int
answer_empty(struct sn_incoming *in)
{
	return answer_ok(in, SN_BODY_EMPTY,
			 sn_empty_start(sn_reply_builder(&compartment)));
}

/* ---- the tick ---- */

void
tcpip_timer_refused(const char *what)
{
	if (sn_log_worth(++stats.timers_refused))
		sn_log("the loop's timer table is full: %s went without "
		       "(%llu times)",
		       what, (unsigned long long)stats.timers_refused);
}

static void tick(void *ctx);

/* Without the tick lwIP's timers stop: retransmissions, DHCP, ARP.  A
 * full timer table holds timers that will fire, each in a turn of the
 * loop whose end arms the tick again (turn_done). */
static void
arm_tick(void)
{
	tick_armed = sn_loop_add_timer(&compartment.loop, sn_now_ns() + TICK_NS,
				       tick, NULL) >= 0;
	if (!tick_armed)
		tcpip_timer_refused("lwIP's tick, until the turn's end,");
}

static void
tick(void *ctx)
{
	tick_armed = false;
	sys_check_timeouts();
	orphans_give_up_silent();
	tcpip_holes_tick();
	arm_tick();
}

/* What a turn of the loop gathered leaves at its end. */
static void
turn_done(void *ctx)
{
	/* Data lwIP handed over outside a batch of frames (from a timer,
	 * or refused data offered again): before the frames go out. */
	tcp_deliver_due();
	tcpip_netif_flush();
	tcpip_holes_turn_done();
	listeners_turn_done();
	if (!tick_armed)
		arm_tick();
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(tcpip_frame_receive, serve_frame_receive);
SEALNET_EXPORT(tcpip_socket_connect, serve_socket_connect);
SEALNET_EXPORT(tcpip_socket_abort, serve_socket_abort);
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
SEALNET_EXPORT(network_socket_delegate, serve_socket_delegate);

static void
owner_died(void *ctx, struct sn_peer *p)
{
	sockets_owner_died(p);
}

/* A new Firewall holds none of the holes of our connections, and only
 * NetAPI and the Firewall's own SYN proxy may open them: our connections
 * would stall until their time-outs, and our listeners would wait for
 * clients that can no longer reach them.  TCPIP starts again from
 * nothing instead, as after a crash of its own, which every compartment
 * already handles: each socket's owner hears -ENOTRECOVERABLE at once,
 * and NetAPI and the Firewall forget what was made for the old TCPIP. */
static void
peer_restarted(void *ctx, struct sn_peer *p)
{
	if (p != firewall)
		return;
	sn_log("the Firewall restarted without our connections' holes: "
	       "starting again, so that every socket's owner hears of it");
	exit(EXIT_FAILURE);
}

int
main(void)
{
	if (sealnet_isn_init() < 0)
		return 1;
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	firewall = sn_export_peer(&compartment, SN_EXPORT_FIREWALL_FRAME_SEND);
	if (firewall == NULL)
		return 1;
	/* Registered before anything can die or a turn can end. */
	if (sn_compartment_on_peer_died(&compartment, owner_died, NULL) < 0 ||
	    sn_compartment_on_peer_restarted(&compartment, peer_restarted,
					     NULL) < 0 ||
	    sn_compartment_on_turn_done(&compartment, turn_done, NULL) < 0)
		return 1;
	lwip_init();
	sockets_init();
	tcp_sockets_init();
	tcpip_holes_init();
	if (tcpip_netif_start() < 0)
		return 1;
	tick(NULL);
	return sn_compartment_run(&compartment) < 0;
}
