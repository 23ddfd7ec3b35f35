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
	f->has_syn_cookie[f->count] = false;
	f->len[f->count++] = (uint16_t)len;
	f->bytes += (uint32_t)len;
	return at;
}

int
sn_frames_mark_syn_cookie(struct sn_frames *f, uint32_t isn)
{
	if (f->count == 0)
		return -EINVAL;
	f->has_syn_cookie[f->count - 1] = true;
	f->syn_cookie[f->count - 1] = isn;
	return 0;
}

uint32_t
sn_frames_build(struct sn_frames *f, sn_builder *b)
{
	uint32_t body = sn_frames_start(b);
	uint32_t vec = sn_frames_start_frames(b, body, f->count);
	uint32_t off = 0;

	for (unsigned i = 0; i < f->count; i++) {
		uint32_t t = sn_frame_start(b);

		sn_frame_add_data(b, t, f->data + off, f->len[i]);
		if (f->has_syn_cookie[i]) {
			sn_syn_cookie c = {f->syn_cookie[i]};

			sn_frame_add_syn_cookie(b, t, &c);
		}
		sn_builder_set_table_at(b, vec, i, t);
		off += f->len[i];
	}
	f->count = 0;
	f->bytes = 0;
	return body;
}

int
sn_frames_send(struct sn_frames *f, struct sn_peer *p, uint16_t export_id,
	       sn_reply_fn done)
{
	unsigned count = f->count;
	uint32_t body;
	int rc;

	if (count == 0)
		return 0;
	body = sn_frames_build(f, sn_call_builder(p->owner));
	rc = sn_call_async(p, export_id, SN_BODY_FRAMES, body,
			   1000 * 1000000ull, done, NULL);
	return rc < 0 ? rc : (int)count;
}

uint32_t
sn_frames_each(sn_frames_ref r, sn_frame_fn fn, void *ctx)
{
	uint32_t n = sn_frames_frames_count(r);

	for (uint32_t i = 0; i < n; i++) {
		sn_frame_ref frame = sn_frames_frames_at(r, i);
		sn_syn_cookie cookie;
		uint32_t len;
		const uint8_t *data = sn_frame_data(frame, &len);

		fn(ctx, data, len,
		   sn_frame_syn_cookie(frame, &cookie) ? &cookie.isn : NULL);
	}
	return n;
}
