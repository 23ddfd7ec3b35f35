/*
 * Choosing the time among servers, and each server's poll interval.
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "select.h"

#define MS 1000000LL

static struct select_sample
sample(uint16_t server, int64_t offset, int64_t delay, int64_t dispersion)
{
	return (struct select_sample){.server = server,
				      .stratum = 2,
				      .offset_ns = offset,
				      .delay_ns = delay,
				      .dispersion_ns = dispersion};
}

TEST(one_falseticker_among_three_is_outvoted)
{
	struct select_sample s[3] = {
	    sample(1, 0, 20 * MS, 5 * MS),
	    sample(2, 2 * MS, 20 * MS, 5 * MS),
	    sample(3, 500 * MS, 20 * MS, 5 * MS),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 3, &r), 0);
	CHECK_EQ_INT(r.candidates, 3);
	CHECK_EQ_INT(r.survivors, 2);
	CHECK(r.truechimer[0] && r.truechimer[1] && !r.truechimer[2]);
	/* Equal distances: the plain mean of the two survivors. */
	CHECK_EQ_INT(r.offset_ns, 1 * MS);
	/* Their intervals, -15..15 and -13..17 ms, share -13..15 ms. */
	CHECK_EQ_INT(r.low_ns, -13 * MS);
	CHECK_EQ_INT(r.high_ns, 15 * MS);
	/* Whichever position the falseticker has. */
	struct select_sample t[3] = {s[2], s[0], s[1]};
	CHECK_EQ_INT(select_time(t, 3, &r), 0);
	CHECK(!r.truechimer[0] && r.truechimer[1] && r.truechimer[2]);
	CHECK_EQ_INT(r.offset_ns, 1 * MS);
}

TEST(two_servers_that_disagree_give_no_majority)
{
	struct select_sample s[2] = {
	    sample(1, 0, 20 * MS, 5 * MS),
	    sample(2, 300 * MS, 20 * MS, 5 * MS),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 2, &r), -EDOM);
	CHECK_EQ_INT(r.survivors, 0);
	/* Two that agree are both kept. */
	s[1].offset_ns = 10 * MS;
	CHECK_EQ_INT(select_time(s, 2, &r), 0);
	CHECK_EQ_INT(r.survivors, 2);
}

TEST(a_colluding_minority_loses)
{
	/* Three honest servers near 0, two liars that agree on +1 s. */
	struct select_sample s[5] = {
	    sample(1, 1000 * MS, 10 * MS, 1 * MS),
	    sample(2, -1 * MS, 30 * MS, 2 * MS),
	    sample(3, 1001 * MS, 10 * MS, 1 * MS),
	    sample(4, 3 * MS, 30 * MS, 2 * MS),
	    sample(5, 0, 30 * MS, 2 * MS),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 5, &r), 0);
	CHECK_EQ_INT(r.survivors, 3);
	CHECK(!r.truechimer[0] && r.truechimer[1] && !r.truechimer[2] &&
	      r.truechimer[3] && r.truechimer[4]);
	CHECK(r.offset_ns > -1 * MS && r.offset_ns < 3 * MS);
	/* With a third liar they are the majority, and win. */
	s[1].offset_ns = 999 * MS;
	CHECK_EQ_INT(select_time(s, 5, &r), 0);
	CHECK_EQ_INT(r.survivors, 3);
	CHECK(r.truechimer[0] && r.truechimer[1] && r.truechimer[2]);
	CHECK(r.offset_ns > 999 * MS && r.offset_ns < 1001 * MS);
}

TEST(closer_servers_weigh_more)
{
	/* Distances 2 ms and 8 ms: weights 4 to 1. */
	struct select_sample s[2] = {
	    sample(1, 0, 4 * MS, 0),
	    sample(2, 5 * MS, 16 * MS, 0),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 2, &r), 0);
	CHECK_EQ_INT(r.offset_ns, 1 * MS);
}

TEST(a_single_server_is_its_own_majority)
{
	struct select_sample s = sample(7, -42 * MS, 10 * MS, 1 * MS);
	struct select_result r;

	CHECK_EQ_INT(select_time(&s, 1, &r), 0);
	CHECK_EQ_INT(r.offset_ns, -42 * MS);
	CHECK(r.truechimer[0]);
}

