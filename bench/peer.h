/*
 * What the kernel's sides of the benchmarks share (tls_peer, mqtt_peer,
 * and tests/tools/tcp_peer): the clock their figures are read on, a
 * connection by name as an application makes one, and the order their
 * samples are sorted in for a median.
 */
#ifndef SEALNET_BENCH_PEER_H
#define SEALNET_BENCH_PEER_H

#include <netdb.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double
peer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP connection to host's first address: a socket, or -1. */
static inline int
peer_connect(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	int s;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(s);
		s = -1;
	}
	freeaddrinfo(ai);
	return s;
}

/* qsort's comparison of doubles, smallest first. */
static inline int
peer_compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
