/*
 * The MQTT codec's entry points and the fixed header: which types each end
 * may send and with which flags, the Remaining Length, the size limits,
 * and the dispatch to each packet family's body (connect.c, publish.c,
 * subscribe.c).  Encoding runs a packet's writer twice, once to count and
 * once to write, so the Remaining Length and property lengths are known
 * before they are written and nothing is written unless all of it fits.
 */
#include "packet.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec.h"

/* ---- which end sends what ---- */

static bool
type_allowed(const struct mqtt_codec *c, enum mqtt_role sender, unsigned t)
{
	switch (t) {
	case MQTT_PUBLISH:
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return true;
	case MQTT_CONNECT:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
	case MQTT_PINGREQ:
		return sender == MQTT_CLIENT;
	case MQTT_CONNACK:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
	case MQTT_PINGRESP:
		return sender == MQTT_SERVER;
	case MQTT_DISCONNECT:
		/* 3.1.1 servers end a connection by closing it. */
		return sender == MQTT_CLIENT || c->version == MQTT_V5;
	case MQTT_AUTH:
		return c->version == MQTT_V5;
	default:
		return false;
	}
}

/* The fixed-header flags every type but PUBLISH must carry. */
static uint8_t
required_flags(enum mqtt_packet_type t)
{
	return t == MQTT_PUBREL || t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE
		   ? 0x2
		   : 0x0;
}

