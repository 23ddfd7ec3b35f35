/*
 * The application of tests/attack/listener-close.sh, on the public SDK
 * alone.  It listens on `first` (port 8080, at most 2 connections),
 * tries to listen on it a second time, accepts the first client and
 * leaves the second in the backlog, closes the listener, and counts the
 * sockets its quota still allows (as UDP sockets, closed again).  It
 * sends on the first client's connection and waits for a byte back (the
 * client sends it once it has seen that a new client gets no answer on
 * the closed port).  It listens on `first` again, with the first client's
 * connection still open on that port, accepts a third client and closes both.
 * Then it listens on `second` (port 8081, at most 1 connection), accepts one
 * client, waits until that client resets its connection (the socket stays open,
 * and counts), closes the first listener's connection, and tries to accept a
 * second client on `second`.  Last it listens on `third` (port 8082), and,
 * once the test has stopped the Firewall, closes CHURN UDP sockets, whose
 * holes TCPIP asks the Firewall to close until every call it may have
 * pending there is, then closes the listener: the word to shut 8082 can
 * go only once the Firewall runs again.  It logs what it saw as RESULT
 * lines; the test's clients wait for them.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

#define QUOTA 5
#define T     (5 * SEALNET_SECOND)
/* Long enough for the test's clients, which wait for a RESULT line. */
#define CLIENT_T (30 * SEALNET_SECOND)
/* More than the calls TCPIP may have pending at the Firewall (the
 * runtime's SN_MAX_PENDING, 128). */
#define CHURN 200u

SEALNET_COMPARTMENT("listener_close");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_listen_tcp);
SEALNET_IMPORT(network_socket_accept_tcp);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_close);
SEALNET_BIND_CAPABILITY(first, 8080, 2, false);
SEALNET_BIND_CAPABILITY(second, 8081, 1, false);
SEALNET_BIND_CAPABILITY(third, 8082, 1, false);
SEALNET_QUOTA(sockets, QUOTA);
SEALNET_RESTART(never, 0);

/* How many more sockets the quota allows now: each opened, then closed. */
static unsigned
sockets_left(void)
{
	sealnet_socket s[QUOTA];
	unsigned n = 0;
	int rc = 0;

	while (n < QUOTA && (rc = network_socket_udp(T, 0, &s[n])) == 0)
		n++;
	if (rc != -EDQUOT)
		sealnet_log("RESULT listener_close: a socket failed: %s",
			    strerror(-rc));
	for (unsigned i = 0; i < n; i++)
		if (network_socket_close(T, s[i]) < 0)
			sealnet_log("RESULT listener_close: a close failed");
	return n;
}

/* Backlog: the first listener's second client stays unasked for. */
static int
first_listener(sealnet_socket *accepted)
{
	sealnet_socket l, twice;
	int rc = network_socket_listen_tcp(T, SEALNET_CAPABILITY(first), &l);

	if (rc < 0) {
		sealnet_log("RESULT listener_close: listen: %s", strerror(-rc));
		return rc;
	}
	sealnet_log("RESULT listener_close listening on 8080");
	rc = network_socket_listen_tcp(T, SEALNET_CAPABILITY(first), &twice);
	sealnet_log("RESULT listener_close listening twice: %s",
		    rc < 0 ? strerror(-rc) : "listening");
	if (rc == 0 && network_socket_close(T, twice) < 0)
		sealnet_log("RESULT listener_close: a close failed");
	rc = network_socket_accept_tcp(CLIENT_T, l, accepted);
	if (rc < 0) {
		sealnet_log("RESULT listener_close: accept: %s", strerror(-rc));
		return rc;
	}
	/* The second client's handshake ends while this waits. */
	if (sealnet_wait(SEALNET_SECOND) < 0)
		return -EINTR;
	rc = network_socket_close(T, l);
	sealnet_log("RESULT listener_close closed its listener: %s",
		    rc < 0 ? strerror(-rc) : "ok");
	return rc;
}

/* The listener closed, its connection goes on both ways. */
static int
old_connection_goes_on(sealnet_socket accepted)
{
	char byte;
	ssize_t n = network_socket_send(T, accepted, "open", 4);

	if (n != 4) {
		sealnet_log("RESULT listener_close: send: %s",
			    n < 0 ? strerror((int)-n) : "short");
		return -EIO;
	}
	n = network_socket_receive_preallocated(CLIENT_T, accepted, &byte, 1);
	sealnet_log("RESULT listener_close the old connection after the "
		    "close: %s",
		    n == 1  ? "both ways"
		    : n < 0 ? strerror((int)-n)
			    : "ended");
	return n == 1 ? 0 : -EIO;
}

