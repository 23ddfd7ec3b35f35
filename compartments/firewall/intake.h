/*
 * The Firewall's intake (intake.c): frames read from the device wait in
 * a batch for TCPIP, and the device is read only while that batch has
 * room for one more super-frame.  When TCPIP's ring has no room, the
 * batch is kept and sent again later; once it is full, the device is left
 * unread, so that a burst waits in the device's queue (and the sender's
 * window) instead of being lost.  Whether the device is read is worked
 * out from the batch after every attempt to send it, never decided
 * before one: a send that then went through left an empty batch and a
 * device nobody read, and every frame in stayed in its queue for good.
 *
 * No I/O of its own: reading a frame, sending the batch and watching the
 * device are the caller's (firewall.c), through intake_io.
 */
#ifndef SEALNET_FIREWALL_INTAKE_H
#define SEALNET_FIREWALL_INTAKE_H

#include <stdbool.h>

#include "frames.h"

struct intake;

struct intake_io {
	/* Reads one frame from the device into in->batch (see
	 * intake_reserve): 1 for a frame read, whatever became of it; 0
	 * when the device had nothing; -ENOBUFS when the batch had no room. */
	int (*read)(void *ctx, struct intake *in);
	/* Sends the batch to TCPIP and empties it: its frame count, -EAGAIN
	 * when TCPIP's ring has no room (the batch is kept), or another
	 * negative errno (the frames are lost, as on a wire). */
	int (*send)(void *ctx, struct sn_frames *batch);
	/* Reads the device from now on (true) or leaves it unread (false):
	 * 0, or a negative errno and nothing changed. */
	int (*watch)(void *ctx, bool on);
	void *ctx;
};

struct intake {
	struct sn_frames batch;
	/* The device is not read until the batch has room again. */
	bool device_unread;
	struct intake_io io;
};

/* An empty batch, and a device the caller already reads. */
void intake_init(struct intake *in, const struct intake_io *io);

/* The device is readable: a bounded number of frames (the channels get
 * their turn too), then the batch to TCPIP. */
void intake_device_readable(struct intake *in);

/* Room for one frame of len bytes, sending the batch first if it is
 * full; NULL when TCPIP has no room for it yet. */
uint8_t *intake_reserve(struct intake *in, size_t len);

/* The batch to TCPIP, if it holds a frame (at the end of each turn of
 * the loop, and to make room): what io.send said, or 0. */
int intake_send(struct intake *in);

#endif
