/*
 * The application of tests/attack/rule-table.sh, on the public SDK alone:
 * it fills the Firewall's rule table, which every compartment's
 * connections need, with UDP peers (16 a socket, a name the test's DNS
 * server answers with a new address each time), then connects over TCP
 * with the table full, counts the sockets its quota still allows, gives
 * its peers back and connects again.  It logs RESULT lines the test
 * reads.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

#define QUOTA 140 /* 140 sockets of 16 peers: more than the table holds */
#define T     (5 * SEALNET_SECOND)

SEALNET_COMPARTMENT("rules_filler");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_udp_authorise_host);
SEALNET_CONNECTION_CAPABILITY(echo_server, SEALNET_TCP, "echo.test", 7007);
SEALNET_CONNECTION_CAPABILITY(rotating, SEALNET_UDP, "rotating.test", 7009);
SEALNET_QUOTA(sockets, QUOTA);
SEALNET_RESTART(never, 0);

static sealnet_socket udp[QUOTA];
static unsigned nudp;

/* A connection to the echo server and one echo: 0, or the error. */
static int
echo_once(void)
{
	static const char ping[] = "rules";
	char back[sizeof(ping)];
	sealnet_socket s;
	size_t got = 0;
	int rc =
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo_server), &s);

	if (rc < 0)
		return rc;
	if (network_socket_send(T, s, ping, sizeof(ping)) != sizeof(ping))
		rc = -EIO;
	while (rc == 0 && got < sizeof(back)) {
		ssize_t n = network_socket_receive_preallocated(
		    T, s, back + got, sizeof(back) - got);

		if (n <= 0)
			rc = n < 0 ? (int)n : -EIO;
		else
			got += (size_t)n;
	}
	if (rc == 0 && memcmp(back, ping, sizeof(ping)) != 0)
		rc = -EBADMSG;
	if (network_socket_close(T, s) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* UDP peers until the Firewall's table refuses one: how many were let
 * through, and the error that stopped it in *why. */
static unsigned
fill(int *why)
{
	unsigned peers = 0;
	sealnet_address to;
	int rc = 0;

	while (nudp < QUOTA) {
		rc = network_socket_udp(T, 0, &udp[nudp]);
		if (rc < 0)
			break;
		nudp++;
		while ((rc = network_socket_udp_authorise_host(
			    T, udp[nudp - 1], SEALNET_CAPABILITY(rotating),
			    &to)) == 0)
			peers++;
		if (rc != -EDQUOT)
			break;
	}
	*why = rc;
	return peers;
}

/* Sockets the quota allows now, each opened and closed again. */
static unsigned
sockets_free(void)
{
	sealnet_socket s[QUOTA];
	unsigned n = 0;

	while (n < QUOTA && network_socket_udp(T, 0, &s[n]) == 0)
		n++;
	for (unsigned i = 0; i < n; i++)
		if (network_socket_close(T, s[i]) < 0)
			sealnet_log("RESULT rules_filler: a close failed");
	return n;
}

int
main(void)
{
	unsigned peers, free_now;
	int rc, why;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0) {
		sealnet_log("RESULT rules_filler: no network");
		return 1;
	}
	rc = echo_once();
	sealnet_log("RESULT rules_filler echo before: %s",
		    rc ? strerror(-rc) : "ok");
	peers = fill(&why);
	sealnet_log("RESULT rules_filler filled: %u peers on %u sockets, "
		    "then %s",
		    peers, nudp, strerror(-why));
	rc = echo_once();
	sealnet_log("RESULT rules_filler connect with the table full: %s",
		    rc ? strerror(-rc) : "ok");
	free_now = sockets_free();
	sealnet_log("RESULT rules_filler sockets free: %u, %u expected",
		    free_now, QUOTA - nudp);
	/* The test counts the SYNs that reached the server meanwhile. */
	if (sealnet_wait(2 * SEALNET_SECOND) < 0)
		return 1;
	for (unsigned i = 0; i < nudp; i++)
		if (network_socket_close(T, udp[i]) < 0)
			sealnet_log("RESULT rules_filler: a close failed");
	nudp = 0;
	/* The Firewall closes a port's peers when TCPIP asks, on its tick. */
	for (unsigned tries = 0; tries < 50; tries++) {
		rc = echo_once();
		if (rc == 0)
			break;
		sealnet_wait(100 * SEALNET_MS);
	}
	sealnet_log("RESULT rules_filler echo after giving them back: %s",
		    rc ? strerror(-rc) : "ok");
	return sealnet_run() < 0;
}
