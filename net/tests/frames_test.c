/*
 * Frame batches: what fits in one, and that a batch read back through the
 * verifier gives the same frames in the same order, each with its SYN
 * cookie if it had one, its checksum state and its segment size.
 */
#include <errno.h>
#include <string.h>

#include "frames.h"
#include "harness.h"

static struct sn_frames batch;

TEST(a_batch_holds_frames_up_to_its_limits)
{
	memset(&batch, 0, sizeof(batch));
	CHECK_EQ_INT(sn_frames_mark_syn_cookie(&batch, 1), -EINVAL);
	CHECK(sn_frames_reserve(&batch, 0) == NULL);
	CHECK(sn_frames_reserve(&batch, SN_FRAMES_MAX_FRAME + 1) == NULL);
	for (unsigned i = 0; i < SN_FRAMES_MAX; i++)
		CHECK(sn_frames_reserve(&batch, 60) != NULL);
	CHECK(!sn_frames_has_room(&batch, 60));
	CHECK(sn_frames_reserve(&batch, 60) == NULL);
	CHECK_EQ_INT(batch.count, SN_FRAMES_MAX);

	/* Full frames: the byte limit holds as well. */
	memset(&batch, 0, sizeof(batch));
	CHECK(!sn_frames_has_room(&batch, 0));
	CHECK(!sn_frames_has_room(&batch, SN_FRAMES_MAX_FRAME + 1));
	while (sn_frames_has_room(&batch, SN_FRAMES_MAX_FRAME))
		CHECK(sn_frames_reserve(&batch, SN_FRAMES_MAX_FRAME) != NULL);
	CHECK(sn_frames_reserve(&batch, SN_FRAMES_MAX_FRAME) == NULL);
	CHECK(batch.count > 0);
	CHECK(batch.bytes <= SN_FRAMES_MAX_BYTES);
	/* What is left still takes a shorter frame. */
	CHECK(sn_frames_has_room(&batch, SN_FRAMES_MAX_BYTES - batch.bytes));
	CHECK(
	    !sn_frames_has_room(&batch, SN_FRAMES_MAX_BYTES - batch.bytes + 1));
}

static unsigned seen;
static int order_ok = 1;

/* Every third frame carries a SYN cookie's ISN: seen * 1000003. */
static void
check_frame(void *ctx, const uint8_t *frame, uint32_t len,
	    const struct sn_frame_info *info)
{
	order_ok &= len == SN_FRAMES_MAX_FRAME - seen &&
		    frame[0] == (uint8_t)seen &&
		    frame[len - 1] == (uint8_t)~seen;
	if (seen % 3 == 0)
		order_ok &=
		    info->has_syn_cookie && info->syn_cookie == seen * 1000003u;
	else
		order_ok &= !info->has_syn_cookie;
	/* What the device said of each frame, and the size to cut it to. */
	order_ok &= info->checksum_trusted == (seen % 2 == 0) &&
		    info->segment_size == (seen % 2 ? 1448 - seen : 0);
	seen++;
}

TEST(the_last_frame_grows_within_the_limits)
{
	struct sn_frame_info *info;
	size_t len;
	uint8_t *a, *b;

	memset(&batch, 0, sizeof(batch));
	CHECK(sn_frames_last(&batch, &len, &info) == NULL);
	CHECK(sn_frames_extend_last(&batch, 1) == NULL);
	a = sn_frames_reserve(&batch, 100);
	b = sn_frames_extend_last(&batch, 50);
	CHECK(a != NULL && b == a + 100);
	CHECK(sn_frames_last(&batch, &len, &info) == a && len == 150);
	CHECK_EQ_INT(batch.bytes, 150);
	/* Never past a super-frame, nor past the batch. */
	CHECK(sn_frames_extend_last(&batch, SN_FRAMES_MAX_FRAME - 149) == NULL);
	CHECK(sn_frames_extend_last(&batch, SN_FRAMES_MAX_FRAME - 150) != NULL);
	CHECK(sn_frames_reserve(&batch, SN_FRAMES_MAX_FRAME) == NULL ||
	      batch.bytes <= SN_FRAMES_MAX_BYTES);
	while (sn_frames_reserve(&batch, 1000) != NULL)
		;
	CHECK(sn_frames_extend_last(&batch, SN_FRAMES_MAX_BYTES - batch.bytes +
						1) == NULL);
	CHECK(batch.bytes <= SN_FRAMES_MAX_BYTES);
}

