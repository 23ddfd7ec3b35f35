/*
 * The transport measurements sealnet-bench sets beside a sealnet call:
 * the same round trip over a SOCK_SEQPACKET socketpair, over a bare
 * channel, and an ordinary function call, each between two processes
 * (except the function call) and each timed per iteration.
 */
#ifndef SEALNET_BENCH_TRANSPORT_H
#define SEALNET_BENCH_TRANSPORT_H

#include <stdint.h>

struct bench_result {
	double median_ns;
	double p99_ns;
	unsigned iterations;
};

/* Sorts samples in place and fills *out. */
void bench_summarise(uint64_t *samples, unsigned n, struct bench_result *out);

int bench_socketpair_rtt(unsigned iterations, struct bench_result *out);
/* With pause_ns, the caller sleeps that long before each round trip, so
 * that the echoing side has gone to sleep and each round trip pays two
 * wake-ups, as a call to an idle compartment does. */
int bench_channel_rtt(unsigned iterations, uint64_t pause_ns,
		      struct bench_result *out);
/* Times iterations calls (at least 1000), in batches of 1000, and reports
 * the cost of one call. */
int bench_function_call(unsigned iterations, struct bench_result *out);

#endif
