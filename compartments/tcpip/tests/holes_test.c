/*
 * TCPIP's bookkeeping of the Firewall's holes (holes.c), driven the way
 * TCPIP drives it: lwIP's view of its connections is a set the test
 * controls, the Firewall's answers come when the test says.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "holes.h"

static struct holes t;

/* The connections lwIP still works on, as holes_sweep asks about them. */
#define LIVE_MAX HOLES_MAX
static struct hole_key live[LIVE_MAX];
static unsigned nlive;

static bool
key_equal(const struct hole_key *a, const struct hole_key *b)
{
	return a->protocol == b->protocol && a->local_port == b->local_port &&
	       a->remote_port == b->remote_port && a->ipv6 == b->ipv6 &&
	       memcmp(a->remote, b->remote, a->ipv6 ? 16 : 4) == 0;
}

static bool
in_lwip(void *ctx, const struct hole_key *k)
{
	for (unsigned i = 0; i < nlive; i++)
		if (key_equal(&live[i], k))
			return true;
	return false;
}

static void
lwip_takes(const struct hole_key *k)
{
	if (nlive < LIVE_MAX)
		live[nlive++] = *k;
}

static void
lwip_drops(const struct hole_key *k)
{
	for (unsigned i = 0; i < nlive; i++)
		if (key_equal(&live[i], k)) {
			live[i] = live[--nlive];
			return;
		}
}

static struct hole_key
tcp(uint16_t local_port, uint8_t last_octet, uint16_t remote_port)
{
	struct hole_key k = {.protocol = HOLE_TCP,
			     .local_port = local_port,
			     .remote_port = remote_port,
			     .remote = {10, 0, 0, last_octet}};
	return k;
}

static struct hole_key
udp(uint16_t port)
{
	return (struct hole_key){.protocol = HOLE_UDP, .local_port = port};
}

static int
hold(struct hole_key k)
{
	return holes_hold(&t, &k);
}

/* A fresh table for each test, whatever holes_init leaves behind: the
 * restart test checks holes_init on a table in use. */
static void
reset(void)
{
	memset(&t, 0, sizeof(t));
	holes_init(&t);
	nlive = 0;
}

/* What the tick does: sweep, then ask for each closable hole. */
static unsigned
tick(struct hole_key *asked, uint32_t *ids, unsigned cap)
{
	unsigned n = 0;
	struct hole_key k;
	uint32_t id;

	holes_sweep(&t, in_lwip, NULL);
	while (n < cap && holes_next_closable(&t, &k, &id) == 0) {
		if (asked)
			asked[n] = k;
		ids[n++] = id;
	}
	return n;
}

TEST(client_hole_stays_while_lwip_works_and_closes_after)
{
	struct hole_key c = tcp(50000, 1, 80), k;
	uint32_t ids[4];

	reset();
	/* Connected: lwIP works on it; the socket's fate does not matter. */
	lwip_takes(&c);
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(tick(NULL, ids, 4), 0);
	CHECK_EQ_INT(holes_used(&t), 1);
	/* The last ACK is sent; the pcb leaves lwIP's active list. */
	lwip_drops(&c);
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK(key_equal(&k, &c));
	CHECK_EQ_INT(holes_answered(&t, ids[0], 0), 0);
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK_EQ_INT(t.stats.closed, 1);
	/* Asked once only. */
	CHECK_EQ_INT(tick(NULL, ids, 4), 0);
}

TEST(server_pcb_dropped_before_accept_closes_its_hole)
{
	struct hole_key s = tcp(80, 7, 40001), k;
	uint32_t ids[4];

	reset();
	/* lwIP made the pcb (passive open); nobody accepted it, and lwIP
	 * gave up on the handshake. */
	lwip_takes(&s);
	CHECK_EQ_INT(holes_hold(&t, &s), 0);
	lwip_drops(&s);
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK(key_equal(&k, &s));
	CHECK_EQ_INT(holes_answered(&t, ids[0], 0), 0);
	CHECK_EQ_INT(holes_used(&t), 0);
}

