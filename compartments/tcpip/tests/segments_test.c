/*
 * Each owner's share of lwIP's TCP segments (segments.c), with lwIP's
 * queue lengths set by the test as lwIP would change them: writes
 * raise them, acknowledgements lower them, a reset takes the pcb away.
 */
#include <string.h>

#include "harness.h"
#include "segments.h"

static struct sn_peer hostile, honest;
static struct tcp_pcb pcbs[4];
static struct sock socks[4];

/* Sockets 0 to 2 the hostile owner's, 3 the honest one's; all open. */
static void
fresh(void)
{
	for (unsigned i = 0; i < 4; i++) {
		segments_forget(&socks[i]);
		memset(&pcbs[i], 0, sizeof(pcbs[i]));
		memset(&socks[i], 0, sizeof(socks[i]));
		socks[i].state = SOCK_OPEN;
		socks[i].pcb = &pcbs[i];
		socks[i].owner_peer = i < 3 ? &hostile : &honest;
	}
}

/* lwIP's queue of socket i holds n segments; the owner's total. */
static uint32_t
queued(unsigned i, u16_t n)
{
	pcbs[i].snd_queuelen = n;
	return segments_recount(&socks[i]);
}

TEST(an_owners_connections_add_up_and_others_are_apart)
{
	fresh();
	CHECK_EQ_INT(queued(0, 300), 300);
	CHECK_EQ_INT(queued(1, 300), 600);
	CHECK_EQ_INT(queued(3, 5), 5);
	CHECK(segments_owner_may_send(&socks[2]));
	CHECK_EQ_INT(queued(2, OWNER_SEGMENTS_MAX - 600), OWNER_SEGMENTS_MAX);
	/* At its bound the owner waits on every connection, the other
	 * owner not at all. */
	CHECK(!segments_owner_may_send(&socks[0]));
	CHECK(!segments_owner_may_send(&socks[2]));
	CHECK(segments_owner_may_send(&socks[3]));
}

TEST(acknowledgements_bring_the_owner_back_and_wake_it_once)
{
	fresh();
	queued(0, OWNER_SEGMENTS_MAX);
	segments_owner_waits(&socks[1]);
	CHECK(!segments_owner_freed(&socks[0]));
	queued(0, OWNER_SEGMENTS_MAX - 1);
	CHECK(segments_owner_may_send(&socks[1]));
	CHECK(segments_owner_freed(&socks[0]));
	CHECK(!segments_owner_freed(&socks[0]));
}

TEST(a_waiting_owner_is_woken_even_when_nothing_is_left)
{
	fresh();
	queued(0, OWNER_SEGMENTS_MAX);
	segments_owner_waits(&socks[1]);
	CHECK_EQ_INT(queued(0, 0), 0);
	CHECK(segments_owner_freed(&socks[1]));
}

TEST(a_connection_gone_or_freed_leaves_the_count)
{
	fresh();
	queued(0, 400);
	queued(1, 300);
	/* A reset: lwIP freed the pcb and its segments. */
	socks[0].pcb = NULL;
	CHECK_EQ_INT(segments_recount(&socks[0]), 300);
	segments_forget(&socks[1]);
	CHECK_EQ_INT(socks[1].segments, 0);
	CHECK_EQ_INT(queued(2, 7), 7);
}

TEST(every_owner_of_a_compartment_fits_the_table)
{
	static struct sn_peer many[SN_MAX_PEERS];
	static struct sock s[SN_MAX_PEERS];
	static struct tcp_pcb p[SN_MAX_PEERS];

	fresh();
	for (unsigned i = 0; i < SN_MAX_PEERS; i++) {
		s[i].state = SOCK_OPEN;
		s[i].pcb = &p[i];
		s[i].owner_peer = &many[i];
		p[i].snd_queuelen = 1;
		CHECK_EQ_INT(segments_recount(&s[i]), 1);
	}
	for (unsigned i = 0; i < SN_MAX_PEERS; i++)
		segments_forget(&s[i]);
	CHECK_EQ_INT(queued(3, 2), 2);
}

int
main(void)
{
	RUN(an_owners_connections_add_up_and_others_are_apart);
	RUN(acknowledgements_bring_the_owner_back_and_wake_it_once);
	RUN(a_waiting_owner_is_woken_even_when_nothing_is_left);
	RUN(a_connection_gone_or_freed_leaves_the_count);
	RUN(every_owner_of_a_compartment_fits_the_table);
	HARNESS_EXIT();
}
