/*
 * How received data is held (rxplan.c): which pieces are kept as lwIP
 * made them, and where copies go, with the queue's end set by the test.
 */
#include "harness.h"
#include "rxplan.h"

/* A frame of one segment, in a pool buffer the size of a full frame. */
static const struct rx_piece pooled_byte = {1, 1600, false};
static const struct rx_piece pooled_full = {1460, 1600, false};
/* A super-frame in the heap: its data and a frame's headers. */
static const struct rx_piece super_frame = {64000, 64000 + 120, true};

#define CHECK_STEP(step, act, chain, n)                                        \
	do {                                                                   \
		struct rx_step s_ = (step);                                    \
		CHECK_EQ_INT(s_.action, act);                                  \
		CHECK_EQ_INT(s_.new_chain, chain);                             \
		CHECK_EQ_INT(s_.bytes, n);                                     \
	} while (0)

TEST(a_super_frame_is_kept_and_a_pool_buffer_never)
{
	CHECK(rx_keeps(&super_frame));
	CHECK(!rx_keeps(&pooled_byte));
	/* Full, but the pool is for frames on their way in. */
	CHECK(!rx_keeps(&pooled_full));
}

/* Mostly payload, and enough of it to pay for a compact buffer it may
 * leave part filled. */
TEST(a_heap_buffer_is_kept_only_when_mostly_data)
{
	struct rx_piece p = {RX_KEEP_MIN, RX_KEEP_MIN + RX_KEEP_MIN / 8, true};

	CHECK(rx_keeps(&p));
	p.held++;
	CHECK(!rx_keeps(&p));
	/* lwIP cut a retransmitted super-frame to its last new bytes. */
	p = (struct rx_piece){3000, 64000, true};
	CHECK(!rx_keeps(&p));
	p = (struct rx_piece){RX_KEEP_MIN - 1, RX_KEEP_MIN, true};
	CHECK(!rx_keeps(&p));
	/* A count that makes no sense is not trusted. */
	p = (struct rx_piece){RX_KEEP_MIN, 10, true};
	CHECK(!rx_keeps(&p));
}

TEST(a_kept_piece_starts_a_chain_only_when_it_does_not_fit)
{
	struct rx_tail tail = {0, 64000};

	CHECK_STEP(rx_next_step(&super_frame, 64000, &tail), RX_KEEP, false,
		   64000);
	tail.chain_room = 63999;
	CHECK_STEP(rx_next_step(&super_frame, 64000, &tail), RX_KEEP, true,
		   64000);
	/* An empty queue has no chain to join. */
	tail = (struct rx_tail){0, 0};
	CHECK_STEP(rx_next_step(&super_frame, 64000, &tail), RX_KEEP, true,
		   64000);
}

TEST(small_pieces_fill_the_compact_buffer_before_another_is_made)
{
	struct rx_tail tail = {0, 0};

	/* Nothing queued: a buffer in a chain of its own, then the copy. */
	CHECK_STEP(rx_next_step(&pooled_byte, 1, &tail), RX_NEW_BUFFER, true,
		   RX_BUFFER);
	tail = (struct rx_tail){RX_BUFFER, RX_CHAIN_MAX};
	CHECK_STEP(rx_next_step(&pooled_byte, 1, &tail), RX_COPY, false, 1);
	/* A full segment split over the buffer's last bytes and the next. */
	tail = (struct rx_tail){100, RX_CHAIN_MAX - 5000};
	CHECK_STEP(rx_next_step(&pooled_full, 1460, &tail), RX_COPY, false,
		   100);
	tail.room = 0;
	CHECK_STEP(rx_next_step(&pooled_full, 1360, &tail), RX_NEW_BUFFER,
		   false, RX_BUFFER);
	tail.room = RX_BUFFER;
	CHECK_STEP(rx_next_step(&pooled_full, 1360, &tail), RX_COPY, false,
		   1360);
}

/* A chain's 16-bit length is never passed: the copy stops at it, and
 * the rest goes into a buffer of a new chain. */
TEST(a_copy_stops_where_the_chain_is_full)
{
	struct rx_tail tail = {RX_BUFFER, 10};

	CHECK_STEP(rx_next_step(&pooled_full, 1460, &tail), RX_COPY, false, 10);
	tail = (struct rx_tail){RX_BUFFER - 10, 0};
	CHECK_STEP(rx_next_step(&pooled_full, 1450, &tail), RX_NEW_BUFFER, true,
		   RX_BUFFER);
}

/* Once part of a piece is copied, the rest follows it, even where the
 * whole piece would have been kept. */
TEST(a_piece_partly_copied_is_copied_to_its_end)
{
	struct rx_tail tail = {RX_BUFFER, RX_CHAIN_MAX};

	CHECK_STEP(rx_next_step(&super_frame, 1000, &tail), RX_COPY, false,
		   1000);
}

/* A datagram of nothing still holds a buffer, and its owner pays for it;
 * one kept pays what its buffer takes. */
TEST(a_datagram_is_charged_what_it_holds)
{
	struct rx_piece empty = {0, 1600, false};

	CHECK_EQ_INT(rx_datagram_held(&empty), RX_BUFFER_OVERHEAD);
	CHECK_EQ_INT(rx_datagram_held(&pooled_full), 1460 + RX_BUFFER_OVERHEAD);
	CHECK_EQ_INT(rx_datagram_held(&super_frame), 64000 + 120);
}

int
main(void)
{
	RUN(a_super_frame_is_kept_and_a_pool_buffer_never);
	RUN(a_heap_buffer_is_kept_only_when_mostly_data);
	RUN(a_kept_piece_starts_a_chain_only_when_it_does_not_fit);
	RUN(small_pieces_fill_the_compact_buffer_before_another_is_made);
	RUN(a_copy_stops_where_the_chain_is_full);
	RUN(a_piece_partly_copied_is_copied_to_its_end);
	RUN(a_datagram_is_charged_what_it_holds);
	HARNESS_EXIT();
}