TEST(connection_reset_by_peer_is_closed_once)
{
	struct hole_key c = tcp(50001, 1, 443), k;
	uint32_t ids[4];

	reset();
	lwip_takes(&c);
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	/* A reset: lwIP frees the pcb at once, the socket lives on with
	 * its error, and the Firewall, which saw the reset, removed the
	 * rule already. */
	lwip_drops(&c);
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK(key_equal(&k, &c));
	CHECK_EQ_INT(holes_answered(&t, ids[0], -ENOENT), 0);
	CHECK_EQ_INT(t.stats.already_gone, 1);
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK_EQ_INT(tick(NULL, ids, 4), 0);
}

TEST(udp_port_closes_with_its_socket_and_not_before)
{
	struct hole_key u = udp(40000), k;
	uint32_t id;

	reset();
	CHECK_EQ_INT(holes_hold(&t, &u), 0);
	/* lwIP's connections have nothing to do with a UDP port. */
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 0);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), -ENOENT);
	CHECK_EQ_INT(holes_release_port(&t, 40000), 0);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), 0);
	CHECK_EQ_INT(k.protocol, HOLE_UDP);
	CHECK_EQ_INT(k.local_port, 40000);
	/* Until the Firewall has closed the port, a new socket must not
	 * have it: it would inherit the peers authorised for the old. */
	CHECK_EQ_INT(holes_hold(&t, &u), -EADDRINUSE);
	CHECK_EQ_INT(holes_answered(&t, id, 0), 0);
	CHECK_EQ_INT(holes_hold(&t, &u), 0);
	CHECK_EQ_INT(holes_release_port(&t, 40001), -ENOENT);
}

/*
 * A burst of short connections, as an HTTP server sees them: each turn
 * of TCPIP's loop lwIP makes up to 32 connections (one batch of frames)
 * and the previous turn's end; the Firewall answers a turn's requests in
 * the next; ticks come every 100 turns.  TCPIP sweeps at the end of a
 * turn once the table is half full.
 */
TEST(burst_of_short_connections_overflows_nothing)
{
	enum { CONNECTIONS = 20000, PER_TURN = 32, TURNS_PER_TICK = 100 };
	static uint32_t answers[HOLES_MAX];
	struct hole_key made[PER_TURN];
	unsigned nanswers = 0, nmade = 0, max_used = 0, turn = 0;
	uint64_t opened = 0;

	reset();
	while (opened < CONNECTIONS || holes_used(&t) > 0) {
		uint32_t ids[HOLES_MAX];
		unsigned n = 0;

		for (unsigned i = 0; i < nanswers; i++)
			CHECK_EQ_INT(holes_answered(&t, answers[i], 0), 0);
		nanswers = 0;
		for (unsigned i = 0; i < nmade; i++)
			lwip_drops(&made[i]);
		nmade = 0;
		for (; nmade < PER_TURN && opened < CONNECTIONS; opened++) {
			struct hole_key k =
			    tcp(80, (uint8_t)(opened % 200 + 2),
				(uint16_t)(1024 + opened % 60000));

			lwip_takes(&k);
			CHECK_EQ_INT(holes_hold(&t, &k), 0);
			made[nmade++] = k;
		}
		if (holes_used(&t) > max_used)
			max_used = holes_used(&t);
		CHECK(turn < 10 * CONNECTIONS);
		if (++turn % TURNS_PER_TICK == 0 || holes_want_sweep(&t))
			n = tick(NULL, ids, HOLES_MAX);
		memcpy(answers, ids, n * sizeof(ids[0]));
		nanswers = n;
	}
	CHECK_EQ_INT(t.stats.refused_full, 0);
	CHECK_EQ_INT(t.stats.held, CONNECTIONS);
	CHECK_EQ_INT(t.stats.asked, CONNECTIONS);
	CHECK_EQ_INT(t.stats.closed, CONNECTIONS);
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK(max_used < HOLES_MAX);
}

