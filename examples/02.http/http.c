/*
 * Fetches http://example.com/ and prints the response body on standard
 * output.  The only host this compartment can reach is example.com, port
 * 80: the capability below is all it holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("http_client");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(example_com, SEALNET_TCP, "example.com", 80);
SEALNET_RESTART(never, 0);

static char response[64 * 1024];

int
main(void)
{
	static const char request[] = "GET / HTTP/1.0\r\n"
				      "Host: example.com\r\n"
				      "Connection: close\r\n\r\n";
	sealnet_socket s;
	size_t have = 0;
	ssize_t n;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = network_socket_connect_tcp(
		    10 * SEALNET_SECOND, SEALNET_CAPABILITY(example_com), &s);
	if (rc < 0) {
		sealnet_log("cannot connect to example.com: %s", strerror(-rc));
		return 1;
	}
	n = network_socket_send(10 * SEALNET_SECOND, s, request,
				sizeof(request) - 1);
	if (n != (ssize_t)sizeof(request) - 1) {
		if (n < 0)
			sealnet_log("cannot send the request: %s",
				    strerror((int)-n));
		else
			sealnet_log(
			    "cannot send the request: only %zd bytes went", n);
		network_socket_close(SEALNET_SECOND, s);
		return 1;
	}
	while (n >= 0 && have < sizeof(response) - 1) {
		n = network_socket_receive_preallocated(
		    10 * SEALNET_SECOND, s, response + have,
		    sizeof(response) - 1 - have);
		if (n > 0)
			have += (size_t)n;
	}
	network_socket_close(SEALNET_SECOND, s);
	/* The end of the response is the server closing: -ENOTCONN. */
	if (n < 0 && n != -ENOTCONN) {
		sealnet_log("receive failed: %s", strerror((int)-n));
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
