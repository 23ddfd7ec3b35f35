/*
 * The honest application beside wait_hostile in
 * tests/attack/parked-waits.sh, on the public SDK alone.  Once the test
 * says go (while the hostile one floods TCPIP), it makes 200 echo round
 * trips on one connection and 10 new connections, timing each, and logs
 * what it saw as RESULT lines.  It keeps the first connection open until
 * it is stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("wait_honest");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 7007);
/* The test opens this port when the round trips may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7008);
SEALNET_QUOTA(sockets, 4);
SEALNET_RESTART(never, 0);

#define T	     (5 * SEALNET_SECOND)
#define ROUND_TRIPS  200u
#define CONNECTIONS  10u
#define MESSAGE_SIZE 32u

/* One message out and all of it back, checked: 0 or an error. */
static int
round_trip(sealnet_socket s, unsigned i)
{
	char out[MESSAGE_SIZE + 1], in[MESSAGE_SIZE];
	size_t got = 0;
	ssize_t n;

	snprintf(out, sizeof(out), "honest %05u ...................", i);
	n = network_socket_send(T, s, out, MESSAGE_SIZE);
	if (n != MESSAGE_SIZE)
		return n < 0 ? (int)n : -EIO;
	while (got < MESSAGE_SIZE) {
		n = network_socket_receive_preallocated(T, s, in + got,
							MESSAGE_SIZE - got);
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		got += (size_t)n;
	}
	return memcmp(in, out, MESSAGE_SIZE) == 0 ? 0 : -EIO;
}

static int
wait_for_go(void)
{
	uint64_t end = sealnet_now_ns() + 120 * SEALNET_SECOND;
	sealnet_socket s;

	while (sealnet_now_ns() < end) {
		if (network_socket_connect_tcp(T, SEALNET_CAPABILITY(go), &s) ==
		    0)
			return network_socket_close(T, s);
		if (sealnet_wait(50 * SEALNET_MS) < 0)
			break;
	}
	return -ETIMEDOUT;
}

/* Sorted in place; qsort would ask the kernel for the memory size, a
 * system call the sandbox does not allow. */
static void
sort_times(uint64_t *t, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = t[i];
		unsigned j = i;

		for (; j > 0 && t[j - 1] > v; j--)
			t[j] = t[j - 1];
		t[j] = v;
	}
}

int
main(void)
{
	static uint64_t took[ROUND_TRIPS];
	sealnet_socket s, fresh;
	unsigned ok = 0, connected = 0, failed_at = 0;
	int first_error = 0;
	uint64_t slowest_connection = 0;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &s) < 0) {
		sealnet_log("RESULT honest: no connection");
		return 1;
	}
	for (unsigned i = 0; i < 5; i++)
		if (round_trip(s, i) < 0) {
			sealnet_log("RESULT honest: the warm-up failed");
			return 1;
		}
	sealnet_log("RESULT honest ready");
	if (wait_for_go() < 0) {
		sealnet_log("RESULT honest: no go");
		return 1;
	}
	sealnet_log("RESULT honest begins");
	for (unsigned i = 0; i < ROUND_TRIPS; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = round_trip(s, i);

		took[i] = sealnet_now_ns() - t0;
		if (rc == 0)
			ok++;
		else if (first_error == 0) {
			first_error = rc;
			failed_at = i;
		}
	}
	for (unsigned i = 0; i < CONNECTIONS; i++) {
		uint64_t t0 = sealnet_now_ns();

		if (network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo),
					       &fresh) < 0)
			continue;
		connected += round_trip(fresh, i) == 0;
		if (network_socket_close(T, fresh) < 0)
			connected--;
		if (sealnet_now_ns() - t0 > slowest_connection)
			slowest_connection = sealnet_now_ns() - t0;
	}
	sort_times(took, ROUND_TRIPS);
	sealnet_log(
	    "RESULT honest round trips: %u of %u, median %llu us, slowest "
	    "%llu us",
	    ok, ROUND_TRIPS, (unsigned long long)(took[ROUND_TRIPS / 2] / 1000),
	    (unsigned long long)(took[ROUND_TRIPS - 1] / 1000));
	if (first_error)
		sealnet_log("RESULT honest: round trip %u failed: %s",
			    failed_at, strerror(-first_error));
	sealnet_log("RESULT honest new connections: %u of %u, slowest %llu us",
		    connected, CONNECTIONS,
		    (unsigned long long)(slowest_connection / 1000));
	sealnet_log("RESULT honest done");
	/* Its connection stays open, and the Firewall's rule for it, as
	 * before the attack: the test compares the rules with then. */
	return sealnet_run() < 0;
}
