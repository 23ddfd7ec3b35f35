/* SYNs that overtook their rule (held.h): what is held, for how long, and
 * what a flood of SYNs no rule allows gets. */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "held.h"
#include "tcpseg.h"

static struct filter f;
static struct held_syns held;
static uint8_t frame[TCPSEG_MAX_WRITTEN];
static const uint8_t us4[4] = {10, 0, 0, 50};
static const uint8_t server4[4] = {10, 0, 0, 1};
static const struct vnet_hdr plain;

static struct {
	unsigned frames;
	uint16_t last_port;
} written;

static void
count_written(void *ctx, const struct vnet_hdr *h, const uint8_t *data,
	      size_t len)
{
	struct tcpseg s;

	written.frames++;
	if (tcpseg_read_trusted(&s, data, len) == 0)
		written.last_port = s.src_port;
}

/* A segment from lwIP to the server, from local_port to port 80. */
static size_t
segment(uint16_t local_port, uint8_t flags, const uint8_t *to)
{
	struct tcpseg s = {.src_port = local_port,
			   .dst_port = 80,
			   .seq = 1000,
			   .flags = flags,
			   .window = 1024,
			   .hop_limit = 64,
			   .has_mss = true,
			   .mss = 1460};
	int n;

	memcpy(s.src_ip, us4, 4);
	memcpy(s.dst_ip, to, 4);
	n = tcpseg_write(frame, sizeof(frame), &s);
	return n > 0 ? (size_t)n : 0;
}

static struct filter_addr
server(void)
{
	struct filter_addr a;

	filter_addr_from(&a, server4, 4);
	return a;
}

/* What firewall.c does with a frame TCPIP sends: filter it, and hold it
 * if it found no rule.  The verdict, or -1 when it was held. */
static int
send(size_t n, uint64_t now)
{
	struct filter_reply reply;
	enum filter_verdict v =
	    filter_frame(&f, FILTER_OUT, frame, n, now, &reply);

	if (v == FILTER_DROP_NO_RULE &&
	    held_syns_add(&held, &f, frame, n, &plain, now) == 0)
		return -1;
	return (int)v;
}

static void
reset(void)
{
	filter_init(&f);
	held_syns_init(&held);
	memset(&written, 0, sizeof(written));
}

TEST(a_syn_whose_rule_is_read_later_in_the_turn_passes)
{
	struct filter_addr a = server();

	reset();
	CHECK_EQ_INT(send(segment(50000, TCPSEG_SYN, server4), 0), -1);
	CHECK_EQ_INT(written.frames, 0);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &a, 80), 0);
	CHECK_EQ_INT(
	    held_syns_recheck(&held, &f, false, 1000, count_written, NULL), 0);
	CHECK_EQ_INT(written.frames, 1);
	CHECK_EQ_INT(written.last_port, 50000);
	/* Counted once, as what it finally was. */
	CHECK_EQ_INT(f.counts[FILTER_PASS], 1);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], 0);
	CHECK_EQ_INT(held.passed_late, 1);
}

TEST(a_syn_no_rule_is_coming_for_is_dropped_at_the_end_of_the_turn)
{
	struct filter_addr a = server();

	reset();
	/* Another connection's rule: not this SYN's. */
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50001, &a, 80), 0);
	CHECK_EQ_INT(send(segment(50000, TCPSEG_SYN, server4), 0), -1);
	CHECK_EQ_INT(
	    held_syns_recheck(&held, &f, false, 1000, count_written, NULL), 0);
	CHECK_EQ_INT(written.frames, 0);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], 1);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 0);
	CHECK_EQ_INT(held.dropped_late, 1);
	/* Gone: a rule added after it was dropped does not bring it back. */
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &a, 80), 0);
	CHECK_EQ_INT(
	    held_syns_recheck(&held, &f, false, 2000, count_written, NULL), 0);
	CHECK_EQ_INT(written.frames, 0);
}

