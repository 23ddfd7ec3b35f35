/*
 * sealnet's side of the churn benchmark (scripts/bench-churn.sh): short
 * connections one after another, each a connect by name, 1 KiB sent, the
 * same 1 KiB echoed back and read, and a close.  It logs "churn: warm"
 * after WARM_UP of them and waits a moment, so that the script can read
 * every compartment's resident memory, then makes the counted ones and
 * logs "churn: done", printing its figures as one JSON line (with how
 * long the counted connects took: median, 90th and 99th percentile, and
 * the slowest), and waits a moment again, so the memory can be read
 * while nothing moves.
 *
 * Then it holds HELD connections open at once, its whole socket quota:
 * each made and echoed in turn, one more refused (it must be, at once,
 * with -EDQUOT), each echoed again once all are open, and all closed.
 * It prints that as a second JSON line, logs "held: done" and waits to
 * be stopped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "sealnet/network.h"

SEALNET_COMPARTMENT("churn");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "bench.test", 7103);
SEALNET_RESTART(never, 0);
SEALNET_QUOTA(sockets, 1000);

#define WARM_UP	    1000u
#define CONNECTIONS 10000u
#define MESSAGE	    1024u
#define PAUSE_NS    (1500 * SN_MS)
/* The socket quota above. */
#define HELD 1000u

static struct sn_compartment compartment;
/* How many counted connects took each whole number of microseconds
 * (the last bucket: that long or longer), and the slowest.  Counted, not
 * sorted: glibc's qsort asks the kernel for the memory size, which the
 * sandbox does not allow. */
#define CONNECT_BUCKETS 20000u
static uint32_t connects_by_us[CONNECT_BUCKETS];
static uint64_t slowest_connect_ns;

/* 1 KiB sent on s and the same read back: 0, or what went wrong. */
static int
echo_once(sealnet_socket s, unsigned i)
{
	uint8_t out[MESSAGE], in[MESSAGE];
	size_t got = 0;
	int rc = 0;

	memset(out, (int)(i & 0xff), sizeof(out));
	ssize_t n = network_socket_send(5000 * SN_MS, s, out, sizeof(out));

	if (n != (ssize_t)sizeof(out))
		rc = n < 0 ? (int)n : -EIO;
	while (rc == 0 && got < sizeof(in)) {
		n = network_socket_receive_preallocated(
		    5000 * SN_MS, s, in + got, sizeof(in) - got);
		if (n <= 0)
			rc = n < 0 ? (int)n : -EIO;
		else
			got += (size_t)n;
	}
	if (rc == 0 && memcmp(in, out, sizeof(in)) != 0)
		rc = -EBADMSG;
	return rc;
}

/* One connection's life; 0, or what went wrong.  The connect's time goes
 * to *took. */
static int
one_connection(unsigned i, uint64_t *took)
{
	sealnet_socket s;
	uint64_t t0 = sn_now_ns();
	int rc = network_socket_connect_tcp(5000 * SN_MS,
					    SEALNET_CAPABILITY(echo), &s);

	*took = sn_now_ns() - t0;
	if (rc < 0)
		return rc;
	rc = echo_once(s, i);
	int closed = network_socket_close(1000 * SN_MS, s);
	return rc < 0 ? rc : closed;
}

static void
count_connect(uint64_t ns)
{
	uint64_t us = ns / 1000;

	connects_by_us[us < CONNECT_BUCKETS ? us : CONNECT_BUCKETS - 1]++;
	if (ns > slowest_connect_ns)
		slowest_connect_ns = ns;
}

/* n connections: how many failed, each failure logged (the log's own
 * limit keeps a storm of them short).  Each connect's time is counted
 * when `counted`. */
static unsigned
connections(unsigned n, unsigned first, bool counted)
{
	unsigned failures = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t;
		int rc = one_connection(first + i, &t);

		if (counted)
			count_connect(t);

		if (rc < 0) {
			failures++;
			sn_log("connection %u failed: %s", first + i,
			       strerror(-rc));
		}
	}
	return failures;
}

