/*
 * The hostile application of tests/attack/closed-segments.sh, on the
 * public SDK alone.  Its server takes every segment and acknowledges
 * none (the test drops them), so whatever it sends stays in lwIP's
 * queue.  Round after round it connects, makes one-byte sends (each a
 * segment of lwIP's pool of its own) until one waits longer than
 * SEND_WAIT, and closes the connection with all of them still queued:
 * lwIP keeps them to retransmit for minutes after the close.  If a
 * closed connection's segments left its owner's count, each round
 * would take another connection's worth, and a few rounds the whole
 * pool: every other application's sends and connects would stall.
 *
 * Logs "RESULT leaver round N: K one-byte sends taken, then ERROR" for
 * each round and "RESULT leaver done: R rounds, T one-byte sends taken
 * in all, F rounds failed" at the end.  Then, every half second, it
 * makes another round, until the test lets its server's
 * acknowledgements through again: they end the closed connections'
 * queues, and a round's sends no longer wait.  It logs "RESULT leaver
 * freed: round N took K sends" for the first round that took more than
 * a connection's queue, and waits to be stopped.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("segment_leaver");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(blackhole, SEALNET_TCP, "blackhole.test", 7031);
/* Its seven closed rounds stay in FIN-WAIT-1, which count with its open
 * socket against twice its socket quota (compartments/tcpip/sockets.h,
 * LINGERING_PER_QUOTA): what it tests is its share of segments. */
SEALNET_QUOTA(sockets, 4);
SEALNET_RESTART(never, 0);

/* Enough rounds of one connection's queue each to take the whole pool
 * (compartments/tcpip: 1,436 segments a connection, 4,096 in the pool). */
#define ROUNDS 7u
/* A send that waits this long waits for an acknowledgement that will
 * not come. */
#define SEND_WAIT (300 * SEALNET_MS)
/* Far more than one connection's queue: the loop ends on a wait. */
#define MOST_SENDS 5000u
/* More than the owner's share of segments (768): its sends were
 * acknowledged as they went, and nothing of its owner's waits any more. */
#define FREED_SENDS 1000u

/* One round: the sends taken, or a negative error of the connect or
 * the close. */
static long
round_of_sends(unsigned round)
{
	sealnet_socket s;
	unsigned taken = 0;
	ssize_t n = 0;
	int rc = network_socket_connect_tcp(5 * SEALNET_SECOND,
					    SEALNET_CAPABILITY(blackhole), &s);

	if (rc < 0) {
		sealnet_log("RESULT leaver round %u: connect: %s", round,
			    strerror(-rc));
		return rc;
	}
	while (taken < MOST_SENDS &&
	       (n = network_socket_send(SEND_WAIT, s, "x", 1)) == 1)
		taken++;
	sealnet_log("RESULT leaver round %u: %u one-byte sends taken, then %s",
		    round, taken, n < 0 ? strerror((int)-n) : "no wait at all");
	rc = network_socket_close(SEALNET_SECOND, s);
	if (rc < 0) {
		sealnet_log("RESULT leaver round %u: close: %s", round,
			    strerror(-rc));
		return rc;
	}
	return taken;
}

int
main(void)
{
	unsigned long total = 0;
	unsigned failed = 0;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	for (unsigned round = 1; round <= ROUNDS; round++) {
		long taken = round_of_sends(round);

		/* A connect refused for want of segments is what the rounds
		 * are after: counted, and the rounds go on. */
		if (taken < 0)
			failed++;
		else
			total += (unsigned long)taken;
	}
	sealnet_log("RESULT leaver done: %u rounds, %lu one-byte sends taken "
		    "in all, %u rounds failed",
		    ROUNDS, total, failed);
	for (unsigned round = ROUNDS + 1;; round++) {
		long taken;

		rc = sealnet_wait(500 * SEALNET_MS);
		if (rc != 0 && rc != -ETIMEDOUT)
			return rc == -ECANCELED ? 0 : 1;
		taken = round_of_sends(round);
		if (taken >= (long)FREED_SENDS) {
			sealnet_log("RESULT leaver freed: round %u took %ld "
				    "sends",
				    round, taken);
			break;
		}
	}
	while ((rc = sealnet_wait(60 * SEALNET_SECOND)) == 0)
		;
	return rc == -ECANCELED ? 0 : 1;
}
