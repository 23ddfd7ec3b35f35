/*
 * The application of tests/firewall-restart.sh, on the public SDK alone:
 * an echo that the Firewall's death interrupts, then the same made again
 * once the stack is back.  It logs RESULT lines the test reads, the
 * error with the wall-clock time it came, to be set against the kill's.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

#define CHUNK (16u << 10)
#define T     (5 * SEALNET_SECOND)
/* How long the stack may take to come back before the test gives up. */
#define BACK_WITHIN (40 * SEALNET_SECOND)

SEALNET_COMPARTMENT("firewall_restart");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(echo_server, SEALNET_TCP, "echo.test", 7007);
SEALNET_RESTART(never, 0);

static uint8_t out[CHUNK], in[CHUNK];

/* One chunk there and back: 0, or the error that stopped it. */
static int
echo_once(sealnet_socket s)
{
	ssize_t n = network_socket_send(T, s, out, CHUNK);
	size_t got = 0;

	if (n < 0)
		return (int)n;
	while (got < CHUNK) {
		n = network_socket_receive_preallocated(T, s, in + got,
							CHUNK - got);
		if (n < 0)
			return (int)n;
		got += (size_t)n;
	}
	return memcmp(in, out, CHUNK) == 0 ? 0 : -EBADMSG;
}

static const char *
named(int rc)
{
	return rc == -SEALNET_ECOMPARTMENT ? "-ENOTRECOVERABLE"
	       : rc == -ETIMEDOUT	   ? "-ETIMEDOUT"
					   : strerror(-rc);
}

int
main(void)
{
	struct timespec wall = {0, 0};
	sealnet_socket s;
	uint64_t t_err;
	size_t moved = 0;
	int rc;

	for (size_t i = 0; i < CHUNK; i++)
		out[i] = (uint8_t)(i * 7);
	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0) {
		sealnet_log("RESULT firewall_restart: no network");
		return 1;
	}
	rc = network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo_server), &s);
	if (rc < 0) {
		sealnet_log("RESULT firewall_restart: connect: %s", named(rc));
		return 1;
	}
	sealnet_log("RESULT firewall_restart echoing");
	while ((rc = echo_once(s)) == 0)
		moved += CHUNK;
	t_err = sealnet_now_ns();
	if (clock_gettime(CLOCK_REALTIME, &wall) < 0)
		sealnet_log("no wall-clock time: the test will see 0");
	sealnet_log("RESULT firewall_restart interrupted after %zu bytes: %s "
		    "at %lld.%06ld",
		    moved, named(rc), (long long)wall.tv_sec,
		    wall.tv_nsec / 1000);
	(void)network_socket_close(T, s);
	do {
		rc = network_socket_connect_tcp(
		    T, SEALNET_CAPABILITY(echo_server), &s);
		if (rc < 0)
			sealnet_wait(50 * SEALNET_MS);
	} while (rc < 0 && sealnet_now_ns() - t_err < BACK_WITHIN);
	if (rc == 0)
		rc = echo_once(s);
	sealnet_log("RESULT firewall_restart echo again %.1f s after the "
		    "error: %s",
		    (double)(sealnet_now_ns() - t_err) / 1e9,
		    rc == 0 ? "ok" : named(rc));
	return rc == 0 ? sealnet_run() < 0 : 1;
}
