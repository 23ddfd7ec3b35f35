/*
 * Fetches https://example.com/ and prints the response body on standard
 * output, as 02.http does over plain HTTP.  The TLS compartment runs the
 * handshake and holds the keys; this compartment holds the capability to
 * reach example.com on port 443, and sees only plaintext.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("https_client");
SEALNET_IMPORT(network_host_get);
/* tls_connection_create connects with our capability, then hands the
 * socket to the TLS compartment through TCPIP. */
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_CONNECTION_CAPABILITY(example_com, SEALNET_TCP, "example.com", 443);
SEALNET_QUOTA(tls_sessions, 1);
SEALNET_RESTART(never, 0);

static char response[64 * 1024];

/* The reason for a failure, TLS's own codes included. */
static const char *
reason(int code)
{
	const char *tls = sealnet_tls_error_name(code);

	return tls != NULL ? tls : strerror(-code);
}

int
main(void)
{
	static const char request[] = "GET / HTTP/1.1\r\n"
				      "Host: example.com\r\n"
				      "Connection: close\r\n\r\n";
	sealnet_tls_session s;
	sealnet_tls_info info;
	size_t have = 0;
	ssize_t n;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = tls_connection_create_alpn(10 * SEALNET_SECOND,
						SEALNET_CAPABILITY(example_com),
						"http/1.1", &s, &info);
	if (rc < 0) {
		sealnet_log("cannot reach https://example.com/: %s",
			    reason(rc));
		return 1;
	}
	sealnet_log("TLS 1.%d to example.com%s", info.version == 0x0304 ? 3 : 2,
		    info.resumed ? ", resumed" : "");
	n = tls_connection_send(10 * SEALNET_SECOND, s, request,
				sizeof(request) - 1, 0);
	if (n != (ssize_t)sizeof(request) - 1) {
		sealnet_log("cannot send the request: %s",
			    n < 0 ? reason((int)n) : "cut short");
		tls_connection_close(SEALNET_SECOND, s);
		return 1;
	}
	while (n >= 0 && have < sizeof(response) - 1) {
		n = tls_connection_receive_preallocated(
		    10 * SEALNET_SECOND, s, response + have,
		    sizeof(response) - 1 - have);
		if (n > 0)
			have += (size_t)n;
	}
	tls_connection_close(SEALNET_SECOND, s);
	/* The server ends the response by closing: close_notify, or (as
	 * many servers do) the connection alone. */
	if (n < 0 && n != SEALNET_TLS_EPEER_CLOSED &&
	    !(n == SEALNET_TLS_EPEER_RESET && have > 0)) {
		sealnet_log("receive failed: %s", reason((int)n));
		return 1;
	}
	response[have] = 0;
	char *body = strstr(response, "\r\n\r\n");
	sealnet_log("%.*s; %zu bytes", (int)strcspn(response, "\r"), response,
		    have);
	fputs(body ? body + 4 : response, stdout);
	fflush(stdout);
	return 0;
}