/* The Firewall reads a frame into a slot as long as a super-frame, then
 * keeps what it read, or nothing. */
TEST(the_last_frame_shrinks_to_what_was_read_or_goes)
{
	struct sn_frame_info *info;
	size_t len;
	uint8_t *a, *b;

	memset(&batch, 0, sizeof(batch));
	CHECK_EQ_INT(sn_frames_trim_last(&batch, 0), -EINVAL);
	a = sn_frames_reserve(&batch, 60);
	b = sn_frames_reserve(&batch, SN_FRAMES_MAX_FRAME);
	CHECK(a != NULL && b == a + 60);
	CHECK_EQ_INT(sn_frames_trim_last(&batch, SN_FRAMES_MAX_FRAME + 1),
		     -EINVAL);
	CHECK_EQ_INT(sn_frames_trim_last(&batch, 1514), 0);
	CHECK(sn_frames_last(&batch, &len, &info) == b && len == 1514);
	CHECK_EQ_INT(batch.bytes, 60 + 1514);
	/* The next frame goes right after what was kept. */
	CHECK(sn_frames_reserve(&batch, 10) == b + 1514);
	CHECK_EQ_INT(sn_frames_trim_last(&batch, 0), 0);
	CHECK_EQ_INT(batch.count, 2);
	CHECK_EQ_INT(batch.bytes, 60 + 1514);
}

TEST(a_full_batch_fits_one_message_and_reads_back_in_order)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	sn_builder b;
	sn_message_ref m;
	sn_verify_error err;
	size_t len;

	/* The largest batch: as many (nearly) full frames as fit. */
	memset(&batch, 0, sizeof(batch));
	for (unsigned i = 0;; i++) {
		size_t n = SN_FRAMES_MAX_FRAME - i;
		uint8_t *f = sn_frames_reserve(&batch, n);
		if (f == NULL)
			break;
		memset(f, 0, n);
		f[0] = (uint8_t)i;
		f[n - 1] = (uint8_t)~i;
		if (i % 3 == 0)
			CHECK_EQ_INT(
			    sn_frames_mark_syn_cookie(&batch, i * 1000003u), 0);
		batch.info[batch.count - 1].checksum_trusted = i % 2 == 0;
		batch.info[batch.count - 1].segment_size =
		    (uint16_t)(i % 2 ? 1448 - i : 0);
	}

	sn_builder_init(&b, buf, sizeof(buf));
	uint32_t msg = sn_message_start(&b);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_NOTICE);
	sn_message_add_export(&b, msg, SN_EXPORT_TCPIP_FRAME_RECEIVE);
	unsigned count = batch.count;
	uint32_t body = sn_frames_build(&batch, &b);
	/* Built, the batch is kept until it is sent. */
	CHECK_EQ_INT(batch.count, count);
	sn_message_add_body(&b, msg, SN_BODY_FRAMES, body);
	CHECK_EQ_INT(sn_builder_finish(&b, msg, &len), 0);
	CHECK_EQ_INT(sn_message_verify(buf, len, &m, &err), 0);
	seen = 0;
	CHECK_EQ_INT(
	    sn_frames_each(sn_message_body_as_frames(m), check_frame, NULL),
	    count);
	CHECK(order_ok);
}

int
main(void)
{
	RUN(a_batch_holds_frames_up_to_its_limits);
	RUN(the_last_frame_grows_within_the_limits);
	RUN(the_last_frame_shrinks_to_what_was_read_or_goes);
	RUN(a_full_batch_fits_one_message_and_reads_back_in_order);
	HARNESS_EXIT();
}
