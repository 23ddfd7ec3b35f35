/*
 * Each owner's share of lwIP's TCP segments (segments.c), with lwIP's
 * queue lengths set by the test as lwIP would change them: writes
 * raise them, acknowledgements lower them, a reset takes the pcb away,
 * and a closed connection's pcb keeps its queue until lwIP is done.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "segments.h"

static struct sn_peer hostile, honest;
static struct tcp_pcb pcbs[4];
static struct sock socks[4];

/* Where each connection's written data ends: its pcb has some not yet
 * acknowledged unless a test says otherwise. */
#define DATA_END 1000000u

/* Sockets 0 to 2 the hostile owner's, 3 the honest one's; all open. */
static void
fresh(void)
{
	for (unsigned i = 0; i < 4; i++) {
		segments_forget(&socks[i]);
		memset(&pcbs[i], 0, sizeof(pcbs[i]));
		pcbs[i].snd_lbb = DATA_END;
		memset(&socks[i], 0, sizeof(socks[i]));
		socks[i].state = SOCK_OPEN;
		socks[i].pcb = &pcbs[i];
		socks[i].owner_peer = i < 3 ? &hostile : &honest;
	}
}

#define CHECK_NONE_LEFT(s) CHECK_EQ_INT(segments_owner_room(s), 0)
#define CHECK_SOME_LEFT(s) CHECK(segments_owner_room(s) > 0)

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
	/* Its room is what its connections together leave of its share. */
	CHECK_EQ_INT(segments_owner_room(&socks[2]), OWNER_SEGMENTS_MAX - 600);
	CHECK_EQ_INT(segments_owner_room(&socks[3]), OWNER_SEGMENTS_MAX - 5);
	CHECK_EQ_INT(queued(2, OWNER_SEGMENTS_MAX - 600), OWNER_SEGMENTS_MAX);
	/* At its bound the owner waits on every connection, the other
	 * owner not at all. */
	CHECK_NONE_LEFT(&socks[0]);
	CHECK_NONE_LEFT(&socks[2]);
	CHECK_SOME_LEFT(&socks[3]);
}

TEST(acknowledgements_bring_the_owner_back_and_wake_it_once)
{
	fresh();
	queued(0, OWNER_SEGMENTS_MAX);
	segments_owner_waits(&socks[1]);
	CHECK(!segments_owner_freed(&hostile));
	queued(0, OWNER_SEGMENTS_MAX - 1);
	CHECK_SOME_LEFT(&socks[1]);
	CHECK(segments_owner_freed(&hostile));
	CHECK(!segments_owner_freed(&hostile));
}

/* Each owner's waits are its own, so that TCPIP's log names every owner
 * that reaches its share, not only whichever makes a power of two of
 * all waits together. */
TEST(each_owners_waits_are_counted_apart)
{
	fresh();
	queued(0, OWNER_SEGMENTS_MAX);
	queued(3, OWNER_SEGMENTS_MAX);
	CHECK_EQ_INT(segments_owner_waits(&socks[0]), 1);
	CHECK_EQ_INT(segments_owner_waits(&socks[1]), 2);
	CHECK_EQ_INT(segments_owner_waits(&socks[3]), 1);
	/* Once it has nothing queued, its next wait is a first again. */
	queued(0, 0);
	CHECK(segments_owner_freed(&hostile));
	queued(0, OWNER_SEGMENTS_MAX);
	CHECK_EQ_INT(segments_owner_waits(&socks[0]), 1);
	/* Neither owner keeps its slot for the tests after. */
	queued(0, 0);
	queued(3, 0);
	CHECK(segments_owner_freed(&hostile));
	CHECK(segments_owner_freed(&honest));
}

