/*
 * Data into lwIP's send buffer (write.c), against a tcp_write that
 * records each piece and takes bytes as lwIP would: while its buffer has
 * room and its segment queue is not full.
 */
#include <string.h>

#include "harness.h"
#include "write.h"

#define MAX_PIECES 16

static struct {
	u16_t len[MAX_PIECES];
	u8_t flags[MAX_PIECES];
	unsigned count;
	/* The piece lwIP refuses (ERR_MEM: its queue is full), or none. */
	unsigned refuse_at;
} writes;

static uint8_t data[256 * 1024];
/* No bound on the segments the write may fill. */
#define ANY UINT32_MAX

err_t
tcp_write(struct tcp_pcb *pcb, const void *arg, u16_t len, u8_t apiflags)
{
	(void)arg;
	if (writes.count == writes.refuse_at || writes.count == MAX_PIECES)
		return ERR_MEM;
	if (len > pcb->snd_buf)
		return ERR_MEM;
	pcb->snd_buf -= len;
	writes.len[writes.count] = len;
	writes.flags[writes.count++] = apiflags;
	return ERR_OK;
}

static struct tcp_pcb
pcb_with(tcpwnd_size_t room, u16_t mss)
{
	struct tcp_pcb pcb;

	memset(&pcb, 0, sizeof(pcb));
	pcb.snd_buf = room;
	pcb.mss = mss;
	memset(&writes, 0, sizeof(writes));
	writes.refuse_at = MAX_PIECES;
	return pcb;
}

/* What a bulk sender offers in one call (120 KiB) is taken whole from an
 * empty 256 KiB buffer, in one call: tcp_sndbuf()'s 16 bits would take
 * 64 KiB of it. */
TEST(a_large_send_is_taken_whole_when_the_buffer_has_room)
{
	struct tcp_pcb pcb = pcb_with(256 * 1024, 1460);

	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 120 * 1024);
	CHECK_EQ_INT(pcb.snd_buf, 136 * 1024);
}

/* 44 segments of 1460 bytes are the most under 64 KiB: each piece but
 * the last is whole segments, so no short one sits mid-stream. */
TEST(every_piece_but_the_last_is_whole_segments)
{
	struct tcp_pcb pcb = pcb_with(256 * 1024, 1460);

	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 120 * 1024);
	CHECK_EQ_INT(writes.count, 2);
	CHECK_EQ_INT(writes.len[0], 44 * 1460);
	CHECK_EQ_INT(writes.len[1], 120 * 1024 - 44 * 1460);
	/* More follows the first piece: lwIP holds its PSH. */
	CHECK(writes.flags[0] & TCP_WRITE_FLAG_MORE);
	CHECK(!(writes.flags[1] & TCP_WRITE_FLAG_MORE));
	CHECK(writes.flags[0] & TCP_WRITE_FLAG_COPY);
	CHECK(writes.flags[1] & TCP_WRITE_FLAG_COPY);

	/* A smaller segment size: still whole segments. */
	pcb = pcb_with(256 * 1024, 536);
	CHECK_EQ_INT(write_some(&pcb, data, 200 * 1024, ANY), 200 * 1024);
	for (unsigned i = 0; i + 1 < writes.count; i++)
		CHECK_EQ_INT(writes.len[i] % 536, 0);
}

TEST(no_more_than_the_room_is_taken)
{
	struct tcp_pcb pcb = pcb_with(16 * 1024, 1460);

	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 16 * 1024);
	CHECK_EQ_INT(pcb.snd_buf, 0);
	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 0);
	CHECK_EQ_INT(writes.count, 1);
}

/* lwIP's queue full at the second piece: what it took of the first is
 * what the caller is told. */
TEST(a_full_segment_queue_stops_at_what_was_taken)
{
	struct tcp_pcb pcb = pcb_with(256 * 1024, 1460);

	writes.refuse_at = 1;
	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 44 * 1460);
	writes.refuse_at = writes.count;
	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, ANY), 0);
}

/* The owner's share of lwIP's segments has room for 10: 10 full ones
 * are taken of 120 KiB, and the 11th waits. */
TEST(no_more_than_the_segments_allowed_are_filled)
{
	struct tcp_pcb pcb = pcb_with(1024 * 1024, 1460);

	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, 10), 10 * 1460);
	CHECK_EQ_INT(writes.count, 1);
	CHECK_EQ_INT(write_some(&pcb, data, 120 * 1024, 0), 0);
	CHECK_EQ_INT(writes.count, 1);
	/* A send shorter than the room in segments is taken whole. */
	CHECK_EQ_INT(write_some(&pcb, data, 1, 1), 1);
	CHECK_EQ_INT(write_some(&pcb, data, 1461, 2), 1461);
	CHECK_EQ_INT(write_some(&pcb, data, 1461, 1), 1460);
}

TEST(nothing_offered_writes_nothing)
{
	struct tcp_pcb pcb = pcb_with(256 * 1024, 1460);

	CHECK_EQ_INT(write_some(&pcb, data, 0, ANY), 0);
	CHECK_EQ_INT(writes.count, 0);
}

int
main(void)
{
	RUN(a_large_send_is_taken_whole_when_the_buffer_has_room);
	RUN(every_piece_but_the_last_is_whole_segments);
	RUN(no_more_than_the_room_is_taken);
	RUN(a_full_segment_queue_stops_at_what_was_taken);
	RUN(no_more_than_the_segments_allowed_are_filled);
	RUN(nothing_offered_writes_nothing);
	HARNESS_EXIT();
}
