/*
 * Serves one page on TCP port 80, to at most four clients at once (the
 * bind capability's limit, which the Firewall enforces on incoming SYNs).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("http_server");
SEALNET_IMPORT(network_socket_listen_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_accept_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_BIND_CAPABILITY(web, 80, 4, false);
SEALNET_RESTART(on_failure, 5);

static const char page[] =
    "<!doctype html>\n<title>sealnet</title>\n"
    "<p>Served by a sealnet application compartment, through NetAPI, "
    "TCPIP and the Firewall, each in its own sandbox.</p>\n";

static void
serve(sealnet_socket c, unsigned long count)
{
	char request[2048], header[256];
	size_t have = 0;

	/* Read the request head; its contents do not change the page. */
	while (have < sizeof(request) - 1) {
		ssize_t n = network_socket_receive_preallocated(
		    5 * SEALNET_SECOND, c, request + have,
		    sizeof(request) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		request[have] = 0;
		if (strstr(request, "\r\n\r\n"))
			break;
	}
	int len = snprintf(header, sizeof(header),
			   "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
			   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			   sizeof(page) - 1);
	if (network_socket_send(5 * SEALNET_SECOND, c, header, (size_t)len) ==
		len &&
	    network_socket_send(5 * SEALNET_SECOND, c, page,
				sizeof(page) - 1) == (ssize_t)sizeof(page) - 1)
		sealnet_log("served request %lu", count);
	network_socket_close(SEALNET_SECOND, c);
}

int
main(void)
{
	sealnet_socket listener, c;
	unsigned long count = 0;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = network_socket_listen_tcp(
		    5 * SEALNET_SECOND, SEALNET_CAPABILITY(web), &listener);
	if (rc < 0) {
		sealnet_log("cannot listen on port 80: %s", strerror(-rc));
		return 1;
	}
	sealnet_log("listening on port 80");
	for (;;) {
		rc = network_socket_accept_tcp(3600 * SEALNET_SECOND, listener,
					       &c);
		if (rc == 0)
			serve(c, ++count);
		else if (rc != -ETIMEDOUT)
			return 1;
	}
}