TEST(a_waiting_owner_is_woken_even_when_nothing_is_left)
{
	fresh();
	queued(0, OWNER_SEGMENTS_MAX);
	segments_owner_waits(&socks[1]);
	CHECK_EQ_INT(queued(0, 0), 0);
	CHECK(segments_owner_freed(&hostile));
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

/* Socket i closed as sock_free does it: its own count goes, and its pcb's
 * queue is counted on from a record (NULL if segments_leave failed). */
static struct segments_left *
closed(unsigned i)
{
	struct segments_left *left = NULL;

	segments_forget(&socks[i]);
	return segments_leave(socks[i].owner_peer, &pcbs[i], &left) == 0 ? left
									 : NULL;
}

TEST(a_closed_connections_queue_stays_its_owners_until_acknowledged)
{
	struct segments_left *left;

	fresh();
	queued(0, OWNER_SEGMENTS_MAX - 68);
	left = closed(0);
	CHECK(left != NULL);
	CHECK(segments_left_owner(left) == &hostile);
	/* Its next connection finds the share all but taken. */
	CHECK_EQ_INT(queued(1, 68), OWNER_SEGMENTS_MAX);
	CHECK_NONE_LEFT(&socks[2]);
	CHECK_SOME_LEFT(&socks[3]);
	segments_owner_waits(&socks[1]);
	/* Acknowledgements for the closed connection free the owner. */
	pcbs[0].snd_queuelen = 100;
	CHECK_EQ_INT(segments_left_recount(left), 100);
	CHECK(segments_owner_freed(&hostile));
	CHECK_SOME_LEFT(&socks[2]);
	/* Its last one ends the record, and the count with it. */
	pcbs[0].snd_queuelen = 0;
	CHECK_EQ_INT(segments_left_recount(left), 0);
	CHECK_EQ_INT(queued(1, 68), 68);
}

/* The FIN tcp_close queues on its own, behind data sent but not yet
 * acknowledged, carries no data: lwIP reports its acknowledgement to
 * nobody when it comes apart from the data's, as a peer acknowledging
 * at once sends it.  Nothing may be left counted for the two minutes
 * the pcb then waits in TIME_WAIT. */
TEST(a_closed_connections_own_fin_acknowledged_apart_is_not_kept)
{
	struct segments_left *left;
	uint32_t kept;

	fresh();
	pcbs[0].lastack = DATA_END - 2 * TCP_MSS;
	queued(0, 2);
	left = closed(0);
	CHECK(left != NULL);
	/* tcp_close: the FIN, one more segment and sequence number. */
	pcbs[0].snd_queuelen = 3;
	pcbs[0].snd_lbb = DATA_END + 1;
	/* The data's acknowledgement, the last lwIP reports. */
	pcbs[0].lastack = DATA_END;
	pcbs[0].snd_queuelen = 1;
	kept = segments_left_recount(left);
	/* The FIN's frees its segment unreported. */
	pcbs[0].lastack = DATA_END + 1;
	pcbs[0].snd_queuelen = 0;
	CHECK_EQ_INT(segments_owner_room(&socks[1]), OWNER_SEGMENTS_MAX - kept);
	/* A record kept would hold the count in the tests after. */
	if (kept > 0)
		segments_left_gone(left);
	CHECK_EQ_INT(kept, 0);
}

TEST(a_closed_pcb_lwip_frees_leaves_the_count)
{
	struct segments_left *left;

	fresh();
	queued(0, 500);
	left = closed(0);
	CHECK(left != NULL);
	CHECK_EQ_INT(queued(1, 1), 501);
	segments_left_gone(left);
	CHECK_EQ_INT(queued(1, 1), 1);
}

TEST(nothing_queued_or_no_owner_needs_no_record)
{
	struct segments_left *left = NULL;

	fresh();
	CHECK_EQ_INT(segments_leave(&hostile, &pcbs[0], &left), 0);
	CHECK(left == NULL);
	pcbs[0].snd_queuelen = 5;
	CHECK_EQ_INT(segments_leave(NULL, &pcbs[0], &left), 0);
	CHECK(left == NULL);
	CHECK_EQ_INT(queued(1, 1), 1);
}

TEST(every_pcb_of_lwip_may_leave_a_queue_and_no_more)
{
	static struct tcp_pcb p[MEMP_NUM_TCP_PCB + 1];
	static struct segments_left *left[MEMP_NUM_TCP_PCB];
	struct segments_left *extra = NULL;

	fresh();
	for (unsigned i = 0; i <= MEMP_NUM_TCP_PCB; i++)
		p[i].snd_queuelen = 1;
	for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++) {
		CHECK_EQ_INT(segments_leave(&honest, &p[i], &left[i]), 0);
		CHECK(left[i] != NULL);
	}
	CHECK_EQ_INT(segments_leave(&honest, &p[MEMP_NUM_TCP_PCB], &extra),
		     -ENOSPC);
	CHECK(extra == NULL);
	CHECK_EQ_INT(queued(3, 1), MEMP_NUM_TCP_PCB + 1);
	for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++)
		segments_left_gone(left[i]);
	CHECK_EQ_INT(queued(3, 1), 1);
}

int
main(void)
{
	RUN(an_owners_connections_add_up_and_others_are_apart);
	RUN(acknowledgements_bring_the_owner_back_and_wake_it_once);
	RUN(each_owners_waits_are_counted_apart);
	RUN(a_waiting_owner_is_woken_even_when_nothing_is_left);
	RUN(a_connection_gone_or_freed_leaves_the_count);
	RUN(every_owner_of_a_compartment_fits_the_table);
	RUN(a_closed_connections_queue_stays_its_owners_until_acknowledged);
	RUN(a_closed_connections_own_fin_acknowledged_apart_is_not_kept);
	RUN(a_closed_pcb_lwip_frees_leaves_the_count);
	RUN(nothing_queued_or_no_owner_needs_no_record);
	RUN(every_pcb_of_lwip_may_leave_a_queue_and_no_more);
	HARNESS_EXIT();
}
