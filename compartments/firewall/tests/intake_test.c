/* The Firewall's intake (intake.h): when the device is read, given what
 * TCPIP's ring takes.  The device and TCPIP are scripted here. */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "intake.h"

static struct intake in;
/* What TCPIP's ring does with each send, in turn: 0 takes the batch,
 * -EAGAIN has no room for it. */
static int sends[8];
static unsigned nsends, sent;
/* Frames the device has waiting, and their length: super-frames but
 * where a test says otherwise.  Each is read into a super-frame's room
 * and cut to its length, as firewall.c reads them. */
static unsigned waiting;
static size_t frame_len;
static bool watched;
static unsigned watch_calls;

static int
read_one(void *ctx, struct intake *i)
{
	uint8_t *slot;

	if (waiting == 0)
		return 0;
	slot = intake_reserve(i, SN_FRAMES_MAX_FRAME);
	if (slot == NULL)
		return -ENOBUFS;
	memset(slot, 0xab, frame_len);
	if (sn_frames_trim_last(&i->batch, frame_len) < 0)
		return -EINVAL;
	waiting--;
	return 1;
}

static int
send_batch(void *ctx, struct sn_frames *b)
{
	int rc = sent < nsends ? sends[sent] : 0;
	unsigned n = b->count;

	sent++;
	/* As sn_frames_send: a batch TCPIP had no room for is kept; one
	 * that failed otherwise is lost, as on a wire. */
	if (rc == -EAGAIN)
		return rc;
	sn_frames_clear(b);
	return rc < 0 ? rc : (int)n;
}

static int
watch(void *ctx, bool on)
{
	watched = on;
	watch_calls++;
	return 0;
}

static void
start(unsigned frames, const int *script, unsigned n)
{
	memset(&in, 0, sizeof(in));
	intake_init(&in, &(struct intake_io){.read = read_one,
					     .send = send_batch,
					     .watch = watch});
	for (unsigned i = 0; i < n; i++)
		sends[i] = script[i];
	nsends = n;
	sent = 0;
	waiting = frames;
	frame_len = SN_FRAMES_MAX_FRAME;
	watched = true;
	watch_calls = 0;
}

/* Nothing waits for TCPIP, and the device is read. */
static bool
all_sent_and_read(void)
{
	return in.batch.count == 0 && watched && !in.device_unread;
}

/* TCPIP keeps up: every frame goes, and the device is read throughout. */
TEST(with_room_in_tcpip_the_device_is_always_read)
{
	start(5, NULL, 0);
	intake_device_readable(&in);
	CHECK_EQ_INT(waiting, 0);
	CHECK(all_sent_and_read());
	CHECK_EQ_INT(watch_calls, 0);
}

/* TCPIP's ring is full: the batch fills, then the device waits; once
 * TCPIP takes the batch (the end of a later turn), it is read again. */
TEST(a_full_batch_stops_the_reads_until_tcpip_takes_it)
{
	const int script[] = {-EAGAIN, -EAGAIN, 0};

	start(5, script, 3);
	intake_device_readable(&in);
	CHECK(in.batch.count > 0);
	CHECK(!sn_frames_has_room(&in.batch, SN_FRAMES_MAX_FRAME));
	CHECK(!watched);
	CHECK(in.device_unread);
	CHECK(waiting > 0);
	/* The turn's end: TCPIP has made room. */
	CHECK(intake_send(&in) > 0);
	CHECK(all_sent_and_read());
}

/*
 * The race that stopped every frame in: within one round the batch is
 * full and TCPIP has no room, then TCPIP makes room before the round's
 * own send, which goes through.  The batch is empty, so nothing will ever
 * send again to resume the device: it must still be read.
 */
TEST(a_send_that_goes_through_at_the_end_of_a_round_leaves_the_device_read)
{
	const int script[] = {-EAGAIN, 0};

	start(5, script, 2);
	intake_device_readable(&in);
	CHECK_EQ_INT(sent, 2);
	CHECK(all_sent_and_read());
}

/* A batch with room left is not a reason to stop reading, whatever TCPIP
 * does with it: ordinary frames keep coming until it is full. */
TEST(a_batch_with_room_keeps_the_device_read)
{
	const int script[] = {-EAGAIN};

	start(3, script, 1);
	frame_len = 1514;
	intake_device_readable(&in);
	CHECK_EQ_INT(waiting, 0);
	CHECK_EQ_INT(in.batch.count, 3);
	CHECK(watched);
	CHECK_EQ_INT(watch_calls, 0);
}

/* TCPIP gone: the batch is lost, as on a wire, and the device read. */
TEST(frames_tcpip_cannot_take_are_lost_and_the_device_read)
{
	const int script[] = {-EAGAIN, -ECONNRESET};

	start(5, script, 2);
	intake_device_readable(&in);
	CHECK_EQ_INT(sent, 2);
	CHECK(all_sent_and_read());
}

int
main(void)
{
	RUN(with_room_in_tcpip_the_device_is_always_read);
	RUN(a_full_batch_stops_the_reads_until_tcpip_takes_it);
	RUN(a_send_that_goes_through_at_the_end_of_a_round_leaves_the_device_read);
	RUN(a_batch_with_room_keeps_the_device_read);
	RUN(frames_tcpip_cannot_take_are_lost_and_the_device_read);
	HARNESS_EXIT();
}
