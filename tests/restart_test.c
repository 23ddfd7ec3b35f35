/*
 * Restart decisions: failing to start is punished, crashing in service
 * is not, and the image's limit bounds a crash loop either way.
 */
#include "harness.h"
#include "restart.h"

#define T0 (3600 * SN_SECOND)

static struct restart_history h;

/* A death at time t, and the restart that follows it if one is due. */
static struct restart_plan
die(enum image_restart policy, unsigned limit, bool failed, bool ready,
    uint64_t t)
{
	struct restart_plan p =
	    restart_decide(&h, policy, limit, failed, ready, t);

	if (p.verdict == RESTART_AFTER)
		restart_record(&h, t + p.delay_ns);
	return p;
}

TEST(the_policy_decides_whether_a_death_restarts)
{
	restart_history_init(&h);
	CHECK_EQ_INT(die(RESTART_NEVER, 5, true, true, T0).verdict,
		     RESTART_NOT_NEEDED);
	CHECK_EQ_INT(die(RESTART_ON_FAILURE, 5, false, true, T0).verdict,
		     RESTART_NOT_NEEDED);
	CHECK_EQ_INT(die(RESTART_ON_FAILURE, 5, true, true, T0).verdict,
		     RESTART_AFTER);
	CHECK_EQ_INT(die(RESTART_ALWAYS, 5, false, true, T0).verdict,
		     RESTART_AFTER);
}

TEST(crashing_in_service_always_waits_the_base_delay)
{
	restart_history_init(&h);
	for (unsigned i = 0; i < 200; i++) {
		struct restart_plan p =
		    die(RESTART_ALWAYS, 1000, true, true, T0 + i * 20 * SN_MS);

		CHECK_EQ_INT(p.verdict, RESTART_AFTER);
		CHECK_EQ_INT(p.delay_ns, RESTART_BASE_DELAY_NS);
	}
}

TEST(failing_to_start_doubles_the_delay_up_to_the_maximum)
{
	uint64_t t = T0, expect = RESTART_BASE_DELAY_NS;

	restart_history_init(&h);
	for (unsigned i = 0; i < 12; i++) {
		struct restart_plan p =
		    die(RESTART_ALWAYS, 1000, true, false, t);

		expect = expect * 2 < RESTART_MAX_DELAY_NS
			     ? expect * 2
			     : RESTART_MAX_DELAY_NS;
		CHECK_EQ_INT(p.verdict, RESTART_AFTER);
		CHECK_EQ_INT(p.delay_ns, expect);
		t += p.delay_ns + SN_MS;
	}
	CHECK_EQ_INT(expect, RESTART_MAX_DELAY_NS);
	/* Once an incarnation serves, the next crash waits the base
	 * delay again. */
	CHECK_EQ_INT(die(RESTART_ALWAYS, 1000, true, true, t).delay_ns,
		     RESTART_BASE_DELAY_NS);
}

TEST(the_image_limit_ends_a_crash_loop_within_the_window_only)
{
	struct restart_plan p;
	uint64_t t = T0;

	restart_history_init(&h);
	for (unsigned i = 0; i < 3; i++) {
		p = die(RESTART_ALWAYS, 3, true, true, t);
		CHECK_EQ_INT(p.verdict, RESTART_AFTER);
		t += p.delay_ns + SN_MS;
	}
	p = die(RESTART_ALWAYS, 3, true, true, t);
	CHECK_EQ_INT(p.verdict, RESTART_CRASH_LOOP);
	CHECK_EQ_INT(p.recent, 3);
	/* A minute after those restarts, the count is clear again. */
	p = die(RESTART_ALWAYS, 3, true, true, t + RESTART_WINDOW_NS);
	CHECK_EQ_INT(p.verdict, RESTART_AFTER);
	CHECK_EQ_INT(p.recent, 0);
}

TEST(a_limit_of_a_thousand_is_counted_exactly)
{
	struct restart_plan p;
	uint64_t t = T0;

	restart_history_init(&h);
	for (unsigned i = 0; i < 1000; i++) {
		p = die(RESTART_ALWAYS, 1000, true, true, t);
		CHECK_EQ_INT(p.verdict, RESTART_AFTER);
		t += 20 * SN_MS;
	}
	CHECK_EQ_INT(die(RESTART_ALWAYS, 1000, true, true, t).verdict,
		     RESTART_CRASH_LOOP);
}

int
main(void)
{
	RUN(the_policy_decides_whether_a_death_restarts);
	RUN(crashing_in_service_always_waits_the_base_delay);
	RUN(failing_to_start_doubles_the_delay_up_to_the_maximum);
	RUN(the_image_limit_ends_a_crash_loop_within_the_window_only);
	RUN(a_limit_of_a_thousand_is_counted_exactly);
	HARNESS_EXIT();
}
