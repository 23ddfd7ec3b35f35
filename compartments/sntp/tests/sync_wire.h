/*
 * What the core's tests share: the state under test, times, and plain
 * NTP replies written byte by byte.
 */
#ifndef SEALNET_SNTP_TESTS_SYNC_WIRE_H
#define SEALNET_SNTP_TESTS_SYNC_WIRE_H

#include <string.h>

#include "sync.h"

#define S     1000000000ll
#define MS    1000000ll
#define NOW0  (1000 * S) /* CLOCK_MONOTONIC at the start */
#define T2024 (1718000000ll * S)

static struct sync s;
static uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];

/* v into p[0..n), network byte order. */
static inline void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
ntp_ts(int64_t unix_ns)
{
	struct ntp_unix_time t = {.seconds = unix_ns / S,
				  .nanoseconds = (uint32_t)(unix_ns % S)};
	uint64_t v = 0;

	ntp_from_unix(&t, &v);
	return v;
}

/* A server's reply: origin, its receive and transmit times. */
static inline size_t
reply(uint64_t origin, int64_t t2, int64_t t3, uint8_t stratum,
      const char *kiss, int8_t poll)
{
	memset(rep, 0, 48);
	rep[0] = 0x24; /* LI 0, version 4, mode 4 */
	rep[1] = stratum;
	rep[2] = (uint8_t)poll;
	rep[3] = (uint8_t)-20;
	put_be(rep + 4, 0x00000100, 4); /* root delay: 4 ms */
	put_be(rep + 8, 0x00000100, 4); /* root dispersion */
	if (kiss != NULL)
		memcpy(rep + 12, kiss, 4);
	put_be(rep + 16, ntp_ts(t2 - 10 * S), 8);
	put_be(rep + 24, origin, 8);
	put_be(rep + 32, ntp_ts(t2), 8);
	put_be(rep + 40, ntp_ts(t3), 8);
	return 48;
}

#endif