TEST(full_table_refuses_counts_and_keeps_every_hole)
{
	struct hole_key k;
	uint32_t id;

	reset();
	for (unsigned i = 0; i < HOLES_MAX; i++) {
		k = tcp((uint16_t)(20000 + i), 1, 80);
		lwip_takes(&k);
		CHECK_EQ_INT(holes_hold(&t, &k), 0);
	}
	k = tcp(19999, 1, 80);
	CHECK_EQ_INT(holes_hold(&t, &k), -ENOSPC);
	CHECK_EQ_INT(hold(udp(5353)), -ENOSPC);
	CHECK_EQ_INT(t.stats.refused_full, 2);
	/* Nothing was pushed out to make room. */
	CHECK_EQ_INT(holes_used(&t), HOLES_MAX);
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 0);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), -ENOENT);
	/* One connection ends and its hole closes: there is room again. */
	k = tcp(20000, 1, 80);
	lwip_drops(&k);
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 1);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), 0);
	CHECK_EQ_INT(hold(tcp(19999, 1, 80)), -ENOSPC);
	CHECK_EQ_INT(holes_answered(&t, id, 0), 0);
	CHECK_EQ_INT(hold(tcp(19999, 1, 80)), 0);
}

TEST(close_not_taken_in_time_is_asked_again)
{
	struct hole_key c = tcp(50002, 1, 80), k;
	uint32_t ids[4];

	reset();
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	CHECK_EQ_INT(tick(NULL, ids, 4), 1);
	CHECK_EQ_INT(holes_answered(&t, ids[0], -ETIMEDOUT), 1);
	CHECK_EQ_INT(t.stats.retried, 1);
	/* The runtime's table of calls was full: also asked again. */
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK(key_equal(&k, &c));
	CHECK_EQ_INT(holes_answered(&t, ids[0], -EBUSY), 1);
	/* The Firewall's ring was full. */
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK_EQ_INT(holes_answered(&t, ids[0], -EAGAIN), 1);
	CHECK_EQ_INT(tick(&k, ids, 4), 1);
	CHECK(key_equal(&k, &c));
	CHECK_EQ_INT(holes_answered(&t, ids[0], 0), 0);
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK_EQ_INT(t.stats.asked, 4);
	CHECK_EQ_INT(t.stats.retried, 3);
}

TEST(connection_made_again_keeps_its_hole)
{
	struct hole_key c = tcp(80, 9, 40002), k;
	uint32_t id, ids[4];

	reset();
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	/* The sweep saw the first connection end; before the hole was
	 * asked for, the same client connected again on the same port. */
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 1);
	lwip_takes(&c);
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), -ENOENT);
	CHECK_EQ_INT(holes_used(&t), 1);
	/* Asked for already, and not taken in time: the new connection
	 * holds the hole by then, and it is not asked for again. */
	lwip_drops(&c);
	CHECK_EQ_INT(tick(NULL, ids, 4), 1);
	lwip_takes(&c);
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	CHECK_EQ_INT(holes_used(&t), 2);
	CHECK_EQ_INT(holes_answered(&t, ids[0], -ETIMEDOUT), 0);
	CHECK_EQ_INT(t.stats.taken_over, 1);
	CHECK_EQ_INT(holes_used(&t), 1);
	CHECK_EQ_INT(tick(NULL, ids, 4), 0);
}

TEST(answers_for_no_request_are_ignored)
{
	struct hole_key c = tcp(50003, 1, 80);
	uint32_t ids[4];

	reset();
	CHECK_EQ_INT(holes_answered(&t, 0, 0), -ENOENT);
	CHECK_EQ_INT(holes_hold(&t, &c), 0);
	/* Held, not asked for: an answer cannot close it. */
	CHECK_EQ_INT(holes_answered(&t, (1u << 8) | 0u, 0), -ENOENT);
	CHECK_EQ_INT(holes_used(&t), 1);
	CHECK_EQ_INT(tick(NULL, ids, 4), 1);
	CHECK_EQ_INT(holes_answered(&t, ids[0] + (1u << 8), 0), -ENOENT);
	CHECK_EQ_INT(holes_answered(&t, 0xffffffffu, 0), -ENOENT);
	CHECK_EQ_INT(holes_answered(&t, ids[0], 0), 0);
	CHECK_EQ_INT(holes_answered(&t, ids[0], 0), -ENOENT);
	CHECK_EQ_INT(t.stats.stale_answers, 5);
	CHECK_EQ_INT(t.stats.closed, 1);
}

