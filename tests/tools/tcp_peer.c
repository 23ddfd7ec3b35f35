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

#include "conn_loop.h"
#include "peer.h"

static char buf[256 * 1024];

/* The backlog is the system's most: the kernel drops a SYN its accept
 * queue has no room for, and with 16 a run of 20 connects now and then
 * found it full, so that one connect waited for a SYN sent again 3 s
 * later. */
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

struct server {
	enum mode mode;
	long long bytes;
	/* Bytes a second for each connection, 0 for as fast as the window
	 * allows. */
	unsigned long long pace;
};

/* A counted connection's stages: writing, then waiting for the peer to
 * read it all and close. */
enum { WRITING, DRAINING };

/* What the kernel retransmitted of a source's bytes, once its peer has
 * read them all and closed. */
static enum conn_next
print_retransmitted(struct conn *c, long long bytes)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	/* Without the figure the test that asked for it fails. */
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) {
		perror("tcp_peer: TCP_INFO");
		return CONN_CLOSE;
	}
	printf("%lld bytes written, %u segments retransmitted\n", bytes,
	       info.tcpi_total_retrans);
	fflush(stdout);
	return CONN_CLOSE;
}

/* Reads what is there: CONN_CLOSE once the peer has closed. */
static enum conn_next
read_all(struct conn *c)
{
	ssize_t n = 0;

	while ((n = read(c->fd, buf, sizeof(buf))) > 0)
		;
	return n < 0 && conn_would_block() ? CONN_READ : CONN_CLOSE;
}

/* source and counted: writes the connection's bytes, then closes (or,
 * counted, waits for the peer to close). */
static enum conn_next
write_bytes(struct conn *c, const struct server *srv)
{
	if (c->stage == DRAINING) {
		if (read_all(c) == CONN_READ)
			return CONN_READ;
		return print_retransmitted(c, srv->bytes - c->left);
	}
	while (c->left > 0) {
		ssize_t n =
		    write(c->fd, buf,
			  c->left < (long long)sizeof(buf) ? (size_t)c->left
							   : sizeof(buf));
		if (n < 0 && conn_would_block())
			return CONN_WRITE;
		if (n <= 0)
			break;
		c->left -= n;
	}
	if (srv->mode != COUNTED)
		return CONN_CLOSE;
	if (shutdown(c->fd, SHUT_WR) < 0) {
		perror("tcp_peer: shutdown");
		return CONN_CLOSE;
	}
	c->stage = DRAINING;
	return read_all(c) == CONN_READ
		   ? CONN_READ
		   : print_retransmitted(c, srv->bytes - c->left);
}

/* pairs: the second write waits, by Nagle's algorithm, until the peer
 * has acknowledged the first. */
static enum conn_next
answer_pairs(struct conn *c)
{
	int rc = conn_flush(c);
	ssize_t n = 0;

	while (rc == 0 && (n = read(c->fd, buf, sizeof(buf))) > 0)
		if ((rc = conn_send(c, "a", 1)) == 0)
			rc = conn_send(c, "b", 1);
	if (rc != 0)
		return rc > 0 ? CONN_WRITE : CONN_CLOSE;
	return n < 0 && conn_would_block() ? CONN_READ : CONN_CLOSE;
}

static enum conn_next
serve(struct conn *c, void *ctx)
{
	const struct server *srv = ctx;

	switch (srv->mode) {
	case SINK:
		return read_all(c);
	case PAIRS:
		return answer_pairs(c);
	default:
		return write_bytes(c, srv);
	}
}

static int
accepted(struct conn *c, void *ctx)
{
	const struct server *srv = ctx;

	c->left = srv->bytes;
	/* A connection that would not be paced would make the run another
	 * benchmark's: refused. */
	if (srv->pace != 0 && setsockopt(c->fd, SOL_SOCKET, SO_MAX_PACING_RATE,
					 &srv->pace, sizeof(srv->pace)) < 0) {
		perror("tcp_peer: SO_MAX_PACING_RATE");
		return -1;
	}
	return 0;
}

/* The servers: never return but on failure. */
static int
server(int port, enum mode mode, long long bytes, unsigned long long pace)
{
	static struct server srv;
	int l = listen_on(port);

	if (l < 0)
		return 1;
	srv = (struct server){mode, bytes, pace};
	return conn_loop_run(l, mode == SOURCE || mode == COUNTED, accepted,
			     serve, &srv);
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
