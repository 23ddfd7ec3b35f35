/*
 * A second application of tests/tls-test.sh: once tls_test has a ticket
 * for www.test, this one's session there must not resume it; and without
 * the identity tls_test holds, mtls.test refuses it.
 */
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("tls_other");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(www, SEALNET_TCP, "www.test", 4433);
/* The server tls_test presents its identity to; this one has none. */
SEALNET_CONNECTION_CAPABILITY(mtls, SEALNET_TCP, "mtls.test", 4439);
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "go.test", 7013);
/* Left open when it exits: TCPIP closes it with its holder. */
SEALNET_CONNECTION_CAPABILITY(v13, SEALNET_TCP, "v13.test", 4431);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_RESTART(never, 0);

#define T (5 * SEALNET_SECOND)

static char page[16384];

static const char *
reason(int code)
{
	const char *tls = sealnet_tls_error_name(code);

	return tls != NULL ? tls : strerror(-code);
}

int
main(void)
{
	sealnet_tls_session s;
	sealnet_tls_info info;
	sealnet_socket signal;
	size_t have = 0;
	ssize_t n;
	int rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0)
		return 1;
	while (network_socket_connect_tcp(SEALNET_SECOND,
					  SEALNET_CAPABILITY(go), &signal) < 0)
		sealnet_wait(100 * SEALNET_MS);
	network_socket_close(SEALNET_SECOND, signal);
	rc = tls_connection_create_alpn(T, SEALNET_CAPABILITY(www), NULL, &s,
					&info);
	if (rc == 0) {
		static const char request[] = "GET / HTTP/1.0\r\n\r\n";

		n = tls_connection_send(T, s, request, sizeof(request) - 1, 0);
		while (n >= 0 && have < sizeof(page) - 1) {
			n = tls_connection_receive_preallocated(
			    T, s, page + have, sizeof(page) - 1 - have);
			if (n > 0)
				have += (size_t)n;
		}
		page[have] = 0;
		tls_connection_close(T, s);
		sealnet_log("RESULT other: resumed %d, the server says %s",
			    info.resumed,
			    strstr(page, "Reused, TLSv1.3") ? "reused"
			    : strstr(page, "New, TLSv1.3")  ? "new"
							    : "nothing");
	} else {
		sealnet_log("RESULT other: %s", reason(rc));
	}
	rc = tls_connection_create(T, SEALNET_CAPABILITY(mtls), &s);
	if (rc == 0) {
		/* In TLS 1.3 the server judges the client after the client
		 * has finished: its refusal comes with the first read. */
		n = tls_connection_send(T, s, "GET / HTTP/1.0\r\n\r\n", 18, 0);
		n = tls_connection_receive_preallocated(T, s, page,
							sizeof(page));
		tls_connection_close(T, s);
		rc = n < 0 ? (int)n : 0;
	}
	sealnet_log("RESULT other mtls without identity: %s",
		    rc == 0 ? "accepted" : reason(rc));
	rc = tls_connection_create(T, SEALNET_CAPABILITY(v13), &s);
	sealnet_log("RESULT other exits with a session open: %s",
		    rc == 0 ? "yes" : reason(rc));
	return 0;
}