static sealnet_socket held[HELD];

/* HELD connections open at once, and one more refused: prints the
 * figures; how many steps failed. */
static unsigned
hold_connections(void)
{
	unsigned failures = 0, open = 0;
	uint64_t t0;
	sealnet_socket extra;
	int refused;

	for (unsigned i = 0; i < HELD; i++) {
		int rc = network_socket_connect_tcp(
		    5000 * SN_MS, SEALNET_CAPABILITY(echo), &held[open]);

		if (rc == 0 && (rc = echo_once(held[open++], i)) == 0)
			continue;
		failures++;
		sn_log("held connection %u failed: %s", i, strerror(-rc));
	}
	/* Past the quota: refused at once, and said why. */
	t0 = sn_now_ns();
	refused = network_socket_connect_tcp(5000 * SN_MS,
					     SEALNET_CAPABILITY(echo), &extra);
	double refused_ms = (double)(sn_now_ns() - t0) / 1e6;
	if (refused == 0) {
		failures++;
		network_socket_close(1000 * SN_MS, extra);
	}
	for (unsigned i = 0; i < open; i++)
		if (echo_once(held[i], i + HELD) < 0)
			failures++;
	for (unsigned i = 0; i < open; i++)
		if (network_socket_close(1000 * SN_MS, held[i]) < 0)
			failures++;
	printf("{\"bench\": \"sealnet_held\", \"connections\": %u, "
	       "\"failures\": %u, \"over_quota\": \"%s\", "
	       "\"over_quota_ms\": %.1f}\n",
	       open, failures,
	       refused == -EDQUOT ? "-EDQUOT"
	       : refused < 0	  ? strerror(-refused)
				  : "accepted",
	       refused_ms);
	return failures;
}

/* The whole microseconds within which a fraction q of the n counted
 * connects were made. */
static unsigned
connect_percentile_us(unsigned n, double q)
{
	uint64_t need = (uint64_t)(q * (double)n + 0.999999), seen = 0;

	for (unsigned us = 0; us < CONNECT_BUCKETS; us++) {
		seen += connects_by_us[us];
		if (seen >= need)
			return us + 1;
	}
	return CONNECT_BUCKETS;
}

/* The loop keeps serving (the runtime's own work) while we wait. */
static void
pause_for(uint64_t ns)
{
	uint64_t end = sn_now_ns() + ns;

	while (sn_now_ns() < end)
		if (sn_compartment_serve_step_until(&compartment, end) < 0)
			return;
}

int
main(void)
{
	unsigned failures;

	if (sn_compartment_boot(&compartment, NULL) < 0 ||
	    network_start(30000 * SN_MS) < 0)
		return 1;
	failures = connections(WARM_UP, 0, false);
	/* Written once now, so that its pages count in the warm figure and
	 * not as growth. */
	memset(connects_by_us, 0, sizeof(connects_by_us));
	sn_log("churn: warm (%u failures)", failures);
	pause_for(PAUSE_NS);
	failures = connections(CONNECTIONS, WARM_UP, true);
	printf("{\"bench\": \"sealnet_churn\", \"connections\": %u, "
	       "\"failures\": %u, \"connect_median_us\": %u, "
	       "\"connect_p90_us\": %u, \"connect_p99_us\": %u, "
	       "\"connect_max_us\": %.0f}\n",
	       CONNECTIONS, failures, connect_percentile_us(CONNECTIONS, 0.5),
	       connect_percentile_us(CONNECTIONS, 0.9),
	       connect_percentile_us(CONNECTIONS, 0.99),
	       (double)slowest_connect_ns / 1e3);
	if (fflush(stdout) != 0)
		return 1;
	sn_log("churn: done");
	pause_for(PAUSE_NS);
	hold_connections();
	if (fflush(stdout) != 0)
		return 1;
	sn_log("held: done");
	for (;;)
		pause_for(3600ull * 1000 * SN_MS);
}
