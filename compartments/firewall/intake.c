#include "intake.h"

#include <errno.h>

void
intake_init(struct intake *in, const struct intake_io *io)
{
	sn_frames_clear(&in->batch);
	in->device_unread = false;
	in->io = *io;
}

/* Reads the device while the batch has room for a super-frame. */
static void
watch_device(struct intake *in)
{
	bool room = sn_frames_has_room(&in->batch, SN_FRAMES_MAX_FRAME);

	if (room == !in->device_unread)
		return;
	if (in->io.watch(in->io.ctx, room) == 0)
		in->device_unread = !room;
}

int
intake_send(struct intake *in)
{
	int rc = in->batch.count > 0 ? in->io.send(in->io.ctx, &in->batch) : 0;

	watch_device(in);
	return rc;
}

uint8_t *
intake_reserve(struct intake *in, size_t len)
{
	uint8_t *slot = sn_frames_reserve(&in->batch, len);

	if (slot == NULL && in->batch.count > 0) {
		intake_send(in);
		slot = sn_frames_reserve(&in->batch, len);
	}
	return slot;
}

void
intake_device_readable(struct intake *in)
{
	/* While TCPIP is behind, frames are still read and filtered, and
	 * those that pass wait in the batch; only a full batch stops the
	 * reads.  Were the device left unread as soon as TCPIP fell behind,
	 * a flood the filter would drop fills the device's queue, and the
	 * kernel drops the real clients' frames with the flood's. */
	for (unsigned i = 0; i < SN_FRAMES_MAX; i++)
		if (in->io.read(in->io.ctx, in) <= 0)
			break;
	intake_send(in);
}
