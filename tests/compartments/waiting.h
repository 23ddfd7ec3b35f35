/*
 * What the compartments of the parked-waits tests (tests/attack/parked-*
 * waits.sh) share, on the public SDK alone: the wait for the test's go,
 * and the honest application's timed round trips and their RESULT lines,
 * which the scripts read.  The hostile ones' floods are in
 * hostile_probes.h.  tls_test (tests/tls-test.sh) waits for its go ports
 * here too.
 */
#ifndef SEALNET_TESTS_WAITING_H
#define SEALNET_TESTS_WAITING_H

#include <stdint.h>
#include <sys/types.h>

#include <sealnet/sealnet.h>

/* How long a compartment waits for the test to open its go port. */
#define WAITING_GO_FOR (120 * SEALNET_SECOND)
/* How often it tries the go port meanwhile: each refused connect adds a
 * Firewall rule for a moment, which the tests' rule counts must not
 * see often. */
#define WAITING_GO_EVERY (100 * SEALNET_MS)
/* Round trips before the honest application says it is ready. */
#define WAITING_WARM_UP 5u
/* Round trips it makes once the test says go. */
#define WAITING_ROUND_TRIPS 200u
/* The size of every message of a round trip. */
#define WAITING_MESSAGE_SIZE 32u

/* Connects to `go`, a capability for a port the test opens when the next
 * step may begin, until the connect succeeds: 0, -ETIMEDOUT after
 * WAITING_GO_FOR, or the error of sealnet_wait (the compartment is being
 * stopped) or of closing the connection. */
int waiting_for_go(const struct sealnet_declaration *go);

/* The i-th round trip's message, WAITING_MESSAGE_SIZE bytes and a NUL. */
void waiting_message(char out[WAITING_MESSAGE_SIZE + 1], unsigned i);

/* The i-th message out on conn through send and all of it back through
 * receive, compared: 0, the error of either, or -EIO (short or altered). */
int waiting_echo(void *conn, unsigned i,
		 ssize_t (*send)(void *conn, const void *data, size_t len),
		 ssize_t (*receive)(void *conn, void *data, size_t len));

/* What the honest application does on its own connection (or session):
 * round_trip makes the i-th round trip on the connection it keeps;
 * fresh, unless NULL, opens a new one, makes the i-th round trip on it
 * and closes it.  Both return 0 or a negative error. */
struct waiting_honest {
	int (*round_trip)(unsigned i);
	int (*fresh)(unsigned i);
	unsigned fresh_count;
	const char *fresh_name; /* "connections", "sessions": RESULT lines */
};

/*
 * The honest application's part, once its connection is open: the
 * warm-up, "RESULT honest ready", the wait for `go`, "RESULT honest
 * begins", WAITING_ROUND_TRIPS timed round trips and fresh_count timed
 * new connections, their figures, and "RESULT honest done".  Returns 0,
 * or -1 after a RESULT line saying why it stopped before the round
 * trips.
 */
int waiting_honest_run(const struct waiting_honest *h,
		       const struct sealnet_declaration *go);

#endif
