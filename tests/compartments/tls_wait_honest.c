/*
 * The honest application beside tls_wait_hostile in
 * tests/attack/parked-tls-waits.sh, on the public SDK alone.  Once the
 * test says go (while the hostile one floods TLS), it makes 200 round
 * trips through a TLS echo server on one session and 5 new sessions,
 * timing each, and logs what it saw as RESULT lines.  It keeps the first
 * session open until it is stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("tls_wait_honest");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 4441);
/* The test opens this port when the round trips may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7008);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_QUOTA(sockets, 3);
SEALNET_RESTART(never, 0);

#define T	     (5 * SEALNET_SECOND)
#define ROUND_TRIPS  200u
#define SESSIONS     5u
#define MESSAGE_SIZE 32u

static int
round_trip(sealnet_tls_session s, unsigned i)
{
	char out[MESSAGE_SIZE + 1], in[MESSAGE_SIZE];
	size_t got = 0;
	ssize_t n;

	snprintf(out, sizeof(out), "honest %05u ...................", i);
	n = tls_connection_send(T, s, out, MESSAGE_SIZE, 0);
	if (n != MESSAGE_SIZE)
		return n < 0 ? (int)n : -EIO;
	while (got < MESSAGE_SIZE) {
		n = tls_connection_receive_preallocated(T, s, in + got,
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
	sealnet_tls_session s, fresh;
	unsigned ok = 0, created = 0, failed_at = 0;
	int first_error = 0;
	uint64_t slowest_session = 0;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    tls_connection_create(T, SEALNET_CAPABILITY(echo), &s) < 0) {
		sealnet_log("RESULT honest: no session");
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
	for (unsigned i = 0; i < SESSIONS; i++) {
		uint64_t t0 = sealnet_now_ns();

		if (tls_connection_create(T, SEALNET_CAPABILITY(echo), &fresh) <
		    0)
			continue;
		created += round_trip(fresh, i) == 0;
		if (tls_connection_close(T, fresh) < 0)
			created--;
		if (sealnet_now_ns() - t0 > slowest_session)
			slowest_session = sealnet_now_ns() - t0;
	}
	sort_times(took, ROUND_TRIPS);
	sealnet_log("RESULT honest round trips: %u of %u, median %llu us, "
		    "slowest %llu us",
		    ok, ROUND_TRIPS,
		    (unsigned long long)(took[ROUND_TRIPS / 2] / 1000),
		    (unsigned long long)(took[ROUND_TRIPS - 1] / 1000));
	if (first_error)
		sealnet_log("RESULT honest: round trip %u failed: %d",
			    failed_at, first_error);
	sealnet_log("RESULT honest new sessions: %u of %u, slowest %llu us",
		    created, SESSIONS,
		    (unsigned long long)(slowest_session / 1000));
	sealnet_log("RESULT honest done");
	/* Its session stays open, and the Firewall's rule for its
	 * connection, as before the attack. */
	return sealnet_run() < 0;
}
