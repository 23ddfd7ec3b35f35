/*
 * Hop timestamps, for finding where a message's time goes on its way
 * through the compartments (docs/performance.md, "One MQTT round trip").
 * Included by path from the compartments and the SDK that have points:
 * it is a bench's tool, not part of any interface.
 *
 * Compiled in only with -DSEALNET_HOP_TRACE:
 *
 *	make BUILD=build/trace EXTRA_CFLAGS=-DSEALNET_HOP_TRACE
 *	HOP_TRACE=1 KEEP_LOG=FILE scripts/bench-mqtt.sh build/trace
 *	scripts/mqtt-hops FILE.traffic
 *
 * Otherwise a point is nothing at all: no cost, no noise in any log.
 *
 * A point records CLOCK_MONOTONIC, which every process on the machine
 * shares, so that the points of different compartments can be put in
 * one order, with what it counts (bytes, frames, events).  Records go to
 * memory, the last SEALNET_HOP_RECORDS of them: writing each at once
 * would cost a system call per point and would meet the supervisor's
 * limit of lines a second, which drops the rest.  SIGUSR1 writes them
 * out, and so does a compartment's exit, several to a line:
 *
 *	hops NANOSECONDS WHERE NUMBER;NANOSECONDS WHERE NUMBER;...
 *
 * The records are one set per process, whichever of its files records:
 * the definitions below are weak, and the linker keeps one.
 */
#ifndef SEALNET_HOP_TRACE_H
#define SEALNET_HOP_TRACE_H

#ifdef SEALNET_HOP_TRACE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SEALNET_HOP_RECORDS 2048u
#define SEALNET_HOP_LINE    400u

struct sealnet_hop_record {
	unsigned long long ns, number;
	const char *where;
};

__attribute__((weak)) struct {
	struct sealnet_hop_record record[SEALNET_HOP_RECORDS];
	unsigned long long next;
	int handler_set;
} sealnet_hops;

/* In a signal handler: snprintf is not on POSIX's list, but touches
 * nothing the interrupted code could hold (no locale, no allocation),
 * and this is a diagnostic build. */
static inline void
sealnet_hop_dump(int signal)
{
	unsigned long long end = sealnet_hops.next;
	unsigned long long i =
	    end > SEALNET_HOP_RECORDS ? end - SEALNET_HOP_RECORDS : 0;
	char line[SEALNET_HOP_LINE + 64];
	size_t len = 0;

	(void)signal;
	for (; i < end; i++) {
		const struct sealnet_hop_record *r =
		    &sealnet_hops.record[i % SEALNET_HOP_RECORDS];
		int n = snprintf(line + len, sizeof(line) - len,
				 "%s%llu %s %llu", len == 0 ? "hops " : ";",
				 r->ns, r->where, r->number);

		if (n > 0 && len + (size_t)n < sizeof(line))
			len += (size_t)n;
		if (len >= SEALNET_HOP_LINE || i + 1 == end) {
			line[len++] = '\n';
			if (write(STDERR_FILENO, line, len) < 0)
				return;
			len = 0;
		}
	}
	sealnet_hops.next = 0;
}

static inline void
sealnet_hop_exit(void)
{
	sealnet_hop_dump(0);
}

static inline void
sealnet_hop(const char *where, unsigned long long number)
{
	struct sealnet_hop_record *r =
	    &sealnet_hops.record[sealnet_hops.next++ % SEALNET_HOP_RECORDS];
	struct timespec ts;

	if (!sealnet_hops.handler_set) {
		struct sigaction sa = {.sa_handler = sealnet_hop_dump,
				       .sa_flags = SA_RESTART};

		sealnet_hops.handler_set = sigaction(SIGUSR1, &sa, NULL) == 0 &&
					   atexit(sealnet_hop_exit) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->ns = (unsigned long long)ts.tv_sec * 1000000000ull +
		(unsigned long long)ts.tv_nsec;
	r->where = where;
	r->number = number;
}
#define SEALNET_HOP(where, number)                                             \
	sealnet_hop(where, (unsigned long long)(number))
#else
#define SEALNET_HOP(where, number) ((void)(number))
#endif

#endif
