/*
 * The honest application beside wait_hostile in
 * tests/attack/parked-waits.sh, on the public SDK alone.  Once the test
 * says go (while the hostile one floods TCPIP), it makes 200 echo round
 * trips on one connection and 10 new connections, timing each, and logs
 * what it saw as RESULT lines (waiting.c).  It keeps the first
 * connection open until it is stopped.
 */
#include <sealnet/sealnet.h>

#include "waiting.h"

SEALNET_COMPARTMENT("wait_honest");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 7007);
/* The test opens this port when the round trips may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7008);
SEALNET_QUOTA(sockets, 4);
SEALNET_RESTART(never, 0);

#define T	    (5 * SEALNET_SECOND)
#define CONNECTIONS 10u

static sealnet_socket kept;

static ssize_t
send_on(void *conn, const void *data, size_t len)
{
	return network_socket_send(T, *(sealnet_socket *)conn, data, len);
}

static ssize_t
receive_on(void *conn, void *data, size_t len)
{
	return network_socket_receive_preallocated(T, *(sealnet_socket *)conn,
						   data, len);
}

static int
round_trip(unsigned i)
{
	return waiting_echo(&kept, i, send_on, receive_on);
}

static int
fresh_connection(unsigned i)
{
	sealnet_socket s;
	int rc = network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &s);
	int closed;

	if (rc < 0)
		return rc;
	rc = waiting_echo(&s, i, send_on, receive_on);
	closed = network_socket_close(T, s);
	return rc < 0 ? rc : closed;
}

int
main(void)
{
	static const struct waiting_honest honest = {
	    .round_trip = round_trip,
	    .fresh = fresh_connection,
	    .fresh_count = CONNECTIONS,
	    .fresh_name = "connections",
	};

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &kept) <
		0) {
		sealnet_log("RESULT honest: no connection");
		return 1;
	}
	if (waiting_honest_run(&honest, SEALNET_CAPABILITY(go)) < 0)
		return 1;
	/* Its connection stays open, and the Firewall's rule for it, as
	 * before the attack: the test compares the rules with then. */
	return sealnet_run() < 0;
}
