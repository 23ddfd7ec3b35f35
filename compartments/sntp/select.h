/*
 * Choosing the time from several servers, and how often to ask each.
 * Pure: no I/O, no clock, caller-owned state.
 *
 * select_time: each sample stands for the interval offset +- root
 * distance (delay / 2 + dispersion), which holds the true offset if the
 * server is honest.  Samples with a root distance over
 * SELECT_MAX_DISTANCE_NS, or a stratum outside 1..15, are not
 * candidates.  The intersection step (Marzullo's algorithm as RFC 5905
 * section 11.2.1 uses it) looks for the smallest interval shared by all
 * candidates but f, for f = 0, 1, ... while f < n / 2: a majority must
 * agree.  Samples whose intervals meet that interval survive
 * (truechimers); the others are falsetickers.  The result is the
 * survivors' offsets averaged with weights 1 / root distance.
 *
 *   0         a time was chosen
 *   -EINVAL   more than SELECT_MAX_SAMPLES samples, a negative delay or
 *             dispersion, or an offset beyond SELECT_MAX_ABS_OFFSET_NS
 *   -ENODATA  no sample is a candidate
 *   -EDOM     no majority of candidates agree on any interval
 *
 * Poll state: one per server.  The interval is 2^poll seconds, poll in
 * [min_poll, max_poll] within RFC 5905's 4..17.  It doubles after
 * SELECT_STABLE_SAMPLES truechimer samples in a row; a falseticker
 * sample drops it back to min_poll; a lost reply doubles it (so an
 * unreachable server is asked less often); Kiss-o'-Death RATE doubles it
 * and raises it at least to the poll the server asked for; DENY and RSTR
 * mark the server unusable until the caller resets it.
 */
#ifndef SEALNET_SNTP_SELECT_H
#define SEALNET_SNTP_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sntp_const.h"

struct select_sample {
	uint16_t server; /* the caller's id; reported back in the result */
	uint8_t stratum;
	int64_t offset_ns;
	/* Round trip to the server's reference: on-wire delay plus the
	 * server's root delay. */
	int64_t delay_ns;
	/* Error beyond the delay: the server's root dispersion plus
	 * whatever the caller adds for precision and the sample's age. */
	int64_t dispersion_ns;
};

struct select_result {
	int64_t offset_ns; /* add to our clock */
	/* The interval the majority agreed on. */
	int64_t low_ns;
	int64_t high_ns;
	unsigned candidates;
	unsigned survivors;
	/* By sample index: true for the survivors. */
	bool truechimer[SELECT_MAX_SAMPLES];
};

int select_time(const struct select_sample *samples, size_t n,
		struct select_result *out);

/* The root distance select_time gives a sample: delay / 2 + dispersion. */
int64_t select_root_distance(const struct select_sample *s);

struct select_server {
	uint8_t min_poll;
	uint8_t max_poll;
	uint8_t poll;
	bool usable;	 /* false after DENY or RSTR */
	unsigned stable; /* truechimer samples in a row */
};

/* -EINVAL unless SELECT_MIN_POLL <= min_poll <= max_poll <=
 * SELECT_MAX_POLL.  Starts at min_poll, usable. */
int select_server_init(struct select_server *s, uint8_t min_poll,
		       uint8_t max_poll);
/* A sample from this server took part in a selection. */
void select_server_sample(struct select_server *s, bool truechimer);
/* The request went unanswered. */
void select_server_timeout(struct select_server *s);
/*
 * A Kiss-o'-Death, as ntp_reply_decode returned it (-EBUSY for RATE,
 * -EACCES for DENY, -EPERM for RSTR; others are ignored here) and the
 * poll exponent the server's packet carried.
 */
void select_server_kiss(struct select_server *s, int kiss, int8_t server_poll);
/* Seconds until the next request. */
uint32_t select_server_interval(const struct select_server *s);

#endif
