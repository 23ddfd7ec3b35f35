/*
 * tests/sntp-tls-test.sh's TLS client: once a second it connects to two
 * servers whose certificates differ only in their dates, and prints what
 * each handshake said, one line a round:
 *
 *	tls_clock: round=N now=ok future=not_yet_valid
 *
 * now.test's certificate is valid from an hour ago for a day; future.test's
 * from a year ahead for two years.  Which of them TLS accepts shows the
 * time it checked certificate dates at.  It imports nothing from SNTP:
 * the clock is TLS's own choice.
 */
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("tls_clock");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(now, SEALNET_TCP, "now.test", 4441);
SEALNET_CONNECTION_CAPABILITY(future, SEALNET_TCP, "future.test", 4442);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_QUOTA(sockets, 4);
SEALNET_RESTART(never, 0);

#define TIMEOUT (5 * SEALNET_SECOND)
#define ROUNDS	300

static const char *
handshake(const struct sealnet_declaration *capability)
{
	static char other[32];
	sealnet_tls_session s;
	int rc = tls_connection_create(TIMEOUT, capability, &s);
	const char *name;

	if (rc == 0) {
		(void)tls_connection_close(TIMEOUT, s);
		return "ok";
	}
	name = sealnet_tls_error_name(rc);
	if (name != NULL)
		return name;
	snprintf(other, sizeof(other), "errno%d", -rc);
	return other;
}

int
main(void)
{
	if (sealnet_start() < 0)
		return 1;
	for (int round = 1; round <= ROUNDS; round++) {
		char now[32];

		snprintf(now, sizeof(now), "%s",
			 handshake(SEALNET_CAPABILITY(now)));
		printf("tls_clock: round=%d now=%s future=%s\n", round, now,
		       handshake(SEALNET_CAPABILITY(future)));
		fflush(stdout);
		sealnet_wait(SEALNET_SECOND);
	}
	return 0;
}
