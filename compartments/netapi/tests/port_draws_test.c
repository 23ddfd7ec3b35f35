/*
 * Local ports for connections: a draw keeps its randomness, never gives
 * one of the last NETAPI_RECENT_PORTS ports again, frees the oldest as
 * it goes, and so never meets a port that lwIP holds in TIME_WAIT while
 * connections come and go, which a uniform draw does about once in
 * fifteen.
 */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "lwipopts.h"
#include "port_draws.h"

#define COUNT NETAPI_EPHEMERAL_COUNT
/* TCPIP's lwIP pcb pool: what it can hold in TIME_WAIT at most, read
 * from TCPIP's own configuration so that the two cannot drift apart. */
#define LWIP_PCBS MEMP_NUM_TCP_PCB
_Static_assert(NETAPI_RECENT_PORTS > LWIP_PCBS,
	       "NetAPI keeps out more ports than lwIP can hold in TIME_WAIT");

static struct port_draws d;

/* A fixed sequence, so that a failure can be run again. */
static uint32_t rng_state = 0x9e3779b9u;
static uint16_t
rng16(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (uint16_t)(rng_state >> 8);
}

TEST(a_port_not_drawn_lately_is_the_draw_itself)
{
	port_draws_init(&d);
	CHECK_EQ_INT(port_draws_take(&d, 7), 7);
	CHECK_EQ_INT(port_draws_take(&d, COUNT + 9), 9);
	CHECK_EQ_INT(port_draws_take(&d, 0xffff), 0xffff % COUNT);
}

TEST(the_same_draw_each_time_still_gives_new_ports_wrapping_at_the_top)
{
	port_draws_init(&d);
	CHECK_EQ_INT(port_draws_take(&d, COUNT - 2), COUNT - 2);
	CHECK_EQ_INT(port_draws_take(&d, COUNT - 2), COUNT - 1);
	CHECK_EQ_INT(port_draws_take(&d, COUNT - 2), 0);
	CHECK_EQ_INT(port_draws_take(&d, COUNT - 2), 1);
	for (unsigned k = 4; k < NETAPI_RECENT_PORTS; k++)
		CHECK_EQ_INT(port_draws_take(&d, COUNT - 2), k - 2);
}

TEST(the_oldest_port_is_free_again_after_as_many_draws_as_are_kept)
{
	port_draws_init(&d);
	CHECK_EQ_INT(port_draws_take(&d, 5), 5);
	for (unsigned k = 1; k < NETAPI_RECENT_PORTS; k++)
		CHECK_EQ_INT(port_draws_take(&d, (uint16_t)(100 + k)), 100 + k);
	/* 5 is the oldest of the ones kept: still out. */
	CHECK_EQ_INT(port_draws_take(&d, 5), 6);
	/* That draw pushed 5 out. */
	CHECK_EQ_INT(port_draws_take(&d, 5), 5);
}

/* lwIP as the churn sees it: each connection's port held in TIME_WAIT
 * until LWIP_PCBS later ones have pushed it out.  How many of n draws
 * fell on a held port, drawn through port_draws or uniformly. */
static unsigned
draws_on_held_ports(unsigned n, bool through_port_draws)
{
	static uint16_t held[LWIP_PCBS];
	static bool is_held[COUNT];
	unsigned next = 0, count = 0, hits = 0;

	memset(is_held, 0, sizeof(is_held));
	port_draws_init(&d);
	for (unsigned i = 0; i < n; i++) {
		uint16_t r = rng16();
		uint16_t k = through_port_draws ? port_draws_take(&d, r)
						: (uint16_t)(r % COUNT);

		if (is_held[k]) {
			hits++; /* refused; the next draw is a new try */
			continue;
		}
		if (count == LWIP_PCBS)
			is_held[held[next]] = false;
		else
			count++;
		held[next] = k;
		is_held[k] = true;
		next = (next + 1) % LWIP_PCBS;
	}
	return hits;
}

TEST(no_draw_meets_a_port_lwip_holds_in_time_wait)
{
	unsigned uniform = draws_on_held_ports(100000, false);

	/* The model finds what the churn found: about one in fifteen. */
	CHECK(uniform > 5000 && uniform < 8000);
	CHECK_EQ_INT(draws_on_held_ports(100000, true), 0);
}

/* The randomness is kept: over many draws, each 64-port block of the
 * range is drawn about as often as any other. */
TEST(draws_spread_evenly_over_the_range)
{
	static unsigned per_block[COUNT / 64];
	const unsigned n = 64u * COUNT, mean = n / (COUNT / 64);

	memset(per_block, 0, sizeof(per_block));
	port_draws_init(&d);
	for (unsigned i = 0; i < n; i++)
		per_block[port_draws_take(&d, rng16()) / 64]++;
	for (unsigned b = 0; b < COUNT / 64; b++) {
		CHECK(per_block[b] > mean * 9 / 10);
		CHECK(per_block[b] < mean * 11 / 10);
	}
}

int
main(void)
{
	RUN(a_port_not_drawn_lately_is_the_draw_itself);
	RUN(the_same_draw_each_time_still_gives_new_ports_wrapping_at_the_top);
	RUN(the_oldest_port_is_free_again_after_as_many_draws_as_are_kept);
	RUN(no_draw_meets_a_port_lwip_holds_in_time_wait);
	RUN(draws_spread_evenly_over_the_range);
	HARNESS_EXIT();
}
