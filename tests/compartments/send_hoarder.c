/*
 * The second hostile application of tests/attack/closed-segments.sh, on
 * the public SDK alone.  Where segment_leaver takes lwIP's segments one
 * byte at a time, this one takes its heap: on both its connections to
 * the server that acknowledges nothing it sends bulk data until a send
 * waits longer than SEND_WAIT.  lwIP holds every byte until it is
 * acknowledged, so all it took stays in TCPIP.  A connection's send
 * buffer is 1 MiB; its owner's share of lwIP's segments (768, in full
 * segments 1,121,280 bytes) must stop it before the second buffer fills.
 *
 * Logs "RESULT hoarder done: B bytes taken on 2 connections, then
 * ERROR" and keeps both connections open until it is stopped.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("send_hoarder");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_CONNECTION_CAPABILITY(blackhole, SEALNET_TCP, "blackhole.test", 7031);
SEALNET_QUOTA(sockets, 2);
SEALNET_RESTART(never, 0);

/* A send that waits this long waits for an acknowledgement that will
 * not come. */
#define SEND_WAIT (300 * SEALNET_MS)
#define CHUNK	  (120u * 1024u)
/* Far more than two send buffers: the loop ends on a wait. */
#define MOST_BYTES (16ull << 20)

static uint8_t chunk[CHUNK];

int
main(void)
{
	sealnet_socket s[2];
	unsigned long long taken = 0;
	ssize_t n = 0;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	memset(chunk, 'x', sizeof(chunk));
	for (unsigned i = 0; i < 2; i++) {
		rc = network_socket_connect_tcp(
		    5 * SEALNET_SECOND, SEALNET_CAPABILITY(blackhole), &s[i]);
		if (rc < 0) {
			sealnet_log("RESULT hoarder connect: %s",
				    strerror(-rc));
			return 1;
		}
	}
	/* The first connection until it waits, then the second. */
	for (unsigned i = 0; i < 2; i++)
		while (taken < MOST_BYTES &&
		       (n = network_socket_send(SEND_WAIT, s[i], chunk,
						sizeof(chunk))) > 0)
			taken += (unsigned long long)n;
	sealnet_log("RESULT hoarder done: %llu bytes taken on 2 connections, "
		    "then %s",
		    taken, n < 0 ? strerror((int)-n) : "nothing taken");
	while ((rc = sealnet_wait(60 * SEALNET_SECOND)) == 0)
		;
	return rc == -ECANCELED ? 0 : 1;
}
