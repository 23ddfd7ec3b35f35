/*
 * Time in sealnet: every timeout an API function takes is a number of
 * nanoseconds, written with these units (5 * SEALNET_SECOND), and every
 * deadline is measured on the monotonic clock sealnet_now_ns() reads.
 */
#ifndef SEALNET_PUBLIC_TIME_H
#define SEALNET_PUBLIC_TIME_H

#include <stdint.h>

#define SEALNET_US     1000ull
#define SEALNET_MS     1000000ull
#define SEALNET_SECOND 1000000000ull

/* CLOCK_MONOTONIC in nanoseconds: it never goes back, and says nothing
 * about the time of day. */
uint64_t sealnet_now_ns(void);

#endif