/* Its port again, a connection of the old listener's still open on it. */
static int
first_port_again(void)
{
	sealnet_socket l, third;
	int rc = network_socket_listen_tcp(T, SEALNET_CAPABILITY(first), &l);

	if (rc < 0) {
		sealnet_log(
		    "RESULT listener_close: listening on 8080 again: %s",
		    strerror(-rc));
		return rc;
	}
	sealnet_log("RESULT listener_close listening on 8080 again");
	rc = network_socket_accept_tcp(CLIENT_T, l, &third);
	sealnet_log("RESULT listener_close accept on 8080 again: %s",
		    rc < 0 ? strerror(-rc) : "accepted");
	if ((rc == 0 && network_socket_close(T, third) < 0) ||
	    network_socket_close(T, l) < 0) {
		sealnet_log("RESULT listener_close: a close failed");
		return -EIO;
	}
	return rc;
}

/* The second listener's one connection, reset by its client: open (and
 * counted) until it is closed here. */
static int
second_listener(sealnet_socket *l, sealnet_socket *held)
{
	char byte;
	ssize_t n;
	int rc = network_socket_listen_tcp(T, SEALNET_CAPABILITY(second), l);

	if (rc < 0) {
		sealnet_log("RESULT listener_close: listen again: %s",
			    strerror(-rc));
		return rc;
	}
	sealnet_log("RESULT listener_close listening on 8081");
	rc = network_socket_accept_tcp(CLIENT_T, *l, held);
	if (rc < 0) {
		sealnet_log("RESULT listener_close: accept on 8081: %s",
			    strerror(-rc));
		return rc;
	}
	sealnet_log("RESULT listener_close accepted on 8081");
	n = network_socket_receive_preallocated(CLIENT_T, *held, &byte, 1);
	sealnet_log("RESULT listener_close its client ended: %s",
		    n < 0 ? strerror((int)-n) : "data");
	return 0;
}

/* The test stops the Firewall on the "listening on 8082" line, within
 * the wait; each UDP socket's close is a call TCPIP makes to it. */
static void
third_listener_behind_a_stopped_firewall(void)
{
	sealnet_socket l, u;
	unsigned closed = 0;
	int rc = network_socket_listen_tcp(T, SEALNET_CAPABILITY(third), &l);

	if (rc < 0) {
		sealnet_log("RESULT listener_close: listen on 8082: %s",
			    strerror(-rc));
		return;
	}
	sealnet_log("RESULT listener_close listening on 8082");
	if (sealnet_wait(2 * SEALNET_SECOND) < 0)
		return;
	while (closed < CHURN && network_socket_udp(T, 0, &u) == 0 &&
	       network_socket_close(T, u) == 0)
		closed++;
	rc = network_socket_close(T, l);
	sealnet_log("RESULT listener_close closed 8082 after %u UDP sockets: "
		    "%s",
		    closed, rc < 0 ? strerror(-rc) : "ok");
}

int
main(void)
{
	sealnet_socket accepted, l, held, extra;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0) {
		sealnet_log("RESULT listener_close: no network");
		return 1;
	}
	if (first_listener(&accepted) < 0)
		return 1;
	sealnet_log("RESULT listener_close holds 1 socket, %u more allowed "
		    "of %u",
		    sockets_left(), QUOTA);
	if (old_connection_goes_on(accepted) < 0 || first_port_again() < 0 ||
	    second_listener(&l, &held) < 0)
		return 1;
	rc = network_socket_close(T, accepted);
	sealnet_log("RESULT listener_close closed the first connection: %s",
		    rc < 0 ? strerror(-rc) : "ok");
	rc = network_socket_accept_tcp(T, l, &extra);
	sealnet_log("RESULT listener_close second accept on 8081: %s",
		    rc < 0 ? strerror(-rc) : "accepted");
	if (rc == 0 && network_socket_close(T, extra) < 0)
		sealnet_log("RESULT listener_close: a close failed");
	third_listener_behind_a_stopped_firewall();
	sealnet_log("RESULT listener_close done");
	return sealnet_run() < 0;
}