/* Offsets of years (a clock that booted in 1970) keep nanoseconds. */
TEST(large_offsets_keep_precision)
{
	const int64_t years = 56LL * 365 * 86400 * 1000000000;
	struct select_sample s[3] = {
	    sample(1, years + 1, 10 * MS, 0),
	    sample(2, years + 3, 10 * MS, 0),
	    sample(3, years + 5, 10 * MS, 0),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 3, &r), 0);
	CHECK_EQ_INT(r.offset_ns, years + 3);
}

TEST(intervals_that_touch_overlap)
{
	struct select_sample s[2] = {
	    sample(1, 0, 0, 5 * MS),
	    sample(2, 10 * MS, 0, 5 * MS),
	};
	struct select_result r;

	CHECK_EQ_INT(select_time(s, 2, &r), 0);
	CHECK_EQ_INT(r.low_ns, 5 * MS);
	CHECK_EQ_INT(r.high_ns, 5 * MS);
	s[1].offset_ns++;
	CHECK_EQ_INT(select_time(s, 2, &r), -EDOM);
}

TEST(only_candidates_take_part)
{
	struct select_sample s[4] = {
	    sample(1, 0, 10 * MS, 1 * MS),
	    sample(2, 400 * MS, 10 * MS, 1 * MS),
	    sample(3, 400 * MS, 10 * MS, 1 * MS),
	    sample(4, 400 * MS, 10 * MS, 1 * MS),
	};
	struct select_result r;

	/* Three of four agree on 400 ms ... */
	CHECK_EQ_INT(select_time(s, 4, &r), 0);
	CHECK_EQ_INT(r.offset_ns, 400 * MS);
	/* ... unless they are unsynchronised, or too far from their
	 * reference: then the one left decides. */
	s[1].stratum = 16;
	s[2].stratum = 0;
	s[3].dispersion_ns = SELECT_MAX_DISTANCE_NS;
	CHECK_EQ_INT(select_time(s, 4, &r), 0);
	CHECK_EQ_INT(r.candidates, 1);
	CHECK_EQ_INT(r.offset_ns, 0);
	CHECK(r.truechimer[0] && !r.truechimer[1] && !r.truechimer[3]);
	s[0].delay_ns = 2 * SELECT_MAX_DISTANCE_NS;
	CHECK_EQ_INT(select_time(s, 4, &r), -ENODATA);
	CHECK_EQ_INT(select_time(s, 0, &r), -ENODATA);
}

TEST(bad_input_is_refused)
{
	struct select_sample s[SELECT_MAX_SAMPLES + 1];
	struct select_result r;

	for (int i = 0; i <= SELECT_MAX_SAMPLES; i++)
		s[i] = sample((uint16_t)i, 0, MS, MS);
	CHECK_EQ_INT(select_time(s, SELECT_MAX_SAMPLES + 1, &r), -EINVAL);
	CHECK_EQ_INT(select_time(s, SELECT_MAX_SAMPLES, &r), 0);
	CHECK_EQ_INT(r.survivors, SELECT_MAX_SAMPLES);
	s[3].delay_ns = -1;
	CHECK_EQ_INT(select_time(s, 4, &r), -EINVAL);
	s[3] = sample(3, SELECT_MAX_ABS_OFFSET_NS, MS, MS);
	CHECK_EQ_INT(select_time(s, 4, &r), -EINVAL);
	s[3] = sample(3, 0, INT64_MAX, INT64_MAX);
	CHECK_EQ_INT(select_time(s, 4, &r), -EINVAL);
	s[3] = sample(3, 0, INT64_MAX / 2, INT64_MAX);
	/* Huge but valid: no candidate, no overflow. */
	CHECK_EQ_INT(select_time(s, 4, &r), 0);
	CHECK_EQ_INT(r.candidates, 3);
}

