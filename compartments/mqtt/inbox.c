/* A connection's events for its application: see inbox.h. */
#include "inbox.h"

#include <errno.h>
#include <string.h>

void
inbox_init(struct inbox *ib, void *mem, size_t cap)
{
	ib->mem = mem;
	ib->cap = cap;
	ib->used = 0;
	ib->count = 0;
	ib->next_seq = 1;
}

size_t
inbox_record_size(size_t topic_len, size_t payload_len)
{
	size_t n = sizeof(struct inbox_event) + topic_len + payload_len;

	return (n + 7u) & ~(size_t)7u;
}

int
inbox_fits(const struct inbox *ib, size_t topic_len, size_t payload_len)
{
	return topic_len <= ib->cap && payload_len <= ib->cap &&
	       inbox_record_size(topic_len, payload_len) <= ib->cap - ib->used;
}

int
inbox_fits_any_message(const struct inbox *ib, size_t packet_max,
		       size_t alias_max)
{
	return inbox_fits(ib, alias_max, packet_max);
}

int
inbox_push(struct inbox *ib, struct inbox_event *ev, const void *topic,
	   const void *payload)
{
	uint8_t *at;

	if (!inbox_fits(ib, ev->topic_len, ev->payload_len))
		return -ENOBUFS;
	at = ib->mem + ib->used;
	ev->seq = ib->next_seq++;
	memcpy(at, ev, sizeof(*ev));
	if (ev->topic_len > 0)
		memcpy(at + sizeof(*ev), topic, ev->topic_len);
	if (ev->payload_len > 0)
		memcpy(at + sizeof(*ev) + ev->topic_len, payload,
		       ev->payload_len);
	ib->used += inbox_record_size(ev->topic_len, ev->payload_len);
	ib->count++;
	return 0;
}

unsigned
inbox_take(struct inbox *ib, uint64_t seen,
	   void (*taken)(void *ctx, const struct inbox_event *ev), void *ctx)
{
	size_t at = 0;
	unsigned n = 0;

	while (at < ib->used) {
		struct inbox_event ev;

		memcpy(&ev, ib->mem + at, sizeof(ev));
		if (ev.seq > seen)
			break;
		if (taken != NULL)
			taken(ctx, &ev);
		at += inbox_record_size(ev.topic_len, ev.payload_len);
		n++;
	}
	memmove(ib->mem, ib->mem + at, ib->used - at);
	ib->used -= at;
	ib->count -= n;
	return n;
}

int
inbox_next(const struct inbox *ib, uint64_t after, size_t *cursor,
	   struct inbox_event *ev, const uint8_t **topic,
	   const uint8_t **payload)
{
	while (*cursor < ib->used) {
		const uint8_t *at = ib->mem + *cursor;

		memcpy(ev, at, sizeof(*ev));
		*cursor += inbox_record_size(ev->topic_len, ev->payload_len);
		if (ev->seq <= after)
			continue;
		*topic = at + sizeof(*ev);
		*payload = at + sizeof(*ev) + ev->topic_len;
		return 1;
	}
	return 0;
}
