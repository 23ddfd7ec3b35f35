/*
 * NTP client packets (RFC 5905, RFC 4330, RFC 7822): the request, the
 * checks on a server's reply, the on-wire offset and delay, and NTP
 * timestamps converted to and from Unix time across eras.
 *
 * Pure: no I/O, no clock (the caller passes every time in), no
 * allocation, no global state.
 *
 * What a reply must be to return 0 from ntp_reply_decode, in the order
 * checked, with the result when it is not:
 *   -EMSGSIZE        shorter than 48 bytes or longer than
 *                    NTP_MAX_PACKET_LEN
 *   -EBADMSG         not a multiple of 4 bytes, or extension fields
 *                    (version 4) and legacy MAC that do not walk
 *                    exactly to the end: every field at least 16
 *                    bytes, a multiple of 4, inside the packet; a
 *                    trailing MAC of 4, 20 or 24 bytes
 *   -EPROTO          mode is not 4 (server)
 *   -EPROTONOSUPPORT version is not 3 or 4
 *   -ENOMSG          origin timestamp is not the transmit timestamp we
 *                    sent: not an answer to our request (checked before
 *                    anything the server says is believed, so that an
 *                    off-path forger cannot send a Kiss-o'-Death)
 *   -EACCES          Kiss-o'-Death DENY: stop using this server
 *   -EPERM           Kiss-o'-Death RSTR: stop using this server
 *   -EBUSY           Kiss-o'-Death RATE: poll less often
 *   -EKEYEXPIRED     Kiss-o'-Death NTSN: the NTS cookie was refused;
 *                    run NTS-KE again
 *   -ECONNREFUSED    any other Kiss-o'-Death (stratum 0); the code is
 *                    reply->reference_id
 *   -EAGAIN          the server is unsynchronised: leap indicator 3,
 *                    or stratum above 15
 *   -ERANGE          root delay / 2 + root dispersion is 16 s or more
 *                    (RFC 5905's MAXDISP)
 *   -ENODATA         receive or transmit timestamp is zero
 * and -EINVAL for a zero transmit timestamp of our own (we never send
 * one: zero is what an unset field looks like).  On every result but
 * -EMSGSIZE, -EBADMSG and -EINVAL, *reply holds the decoded header.
 */
#ifndef SEALNET_SNTP_NTP_H
#define SEALNET_SNTP_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sntp_const.h"

struct ntp_reply {
	uint8_t leap;
	uint8_t version;
	uint8_t mode;
	uint8_t stratum;
	int8_t poll;
	int8_t precision;
	uint32_t root_delay;	  /* NTP short format: 16.16 seconds */
	uint32_t root_dispersion; /* NTP short format */
	uint32_t reference_id;	  /* the kiss code when stratum is 0 */
	uint64_t reference_ts;
	uint64_t origin_ts;
	uint64_t receive_ts;
	uint64_t transmit_ts;
	/* Bytes 48 .. 48 + extensions_len hold the extension fields. */
	size_t extensions_len;
	/* A legacy MAC after them; never used, only skipped. */
	size_t mac_len;
};

/* A time in Unix terms: seconds since 1970 (negative before), and
 * nanoseconds into that second. */
struct ntp_unix_time {
	int64_t seconds;
	uint32_t nanoseconds;
};

/*
 * The measurement one reply gives, RFC 5905 section 8:
 *   offset = ((T2 - T1) + (T3 - T4)) / 2, delay = (T4 - T1) - (T3 - T2)
 * with T1, T4 our clock at send and receipt, T2, T3 the server's.
 */
struct ntp_sample {
	int64_t offset_ns; /* add to our clock to get the server's */
	int64_t delay_ns;  /* round trip on the wire, >= 0 */
	int64_t root_delay_ns;
	int64_t root_dispersion_ns;
	uint8_t stratum;
};

/* One extension field, as found in a packet or a decrypted payload. */
struct ntp_ef {
	uint16_t type;
	const uint8_t *body;
	size_t body_len; /* including any padding */
	size_t offset;	 /* of the field's first byte in the buffer */
	size_t len;	 /* of the whole field */
};

/* Walks the extension fields of buf[pos .. end). */
struct ntp_ef_cursor {
	const uint8_t *buf;
	size_t pos;
	size_t end;
	size_t min_len;
};

/*
 * A client request: version 4, mode 3, every field zero but the
 * transmit timestamp, which the caller makes random so that only the
 * server that saw the request can answer it (RFC 9109's advice; it also
 * keeps our clock out of the packet).  Returns 48, or -ENOBUFS if cap is
 * smaller, -EINVAL for a zero timestamp.
 */
int ntp_request_encode(uint8_t *buf, size_t cap, uint64_t transmit_ts);

/* See the top of this file for what is checked and what it returns. */
int ntp_reply_decode(struct ntp_reply *reply, const uint8_t *pkt, size_t len,
		     uint64_t sent_transmit_ts);

/* The cursor over a decoded reply's extension fields. */
void ntp_ef_cursor_packet(struct ntp_ef_cursor *c, const uint8_t *pkt,
			  const struct ntp_reply *reply);
/* A cursor over buf[0 .. len), fields at least min_len bytes long
 * (4 for the fields inside an NTS encrypted payload). */
void ntp_ef_cursor_init(struct ntp_ef_cursor *c, const uint8_t *buf, size_t len,
			size_t min_len);
/* 1 and *ef filled, 0 at the end, -EBADMSG for a field that does not
 * fit, is shorter than the minimum or not a multiple of 4. */
int ntp_ef_next(struct ntp_ef_cursor *c, struct ntp_ef *ef);

/*
 * Appends one extension field at buf[*pos]: header, body, then zeros up
 * to a multiple of 4 and at least 16 bytes.  body may be NULL for an
 * all-zero body.  Returns the field's length and advances *pos, or
 * -ENOBUFS (nothing written) or -EMSGSIZE for a body over 65531 bytes.
 */
int ntp_ef_put(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
	       const uint8_t *body, size_t body_len);
/* The length ntp_ef_put would give a body of body_len bytes. */
size_t ntp_ef_len(size_t body_len);

/*
 * The 64-bit NTP timestamp as Unix time, in the era that puts it
 * closest to pivot_unix_seconds (a time the caller knows to be within
 * 68 years of the truth: its own clock, or the build date).  Exactly
 * 2^31 s away resolves to the earlier era.  Nanoseconds are rounded
 * down.  -ERANGE if |pivot| >= NTP_PIVOT_LIMIT.
 */
int ntp_to_unix(uint64_t ntp_ts, int64_t pivot_unix_seconds,
		struct ntp_unix_time *out);
/* Unix time as an NTP timestamp (the era is lost, as on the wire).
 * Rounds the fraction up so that ntp_to_unix gives the same
 * nanoseconds back.  -EINVAL if nanoseconds >= 10^9. */
int ntp_from_unix(const struct ntp_unix_time *t, uint64_t *ntp_ts);
/* NTP short format (16.16 seconds) in nanoseconds. */
int64_t ntp_short_to_ns(uint32_t v);

/*
 * The sample from a reply ntp_reply_decode accepted, and our clock (Unix
 * nanoseconds) when the request left (t1) and the reply came (t4).  The
 * server's timestamps are placed in the era nearest t1.  -EINVAL if t4
 * is before t1; -ERANGE if the server's transmit is before its receive,
 * the delay comes out negative, or a value overflows 64 bits.
 */
int ntp_sample_compute(struct ntp_sample *s, const struct ntp_reply *reply,
		       int64_t t1_unix_ns, int64_t t4_unix_ns);

#endif
