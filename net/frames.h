/*
 * Ethernet frames gathered during one turn of a compartment's loop and
 * sent to the peer as one call (schema table Frames): the Firewall and
 * TCPIP exchange every frame this way.  Caller-owned, no allocation.
 */
#ifndef SEALNET_FRAMES_H
#define SEALNET_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "stack.h"

/* Under a message, with room for each frame's table and the envelope:
 * one super-frame of the device's offloads and more besides. */
#define SN_FRAMES_MAX	    32u
#define SN_FRAMES_MAX_BYTES (SN_MAX_MESSAGE - 4096u)
#define SN_FRAMES_MAX_FRAME SN_MAX_SUPER_FRAME

/* What a frame carries besides its bytes (schema table Frame). */
struct sn_frame_info {
	/* A SYN rebuilt from a cookie: lwIP's ISN for it. */
	bool has_syn_cookie;
	uint32_t syn_cookie;
	/* The device vouched for its checksum (to TCPIP). */
	bool checksum_trusted;
	/* A TCP segment for the device to cut, 0 if none (to the Firewall). */
	uint16_t segment_size;
};

struct sn_frames {
	uint8_t data[SN_FRAMES_MAX_BYTES];
	uint16_t len[SN_FRAMES_MAX];
	struct sn_frame_info info[SN_FRAMES_MAX];
	unsigned count;
	uint32_t bytes;
};

/* Room for one frame of len bytes, or NULL when the batch is full (send
 * it first) or the frame is too long. */
uint8_t *sn_frames_reserve(struct sn_frames *f, size_t len);

/* Whether a frame of len bytes would fit (sn_frames_reserve). */
bool sn_frames_has_room(const struct sn_frames *f, size_t len);

/* The frame reserved last, its length and what it carries; NULL if the
 * batch is empty. */
uint8_t *sn_frames_last(struct sn_frames *f, size_t *len,
			struct sn_frame_info **info);

/* Lengthens the frame reserved last by extra bytes: where they go, or
 * NULL (nothing changed) if the batch or the frame has no room. */
uint8_t *sn_frames_extend_last(struct sn_frames *f, size_t extra);

/* Shortens the frame reserved last to len bytes, or takes it out of the
 * batch for 0.  -EINVAL with no frame, or for a len longer than it. */
int sn_frames_trim_last(struct sn_frames *f, size_t len);

/* Marks the frame reserved last as a SYN rebuilt from a SYN cookie, whose
 * connection lwIP must start at isn.  -EINVAL with no frame reserved. */
int sn_frames_mark_syn_cookie(struct sn_frames *f, uint32_t isn);

/* Builds the batch as a Frames body in b: the body's offset. */
uint32_t sn_frames_build(const struct sn_frames *f, sn_builder *b);
/* Empties the batch. */
void sn_frames_clear(struct sn_frames *f);

/* Sends the batch, if any, as one notice of the one-way `export_id` to p
 * and empties it.  Returns the number of frames sent; -EAGAIN when p's
 * ring has no room for it yet (the batch is kept, to be sent again once
 * the loop reports room: see sn_notify); or another negative errno, and
 * the frames are dropped (TCP retransmits, as after a loss on the wire). */
int sn_frames_send(struct sn_frames *f, struct sn_peer *p, uint16_t export_id);

/* The frames of a received Frames body, one at a time: returns the count
 * and calls fn for each frame with what it carries. */
typedef void (*sn_frame_fn)(void *ctx, const uint8_t *frame, uint32_t len,
			    const struct sn_frame_info *info);
uint32_t sn_frames_each(sn_frames_ref r, sn_frame_fn fn, void *ctx);

#endif