TEST(a_syn_is_held_while_rules_wait_unread_and_no_longer_than_the_limit)
{
	struct filter_addr a = server();

	reset();
	CHECK_EQ_INT(send(segment(50000, TCPSEG_SYN, server4), 0), -1);
	CHECK_EQ_INT(send(segment(50002, TCPSEG_SYN, server4), 10), -1);
	CHECK_EQ_INT(
	    held_syns_recheck(&held, &f, true, 1000, count_written, NULL), 2);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], 0);
	/* The next turn reads one rule; the other SYN waits on. */
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50002, &a, 80), 0);
	CHECK_EQ_INT(
	    held_syns_recheck(&held, &f, true, 2000, count_written, NULL), 1);
	CHECK_EQ_INT(written.frames, 1);
	CHECK_EQ_INT(written.last_port, 50002);
	/* Rules still wait unread, but the SYN has waited long enough. */
	CHECK_EQ_INT(held_syns_recheck(&held, &f, true, HELD_SYN_MAX_NS - 1,
				       count_written, NULL),
		     1);
	CHECK_EQ_INT(held_syns_recheck(&held, &f, true, HELD_SYN_MAX_NS,
				       count_written, NULL),
		     0);
	CHECK_EQ_INT(written.frames, 1);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], 1);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 1);
}

TEST(only_a_lone_syn_is_held)
{
	static const uint8_t flags[] = {TCPSEG_SYN | TCPSEG_ACK, TCPSEG_ACK,
					TCPSEG_RST, TCPSEG_SYN | TCPSEG_FIN,
					TCPSEG_SYN | TCPSEG_RST};

	reset();
	for (unsigned i = 0; i < sizeof(flags); i++)
		CHECK_EQ_INT(send(segment(50000, flags[i], server4), 0),
			     FILTER_DROP_NO_RULE);
	/* A SYN carrying data, and a frame cut short. */
	size_t n = segment(50000, TCPSEG_SYN, server4);
	CHECK_EQ_INT(held_syns_add(&held, &f, frame, n - 1, &plain, 0),
		     -EINVAL);
	CHECK_EQ_INT(
	    held_syns_add(&held, &f, frame, HELD_SYN_MAX_LEN + 1, &plain, 0),
	    -EINVAL);
	CHECK_EQ_INT(held.count, 0);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], sizeof(flags));
}

/* A hostile TCPIP sends SYNs for which no rule exists and none is on its
 * way: every one is dropped and counted as no_rule, at most
 * HELD_SYNS_MAX are held at once, and each turn looks at no more. */
TEST(a_flood_of_syns_without_rules_is_dropped_and_holds_a_bounded_table)
{
	unsigned sent = 0, dropped_at_once = 0;

	reset();
	for (unsigned turn = 0; turn < 100; turn++) {
		for (unsigned i = 0; i < 50; i++, sent++)
			if (send(segment((uint16_t)(1024 + sent), TCPSEG_SYN,
					 server4),
				 turn) == FILTER_DROP_NO_RULE)
				dropped_at_once++;
		CHECK(held.count <= HELD_SYNS_MAX);
		held_syns_recheck(&held, &f, turn % 2 == 0, turn * 1000000ull,
				  count_written, NULL);
	}
	/* The turns' ends drop the rest once nothing can add a rule. */
	held_syns_recheck(&held, &f, true, 1000 * HELD_SYN_MAX_NS,
			  count_written, NULL);
	CHECK_EQ_INT(held.count, 0);
	CHECK_EQ_INT(written.frames, 0);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 0);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], sent);
	CHECK(dropped_at_once >= sent - 100 * HELD_SYNS_MAX);
	CHECK_EQ_INT(held.held + dropped_at_once, sent);
}

int
main(void)
{
	RUN(a_syn_whose_rule_is_read_later_in_the_turn_passes);
	RUN(a_syn_no_rule_is_coming_for_is_dropped_at_the_end_of_the_turn);
	RUN(a_syn_is_held_while_rules_wait_unread_and_no_longer_than_the_limit);
	RUN(only_a_lone_syn_is_held);
	RUN(a_flood_of_syns_without_rules_is_dropped_and_holds_a_bounded_table);
	HARNESS_EXIT();
}
