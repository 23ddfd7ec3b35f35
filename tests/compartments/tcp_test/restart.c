/*
 * tcp_test's last step: a transfer that TCPIP's death interrupts, and the
 * connection made again once it is back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tcp_test.h"

/* Echoes until something breaks; returns the error and the byte count. */
static int
echo_until_error(sealnet_socket s, size_t *moved)
{
	for (;;) {
		ssize_t n = send_all(5000 * SEALNET_MS, s, out, CHUNK);
		size_t got = 0;

		if (n < 0)
			return (int)n;
		while (got < CHUNK) {
			n = network_socket_receive_preallocated(
			    5000 * SEALNET_MS, s, in, CHUNK - got);
			if (n < 0)
				return (int)n;
			got += (size_t)n;
		}
		*moved += CHUNK;
	}
}

/* A transfer that TCPIP's death interrupts: the error, then how long
 * until a new connection works again. */
void
transfer_across_a_restart(void)
{
	sealnet_socket s;
	size_t moved = 0;
	uint64_t t_err, t_ok;
	int rc;

	sealnet_log("RESULT transfer: waiting for the signal");
	wait_for_signal(cap_go_signal);
	rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server, &s);
	if (rc < 0) {
		sealnet_log("RESULT transfer: connect failed: %s",
			    strerror(-rc));
		return;
	}
	sealnet_log("RESULT transfer: started");
	rc = echo_until_error(s, &moved);
	t_err = sealnet_now_ns();
	/* Wall-clock time, so the test can tell how long after its kill the
	 * error came: -ENOTRECOVERABLE at once, not -ETIMEDOUT 5 s later. */
	struct timespec wall = {0, 0};
	if (clock_gettime(CLOCK_REALTIME, &wall) < 0)
		sealnet_log("no wall-clock time: the test will see 0");
	sealnet_log("RESULT transfer interrupted after %zu bytes: %s (%d) at "
		    "%lld.%06ld",
		    moved,
		    rc == -SEALNET_ECOMPARTMENT ? "-ENOTRECOVERABLE"
		    : rc == -ETIMEDOUT		? "-ETIMEDOUT"
						: strerror(-rc),
		    rc, (long long)wall.tv_sec, wall.tv_nsec / 1000);
	network_socket_close(1000 * SEALNET_MS, s);
	for (int last = 0;;) {
		rc = network_socket_connect_tcp(1000 * SEALNET_MS,
						cap_echo_server, &s);
		if (rc == 0)
			break;
		if (rc != last)
			sealnet_log("reconnect: %s", strerror(-rc));
		last = rc;
		if (sealnet_now_ns() - t_err > 30000 * SEALNET_MS) {
			sealnet_log("RESULT reconnect: gave up: %s",
				    strerror(-rc));
			return;
		}
		sealnet_wait(20 * SEALNET_MS);
	}
	t_ok = sealnet_now_ns();
	moved = 0;
	network_socket_send(5000 * SEALNET_MS, s, out, CHUNK);
	while (moved < CHUNK) {
		ssize_t n = network_socket_receive_preallocated(
		    5000 * SEALNET_MS, s, in + moved, CHUNK - moved);
		if (n < 0)
			break;
		moved += (size_t)n;
	}
	sealnet_log("RESULT reconnected %.1f ms after the error; echo %s",
		    (double)(t_ok - t_err) / 1e6,
		    moved == CHUNK && memcmp(in, out, CHUNK) == 0 ? "ok"
								  : "FAILED");
	network_socket_close(1000 * SEALNET_MS, s);
}
