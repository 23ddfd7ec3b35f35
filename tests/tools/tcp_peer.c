/*
 * The kernel's side of the TCP benchmark.
 *
 *   tcp_peer sink PORT            accept, read until EOF, repeat
 *   tcp_peer source PORT BYTES    accept, write BYTES, close, repeat
 *   tcp_peer paced PORT BYTES MBPS  the same, each connection paced by
 *                                 the kernel at MBPS megabytes a second
 *                                 (SO_MAX_PACING_RATE), as a sender
 *                                 under BBR or behind fq paces
 *   tcp_peer counted PORT BYTES   the same, and once the peer has closed,
 *                                 print "BYTES bytes written, R segments
 *                                 retransmitted" (the kernel's count)
 *   tcp_peer send HOST PORT BYTES     connect, write, print MB/s
 *   tcp_peer recv HOST PORT BYTES     connect, read BYTES, print MB/s
 *                                     (send and recv print nothing and
 *                                     exit 1 unless all BYTES moved)
 *   tcp_peer connect HOST PORT N      N x (getaddrinfo + connect),
 *                                     print the median and the slowest
 *                                     in microseconds
 *   tcp_peer pairs PORT           accept; answer each read with two
 *                                 one-byte writes, Nagle's algorithm on,
 *                                 as an MQTT broker answers a publish
 *                                 with a PUBACK and the message itself
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

static char buf[256 * 1024];

/* The backlog is the system's most: the kernel drops a SYN its accept
 * queue has no room for, and with 16 the accept loop, forking a child
 * per connection, fell 16 behind a run of 20 connects now and then, so
 * that one connect waited for a SYN sent again 3 s later. */
static int
listen_on(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((unsigned short)port)};
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, SOMAXCONN) < 0)
		return -1;
	return s;
}

enum mode { SINK, SOURCE, COUNTED, PAIRS };

/* What the kernel retransmitted of a source's bytes, once its peer has
 * read them all and closed. */
static void
print_retransmitted(int c, long long bytes)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (shutdown(c, SHUT_WR) < 0)
		_exit(1);
	while (read(c, buf, sizeof(buf)) > 0)
		;
	if (getsockopt(c, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		_exit(1);
	printf("%lld bytes written, %u segments retransmitted\n", bytes,
	       info.tcpi_total_retrans);
	fflush(stdout);
}

/* Serves one connection in a child: reads until EOF (sink), or writes
 * bytes and closes (source, counted). */
static void
serve(int c, enum mode mode, long long bytes)
{
	long long left = bytes;

	if (mode == SINK)
		while (read(c, buf, sizeof(buf)) > 0)
			;
	else
		while (left > 0) {
			ssize_t n =
			    write(c, buf,
				  left < (long long)sizeof(buf) ? (size_t)left
								: sizeof(buf));
			if (n <= 0)
				break;
			left -= n;
		}
	if (mode == COUNTED)
		print_retransmitted(c, bytes - left);
	_exit(0);
}

/* pairs: the second write waits, by Nagle's algorithm, until the peer
 * has acknowledged the first. */
static void
answer_pairs(int c)
{
	while (read(c, buf, sizeof(buf)) > 0)
		if (write(c, "a", 1) != 1 || write(c, "b", 1) != 1)
			break;
	_exit(0);
}

/* sink and source: never return but on failure.  pace: bytes a second
 * for each connection, 0 for as fast as the window allows. */
static int
server(int port, enum mode mode, long long bytes, unsigned long long pace)
{
	int l = listen_on(port);

	if (l < 0)
		return 1;
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		/* A connection that would not be paced would make the run
		 * another benchmark's: refused. */
		if (pace != 0 && setsockopt(c, SOL_SOCKET, SO_MAX_PACING_RATE,
					    &pace, sizeof(pace)) < 0) {
			perror("tcp_peer: SO_MAX_PACING_RATE");
			close(c);
			continue;
		}
		if (fork() == 0) {
			if (mode == PAIRS)
				answer_pairs(c);
			serve(c, mode, bytes);
		}
		close(c);
	}
}

/* send and recv: the rate of the whole transfer, in MB/s. */
static int
transfer(const char *what, const char *host, const char *port, long long bytes)
{
	long long done = 0;
	int s = peer_connect(host, port);
	double t0 = peer_now();

	if (s < 0)
		return 1;
	while (done < bytes) {
		ssize_t n = what[0] == 's' ? write(s, buf, sizeof(buf))
					   : read(s, buf, sizeof(buf));
		if (n <= 0)
			break;
		done += n;
	}
	if (what[0] == 's' && shutdown(s, SHUT_WR) < 0)
		done = -1;
	close(s);
	/* A figure only for the whole transfer. */
	if (done < bytes) {
		fprintf(stderr,
			"tcp_peer: %s stopped after %lld of %lld bytes\n", what,
			done, bytes);
		return 1;
	}
	printf("%.1f\n", (double)done / 1e6 / (peer_now() - t0));
	return 0;
}

/* connect: the median and the slowest of n connections' times, in
 * microseconds. */
static int
connect_times(const char *host, const char *port, int n)
{
	double *t = n > 0 ? calloc((size_t)n, sizeof(double)) : NULL;

	if (t == NULL)
		return 2;
	for (int i = 0; i < n; i++) {
		double t0 = peer_now();
		int s = peer_connect(host, port);
		t[i] = peer_now() - t0;
		if (s < 0)
			return 1;
		close(s);
	}
	qsort(t, (size_t)n, sizeof(double), peer_compare_doubles);
	printf("%.0f %.0f\n", t[n / 2] * 1e6, t[n - 1] * 1e6);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "sink"))
		return server(atoi(argv[2]), SINK, 0, 0);
	if (argc == 4 && !strcmp(argv[1], "source"))
		return server(atoi(argv[2]), SOURCE, atoll(argv[3]), 0);
	if (argc == 5 && !strcmp(argv[1], "paced")) {
		char *end;
		unsigned long long mbps = strtoull(argv[4], &end, 10);

		if (*argv[4] == '\0' || *end != '\0' || mbps == 0 ||
		    mbps > 1000000) {
			fprintf(stderr, "tcp_peer: paced: MBPS must be a whole "
					"number from 1 to 1000000\n");
			return 2;
		}
		return server(atoi(argv[2]), SOURCE, atoll(argv[3]),
			      mbps * 1000000ull);
	}
	if (argc == 4 && !strcmp(argv[1], "counted"))
		return server(atoi(argv[2]), COUNTED, atoll(argv[3]), 0);
	if (argc == 3 && !strcmp(argv[1], "pairs"))
		return server(atoi(argv[2]), PAIRS, 0, 0);
	if (argc == 5 && (!strcmp(argv[1], "send") || !strcmp(argv[1], "recv")))
		return transfer(argv[1], argv[2], argv[3], atoll(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_times(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: see tcp_peer.c\n");
	return 2;
}
