/*
 * The SNTP compartment's core: which replies count, what a Kiss-o'-Death
 * does to polling, how a falseticker is outvoted and when servers are
 * asked, all with time passed in (NTS: sync_nts_test.c).
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "sync_wire.h"

static const struct sync_address server_a = {4, {10, 0, 0, 1}, 123};

/* One exchange with server i: request at t1 (local clock), the server
 * `skew_ns` ahead of us and 1 ms away each way. */
static enum sync_outcome
exchange(unsigned i, uint64_t now, int64_t t1, int64_t skew_ns)
{
	uint64_t xmt = 0xabcdef0011223344ull + now;
	size_t n;

	if (sync_request(&s, i, xmt, now, req, sizeof(req)) != 48)
		return (enum sync_outcome) - 1;
	sync_sent_to(&s, i, &server_a, t1);
	n = reply(xmt, t1 + MS + skew_ns, t1 + MS + skew_ns, 2, NULL, 4);
	return sync_reply(&s, i, rep, n, &server_a, t1 + 2 * MS, now + 2 * MS);
}

TEST(an_honest_reply_is_a_sample)
{
	struct sync_choice c;

	sync_init(&s, false);
	CHECK_EQ_INT(sync_add_server(&s, "10.0.0.1", 123, false), 0);
	CHECK_EQ_INT(exchange(0, NOW0, T2024, 5 * MS), SYNC_SAMPLE);
	CHECK_EQ_INT(s.servers[0].counters.accepted, 1);
	CHECK(sync_settled(&s) && sync_has_fresh(&s));
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * MS, &c), 0);
	CHECK_EQ_INT(c.offset_ns, 5 * MS);
	CHECK_EQ_INT(c.stratum, 2);
	CHECK(!c.authenticated);
	CHECK(c.error_ns > 0 && c.error_ns < 20 * MS);
}

/* Wrong origin, wrong source: refused, counted, and the request still
 * waits for the genuine reply, which then counts. */
TEST(forged_replies_are_refused_and_counted)
{
	const struct sync_address elsewhere = {4, {10, 0, 0, 66}, 123};
	const struct sync_address other_port = {4, {10, 0, 0, 1}, 124};
	uint64_t xmt = 0x1111222233334444ull;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	CHECK_EQ_INT(sync_request(&s, 0, xmt, NOW0, req, sizeof(req)), 48);
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt + 1, T2024 + 1000 * S, T2024 + 1000 * S, 2, NULL, 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024 + MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.not_ours, 1);
	n = reply(xmt, T2024 + 1000 * S, T2024 + 1000 * S, 2, NULL, 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &elsewhere, T2024 + MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &other_port, T2024 + MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.source, 2);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, 47, &server_a, T2024 + MS, NOW0),
		     SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.malformed, 1);
	CHECK(!s.servers[0].have_sample && s.servers[0].in_flight);
	n = reply(xmt, T2024 + MS, T2024 + MS, 2, NULL, 4);
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &server_a, T2024 + 2 * MS, NOW0 + 2 * MS),
	    SYNC_SAMPLE);
	CHECK_EQ_INT(s.servers[0].sample.offset_ns, 0);
	/* A copy of it, once the request is answered, changes nothing. */
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &server_a, T2024 + 3 * MS, NOW0 + 3 * MS),
	    SYNC_WAITING);
	CHECK_EQ_INT(s.servers[0].counters.replayed, 1);
	CHECK_EQ_INT(s.servers[0].counters.accepted, 1);
}

TEST(unsynchronised_servers_give_no_sample)
{
	uint64_t xmt = 77;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt, T2024, T2024, 16, NULL, 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0),
		     SYNC_NO_SAMPLE);
	CHECK_EQ_INT(s.servers[0].counters.unsynchronised, 1);
	sync_request(&s, 0, xmt, NOW0 + 100 * S, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt, T2024, T2024, 2, NULL, 4);
	rep[0] = 0xe4; /* leap indicator 3 */
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0 + 100 * S),
	    SYNC_NO_SAMPLE);
	CHECK_EQ_INT(s.servers[0].counters.unsynchronised, 2);
	CHECK(!s.servers[0].have_sample);
}

/* RATE: polled no sooner than the server asked, even when hurried. */
TEST(kiss_rate_backs_off)
{
	uint64_t when, xmt = 99;
	unsigned i;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	CHECK_EQ_INT(sync_due(&s, NOW0, &i, &when), 1);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt, 0, 0, 0, "RATE", 8);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0),
		     SYNC_NO_SAMPLE);
	CHECK_EQ_INT(s.servers[0].counters.kiss_rate, 1);
	CHECK_EQ_INT(s.servers[0].poll.poll, 8);
	sync_hurry(&s, NOW0 + S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 255 * S, &i, &when), 0);
	CHECK_EQ_INT(when, NOW0 + 256 * S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 256 * S, &i, &when), 1);
}

/* A RATE kiss that does not echo our origin is an off-path forgery: it
 * changes nothing. */
