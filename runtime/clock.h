/* The one clock the runtime measures deadlines with, and its units. */
#ifndef SEALNET_CLOCK_H
#define SEALNET_CLOCK_H

#include <stdint.h>
#include <time.h>

#define SN_US	  1000ull
#define SN_MS	  1000000ull
#define SN_SECOND 1000000000ull

/* CLOCK_MONOTONIC in nanoseconds: what every deadline is written in. */
static inline uint64_t
sn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SN_SECOND + (uint64_t)ts.tv_nsec;
}

#endif
