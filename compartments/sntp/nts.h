/*
 * NTS for NTP packets (RFC 8915 section 5): the cookie jar, the
 * authenticated request and the checks on a reply.  No I/O and no
 * allocation; the state is the caller's struct nts_client, one per
 * server.  Randomness (unique identifiers, nonces) comes from the caller
 * or from OpenSSL's RAND_bytes; AES-SIV from siv.h.
 *
 * The request: the 48-byte NTP header (ntp_request_encode), a Unique
 * Identifier of 32 random bytes, one cookie (used once, then gone from
 * the jar), Cookie Placeholders of the same size so that the reply's
 * cookies refill the jar to NTS_MAX_COOKIES (fewer if the packet would
 * exceed the caller's buffer or NTP_MAX_PACKET_LEN), and last the NTS
 * Authenticator: a 16-byte nonce and the AES-SIV tag, under the C2S key,
 * of an empty plaintext with the packet before it as associated data.
 *
 * nts_reply_verify accepts a reply once.  Results, in the order checked:
 *   -EALREADY     no request is waiting: it was answered (a replay) or
 *                 never sent
 *   ntp_reply_decode's results for a packet that is malformed or not an
 *                 answer to our request (-EMSGSIZE, -EBADMSG, -EPROTO,
 *                 -EPROTONOSUPPORT, -ENOMSG); the request stays waiting
 *   -EBADMSG      more than one Unique Identifier or Authenticator, an
 *                 extension field after the Authenticator, or an
 *                 Authenticator whose lengths do not add up
 *   -ENOKEY       no NTS field at all, and NTS is required
 *   -ENOMSG       the Unique Identifier is missing or not ours
 *   -EKEYEXPIRED  an NTS NAK (Kiss-o'-Death NTSN with our identifier and
 *                 no Authenticator): the server may no longer know our
 *                 keys, or someone on the path wrote it; like every
 *                 failed check it leaves the request waiting and the
 *                 jar as it was (RFC 8915 5.7: only silence after it
 *                 calls for NTS-KE)
 *   -ENOKEY       our Unique Identifier but no Authenticator
 *   -EKEYREJECTED the Authenticator does not verify under the S2C key
 *   -EIO          libcrypto failed
 * After authentication the request is answered (a second copy gives
 * -EALREADY), the new cookies inside go to the jar, and the result is
 * ntp_reply_decode's for the header: 0, or a Kiss-o'-Death, -EAGAIN,
 * -ERANGE, -ENODATA, now known to come from the server.  Until then
 * nothing in the reply is believed: a failed check leaves the request
 * waiting for the real answer, and the jar as it was.
 *
 * With NTS_OPTIONAL, a reply with neither Unique Identifier nor
 * Authenticator is taken as plain NTP (authenticated false); any NTS
 * field present is still checked in full.
 */
#ifndef SEALNET_SNTP_NTS_H
#define SEALNET_SNTP_NTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntp.h"
#include "nts_ke.h"
#include "sntp_const.h"

/* Cookies in the order they came; each one is taken once. */
struct nts_cookie_jar {
	struct nts_cookie slots[NTS_MAX_COOKIES];
	unsigned first;
	unsigned count;
};

struct nts_keys {
	uint8_t c2s[NTS_KEY_LEN];
	uint8_t s2c[NTS_KEY_LEN];
};

enum nts_policy { NTS_REQUIRED, NTS_OPTIONAL };

struct nts_client {
	struct nts_keys keys;
	struct nts_cookie_jar jar;
	/* The request waiting for its reply. */
	bool waiting;
	uint64_t transmit_ts;
	uint8_t uid[NTS_UID_LEN];
};

struct nts_reply_info {
	struct ntp_reply ntp;
	bool authenticated;
	unsigned new_cookies;	  /* taken into the jar */
	unsigned cookies_dropped; /* beyond the jar, or malformed */
};

void nts_jar_init(struct nts_cookie_jar *jar);
/* -EINVAL for a length outside NTS_MIN_COOKIE_LEN..NTS_MAX_COOKIE_LEN
 * or not whole words; -ENOSPC when the jar is full. */
int nts_jar_put(struct nts_cookie_jar *jar, const uint8_t *cookie, size_t len);
/* The oldest cookie, removed from the jar; -ENOENT if there is none. */
int nts_jar_take(struct nts_cookie_jar *jar, struct nts_cookie *out);
unsigned nts_jar_count(const struct nts_cookie_jar *jar);
/* Empties the jar and wipes the cookies. */
void nts_jar_clear(struct nts_cookie_jar *jar);

/*
 * A client for one server from a completed NTS-KE: the keys the caller
 * exported from TLS, the cookies from the response.  -EINVAL if the
 * response is not complete.
 */
int nts_client_init(struct nts_client *c, const struct nts_keys *keys,
		    const struct nts_ke_response *ke);
/* Wipes keys and cookies. */
void nts_client_clear(struct nts_client *c);

/*
 * Builds the request.  uid and nonce may be NULL: then they come from
 * RAND_bytes.  Returns the packet's length, or
 *   -ENOENT   the jar is empty: run NTS-KE again
 *   -EINVAL   a zero transmit timestamp
 *   -ENOBUFS  cap cannot hold even a request with no placeholder
 *   -EIO      no randomness, or libcrypto failed
 * On success the request replaces any that was waiting.
 */
int nts_request_encode(struct nts_client *c, uint8_t *buf, size_t cap,
		       uint64_t transmit_ts, const uint8_t *uid,
		       const uint8_t *nonce);

int nts_reply_verify(struct nts_client *c, const uint8_t *pkt, size_t len,
		     enum nts_policy policy, struct nts_reply_info *info);

#endif
