#include "frames.h"

#include <errno.h>
#include <string.h>

uint8_t *
sn_frames_reserve(struct sn_frames *f, size_t len)
{
	uint8_t *at;

	if (len == 0 || len > SN_FRAMES_MAX_FRAME ||
	    f->count >= SN_FRAMES_MAX || len > SN_FRAMES_MAX_BYTES - f->bytes)
		return NULL;
	at = f->data + f->bytes;
	f->len[f->count++] = (uint16_t)len;
	f->bytes += (uint32_t)len;
	return at;
}

int
sn_frames_send(struct sn_frames *f, struct sn_peer *p, uint16_t export_id,
	       sn_reply_fn done)
{
	unsigned count = f->count;
	uint32_t off = 0;
	int rc;

	if (count == 0)
		return 0;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_frames_start(b);
	uint32_t vec = sn_frames_start_frames(b, body, count);
	for (unsigned i = 0; i < count; i++) {
		uint32_t t = sn_frame_start(b);

		sn_frame_add_data(b, t, f->data + off, f->len[i]);
		sn_builder_set_table_at(b, vec, i, t);
		off += f->len[i];
	}
	f->count = 0;
	f->bytes = 0;
	rc = sn_call_async(p, export_id, SN_BODY_FRAMES, body,
			   1000 * 1000000ull, done, NULL);
	return rc < 0 ? rc : (int)count;
}

uint32_t
sn_frames_each(sn_frames_ref r, sn_frame_fn fn, void *ctx)
{
	uint32_t n = sn_frames_frames_count(r);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t len;
		const uint8_t *data =
		    sn_frame_data(sn_frames_frames_at(r, i), &len);

		fn(ctx, data, len);
	}
	return n;
}
