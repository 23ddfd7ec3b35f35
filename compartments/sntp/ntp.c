/* NTP client packets.  Every length read from a packet is checked
 * against the bytes present before it is used; sums that could wrap are
 * checked before they are made. */
#include "ntp.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

#define NS_PER_S 1000000000LL

int
ntp_request_encode(uint8_t *buf, size_t cap, uint64_t transmit_ts)
{
	if (transmit_ts == 0)
		return -EINVAL;
	if (cap < NTP_HEADER_LEN)
		return -ENOBUFS;
	memset(buf, 0, NTP_HEADER_LEN);
	buf[0] = (uint8_t)(NTP_VERSION << 3 | NTP_MODE_CLIENT);
	write_be64(buf + 40, transmit_ts);
	return NTP_HEADER_LEN;
}

/* ---- extension fields ---- */

void
ntp_ef_cursor_init(struct ntp_ef_cursor *c, const uint8_t *buf, size_t len,
		   size_t min_len)
{
	*c = (struct ntp_ef_cursor){
	    .buf = buf, .pos = 0, .end = len, .min_len = min_len};
}

void
ntp_ef_cursor_packet(struct ntp_ef_cursor *c, const uint8_t *pkt,
		     const struct ntp_reply *reply)
{
	*c = (struct ntp_ef_cursor){.buf = pkt,
				    .pos = NTP_HEADER_LEN,
				    .end =
					NTP_HEADER_LEN + reply->extensions_len,
				    .min_len = NTP_EF_MIN_LEN};
}

int
ntp_ef_next(struct ntp_ef_cursor *c, struct ntp_ef *ef)
{
	size_t left, len;

	if (c->pos >= c->end)
		return 0;
	left = c->end - c->pos;
	if (left < NTP_EF_HEADER_LEN)
		return -EBADMSG;
	len = read_be16(c->buf + c->pos + 2);
	if (len < c->min_len || len < NTP_EF_HEADER_LEN || len % 4 != 0 ||
	    len > left)
		return -EBADMSG;
	*ef = (struct ntp_ef){.type = read_be16(c->buf + c->pos),
			      .body = c->buf + c->pos + NTP_EF_HEADER_LEN,
			      .body_len = len - NTP_EF_HEADER_LEN,
			      .offset = c->pos,
			      .len = len};
	c->pos += len;
	return 1;
}

size_t
ntp_ef_len(size_t body_len)
{
	size_t len = NTP_EF_HEADER_LEN + body_len;

	len = (len + 3) & ~(size_t)3;
	return len < NTP_EF_MIN_LEN ? NTP_EF_MIN_LEN : len;
}

int
ntp_ef_put(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
	   const uint8_t *body, size_t body_len)
{
	size_t len;

	if (body_len > UINT16_MAX - NTP_EF_HEADER_LEN - 3)
		return -EMSGSIZE;
	len = ntp_ef_len(body_len);
	if (*pos > cap || cap - *pos < len)
		return -ENOBUFS;
	memset(buf + *pos, 0, len);
	write_be16(buf + *pos, type);
	write_be16(buf + *pos + 2, (uint16_t)len);
	if (body != NULL && body_len > 0)
		memcpy(buf + *pos + NTP_EF_HEADER_LEN, body, body_len);
	*pos += len;
	return (int)len;
}

/*
 * Splits what follows the header into extension fields and a MAC, as RFC
 * 7822 says a receiver must: in version 4, while more than 24 bytes are
 * left they are an extension field; what remains is a MAC.
 */
static int
split_trailer(struct ntp_reply *r, const uint8_t *pkt, size_t len)
{
	struct ntp_ef_cursor c;
	struct ntp_ef ef;
	size_t mac;
	int rc;

	ntp_ef_cursor_init(&c, pkt, len, NTP_EF_MIN_LEN);
	c.pos = NTP_HEADER_LEN;
	if (r->version == NTP_VERSION) {
		while (len - c.pos > NTP_MAX_V4_MAC_LEN) {
			rc = ntp_ef_next(&c, &ef);
			if (rc < 0)
				return rc;
		}
	}
	mac = len - c.pos;
	if (mac != 0 && mac != 4 && mac != 20 && mac != 24)
		return -EBADMSG;
	r->extensions_len = c.pos - NTP_HEADER_LEN;
	r->mac_len = mac;
	return 0;
}

static int
kiss_result(uint32_t code)
{
	switch (code) {
	case NTP_KISS_DENY:
		return -EACCES;
	case NTP_KISS_RSTR:
		return -EPERM;
	case NTP_KISS_RATE:
		return -EBUSY;
	case NTP_KISS_NTSN:
		return -EKEYEXPIRED;
	default:
		return -ECONNREFUSED;
	}
}

