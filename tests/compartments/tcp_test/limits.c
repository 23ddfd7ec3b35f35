/*
 * tcp_test's steps at the limits: the socket quota, connects that time
 * out as they are answered, and NetAPI's bound on one caller's calls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp_test.h"

/* TCPIP holds at most the image's quota of sockets for us. */
void
socket_quota(void)
{
	sealnet_socket s[5];
	int n = 0, rc = 0, again;

	while (n < 5 &&
	       (rc = network_socket_udp(1000 * SEALNET_MS, 0, &s[n])) == 0)
		n++;
	network_socket_close(1000 * SEALNET_MS, s[0]);
	again = network_socket_udp(1000 * SEALNET_MS, 0, &s[0]);
	sealnet_log(
	    "RESULT socket quota: %d sockets, then %s; after a close, %s", n,
	    rc == -EDQUOT ? "refused (-EDQUOT)" : strerror(-rc),
	    again == 0 ? "another one" : strerror(-again));
	for (int i = again == 0 ? 0 : 1; i < n; i++)
		network_socket_close(1000 * SEALNET_MS, s[i]);
}

/* Connects whose timeouts end around the time a connect takes: some are
 * answered just after their caller gave up.  None may leave a socket
 * behind, or the quota would run out. */
void
connect_timeouts(void)
{
	sealnet_socket s[4];
	uint64_t t0 = sealnet_now_ns(), took;
	unsigned ok = 0, timed_out = 0, held = 0;
	int other = 0;
	int rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server,
					    &s[0]);

	if (rc < 0) {
		sealnet_log("RESULT connect timeouts: no connection: %s",
			    strerror(-rc));
		return;
	}
	took = sealnet_now_ns() - t0;
	network_socket_close(1000 * SEALNET_MS, s[0]);
	for (uint64_t t = took / 4; t < took * 2; t += took / 100) {
		rc = network_socket_connect_tcp(t, cap_echo_server, &s[0]);
		if (rc == 0) {
			ok++;
			network_socket_close(1000 * SEALNET_MS, s[0]);
		} else if (rc == -ETIMEDOUT) {
			timed_out++;
		} else {
			other = rc;
		}
	}
	/* Answers still on their way arrive meanwhile. */
	sealnet_wait(300 * SEALNET_MS);
	while (held < 4 &&
	       (rc = network_socket_connect_tcp(
		    5000 * SEALNET_MS, cap_echo_server, &s[held])) == 0)
		held++;
	for (unsigned i = 0; i < held; i++)
		network_socket_close(1000 * SEALNET_MS, s[i]);
	if (other < 0)
		sealnet_log("connect timeouts: some failed otherwise: %s",
			    strerror(-other));
	sealnet_log("RESULT connect timeouts: %u connected, %u timed out; then "
		    "%u of 4 sockets could be opened%s%s",
		    ok, timed_out, held, held < 4 ? ": " : "",
		    held < 4 ? strerror(-rc) : "");
}