TEST(forged_kiss_changes_nothing)
{
	uint64_t when, xmt = 99;
	unsigned i;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt + 1, 0, 0, 0, "DENY", 8);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0),
		     SYNC_WAITING);
	CHECK(s.servers[0].poll.usable);
	CHECK_EQ_INT(s.servers[0].counters.kiss_deny, 0);
	sync_timeout(&s, 0, NOW0 + S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 3 * S, &i, &when), 1);
}

TEST(kiss_deny_retires_the_server)
{
	uint64_t when, xmt = 5;
	unsigned i;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	sync_add_server(&s, "ntp2.test", 123, false);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt, 0, 0, 0, "DENY", 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0),
		     SYNC_NO_SAMPLE);
	CHECK(!s.servers[0].poll.usable);
	CHECK_EQ_INT(s.servers[0].counters.kiss_deny, 1);
	sync_hurry(&s, NOW0 + 1000 * S);
	/* Only the other server is ever due again. */
	for (uint64_t t = NOW0; t < NOW0 + 100000 * S; t += 1000 * S) {
		CHECK_EQ_INT(sync_due(&s, t, &i, &when), 1);
		CHECK_EQ_INT(i, 1);
	}
	sync_request(&s, 1, xmt, NOW0, req, sizeof(req));
	CHECK_EQ_INT(sync_due(&s, NOW0, &i, &when), 0);
	CHECK(when == UINT64_MAX);
	/* RSTR does the same. */
	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	n = reply(xmt, 0, 0, 0, "RSTR", 4);
	sync_reply(&s, 0, rep, n, &server_a, T2024, NOW0);
	CHECK(!s.servers[0].poll.usable);
}

/* Three servers, one 5 s off: the two that agree win. */
TEST(a_falseticker_is_outvoted)
{
	struct sync_choice c;

	sync_init(&s, false);
	for (int k = 0; k < 3; k++)
		sync_add_server(&s,
				k == 0	 ? "a.test"
				: k == 1 ? "b.test"
					 : "c.test",
				123, false);
	CHECK_EQ_INT(exchange(0, NOW0, T2024, 0), SYNC_SAMPLE);
	CHECK_EQ_INT(exchange(1, NOW0, T2024, 200000), SYNC_SAMPLE);
	CHECK_EQ_INT(exchange(2, NOW0, T2024, 5 * S), SYNC_SAMPLE);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * MS, &c), 0);
	CHECK_EQ_INT(c.survivors, 2);
	CHECK(c.offset_ns >= 0 && c.offset_ns <= 200000);
	CHECK_EQ_INT(s.servers[2].counters.falseticker, 1);
	CHECK_EQ_INT(s.servers[0].counters.falseticker, 0);
	/* Two that disagree: no majority, nothing chosen. */
	sync_init(&s, false);
	sync_add_server(&s, "a.test", 123, false);
	sync_add_server(&s, "b.test", 123, false);
	exchange(0, NOW0, T2024, 0);
	exchange(1, NOW0, T2024, 5 * S);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * MS, &c), -EDOM);
	CHECK_EQ_INT(s.no_majority, 1);
}

/* Beyond 2036-02-07 the NTP era wraps; offsets are right across it. */
TEST(after_2036)
{
	struct sync_choice c;
	int64_t t2040 = 2218000000ll * S, wrap = 2085978496ll * S;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	CHECK_EQ_INT(exchange(0, NOW0, t2040, 3 * MS), SYNC_SAMPLE);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * MS, &c), 0);
	CHECK_EQ_INT(c.offset_ns, 3 * MS);
	/* Our clock just before the wrap, the server's just after. */
	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	CHECK_EQ_INT(exchange(0, NOW0, wrap - 500 * MS, S), SYNC_SAMPLE);
	CHECK_EQ_INT(s.servers[0].sample.offset_ns, S);
}

/* Lost replies: asked again after 2, 4, 8 s until the first sample,
 * then at the poll interval, which doubles. */
TEST(lost_replies_retry_then_back_off)
{
	uint64_t when, now = NOW0;
	unsigned i;
	static const uint64_t waits[] = {2 * S, 4 * S, 8 * S, 32 * S, 64 * S};

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	for (unsigned k = 0; k < 5; k++) {
		CHECK_EQ_INT(sync_due(&s, now, &i, &when), 1);
		CHECK(sync_request(&s, 0, 1, now, req, sizeof(req)) > 0);
		CHECK_EQ_INT(sync_due(&s, now, &i, &when), 0);
		now += S;
		sync_timeout(&s, 0, now);
		CHECK_EQ_INT(s.servers[0].counters.timeouts, k + 1);
		CHECK_EQ_INT(sync_due(&s, now, &i, &when), 0);
		CHECK_EQ_INT(when, now + waits[k]);
		now = when;
	}
}

/* A request that cannot be built counts as lost: the server waits as
 * after a timeout, rather than staying due at once. */