int
ntp_reply_decode(struct ntp_reply *r, const uint8_t *pkt, size_t len,
		 uint64_t sent_transmit_ts)
{
	uint64_t distance;
	int rc;

	if (sent_transmit_ts == 0)
		return -EINVAL;
	if (len < NTP_HEADER_LEN || len > NTP_MAX_PACKET_LEN)
		return -EMSGSIZE;
	if (len % 4 != 0)
		return -EBADMSG;
	*r = (struct ntp_reply){
	    .leap = pkt[0] >> 6,
	    .version = (pkt[0] >> 3) & 7,
	    .mode = pkt[0] & 7,
	    .stratum = pkt[1],
	    .poll = (int8_t)pkt[2],
	    .precision = (int8_t)pkt[3],
	    .root_delay = read_be32(pkt + 4),
	    .root_dispersion = read_be32(pkt + 8),
	    .reference_id = read_be32(pkt + 12),
	    .reference_ts = read_be64(pkt + 16),
	    .origin_ts = read_be64(pkt + 24),
	    .receive_ts = read_be64(pkt + 32),
	    .transmit_ts = read_be64(pkt + 40),
	};
	rc = split_trailer(r, pkt, len);
	if (rc < 0)
		return rc;
	if (r->mode != NTP_MODE_SERVER)
		return -EPROTO;
	if (r->version != 3 && r->version != 4)
		return -EPROTONOSUPPORT;
	if (r->origin_ts != sent_transmit_ts)
		return -ENOMSG;
	if (r->stratum == NTP_STRATUM_KOD)
		return kiss_result(r->reference_id);
	if (r->leap == NTP_LEAP_UNSYNC || r->stratum > NTP_MAX_STRATUM)
		return -EAGAIN;
	/* Both are below 2^32, so the sum cannot wrap in 64 bits. */
	distance = (uint64_t)r->root_delay / 2 + r->root_dispersion;
	if (distance >= NTP_MAX_ROOT_DISTANCE_SHORT)
		return -ERANGE;
	if (r->receive_ts == 0 || r->transmit_ts == 0)
		return -ENODATA;
	return 0;
}

/* ---- time conversion ---- */

int
ntp_to_unix(uint64_t ntp_ts, int64_t pivot, struct ntp_unix_time *out)
{
	uint32_t seconds = (uint32_t)(ntp_ts >> 32);
	uint64_t fraction = ntp_ts & 0xffffffffu;
	int64_t pivot_ntp, diff;
	uint32_t forward;

	if (pivot >= NTP_PIVOT_LIMIT || pivot <= -NTP_PIVOT_LIMIT)
		return -ERANGE;
	pivot_ntp = pivot + NTP_UNIX_EPOCH_OFFSET;
	/* How far the timestamp's seconds lie ahead of the pivot's, modulo
	 * one era; more than half an era ahead means behind.  Unsigned
	 * arithmetic wraps by definition, so no cast is
	 * implementation-defined. */
	forward = seconds - (uint32_t)((uint64_t)pivot_ntp & 0xffffffffu);
	diff = forward < 0x80000000u ? (int64_t)forward
				     : (int64_t)forward - (1LL << 32);
	out->seconds = pivot_ntp + diff - NTP_UNIX_EPOCH_OFFSET;
	out->nanoseconds = (uint32_t)((fraction * NS_PER_S) >> 32);
	return 0;
}

int
ntp_from_unix(const struct ntp_unix_time *t, uint64_t *ntp_ts)
{
	uint64_t seconds, fraction;

	if (t->nanoseconds >= NS_PER_S)
		return -EINVAL;
	/* Two's complement wrap-around is the era arithmetic we want. */
	seconds = ((uint64_t)t->seconds + NTP_UNIX_EPOCH_OFFSET) & 0xffffffffu;
	fraction = (((uint64_t)t->nanoseconds << 32) + NS_PER_S - 1) / NS_PER_S;
	*ntp_ts = seconds << 32 | fraction;
	return 0;
}

int64_t
ntp_short_to_ns(uint32_t v)
{
	/* v < 2^32 and 10^9 < 2^30: the product fits in 62 bits. */
	return (int64_t)(((uint64_t)v * NS_PER_S) >> 16);
}

static int
unix_ns(uint64_t ntp_ts, int64_t pivot_seconds, int64_t *ns)
{
	struct ntp_unix_time t;
	int64_t whole;
	int rc = ntp_to_unix(ntp_ts, pivot_seconds, &t);

	if (rc < 0)
		return rc;
	if (__builtin_mul_overflow(t.seconds, NS_PER_S, &whole) ||
	    __builtin_add_overflow(whole, (int64_t)t.nanoseconds, ns))
		return -ERANGE;
	return 0;
}

/* Floor division, so that a pivot before 1970 is handled like one after. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int
ntp_sample_compute(struct ntp_sample *s, const struct ntp_reply *r, int64_t t1,
		   int64_t t4)
{
	int64_t t2, t3, server_hold, round_trip, delay, a, b, sum;
	int rc;

	if (t4 < t1)
		return -EINVAL;
	rc = unix_ns(r->receive_ts, floor_div(t1, NS_PER_S), &t2);
	if (rc < 0)
		return rc;
	rc = unix_ns(r->transmit_ts, floor_div(t1, NS_PER_S), &t3);
	if (rc < 0)
		return rc;
	if (t3 < t2)
		return -ERANGE;
	if (__builtin_sub_overflow(t4, t1, &round_trip) ||
	    __builtin_sub_overflow(t3, t2, &server_hold))
		return -ERANGE;
	delay = round_trip - server_hold; /* both >= 0: cannot wrap */
	if (delay < 0)
		return -ERANGE;
	if (__builtin_sub_overflow(t2, t1, &a) ||
	    __builtin_sub_overflow(t3, t4, &b) ||
	    __builtin_add_overflow(a, b, &sum))
		return -ERANGE;
	*s = (struct ntp_sample){
	    .offset_ns = sum / 2,
	    .delay_ns = delay,
	    .root_delay_ns = ntp_short_to_ns(r->root_delay),
	    .root_dispersion_ns = ntp_short_to_ns(r->root_dispersion),
	    .stratum = r->stratum,
	};
	return 0;
}
