/*
 * An application that opens every socket its quota allows to a source
 * that never stops sending, and reads nothing (tests/network-test.sh).
 * Whatever TCPIP takes for it, it must hold: the test sums, on the
 * sender's side, what TCPIP acknowledged on these connections, which may
 * not pass the hoarder's buffered_bytes quota and each socket's window
 * floor (compartments/tcpip/window.h).  Without that bound each
 * connection could hold lwIP's whole window, 512 KiB, and one
 * application, by opening sockets and never reading, the memory every
 * other application's connections need.
 *
 * Logs "RESULT hoarder: N connections, reading none" once they are all
 * open (or why not), then holds them until the stack stops.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("hoarder");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(source, SEALNET_TCP, "echo.test", 7015);
SEALNET_QUOTA(sockets, 8);
SEALNET_QUOTA(buffered_bytes, 64 * 1024);
SEALNET_RESTART(never, 0);

#define CONNECTIONS 8

int
main(void)
{
	sealnet_socket s[CONNECTIONS];
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	for (unsigned i = 0; i < CONNECTIONS; i++) {
		rc = network_socket_connect_tcp(
		    5 * SEALNET_SECOND, SEALNET_CAPABILITY(source), &s[i]);
		if (rc < 0) {
			sealnet_log("RESULT hoarder: connection %u: %s", i + 1,
				    strerror(-rc));
			return 1;
		}
	}
	sealnet_log("RESULT hoarder: %u connections, reading none",
		    CONNECTIONS);
	while ((rc = sealnet_wait(60 * SEALNET_SECOND)) == 0)
		;
	return rc == -ECANCELED ? 0 : 1;
}
