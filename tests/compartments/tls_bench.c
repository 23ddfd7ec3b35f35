/*
 * sealnet's side of the TLS benchmark (scripts/bench-tls.sh): the median
 * of 20 full handshakes to a server that issues no tickets (each one a
 * connect by name, the delegation and the handshake: what
 * tls_connection_create costs), 100 MB sent over TLS, and 100 MB sent
 * over plain TCP on the same path for the ratio; each printed as one JSON
 * line once all have succeeded, else nothing and exit status 1.  Then it
 * holds 1, then 64 sessions open to another server, saying so, for the
 * script to read the TLS compartment's resident memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("tls_bench");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(tls_sink, SEALNET_TCP, "bench.test", 7201);
/* By address: TCPIP holds 64 sockets, and each lookup would take one
 * for its query while the 64 sessions hold the rest. */
SEALNET_CONNECTION_CAPABILITY(holder, SEALNET_TCP, "10.0.0.1", 7202);
SEALNET_CONNECTION_CAPABILITY(tcp_sink, SEALNET_TCP, "bench.test", 7101);
SEALNET_QUOTA(tls_sessions, 64);
SEALNET_QUOTA(sockets, 64);
SEALNET_RESTART(never, 0);
SEALNET_SYSCALL(sysinfo); /* qsort */

#define BYTES	   (100ull * 1000 * 1000)
#define HANDSHAKES 20
#define HELD	   64
#define T	   (10 * SEALNET_SECOND)

static uint8_t buf[60 * 1024];

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const char *
reason(int code)
{
	const char *tls = sealnet_tls_error_name(code);

	return tls != NULL ? tls : strerror(-code);
}

/* The median create, and the median of the handshake alone as the TLS
 * compartment timed it (the connect by name before it apart). */
static int
handshakes(double *median_ms, double *handshake_ms)
{
	uint64_t t[HANDSHAKES], h[HANDSHAKES];

	for (int i = 0; i < HANDSHAKES; i++) {
		sealnet_tls_session s;
		sealnet_tls_info info;
		uint64_t t0 = sealnet_now_ns();
		int rc = tls_connection_create_alpn(
		    T, SEALNET_CAPABILITY(tls_sink), NULL, &s, &info);

		if (rc < 0) {
			sealnet_log("handshake %d: %s", i, reason(rc));
			return rc;
		}
		t[i] = sealnet_now_ns() - t0;
		h[i] = (uint64_t)info.handshake_us * 1000;
		tls_connection_close(T, s);
	}
	qsort(t, HANDSHAKES, sizeof(t[0]), cmp);
	qsort(h, HANDSHAKES, sizeof(h[0]), cmp);
	*median_ms = (double)t[HANDSHAKES / 2] / 1e6;
	*handshake_ms = (double)h[HANDSHAKES / 2] / 1e6;
	return 0;
}

static int
tls_send(double *mbytes_per_s)
{
	sealnet_tls_session s;
	uint64_t t0, done = 0;
	int rc = tls_connection_create(T, SEALNET_CAPABILITY(tls_sink), &s);

	if (rc < 0) {
		sealnet_log("tls send: %s", reason(rc));
		return rc;
	}
	t0 = sealnet_now_ns();
	while (done < BYTES) {
		size_t n =
		    BYTES - done < sizeof(buf) ? BYTES - done : sizeof(buf);
		ssize_t w = tls_connection_send(T, s, buf, n, 0);

		if (w <= 0) {
			sealnet_log("tls send: %s after %llu bytes",
				    reason((int)w), (unsigned long long)done);
			return w < 0 ? (int)w : -EIO;
		}
		done += (uint64_t)w;
	}
	*mbytes_per_s =
	    (double)BYTES / ((double)(sealnet_now_ns() - t0) / 1e9) / 1e6;
	return tls_connection_close(T, s);
}

static int
tcp_send(double *mbytes_per_s)
{
	sealnet_socket s;
	uint64_t t0, done = 0;
	int rc =
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(tcp_sink), &s);

	if (rc < 0)
		return rc;
	t0 = sealnet_now_ns();
	while (done < BYTES) {
		size_t n =
		    BYTES - done < sizeof(buf) ? BYTES - done : sizeof(buf);
		ssize_t w = network_socket_send(T, s, buf, n);

		if (w <= 0)
			return w < 0 ? (int)w : -EIO;
		done += (uint64_t)w;
	}
	*mbytes_per_s =
	    (double)BYTES / ((double)(sealnet_now_ns() - t0) / 1e9) / 1e6;
	return network_socket_close(T, s);
}

/* Sessions held open, 1 then HELD, each announced for the script. */
static int
hold_sessions(void)
{
	static sealnet_tls_session held[HELD];
	int n = 0;

	for (int want = 1; want <= HELD; want = want == 1 ? HELD : HELD + 1) {
		for (; n < want; n++) {
			int rc = tls_connection_create(
			    T, SEALNET_CAPABILITY(holder), &held[n]);

			if (rc < 0) {
				sealnet_log("session %d: %s", n + 1,
					    reason(rc));
				return rc;
			}
		}
		sealnet_log("holding %d sessions", n);
		sealnet_wait(2 * SEALNET_SECOND);
	}
	for (int i = 0; i < n; i++)
		tls_connection_close(T, held[i]);
	return 0;
}

int
main(void)
{
	double create_ms = 0, handshake_ms = 0, tls_mbps = 0, tcp_mbps = 0;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	if (handshakes(&create_ms, &handshake_ms) < 0 ||
	    tls_send(&tls_mbps) < 0 || tcp_send(&tcp_mbps) < 0)
		return 1;
	printf("{\"bench\":\"sealnet_tls_handshake\",\"median_ms\":%.3f}\n",
	       create_ms);
	printf("{\"bench\":\"sealnet_tls_handshake_only\",\"median_ms\":%.3f}"
	       "\n",
	       handshake_ms);
	printf("{\"bench\":\"sealnet_tls_send\",\"mbytes_per_s\":%.1f}\n",
	       tls_mbps);
	printf("{\"bench\":\"sealnet_tcp_send\",\"mbytes_per_s\":%.1f}\n",
	       tcp_mbps);
	fflush(stdout);
	return hold_sessions() < 0;
}