TEST(tcpip_restart_forgets_every_hole)
{
	struct hole_key k;
	uint32_t id, ids[8];

	reset();
	/* One hole in each state. */
	CHECK_EQ_INT(hold(tcp(1, 1, 1)), 0);
	CHECK_EQ_INT(hold(tcp(2, 1, 1)), 0);
	CHECK_EQ_INT(tick(NULL, ids, 8), 2);
	CHECK_EQ_INT(hold(udp(3)), 0);
	CHECK_EQ_INT(hold(udp(4)), 0);
	CHECK_EQ_INT(holes_release_port(&t, 4), 0);
	CHECK_EQ_INT(holes_used(&t), 4);
	/* The Firewall cleared every hole when TCPIP died; the new TCPIP
	 * must ask for none of the old ones. */
	holes_init(&t);
	nlive = 0;
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 0);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), -ENOENT);
	CHECK_EQ_INT(holes_release_port(&t, 3), -ENOENT);
	CHECK_EQ_INT(hold(udp(3)), 0);
}

TEST(firewall_death_and_refusal_forget_the_hole)
{
	uint32_t ids[4];

	reset();
	CHECK_EQ_INT(hold(tcp(5, 1, 1)), 0);
	CHECK_EQ_INT(hold(tcp(6, 1, 1)), 0);
	CHECK_EQ_INT(tick(NULL, ids, 4), 2);
	CHECK_EQ_INT(holes_answered(&t, ids[0], -ENOTRECOVERABLE), 0);
	CHECK_EQ_INT(holes_answered(&t, ids[1], -EINVAL), 0);
	CHECK_EQ_INT(t.stats.firewall_gone, 1);
	CHECK_EQ_INT(t.stats.refused_close, 1);
	CHECK_EQ_INT(holes_used(&t), 0);
	CHECK_EQ_INT(tick(NULL, ids, 4), 0);
}

TEST(keys_name_exactly_one_hole)
{
	struct hole_key v4 = tcp(7000, 1, 80), v6 = v4, dirty = v4;
	uint32_t id;
	struct hole_key k;

	reset();
	CHECK_EQ_INT(hold(tcp(0, 1, 80)), -EINVAL);
	CHECK_EQ_INT(hold(tcp(7000, 1, 0)), -EINVAL);
	CHECK_EQ_INT(
	    holes_hold(&t, &(struct hole_key){.protocol = 1, .local_port = 1}),
	    -EINVAL);
	CHECK_EQ_INT(hold(udp(0)), -EINVAL);
	CHECK_EQ_INT(holes_used(&t), 0);
	v6.ipv6 = true;
	/* Bytes past an IPv4 address are not part of it. */
	memset(dirty.remote + 4, 0xaa, 12);
	lwip_takes(&v4);
	CHECK_EQ_INT(holes_hold(&t, &v4), 0);
	CHECK_EQ_INT(holes_hold(&t, &dirty), 0);
	CHECK_EQ_INT(holes_used(&t), 1);
	CHECK_EQ_INT(holes_hold(&t, &v6), 0);
	CHECK_EQ_INT(holes_used(&t), 2);
	/* The IPv6 connection with the same first bytes ended; the IPv4
	 * one did not. */
	CHECK_EQ_INT(holes_sweep(&t, in_lwip, NULL), 1);
	CHECK_EQ_INT(holes_next_closable(&t, &k, &id), 0);
	CHECK(k.ipv6);
}

int
main(void)
{
	RUN(client_hole_stays_while_lwip_works_and_closes_after);
	RUN(server_pcb_dropped_before_accept_closes_its_hole);
	RUN(connection_reset_by_peer_is_closed_once);
	RUN(udp_port_closes_with_its_socket_and_not_before);
	RUN(burst_of_short_connections_overflows_nothing);
	RUN(full_table_refuses_counts_and_keeps_every_hole);
	RUN(close_not_taken_in_time_is_asked_again);
	RUN(connection_made_again_keeps_its_hole);
	RUN(answers_for_no_request_are_ignored);
	RUN(tcpip_restart_forgets_every_hole);
	RUN(firewall_death_and_refusal_forget_the_hole);
	RUN(keys_name_exactly_one_hole);
	HARNESS_EXIT();
}