TEST(a_request_not_built_waits_like_a_lost_one)
{
	uint64_t when;
	unsigned i;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	CHECK_EQ_INT(sync_due(&s, NOW0, &i, &when), 1);
	CHECK(sync_request(&s, 0, 1, NOW0, req, 10) < 0);
	CHECK(!s.servers[0].in_flight);
	CHECK_EQ_INT(sync_due(&s, NOW0, &i, &when), 0);
	CHECK_EQ_INT(when, NOW0 + 2 * S);
	CHECK_EQ_INT(s.servers[0].counters.timeouts, 1);
	/* Nor may sntp_update bring it back at once. */
	sync_hurry(&s, NOW0 + S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + S, &i, &when), 0);
	/* The same when the shell had no transmit timestamp to give. */
	sync_not_sent(&s, 0, NOW0 + 2 * S);
	CHECK_EQ_INT(sync_due(&s, NOW0 + 2 * S, &i, &when), 0);
	CHECK_EQ_INT(when, NOW0 + 6 * S);
	CHECK(sync_request(&s, 0, 1, when, req, sizeof(req)) > 0);
}

/* The first samples come 2 s apart, then at the poll interval;
 * sntp_update may hurry a server, never closer than 2 s to its last
 * request. */
TEST(burst_then_poll_and_hurrying_keeps_the_gap)
{
	uint64_t when, now = NOW0;
	unsigned i;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	for (unsigned k = 1; k < SYNC_BURST_SAMPLES; k++) {
		CHECK_EQ_INT(exchange(0, now, T2024, 0), SYNC_SAMPLE);
		CHECK_EQ_INT(sync_due(&s, now + S, &i, &when), 0);
		CHECK_EQ_INT(when, now + 2 * MS + 2 * S);
		now = when;
	}
	CHECK_EQ_INT(exchange(0, now, T2024, 0), SYNC_SAMPLE);
	CHECK_EQ_INT(sync_due(&s, now + S, &i, &when), 0);
	CHECK_EQ_INT(when, now + 2 * MS + 16 * S);
	sync_hurry(&s, now + 500 * MS);
	CHECK_EQ_INT(sync_due(&s, now + 500 * MS, &i, &when), 0);
	CHECK_EQ_INT(when, now + 2 * S);
}

/* A reply held up on its way out (a server busy starting, a first ARP
 * exchange) measures the offset badly, and its delay shows it: the
 * filter prefers the later, quick one. */
TEST(the_filter_prefers_the_quickest_sample)
{
	struct sync_choice c;
	uint64_t xmt = 0x55;
	size_t n;

	sync_init(&s, false);
	sync_add_server(&s, "ntp.test", 123, false);
	sync_request(&s, 0, xmt, NOW0, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024);
	/* The request spent a second on the way; the reply none. */
	n = reply(xmt, T2024 + S, T2024 + S, 2, NULL, 4);
	CHECK_EQ_INT(sync_reply(&s, 0, rep, n, &server_a, T2024 + S, NOW0 + S),
		     SYNC_SAMPLE);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + S, &c), 0);
	CHECK_EQ_INT(c.offset_ns, S / 2);
	CHECK(c.error_ns >= (uint64_t)(S / 2)); /* and says how bad it is */
	CHECK_EQ_INT(exchange(0, NOW0 + 3 * S, T2024 + 3 * S, 0), SYNC_SAMPLE);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 3 * S + 3 * MS, &c), 0);
	CHECK_EQ_INT(c.offset_ns, 0);
	CHECK(c.error_ns < (uint64_t)(10 * MS));
	/* A slow one again, newer: the quick one still stands. */
	sync_request(&s, 0, xmt, NOW0 + 5 * S, req, sizeof(req));
	sync_sent_to(&s, 0, &server_a, T2024 + 5 * S);
	n = reply(xmt, T2024 + 6 * S, T2024 + 6 * S, 2, NULL, 4);
	CHECK_EQ_INT(
	    sync_reply(&s, 0, rep, n, &server_a, T2024 + 6 * S, NOW0 + 6 * S),
	    SYNC_SAMPLE);
	CHECK_EQ_INT(sync_choose(&s, NOW0 + 6 * S, &c), 0);
	CHECK_EQ_INT(c.offset_ns, 0);
}

TEST(nts_required_admits_no_plain_server)
{
	sync_init(&s, true);
	CHECK_EQ_INT(sync_add_server(&s, "ntp.test", 123, false), -EPERM);
	CHECK_EQ_INT(sync_add_server(&s, "nts.test", 4460, true), 0);
	CHECK_EQ_INT(sync_add_server(&s, "", 4460, true), -EINVAL);
}

int
main(void)
{
	RUN(an_honest_reply_is_a_sample);
	RUN(forged_replies_are_refused_and_counted);
	RUN(unsynchronised_servers_give_no_sample);
	RUN(kiss_rate_backs_off);
	RUN(forged_kiss_changes_nothing);
	RUN(kiss_deny_retires_the_server);
	RUN(a_falseticker_is_outvoted);
	RUN(after_2036);
	RUN(lost_replies_retry_then_back_off);
	RUN(a_request_not_built_waits_like_a_lost_one);
	RUN(burst_then_poll_and_hurrying_keeps_the_gap);
	RUN(the_filter_prefers_the_quickest_sample);
	RUN(nts_required_admits_no_plain_server);
	HARNESS_EXIT();
}
