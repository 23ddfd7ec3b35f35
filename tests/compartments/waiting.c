#include "waiting.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
waiting_for_go(const struct sealnet_declaration *go)
{
	uint64_t end = sealnet_now_ns() + WAITING_GO_FOR;
	sealnet_socket s;

	while (sealnet_now_ns() < end) {
		if (network_socket_connect_tcp(5 * SEALNET_SECOND, go, &s) == 0)
			return network_socket_close(5 * SEALNET_SECOND, s);
		int rc = sealnet_wait(WAITING_GO_EVERY);

		if (rc < 0)
			return rc;
	}
	return -ETIMEDOUT;
}

void
waiting_message(char out[WAITING_MESSAGE_SIZE + 1], unsigned i)
{
	snprintf(out, WAITING_MESSAGE_SIZE + 1,
		 "honest %05u ...................", i);
}

int
waiting_echo(void *conn, unsigned i,
	     ssize_t (*send)(void *conn, const void *data, size_t len),
	     ssize_t (*receive)(void *conn, void *data, size_t len))
{
	char out[WAITING_MESSAGE_SIZE + 1], in[WAITING_MESSAGE_SIZE];
	size_t got = 0;
	ssize_t n;

	waiting_message(out, i);
	n = send(conn, out, WAITING_MESSAGE_SIZE);
	if (n != WAITING_MESSAGE_SIZE)
		return n < 0 ? (int)n : -EIO;
	while (got < WAITING_MESSAGE_SIZE) {
		n = receive(conn, in + got, WAITING_MESSAGE_SIZE - got);
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		got += (size_t)n;
	}
	return memcmp(in, out, WAITING_MESSAGE_SIZE) == 0 ? 0 : -EIO;
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

static void
round_trips(const struct waiting_honest *h)
{
	static uint64_t took[WAITING_ROUND_TRIPS];
	unsigned ok = 0, failed_at = 0;
	int first_error = 0;

	for (unsigned i = 0; i < WAITING_ROUND_TRIPS; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = h->round_trip(i);

		took[i] = sealnet_now_ns() - t0;
		if (rc == 0)
			ok++;
		else if (first_error == 0) {
			first_error = rc;
			failed_at = i;
		}
	}
	sort_times(took, WAITING_ROUND_TRIPS);
	sealnet_log("RESULT honest round trips: %u of %u, median %llu us, "
		    "slowest %llu us",
		    ok, WAITING_ROUND_TRIPS,
		    (unsigned long long)(took[WAITING_ROUND_TRIPS / 2] / 1000),
		    (unsigned long long)(took[WAITING_ROUND_TRIPS - 1] / 1000));
	/* The code as well as its text: a TLS error has no errno's. */
	if (first_error)
		sealnet_log("RESULT honest: round trip %u failed: %d, %s",
			    failed_at, first_error, strerror(-first_error));
}

/* Each timed from the connect to the close, a failed one too. */
static void
fresh_connections(const struct waiting_honest *h)
{
	unsigned ok = 0, failed_at = 0;
	uint64_t slowest = 0;
	int first_error = 0;

	for (unsigned i = 0; i < h->fresh_count; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = h->fresh(i);

		if (rc == 0)
			ok++;
		else if (first_error == 0) {
			first_error = rc;
			failed_at = i;
		}
		if (sealnet_now_ns() - t0 > slowest)
			slowest = sealnet_now_ns() - t0;
	}
	sealnet_log("RESULT honest new %s: %u of %u, slowest %llu us",
		    h->fresh_name, ok, h->fresh_count,
		    (unsigned long long)(slowest / 1000));
	if (first_error)
		sealnet_log("RESULT honest: new %s %u failed: %d, %s",
			    h->fresh_name, failed_at, first_error,
			    strerror(-first_error));
}

int
waiting_honest_run(const struct waiting_honest *h,
		   const struct sealnet_declaration *go)
{
	for (unsigned i = 0; i < WAITING_WARM_UP; i++)
		if (h->round_trip(i) < 0) {
			sealnet_log("RESULT honest: the warm-up failed");
			return -1;
		}
	sealnet_log("RESULT honest ready");
	if (waiting_for_go(go) < 0) {
		sealnet_log("RESULT honest: no go");
		return -1;
	}
	sealnet_log("RESULT honest begins");
	round_trips(h);
	if (h->fresh != NULL)
		fresh_connections(h);
	sealnet_log("RESULT honest done");
	return 0;
}
