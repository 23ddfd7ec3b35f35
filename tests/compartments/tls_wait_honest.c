/*
 * The honest application beside tls_wait_hostile in
 * tests/attack/parked-tls-waits.sh, on the public SDK alone.  Once the
 * test says go (while the hostile one floods TLS), it makes 200 round
 * trips through a TLS echo server on one session and 5 new sessions,
 * timing each, and logs what it saw as RESULT lines (waiting.c).  It
 * keeps the first session open until it is stopped.
 */
#include <sealnet/sealnet.h>

#include "waiting.h"

SEALNET_COMPARTMENT("tls_wait_honest");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 4441);
/* The test opens this port when the round trips may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7008);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_QUOTA(sockets, 3);
SEALNET_RESTART(never, 0);

#define T	 (5 * SEALNET_SECOND)
#define SESSIONS 5u

static sealnet_tls_session kept;

static ssize_t
send_on(void *session, const void *data, size_t len)
{
	return tls_connection_send(T, *(sealnet_tls_session *)session, data,
				   len, 0);
}

static ssize_t
receive_on(void *session, void *data, size_t len)
{
	return tls_connection_receive_preallocated(
	    T, *(sealnet_tls_session *)session, data, len);
}

static int
round_trip(unsigned i)
{
	return waiting_echo(&kept, i, send_on, receive_on);
}

static int
fresh_session(unsigned i)
{
	sealnet_tls_session s;
	int rc = tls_connection_create(T, SEALNET_CAPABILITY(echo), &s);
	int closed;

	if (rc < 0)
		return rc;
	rc = waiting_echo(&s, i, send_on, receive_on);
	closed = tls_connection_close(T, s);
	return rc < 0 ? rc : closed;
}

int
main(void)
{
	static const struct waiting_honest honest = {
	    .round_trip = round_trip,
	    .fresh = fresh_session,
	    .fresh_count = SESSIONS,
	    .fresh_name = "sessions",
	};

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    tls_connection_create(T, SEALNET_CAPABILITY(echo), &kept) < 0) {
		sealnet_log("RESULT honest: no session");
		return 1;
	}
	if (waiting_honest_run(&honest, SEALNET_CAPABILITY(go)) < 0)
		return 1;
	/* Its session stays open, and the Firewall's rule for its
	 * connection, as before the attack. */
	return sealnet_run() < 0;
}
