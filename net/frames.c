#include "frames.h"

#include <errno.h>
#include <string.h>

bool
sn_frames_has_room(const struct sn_frames *f, size_t len)
{
	return len > 0 && len <= SN_FRAMES_MAX_FRAME &&
	       f->count < SN_FRAMES_MAX &&
	       len <= SN_FRAMES_MAX_BYTES - f->bytes;
}

uint8_t *
sn_frames_reserve(struct sn_frames *f, size_t len)
{
	uint8_t *at;

	if (!sn_frames_has_room(f, len))
		return NULL;
	at = f->data + f->bytes;
	memset(&f->info[f->count], 0, sizeof(f->info[0]));
	f->len[f->count++] = (uint16_t)len;
	f->bytes += (uint32_t)len;
	return at;
}

uint8_t *
sn_frames_last(struct sn_frames *f, size_t *len, struct sn_frame_info **info)
{
	if (f->count == 0)
		return NULL;
	*len = f->len[f->count - 1];
	*info = &f->info[f->count - 1];
	return f->data + f->bytes - *len;
}

uint8_t *
sn_frames_extend_last(struct sn_frames *f, size_t extra)
{
	uint8_t *at;

	if (f->count == 0 ||
	    extra > SN_FRAMES_MAX_FRAME - f->len[f->count - 1] ||
	    extra > SN_FRAMES_MAX_BYTES - f->bytes)
		return NULL;
	at = f->data + f->bytes;
	f->len[f->count - 1] = (uint16_t)(f->len[f->count - 1] + extra);
	f->bytes += (uint32_t)extra;
	return at;
}

int
sn_frames_trim_last(struct sn_frames *f, size_t len)
{
	uint16_t *last;

	if (f->count == 0 || len > f->len[f->count - 1])
		return -EINVAL;
	last = &f->len[f->count - 1];
	f->bytes -= (uint32_t)(*last - len);
	*last = (uint16_t)len;
	if (len == 0)
		f->count--;
	return 0;
}

int
sn_frames_mark_syn_cookie(struct sn_frames *f, uint32_t isn)
{
	if (f->count == 0)
		return -EINVAL;
	f->info[f->count - 1].has_syn_cookie = true;
	f->info[f->count - 1].syn_cookie = isn;
	return 0;
}

uint32_t
sn_frames_build(const struct sn_frames *f, sn_builder *b)
{
	uint32_t body = sn_frames_start(b);
	uint32_t vec = sn_frames_start_frames(b, body, f->count);
	uint32_t off = 0;

	for (unsigned i = 0; i < f->count; i++) {
		const struct sn_frame_info *info = &f->info[i];
		uint32_t t = sn_frame_start(b);

		sn_frame_add_data(b, t, f->data + off, f->len[i]);
		if (info->has_syn_cookie) {
			sn_syn_cookie c = {info->syn_cookie};

			sn_frame_add_syn_cookie(b, t, &c);
		}
		if (info->checksum_trusted)
			sn_frame_add_checksum_trusted(b, t, true);
		if (info->segment_size != 0)
			sn_frame_add_segment_size(b, t, info->segment_size);
		sn_builder_set_table_at(b, vec, i, t);
		off += f->len[i];
	}
	return body;
}

void
sn_frames_clear(struct sn_frames *f)
{
	f->count = 0;
	f->bytes = 0;
}

int
sn_frames_send(struct sn_frames *f, struct sn_peer *p, uint16_t export_id)
{
	unsigned count = f->count;
	uint32_t body;
	int rc;

	if (count == 0)
		return 0;
	body = sn_frames_build(f, sn_call_builder(p->owner));
	rc = sn_notify(p, export_id, SN_BODY_FRAMES, body);
	if (rc == -EAGAIN)
		return rc;
	sn_frames_clear(f);
	return rc < 0 ? rc : (int)count;
}

uint32_t
sn_frames_each(sn_frames_ref r, sn_frame_fn fn, void *ctx)
{
	uint32_t n = sn_frames_frames_count(r);

	for (uint32_t i = 0; i < n; i++) {
		sn_frame_ref frame = sn_frames_frames_at(r, i);
		struct sn_frame_info info = {0};
		sn_syn_cookie cookie;
		uint32_t len;
		const uint8_t *data = sn_frame_data(frame, &len);

		if (sn_frame_syn_cookie(frame, &cookie)) {
			info.has_syn_cookie = true;
			info.syn_cookie = cookie.isn;
		}
		info.checksum_trusted = sn_frame_checksum_trusted(frame);
		info.segment_size = sn_frame_segment_size(frame);
		fn(ctx, data, len, &info);
	}
	return n;
}
