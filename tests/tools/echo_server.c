/*
 * Echo servers for the network tests, run in the server namespace:
 *   echo_server PORT        TCP, one process per connection
 *   echo_server udp PORT    UDP, each datagram back to its sender
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
udp_echo(const struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[65536];

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
	signal(SIGCHLD, SIG_IGN);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* The system's most: a SYN that finds the accept queue full is
	 * dropped, and a test's connect would wait seconds for the retry
	 * while this loop forks its children. */
	if (s < 0 || bind(s, (struct sockaddr *)&a6, sizeof(a6)) < 0 ||
	    listen(s, SOMAXCONN) < 0) {
		perror("echo_server");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		char buf[65536];
		ssize_t n;

		if (c < 0)
			continue;
		if (fork() == 0) {
			close(s);
			while ((n = read(c, buf, sizeof(buf))) > 0)
				if (write(c, buf, (size_t)n) != n)
					break;
			_exit(0);
		}
		close(c);
	}
}