static size_t
vbi_length(uint32_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

/* ---- decoding ---- */

static enum mqtt_fault
decode_body(const struct mqtt_codec *c, enum mqtt_packet_type t, uint8_t flags,
	    struct reader *r, struct mqtt_packet *p)
{
	enum mqtt_role sender =
	    c->self == MQTT_CLIENT ? MQTT_SERVER : MQTT_CLIENT;

	switch (t) {
	case MQTT_CONNECT:
		return mqtt_decode_connect(c, r, p);
	case MQTT_CONNACK:
		return mqtt_decode_connack(c, r, p);
	case MQTT_PUBLISH:
		return mqtt_decode_publish(c, r, flags, sender, p);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return mqtt_decode_ack(c, r, t, sender, p);
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return mqtt_decode_filters(c, r, t, p);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return mqtt_decode_codes(c, r, t, p);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return finish(r);
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return mqtt_decode_reason_only(c, r, t, sender, p);
	}
	return MQTT_FAULT_UNEXPECTED_TYPE;
}

static ssize_t
decode_fail(enum mqtt_fault *fault, enum mqtt_fault f)
{
	if (fault != NULL)
		*fault = f;
	return mqtt_fault_errno(f);
}

static uint32_t
limit(uint32_t configured)
{
	return configured == 0 ? MQTT_MAX_PACKET_SIZE : configured;
}

ssize_t
mqtt_decode(const struct mqtt_codec *c, const uint8_t *buf, size_t len,
	    struct mqtt_packet *out, size_t *need, enum mqtt_fault *fault)
{
	enum mqtt_role sender =
	    c->self == MQTT_CLIENT ? MQTT_SERVER : MQTT_CLIENT;
	enum mqtt_fault f = MQTT_FAULT_NONE;
	unsigned type, flags;
	uint32_t remaining;
	size_t total;
	struct reader r;
	int n;

	if (fault != NULL)
		*fault = MQTT_FAULT_NONE;
	if (len < 2) {
		if (need != NULL)
			*need = 2 - len;
		if (len == 0)
			return -EAGAIN;
	}
	type = buf[0] >> 4;
	flags = buf[0] & 0x0f;
	/* The first byte alone can already condemn a packet. */
	if (!type_allowed(c, sender, type))
		return decode_fail(fault, MQTT_FAULT_UNEXPECTED_TYPE);
	if (type == MQTT_PUBLISH) {
		unsigned qos = (flags >> MQTT_PUBLISH_QOS_SHIFT) & 3;

		if (qos == 3)
			return decode_fail(fault, MQTT_FAULT_QOS);
		if (qos == 0 && (flags & MQTT_PUBLISH_DUP))
			return decode_fail(fault, MQTT_FAULT_DUP_QOS0);
	} else if (flags != required_flags((enum mqtt_packet_type)type)) {
		return decode_fail(fault, MQTT_FAULT_RESERVED_BITS);
	}
	n = mqtt_vbi_decode(buf + 1, len - 1, &remaining, &f);
	if (n == -EAGAIN) {
		if (need != NULL)
			*need = 1;
		return -EAGAIN;
	}
	if (n < 0)
		return decode_fail(fault, f);
	total = 1 + (size_t)n + remaining;
	if (total > limit(c->max_in))
		return decode_fail(fault, MQTT_FAULT_TOO_LARGE);
	if (len < total) {
		if (need != NULL)
			*need = total - len;
		return -EAGAIN;
	}
	memset(out, 0, sizeof(*out));
	out->type = (enum mqtt_packet_type)type;
	r.p = buf + 1 + n;
	r.left = remaining;
	f = decode_body(c, out->type, (uint8_t)flags, &r, out);
	if (f == MQTT_FAULT_NONE && r.left != 0)
		f = MQTT_FAULT_TRAILING_BYTES;
	if (f != MQTT_FAULT_NONE)
		return decode_fail(fault, f);
	if (need != NULL)
		*need = 0;
	return (ssize_t)total;
}

/* ---- encoding ---- */

static void
encode_body(struct writer *w, const struct mqtt_codec *c,
	    const struct mqtt_packet *p)
{
	switch (p->type) {
	case MQTT_CONNECT:
		mqtt_encode_connect(w, c, p);
		break;
	case MQTT_CONNACK:
		mqtt_encode_connack(w, c, p);
		break;
	case MQTT_PUBLISH:
		mqtt_encode_publish(w, c, p);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		mqtt_encode_ack(w, c, p);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		mqtt_encode_filters(w, c, p);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		mqtt_encode_codes(w, c, p);
		break;
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		mqtt_encode_reason_only(w, c, p);
		break;
	default:
		fail(w, MQTT_FAULT_UNEXPECTED_TYPE);
	}
}

static uint8_t
first_byte(const struct mqtt_packet *p)
{
	uint8_t flags = required_flags(p->type);

	if (p->type == MQTT_PUBLISH) {
		const struct mqtt_publish *m = &p->u.publish;

		flags = (uint8_t)((m->qos & 3) << MQTT_PUBLISH_QOS_SHIFT);
		if (m->dup)
			flags |= MQTT_PUBLISH_DUP;
		if (m->retain)
			flags |= MQTT_PUBLISH_RETAIN;
	}
	return (uint8_t)(p->type << 4 | flags);
}

/* Counts p; on success *body is its Remaining Length. */
static ssize_t
measure(const struct mqtt_codec *c, const struct mqtt_packet *p, size_t *body,
	enum mqtt_fault *fault)
{
	struct writer count = {NULL, 0, MQTT_FAULT_NONE};
	size_t total;

	if (fault != NULL)
		*fault = MQTT_FAULT_NONE;
	if (!type_allowed(c, c->self, p->type))
		count.fault = MQTT_FAULT_UNEXPECTED_TYPE;
	else
		encode_body(&count, c, p);
	if (count.fault == MQTT_FAULT_NONE &&
	    count.pos > MQTT_MAX_REMAINING_LENGTH)
		count.fault = MQTT_FAULT_TOO_LARGE;
	if (count.fault != MQTT_FAULT_NONE) {
		if (fault != NULL)
			*fault = count.fault;
		return count.fault == MQTT_FAULT_TOO_LARGE ? -EMSGSIZE
							   : -EINVAL;
	}
	total = 1 + vbi_length((uint32_t)count.pos) + count.pos;
	if (total > limit(c->max_out)) {
		if (fault != NULL)
			*fault = MQTT_FAULT_TOO_LARGE;
		return -EMSGSIZE;
	}
	*body = count.pos;
	return (ssize_t)total;
}

ssize_t
mqtt_encoded_length(const struct mqtt_codec *c, const struct mqtt_packet *p,
		    enum mqtt_fault *fault)
{
	size_t body;

	return measure(c, p, &body, fault);
}

ssize_t
mqtt_encode(const struct mqtt_codec *c, const struct mqtt_packet *p,
	    uint8_t *buf, size_t cap, enum mqtt_fault *fault)
{
	struct writer w = {buf, 0, MQTT_FAULT_NONE};
	size_t body;
	ssize_t total = measure(c, p, &body, fault);

	if (total < 0)
		return total;
	if ((size_t)total > cap || buf == NULL)
		return -ENOBUFS;
	put_u8(&w, first_byte(p));
	put_vbi(&w, (uint32_t)body);
	encode_body(&w, c, p);
	return total;
}
