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

/* How many of a series succeeded, and the first failure's place and
 * error. */
struct tally {
	unsigned ok, failed_at;
	int first_error;
};

static void
tally_add(struct tally *t, unsigned i, int rc)
{
	if (rc == 0)
		t->ok++;
	else if (t->first_error == 0) {
		t->first_error = rc;
		t->failed_at = i;
	}
}

/* The code as well as its text: a TLS error has no errno's. */
static void
tally_log_failure(const struct tally *t, const char *what)
{
	if (t->first_error)
		sealnet_log("RESULT honest: %s %u failed: %d, %s", what,
			    t->failed_at, t->first_error,
			    strerror(-t->first_error));
}

static void
round_trips(const struct waiting_honest *h)
{
	static uint64_t took[WAITING_ROUND_TRIPS];
	struct tally t = {0};

	for (unsigned i = 0; i < WAITING_ROUND_TRIPS; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = h->round_trip(i);

		took[i] = sealnet_now_ns() - t0;
		tally_add(&t, i, rc);
	}
	sort_times(took, WAITING_ROUND_TRIPS);
	sealnet_log("RESULT honest round trips: %u of %u, median %llu us, "
		    "slowest %llu us",
		    t.ok, WAITING_ROUND_TRIPS,
		    (unsigned long long)(took[WAITING_ROUND_TRIPS / 2] / 1000),
		    (unsigned long long)(took[WAITING_ROUND_TRIPS - 1] / 1000));
	tally_log_failure(&t, "round trip");
}

/* Each timed from the connect to the close, a failed one too. */
static void
fresh_connections(const struct waiting_honest *h)
{
	char what[48];
	struct tally t = {0};
	uint64_t slowest = 0;

	for (unsigned i = 0; i < h->fresh_count; i++) {
		uint64_t t0 = sealnet_now_ns();

		tally_add(&t, i, h->fresh(i));
		if (sealnet_now_ns() - t0 > slowest)
			slowest = sealnet_now_ns() - t0;
	}
	sealnet_log("RESULT honest new %s: %u of %u, slowest %llu us",
		    h->fresh_name, t.ok, h->fresh_count,
		    (unsigned long long)(slowest / 1000));
	snprintf(what, sizeof(what), "new %s", h->fresh_name);
	tally_log_failure(&t, what);
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
