/*
 * NetAPI's bounds and timings.  Every other NetAPI file takes its
 * constants from here.
 */
#ifndef SEALNET_NETAPI_CONST_H
#define SEALNET_NETAPI_CONST_H

/* Calls in progress at once, and for any one caller: no caller may hold
 * more than a quarter, so none can take them all. */
#define NETAPI_MAX_FLOWS	    32
#define NETAPI_MAX_FLOWS_PER_CALLER 8

/* Calls one flow has in flight at once: a connection's rule and its
 * socket, or the socket and its abort (flow.h). */
#define NETAPI_CALLS_AT_ONCE 2

/* Firewall calls given up on whose late success is undone
 * (late_undos.h): as many as the runtime remembers (SN_MAX_ABANDONED,
 * which netapi.c checks). */
#define NETAPI_LATE_UNDOS 32

/* How long a step that is NetAPI's own business (a Firewall change, the
 * DNS server's address) may take, whatever the caller's deadline. */
#define NETAPI_STEP_TIMEOUT_NS (2000ull * 1000000ull)
/* TCPIP's answer to a call that makes a socket for the caller always
 * reaches NetAPI, even one made just after the caller's deadline, and is
 * passed on: the socket is the caller's, and only the caller's runtime can
 * close what it never received (sn_peer_on_late_reply). */
#define NETAPI_SOCKET_GRACE_NS (100ull * 1000000ull)
/* A server port the Firewall could not be asked to withdraw (its ring
 * full, our calls to it all in flight) is asked again this much later. */
#define NETAPI_WITHDRAW_RETRY_NS (100ull * 1000000ull)

/* Local ports drawn for a connection: the IANA ephemeral range, so ports
 * say nothing and cannot be predicted. */
#define NETAPI_EPHEMERAL_FIRST 49152u
#define NETAPI_EPHEMERAL_COUNT 16384u
/* Ports drawn for one connect before TCPIP's -EADDRINUSE is passed on. */
#define NETAPI_PORT_TRIES 4u
/* Ports kept out of the next draws once drawn (port_draws.h): more than
 * TCPIP's lwIP can hold in TIME_WAIT (MEMP_NUM_TCP_PCB, 1,100; the unit
 * test asserts it), an eighth of the range. */
#define NETAPI_RECENT_PORTS 2048u

#define NETAPI_DNS_PORT 53u

/* DNS answers kept for connects by name (dns_cache.h), and for at most
 * how long whatever their TTL: a name the image grants is reached again
 * by asking within this time at the latest. */
#define DNS_CACHE_ENTRIES   64u
#define DNS_CACHE_MAX_TTL_S 300u

/* Server ports remembered so they can be withdrawn when their owner
 * dies: as many as the Firewall holds (FILTER_MAX_SERVER_PORTS). */
#define NETAPI_MAX_SERVERS 16

/* A caller's name, and a capability's host, with their terminating 0:
 * the runtime's SN_PEER_NAME_MAX and SN_HOST_MAX + 1 (netapi.c checks). */
#define NETAPI_OWNER_MAX 32u
#define NETAPI_HOST_MAX	 254u

#endif
