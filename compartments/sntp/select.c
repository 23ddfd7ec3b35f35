/* Server selection and poll intervals. */
#include "select.h"

#include <errno.h>
#include <math.h>
#include <string.h>

struct endpoint {
	int64_t value;
	int type; /* -1 the low end of an interval, +1 the high end */
};

int64_t
select_root_distance(const struct select_sample *s)
{
	int64_t d;

	/* Saturates: a distance that large is no candidate anyway. */
	if (__builtin_add_overflow(s->delay_ns / 2, s->dispersion_ns, &d))
		return INT64_MAX;
	return d;
}

/* Low ends before high ends at equal values, so that intervals that
 * merely touch still count as overlapping. */
static bool
endpoint_before(const struct endpoint *a, const struct endpoint *b)
{
	return a->value < b->value ||
	       (a->value == b->value && a->type < b->type);
}

static void
sort_endpoints(struct endpoint *e, size_t n)
{
	/* At most 2 * SELECT_MAX_SAMPLES entries: insertion sort. */
	for (size_t i = 1; i < n; i++) {
		struct endpoint key = e[i];
		size_t j = i;

		while (j > 0 && endpoint_before(&key, &e[j - 1])) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = key;
	}
}

static bool
is_candidate(const struct select_sample *s)
{
	return s->stratum >= 1 && s->stratum <= NTP_MAX_STRATUM &&
	       select_root_distance(s) <= SELECT_MAX_DISTANCE_NS;
}

/* The interval shared by at least `need` of the intervals: 0 and
 * [*low, *high], or -1 if there is none. */
static int
intersect(const struct endpoint *e, size_t n_ends, unsigned need, int64_t *low,
	  int64_t *high)
{
	unsigned count = 0;
	bool found = false;

	for (size_t i = 0; i < n_ends && !found; i++) {
		count += e[i].type < 0 ? 1u : 0u;
		count -= e[i].type > 0 ? 1u : 0u;
		if (e[i].type < 0 && count >= need) {
			*low = e[i].value;
			found = true;
		}
	}
	if (!found)
		return -1;
	found = false;
	count = 0;
	for (size_t i = n_ends; i > 0 && !found; i--) {
		count += e[i - 1].type > 0 ? 1u : 0u;
		count -= e[i - 1].type < 0 ? 1u : 0u;
		if (e[i - 1].type > 0 && count >= need) {
			*high = e[i - 1].value;
			found = true;
		}
	}
	return found && *low <= *high ? 0 : -1;
}

int
select_time(const struct select_sample *samples, size_t n,
	    struct select_result *out)
{
	struct endpoint ends[2 * SELECT_MAX_SAMPLES];
	size_t n_ends = 0;
	unsigned candidates = 0;
	int64_t low = 0, high = 0, reference = 0;
	double weighted = 0, weights = 0;
	bool agreed = false;

	if (n > SELECT_MAX_SAMPLES)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const struct select_sample *s = &samples[i];

		if (s->delay_ns < 0 || s->dispersion_ns < 0 ||
		    s->delay_ns > INT64_MAX / 2 ||
		    s->offset_ns >= SELECT_MAX_ABS_OFFSET_NS ||
		    s->offset_ns <= -SELECT_MAX_ABS_OFFSET_NS)
			return -EINVAL;
		/* A distance above the bound is no candidate; test it
		 * without summing, as dispersion may be huge. */
		if (s->dispersion_ns > SELECT_MAX_DISTANCE_NS ||
		    !is_candidate(s))
			continue;
		candidates++;
		ends[n_ends++] = (struct endpoint){
		    s->offset_ns - select_root_distance(s), -1};
		ends[n_ends++] = (struct endpoint){
		    s->offset_ns + select_root_distance(s), +1};
	}
	out->candidates = candidates;
	if (candidates == 0)
		return -ENODATA;
	sort_endpoints(ends, n_ends);
	/* Allow f falsetickers while the others are still a majority. */
	for (unsigned f = 0; 2 * f < candidates && !agreed; f++)
		agreed =
		    intersect(ends, n_ends, candidates - f, &low, &high) == 0;
	if (!agreed)
		return -EDOM;
	out->low_ns = low;
	out->high_ns = high;
	for (size_t i = 0; i < n; i++) {
		const struct select_sample *s = &samples[i];
		int64_t d;

		if (s->dispersion_ns > SELECT_MAX_DISTANCE_NS ||
		    !is_candidate(s))
			continue;
		d = select_root_distance(s);
		if (s->offset_ns + d < low || s->offset_ns - d > high)
			continue;
		out->truechimer[i] = true;
		if (out->survivors++ == 0)
			reference = s->offset_ns;
		/* Relative to the first survivor, so that the double keeps
		 * nanoseconds even for offsets of years.  A zero distance
		 * counts as one nanosecond. */
		weighted += (double)(s->offset_ns - reference) /
			    (double)(d > 0 ? d : 1);
		weights += 1.0 / (double)(d > 0 ? d : 1);
	}
	/* Survivors all meet [low, high], so their offsets differ by at
	 * most 4 * SELECT_MAX_DISTANCE_NS and the mean is near reference. */
	out->offset_ns = reference + (int64_t)llround(weighted / weights);
	return 0;
}

/* ---- poll intervals ---- */

int
select_server_init(struct select_server *s, uint8_t min_poll, uint8_t max_poll)
{
	if (min_poll < SELECT_MIN_POLL || max_poll > SELECT_MAX_POLL ||
	    min_poll > max_poll)
		return -EINVAL;
	*s = (struct select_server){.min_poll = min_poll,
				    .max_poll = max_poll,
				    .poll = min_poll,
				    .usable = true};
	return 0;
}

static void
poll_up(struct select_server *s)
{
	if (s->poll < s->max_poll)
		s->poll++;
}

void
select_server_sample(struct select_server *s, bool truechimer)
{
	if (!truechimer) {
		s->stable = 0;
		s->poll = s->min_poll;
		return;
	}
	if (++s->stable >= SELECT_STABLE_SAMPLES) {
		s->stable = 0;
		poll_up(s);
	}
}

void
select_server_timeout(struct select_server *s)
{
	s->stable = 0;
	poll_up(s);
}

void
select_server_kiss(struct select_server *s, int kiss, int8_t server_poll)
{
	switch (kiss) {
	case -EBUSY:
		s->stable = 0;
		poll_up(s);
		if (server_poll > (int)s->poll)
			s->poll = server_poll > (int)s->max_poll
				      ? s->max_poll
				      : (uint8_t)server_poll;
		break;
	case -EACCES:
	case -EPERM:
		s->usable = false;
		break;
	default:
		break;
	}
}

uint32_t
select_server_interval(const struct select_server *s)
{
	return (uint32_t)1 << s->poll;
}
