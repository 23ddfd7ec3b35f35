/*
 * sealnet's side of the churn benchmark (scripts/bench-churn.sh): short
 * connections one after another, each a connect by name, 1 KiB sent, the
 * same 1 KiB echoed back and read, and a close.  It logs "churn: warm"
 * after WARM_UP of them and waits a moment, so that the script can read
 * every compartment's resident memory, then makes the counted ones and
 * logs "churn: done", printing its figures as one JSON line, and waits
 * to be stopped, so the memory can be read again while nothing moves.
 */
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

#define WARM_UP	    1000u
#define CONNECTIONS 10000u
#define MESSAGE	    1024u
#define PAUSE_NS    (1500 * SN_MS)

static struct sn_compartment compartment;

/* One connection's life; 0, or what went wrong. */
static int
one_connection(unsigned i)
{
	uint8_t out[MESSAGE], in[MESSAGE];
	size_t got = 0;
	sealnet_socket s;
	int rc = network_socket_connect_tcp(5000 * SN_MS,
					    SEALNET_CAPABILITY(echo), &s);

	if (rc < 0)
		return rc;
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
	int closed = network_socket_close(1000 * SN_MS, s);
	return rc < 0 ? rc : closed;
}

/* n connections: how many failed, each failure logged (the log's own
 * limit keeps a storm of them short). */
static unsigned
connections(unsigned n, unsigned first)
{
	unsigned failures = 0;

	for (unsigned i = 0; i < n; i++) {
		int rc = one_connection(first + i);

		if (rc < 0) {
			failures++;
			sn_log("connection %u failed: %s", first + i,
			       strerror(-rc));
		}
	}
	return failures;
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
	failures = connections(WARM_UP, 0);
	sn_log("churn: warm (%u failures)", failures);
	pause_for(PAUSE_NS);
	failures = connections(CONNECTIONS, WARM_UP);
	printf("{\"bench\": \"sealnet_churn\", \"connections\": %u, "
	       "\"failures\": %u}\n",
	       CONNECTIONS, failures);
	if (fflush(stdout) != 0)
		return 1;
	sn_log("churn: done");
	for (;;)
		pause_for(3600ull * 1000 * SN_MS);
}
