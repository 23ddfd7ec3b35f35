/*
 * The cursor that reads a packet and the writer that builds one, which
 * every part of the codec uses.  A read asks for its length first, so it
 * never moves past the bytes it was given; a writer without a buffer only
 * counts, so that a packet is measured before a byte of it is written.
 */
#ifndef SEALNET_MQTT_WIRE_H
#define SEALNET_MQTT_WIRE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"

/* ---- reading ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static inline enum mqtt_fault
take(struct reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return MQTT_FAULT_TRUNCATED;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return MQTT_FAULT_NONE;
}

static inline enum mqtt_fault
read_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 1, &p);

	if (f == MQTT_FAULT_NONE)
		*v = p[0];
	return f;
}

static inline enum mqtt_fault
read_u16(struct reader *r, uint16_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 2, &p);

	if (f == MQTT_FAULT_NONE)
		*v = (uint16_t)(p[0] << 8 | p[1]);
	return f;
}

static inline enum mqtt_fault
read_u32(struct reader *r, uint32_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 4, &p);

	if (f == MQTT_FAULT_NONE)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		     (uint32_t)p[2] << 8 | p[3];
	return f;
}

static inline enum mqtt_fault
read_vbi(struct reader *r, uint32_t *v)
{
	enum mqtt_fault f = MQTT_FAULT_NONE;
	int n = mqtt_vbi_decode(r->p, r->left, v, &f);

	if (n == -EAGAIN)
		return MQTT_FAULT_TRUNCATED;
	if (n < 0)
		return f;
	r->p += n;
	r->left -= (size_t)n;
	return MQTT_FAULT_NONE;
}

static inline enum mqtt_fault
read_binary(struct reader *r, struct mqtt_bytes *b)
{
	uint16_t n;
	enum mqtt_fault f = read_u16(r, &n);

	if (f == MQTT_FAULT_NONE)
		f = take(r, n, &b->data);
	if (f == MQTT_FAULT_NONE)
		b->len = n;
	return f;
}

static inline enum mqtt_fault
read_string(struct reader *r, struct mqtt_bytes *b)
{
	enum mqtt_fault f = read_binary(r, b);

	return f != MQTT_FAULT_NONE ? f : mqtt_utf8_check(b->data, b->len);
}

static inline enum mqtt_fault
finish(const struct reader *r)
{
	return r->left == 0 ? MQTT_FAULT_NONE : MQTT_FAULT_TRAILING_BYTES;
}

static inline enum mqtt_fault
check_packet_id(uint16_t id)
{
	return id == 0 ? MQTT_FAULT_PACKET_ID_ZERO : MQTT_FAULT_NONE;
}

/* ---- writing ---- */

/* Counts when buf is NULL; otherwise the caller has already counted and
 * made sure everything fits.  The first rule broken is kept. */
struct writer {
	uint8_t *buf;
	size_t pos;
	enum mqtt_fault fault;
};

static inline void
put(struct writer *w, const void *src, size_t n)
{
	if (w->buf != NULL && n > 0)
		memcpy(w->buf + w->pos, src, n);
	w->pos += n;
}

static inline void
put_u8(struct writer *w, uint8_t v)
{
	put(w, &v, 1);
}

static inline void
put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 2);
}

static inline void
put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 4);
}

static inline void
fail(struct writer *w, enum mqtt_fault f)
{
	if (w->fault == MQTT_FAULT_NONE)
		w->fault = f;
}

static inline void
put_vbi(struct writer *w, uint32_t v)
{
	uint8_t b[4];
	int n = mqtt_vbi_encode(v, b);

	if (n < 0) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	put(w, b, (size_t)n);
}

static inline void
put_binary(struct writer *w, struct mqtt_bytes b)
{
	if (b.len > MQTT_MAX_STRING) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	if (b.len > 0 && b.data == NULL) {
		fail(w, MQTT_FAULT_TRUNCATED);
		return;
	}
	put_u16(w, (uint16_t)b.len);
	put(w, b.data, b.len);
}

static inline void
put_string(struct writer *w, struct mqtt_bytes b)
{
	if (b.len > 0 && b.data == NULL) {
		fail(w, MQTT_FAULT_TRUNCATED);
		return;
	}
	enum mqtt_fault f = mqtt_utf8_check(b.data, b.len);

	if (f != MQTT_FAULT_NONE)
		fail(w, f);
	put_binary(w, b);
}

#endif