TEST(poll_grows_when_stable)
{
	struct select_server srv;

	CHECK_EQ_INT(select_server_init(&srv, 6, 8), 0);
	CHECK_EQ_INT(select_server_interval(&srv), 64);
	for (int i = 0; i < SELECT_STABLE_SAMPLES - 1; i++)
		select_server_sample(&srv, true);
	CHECK_EQ_INT(srv.poll, 6);
	select_server_sample(&srv, true);
	CHECK_EQ_INT(srv.poll, 7);
	for (int i = 0; i < 4 * SELECT_STABLE_SAMPLES; i++)
		select_server_sample(&srv, true);
	CHECK_EQ_INT(srv.poll, 8);
	CHECK_EQ_INT(select_server_interval(&srv), 256);
	/* A falseticker sample: back to asking often. */
	select_server_sample(&srv, false);
	CHECK_EQ_INT(srv.poll, 6);
	CHECK(srv.usable);
}

TEST(poll_backs_off)
{
	struct select_server srv;

	CHECK_EQ_INT(select_server_init(&srv, 4, 10), 0);
	/* RATE: at least double, and at least what the server asked. */
	select_server_kiss(&srv, -EBUSY, 0);
	CHECK_EQ_INT(srv.poll, 5);
	select_server_kiss(&srv, -EBUSY, 9);
	CHECK_EQ_INT(srv.poll, 9);
	select_server_kiss(&srv, -EBUSY, 17);
	CHECK_EQ_INT(srv.poll, 10);
	select_server_kiss(&srv, -EBUSY, 17);
	CHECK_EQ_INT(srv.poll, 10);
	CHECK(srv.usable);
	/* Lost replies back off too, up to the maximum. */
	CHECK_EQ_INT(select_server_init(&srv, 4, 6), 0);
	select_server_timeout(&srv);
	CHECK_EQ_INT(srv.poll, 5);
	select_server_timeout(&srv);
	select_server_timeout(&srv);
	CHECK_EQ_INT(srv.poll, 6);
	/* Stability counted since the last lost reply only. */
	CHECK_EQ_INT(select_server_init(&srv, 4, 6), 0);
	for (int i = 0; i < SELECT_STABLE_SAMPLES - 1; i++)
		select_server_sample(&srv, true);
	select_server_timeout(&srv);
	CHECK_EQ_INT(srv.poll, 5);
	select_server_sample(&srv, true);
	CHECK_EQ_INT(srv.poll, 5);
}

TEST(deny_and_rstr_make_a_server_unusable)
{
	struct select_server srv;

	CHECK_EQ_INT(select_server_init(&srv, 4, 10), 0);
	select_server_kiss(&srv, -EACCES, 0);
	CHECK(!srv.usable);
	CHECK_EQ_INT(select_server_init(&srv, 4, 10), 0);
	select_server_kiss(&srv, -EPERM, 0);
	CHECK(!srv.usable);
	/* Other codes are for someone else to act on. */
	CHECK_EQ_INT(select_server_init(&srv, 4, 10), 0);
	select_server_kiss(&srv, -EKEYEXPIRED, 12);
	select_server_kiss(&srv, -ECONNREFUSED, 12);
	CHECK(srv.usable);
	CHECK_EQ_INT(srv.poll, 4);
}

TEST(poll_limits_are_checked)
{
	struct select_server srv;

	CHECK_EQ_INT(select_server_init(&srv, 3, 10), -EINVAL);
	CHECK_EQ_INT(select_server_init(&srv, 4, 18), -EINVAL);
	CHECK_EQ_INT(select_server_init(&srv, 9, 8), -EINVAL);
	CHECK_EQ_INT(select_server_init(&srv, 17, 17), 0);
	CHECK_EQ_INT(select_server_interval(&srv), 131072);
}

int
main(void)
{
	RUN(one_falseticker_among_three_is_outvoted);
	RUN(two_servers_that_disagree_give_no_majority);
	RUN(a_colluding_minority_loses);
	RUN(closer_servers_weigh_more);
	RUN(a_single_server_is_its_own_majority);
	RUN(large_offsets_keep_precision);
	RUN(intervals_that_touch_overlap);
	RUN(only_candidates_take_part);
	RUN(bad_input_is_refused);
	RUN(poll_grows_when_stable);
	RUN(poll_backs_off);
	RUN(deny_and_rstr_make_a_server_unusable);
	RUN(poll_limits_are_checked);
	HARNESS_EXIT();
}
