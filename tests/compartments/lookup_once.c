/*
 * The application of tests/attack/dns-hole.sh: one connect by name, whose
 * lookup the test's DNS server never answers, and nothing after it.  It
 * makes no second lookup, so the Firewall's DNS hole is its alone.
 */
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("lookup_once");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_CONNECTION_CAPABILITY(silent, SEALNET_TCP, "silent.test", 7);
SEALNET_RESTART(never, 0);

int
main(void)
{
	sealnet_socket s;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	sealnet_log("RESULT lookup_once connecting");
	rc = network_socket_connect_tcp(60 * SEALNET_SECOND,
					SEALNET_CAPABILITY(silent), &s);
	sealnet_log("RESULT lookup_once connect: %s",
		    rc < 0 ? strerror(-rc) : "made");
	for (;;) {
		struct timespec hour = {3600, 0};

		(void)nanosleep(&hour, NULL);
	}
}
