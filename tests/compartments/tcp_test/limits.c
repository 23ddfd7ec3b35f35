/*
 * tcp_test's steps at the limits: the socket quota, connects that time
 * out as they are answered, and NetAPI's bound on one caller's calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sealnet/network.h"
#include "tcp_test.h"

/* TCPIP holds at most the image's quota of sockets for us. */
void
socket_quota(void)
{
	sealnet_socket s[5];
	int n = 0, rc = 0, again;

	while (n < 5 && (rc = network_socket_udp(1000 * SN_MS, 0, &s[n])) == 0)
		n++;
	network_socket_close(1000 * SN_MS, s[0]);
	again = network_socket_udp(1000 * SN_MS, 0, &s[0]);
	sn_log("RESULT socket quota: %d sockets, then %s; after a close, %s", n,
	       rc == -EDQUOT ? "refused (-EDQUOT)" : strerror(-rc),
	       again == 0 ? "another one" : strerror(-again));
	for (int i = again == 0 ? 0 : 1; i < n; i++)
		network_socket_close(1000 * SN_MS, s[i]);
}

/* Connects whose timeouts end around the time a connect takes: some are
 * answered just after their caller gave up.  None may leave a socket
 * behind, or the quota would run out. */
void
connect_timeouts(void)
{
	sealnet_socket s[4];
	uint64_t t0 = sn_now_ns(), took;
	unsigned ok = 0, timed_out = 0, held = 0;
	int other = 0;
	int rc =
	    network_socket_connect_tcp(5000 * SN_MS, cap_echo_server, &s[0]);

	if (rc < 0) {
		sn_log("RESULT connect timeouts: no connection: %s",
		       strerror(-rc));
		return;
	}
	took = sn_now_ns() - t0;
	network_socket_close(1000 * SN_MS, s[0]);
	for (uint64_t t = took / 4; t < took * 2; t += took / 100) {
		rc = network_socket_connect_tcp(t, cap_echo_server, &s[0]);
		if (rc == 0) {
			ok++;
			network_socket_close(1000 * SN_MS, s[0]);
		} else if (rc == -ETIMEDOUT) {
			timed_out++;
		} else {
			other = rc;
		}
	}
	/* Answers still on their way arrive meanwhile. */
	sn_loop_run_once(&compartment.loop, sn_now_ns() + 300 * SN_MS);
	while (held < 4 && (rc = network_socket_connect_tcp(
				5000 * SN_MS, cap_echo_server, &s[held])) == 0)
		held++;
	for (unsigned i = 0; i < held; i++)
		network_socket_close(1000 * SN_MS, s[i]);
	if (other < 0)
		sn_log("connect timeouts: some failed otherwise: %s",
		       strerror(-other));
	sn_log("RESULT connect timeouts: %u connected, %u timed out; then "
	       "%u of 4 sockets could be opened%s%s",
	       ok, timed_out, held, held < 4 ? ": " : "",
	       held < 4 ? strerror(-rc) : "");
}

/* NetAPI works on at most 8 calls of one caller at a time, so no caller
 * can hold all of its slots: the 9th is refused at once. */
static unsigned flood_answered;
static int flood_status[9];

static void
flood_reply(void *ctx, int status, const sn_message_ref *reply)
{
	flood_status[(uintptr_t)ctx] = status;
	flood_answered++;
}

void
netapi_caller_limit(void)
{
	struct sn_peer *netapi =
	    sn_export_peer(&compartment, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);
	const struct sealnet_declaration *d = cap_silent;
	uint64_t end = sn_now_ns() + 5000 * SN_MS;
	unsigned held = 0;
	sealnet_socket s;
	int rc;

	for (uintptr_t i = 0; i < 9; i++) {
		sn_builder *b = sn_call_builder(&compartment);
		uint32_t body = sn_connect_start(b);
		uint32_t cap = sn_connection_capability_start(b);

		sn_connection_capability_add_protocol(b, cap, d->protocol);
		sn_connection_capability_add_host(b, cap, d->text,
						  strlen(d->text));
		sn_connection_capability_add_port(b, cap, d->port);
		sn_connect_add_capability(b, body, cap);
		flood_status[i] = 1; /* not answered yet */
		if (sn_call_async(netapi, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
				  SN_BODY_CONNECT, body, 1000 * SN_MS,
				  flood_reply, (void *)i) < 0) {
			sn_log("RESULT netapi caller limit: call %u not sent",
			       (unsigned)i);
			return;
		}
	}
	/* The 9th is answered before the others can be. */
	while (flood_status[8] == 1 && sn_now_ns() < end)
		sn_loop_run_once(&compartment.loop, end);
	for (unsigned i = 0; i < 8; i++)
		held += flood_status[i] == 1;
	if (flood_status[8] != -EAGAIN || held != 8) {
		sn_log("RESULT netapi caller limit: the 9th got %d with %u "
		       "in progress",
		       flood_status[8], held);
		return;
	}
	while (flood_answered < 9 && sn_now_ns() < end)
		sn_loop_run_once(&compartment.loop, end);
	/* NetAPI ends each at its deadline, as the caller does. */
	sn_loop_run_once(&compartment.loop, sn_now_ns() + 300 * SN_MS);
	rc = network_socket_connect_tcp(5000 * SN_MS, cap_echo_server, &s);
	if (rc == 0)
		network_socket_close(1000 * SN_MS, s);
	sn_log("RESULT netapi caller limit: 8 in progress, the 9th refused "
	       "(-EAGAIN); once they ended, a connect: %s",
	       rc == 0 ? "ok" : strerror(-rc));
}
