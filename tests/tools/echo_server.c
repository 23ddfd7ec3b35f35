/*
 * Echo servers for the network tests, run in the server namespace:
 *   echo_server PORT        TCP, every connection in one process
 *   echo_server udp PORT    UDP, each datagram back to its sender
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_loop.h"

static char buf[65536];

static int
udp_echo(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || bind(s, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		perror("echo_server");
		return 1;
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from,
			       fl);
	}
}

/* Back what came, in order; nothing more is read while an answer waits
 * for room, so a client that does not read holds only what it sent. */
static enum conn_next
echo(struct conn *c, void *ctx)
{
	int rc = conn_flush(c);

	(void)ctx;
	/* Bounded, so that one busy connection leaves room for the others:
	 * the loop comes back while there is more to read. */
	for (int round = 0; round < 16 && rc == 0; round++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && !conn_would_block()))
			return CONN_CLOSE;
		if (n < 0)
			return CONN_READ;
		rc = conn_send(c, buf, (size_t)n);
	}
	return rc < 0 ? CONN_CLOSE : rc > 0 ? CONN_WRITE : CONN_READ;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	int one = 1, zero = 0, s;

	if (argc == 3 && strcmp(argv[1], "udp") == 0) {
		a.sin_port = htons((unsigned short)atoi(argv[2]));
		return udp_echo(&a);
	}
	if (argc != 2)
		return 2;
	/* IPv4 and IPv6 on one socket. */
	a6.sin6_port = htons((unsigned short)atoi(argv[1]));
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* The system's most: a SYN that finds the accept queue full is
	 * dropped, and a test's connect would wait seconds for the retry. */
	if (s < 0 || bind(s, (struct sockaddr *)&a6, sizeof(a6)) < 0 ||
	    listen(s, SOMAXCONN) < 0) {
		perror("echo_server");
		return 1;
	}
	return conn_loop_run(s, 0, NULL, echo, NULL);
}
