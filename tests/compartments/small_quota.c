/*
 * A receiver whose buffered_bytes quota is an eighth of TCPIP's receive
 * window (tests/network-test.sh): it reads BYTES from a source in small
 * pieces, more slowly than they arrive, logs "RESULT small quota: N bytes
 * received" (or why it stopped), and closes.  The test checks that every
 * byte came and that the sender never had to retransmit: the window
 * TCPIP offers must shrink to what the quota pays for, instead of TCPIP
 * taking data past the quota and then refusing it.
 */
#include <stdint.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("small_quota");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(source, SEALNET_TCP, "echo.test", 7014);
SEALNET_QUOTA(buffered_bytes, 64 * 1024);
SEALNET_RESTART(never, 0);

#define BYTES (8u * 1024 * 1024)
#define PIECE (4u * 1024)

static uint8_t piece[PIECE];

int
main(void)
{
	uint64_t got = 0;
	sealnet_socket s;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	rc = network_socket_connect_tcp(5 * SEALNET_SECOND,
					SEALNET_CAPABILITY(source), &s);
	if (rc < 0) {
		sealnet_log("RESULT small quota: connect: %s", strerror(-rc));
		return 1;
	}
	while (got < BYTES) {
		ssize_t n = network_socket_receive_preallocated(
		    10 * SEALNET_SECOND, s, piece, sizeof(piece));

		if (n <= 0) {
			sealnet_log("RESULT small quota: stopped after %llu "
				    "bytes: %s",
				    (unsigned long long)got,
				    n < 0 ? strerror((int)-n)
					  : "end of stream");
			network_socket_close(SEALNET_SECOND, s);
			return 1;
		}
		got += (uint64_t)n;
	}
	sealnet_log("RESULT small quota: %llu bytes received",
		    (unsigned long long)got);
	rc = network_socket_close(SEALNET_SECOND, s);
	return rc < 0 ? 1 : 0;
}
