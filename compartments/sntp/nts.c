/* NTS for NTP packets.  A reply changes our state (the waiting request,
 * the jar) only after its authenticator has verified. */
#include "nts.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "bytes.h"
#include "siv.h"

/* The authenticator's body in our requests: two lengths, the nonce, the
 * tag of an empty plaintext. */
#define REQUEST_AUTH_BODY_LEN (4 + NTS_NONCE_LEN + SIV_TAG_LEN)

_Static_assert(NTS_NONCE_LEN % 4 == 0 && NTS_NONCE_LEN >= NTS_MIN_NONCE_AREA,
	       "our nonce needs no padding");
_Static_assert(NTS_UID_LEN % 4 == 0, "our unique id needs no padding");

/* ---- the cookie jar ---- */

void
nts_jar_init(struct nts_cookie_jar *jar)
{
	memset(jar, 0, sizeof(*jar));
}

int
nts_jar_put(struct nts_cookie_jar *jar, const uint8_t *cookie, size_t len)
{
	struct nts_cookie *slot;

	if (len < NTS_MIN_COOKIE_LEN || len > NTS_MAX_COOKIE_LEN ||
	    len % 4 != 0)
		return -EINVAL;
	if (jar->count == NTS_MAX_COOKIES)
		return -ENOSPC;
	slot = &jar->slots[(jar->first + jar->count) % NTS_MAX_COOKIES];
	slot->len = (uint16_t)len;
	memcpy(slot->bytes, cookie, len);
	jar->count++;
	return 0;
}

int
nts_jar_take(struct nts_cookie_jar *jar, struct nts_cookie *out)
{
	struct nts_cookie *slot;

	if (jar->count == 0)
		return -ENOENT;
	slot = &jar->slots[jar->first];
	*out = *slot;
	/* A used cookie would link our requests together: gone for good. */
	OPENSSL_cleanse(slot, sizeof(*slot));
	jar->first = (jar->first + 1) % NTS_MAX_COOKIES;
	jar->count--;
	return 0;
}

unsigned
nts_jar_count(const struct nts_cookie_jar *jar)
{
	return jar->count;
}

void
nts_jar_clear(struct nts_cookie_jar *jar)
{
	OPENSSL_cleanse(jar, sizeof(*jar));
}

/* ---- the client ---- */

int
nts_client_init(struct nts_client *c, const struct nts_keys *keys,
		const struct nts_ke_response *ke)
{
	if (nts_ke_response_end(ke) != 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->keys = *keys;
	for (unsigned i = 0; i < ke->cookie_count; i++) {
		int rc = nts_jar_put(&c->jar, ke->cookies[i].bytes,
				     ke->cookies[i].len);

		if (rc < 0) {
			nts_client_clear(c);
			return rc;
		}
	}
	return 0;
}

void
nts_client_clear(struct nts_client *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

static int
random_or_given(uint8_t *dst, const uint8_t *given, size_t len)
{
	if (given != NULL) {
		memcpy(dst, given, len);
		return 0;
	}
	return RAND_bytes(dst, (int)len) == 1 ? 0 : -EIO;
}

int
nts_request_encode(struct nts_client *c, uint8_t *buf, size_t cap,
		   uint64_t transmit_ts, const uint8_t *uid,
		   const uint8_t *nonce)
{
	uint8_t new_uid[NTS_UID_LEN], auth[REQUEST_AUTH_BODY_LEN];
	const struct nts_cookie *cookie;
	struct nts_cookie used;
	size_t limit = cap < NTP_MAX_PACKET_LEN ? cap : NTP_MAX_PACKET_LEN;
	size_t cookie_field, fixed, wanted, room, pos = 0;
	struct siv_part parts[2];
	int rc;

	if (transmit_ts == 0)
		return -EINVAL;
	if (c->jar.count == 0)
		return -ENOENT;
	cookie = &c->jar.slots[c->jar.first];
	cookie_field = ntp_ef_len(cookie->len);
	fixed = NTP_HEADER_LEN + ntp_ef_len(NTS_UID_LEN) + cookie_field +
		ntp_ef_len(REQUEST_AUTH_BODY_LEN);
	if (limit < fixed)
		return -ENOBUFS;
	/* The reply brings one cookie for the one we use and one per
	 * placeholder: enough to fill the jar again, if the packet has
	 * room for them. */
	wanted = NTS_MAX_COOKIES - c->jar.count;
	room = (limit - fixed) / cookie_field;
	if (wanted > room)
		wanted = room;

	auth[0] = NTS_NONCE_LEN >> 8;
	auth[1] = NTS_NONCE_LEN & 0xff;
	auth[2] = SIV_TAG_LEN >> 8;
	auth[3] = SIV_TAG_LEN & 0xff;
	if (random_or_given(new_uid, uid, NTS_UID_LEN) < 0 ||
	    random_or_given(auth + 4, nonce, NTS_NONCE_LEN) < 0)
		return -EIO;

	/* Every size was checked against limit above: these cannot fail,
	 * but a result is never ignored. */
	rc = ntp_request_encode(buf, cap, transmit_ts);
	pos = rc > 0 ? (size_t)rc : 0;
	if (rc > 0)
		rc = ntp_ef_put(buf, limit, &pos, NTS_EF_UNIQUE_ID, new_uid,
				NTS_UID_LEN);
	if (rc > 0)
		rc = ntp_ef_put(buf, limit, &pos, NTS_EF_COOKIE, cookie->bytes,
				cookie->len);
	for (size_t i = 0; rc > 0 && i < wanted; i++)
		rc = ntp_ef_put(buf, limit, &pos, NTS_EF_COOKIE_PLACEHOLDER,
				NULL, cookie->len);
	if (rc > 0) {
		parts[0] = (struct siv_part){buf, pos};
		parts[1] = (struct siv_part){auth + 4, NTS_NONCE_LEN};
		rc = siv_encrypt(c->keys.c2s, parts, 2, NULL, 0,
				 auth + 4 + NTS_NONCE_LEN, SIV_TAG_LEN);
	}
	if (rc > 0)
		rc = ntp_ef_put(buf, limit, &pos, NTS_EF_AUTHENTICATOR, auth,
				sizeof(auth));
	if (rc <= 0)
		return rc < 0 ? rc : -EIO;
	rc = nts_jar_take(&c->jar, &used);
	OPENSSL_cleanse(&used, sizeof(used));
	if (rc < 0)
		return rc;
	c->waiting = true;
	c->transmit_ts = transmit_ts;
	memcpy(c->uid, new_uid, NTS_UID_LEN);
	return (int)pos;
}

/* ---- the reply ---- */

static size_t
padded(size_t len)
{
	return (len + 3) & ~(size_t)3;
}

/*
 * Verifies the authenticator field `auth` of pkt and decrypts what it
 * holds into plain (NTP_MAX_PACKET_LEN bytes): the plaintext's length,
 * or the error.
 */
static int
open_authenticator(const struct nts_client *c, const uint8_t *pkt,
		   const struct ntp_ef *auth, uint8_t *plain, size_t cap)
{
	size_t nonce_len, ciphertext_len, nonce_area;
	struct siv_part parts[2];

	if (auth->body_len < 4)
		return -EBADMSG;
	nonce_len = read_be16(auth->body);
	ciphertext_len = read_be16(auth->body + 2);
	/* RFC 8915 5.6: the nonce and its padding fill at least 16
	 * bytes; both padded lengths fit in the body.  Each is below
	 * 2^16, so the sums cannot wrap. */
	nonce_area = padded(nonce_len) > NTS_MIN_NONCE_AREA
			 ? padded(nonce_len)
			 : NTS_MIN_NONCE_AREA;
	if (nonce_len == 0 || ciphertext_len < SIV_TAG_LEN ||
	    4 + nonce_area + padded(ciphertext_len) > auth->body_len)
		return -EBADMSG;
	/* The associated data is the packet up to this field. */
	parts[0] = (struct siv_part){pkt, auth->offset};
	parts[1] = (struct siv_part){auth->body + 4, nonce_len};
	return siv_decrypt(c->keys.s2c, parts, 2,
			   auth->body + 4 + padded(nonce_len), ciphertext_len,
			   plain, cap);
}

/* Takes the cookies from a decrypted payload whose fields all walk. */
static int
take_cookies(struct nts_client *c, const uint8_t *plain, size_t len,
	     struct nts_reply_info *info)
{
	struct ntp_ef_cursor cur;
	struct ntp_ef ef;
	int rc;

	/* First make sure all of it parses, so that a bad payload leaves
	 * the jar untouched. */
	ntp_ef_cursor_init(&cur, plain, len, NTP_EF_HEADER_LEN);
	while ((rc = ntp_ef_next(&cur, &ef)) == 1)
		;
	if (rc < 0)
		return rc;
	ntp_ef_cursor_init(&cur, plain, len, NTP_EF_HEADER_LEN);
	while (ntp_ef_next(&cur, &ef) == 1) {
		if (ef.type != NTS_EF_COOKIE)
			continue;
		if (nts_jar_put(&c->jar, ef.body, ef.body_len) == 0)
			info->new_cookies++;
		else
			info->cookies_dropped++;
	}
	return 0;
}

int
nts_reply_verify(struct nts_client *c, const uint8_t *pkt, size_t len,
		 enum nts_policy policy, struct nts_reply_info *info)
{
	uint8_t plain[NTP_MAX_PACKET_LEN];
	struct ntp_ef_cursor cur;
	struct ntp_ef ef, uid = {0}, auth = {0};
	bool have_uid = false, have_auth = false;
	int decoded, rc;

	memset(info, 0, sizeof(*info));
	if (!c->waiting)
		return -EALREADY;
	decoded = ntp_reply_decode(&info->ntp, pkt, len, c->transmit_ts);
	switch (decoded) {
	case -EINVAL:
	case -EMSGSIZE:
	case -EBADMSG:
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -ENOMSG:
		return decoded;
	default:
		break;
	}
	ntp_ef_cursor_packet(&cur, pkt, &info->ntp);
	while ((rc = ntp_ef_next(&cur, &ef)) == 1) {
		/* The authenticator covers what precedes it only. */
		if (have_auth)
			return -EBADMSG;
		if (ef.type == NTS_EF_UNIQUE_ID) {
			if (have_uid)
				return -EBADMSG;
			uid = ef;
			have_uid = true;
		} else if (ef.type == NTS_EF_AUTHENTICATOR) {
			auth = ef;
			have_auth = true;
		}
	}
	if (rc < 0)
		return rc;
	if (have_auth && info->ntp.mac_len != 0)
		return -EBADMSG;
	if (!have_uid && !have_auth) {
		if (policy == NTS_REQUIRED)
			return -ENOKEY;
		c->waiting = false;
		return decoded;
	}
	if (!have_uid || uid.body_len != NTS_UID_LEN ||
	    CRYPTO_memcmp(uid.body, c->uid, NTS_UID_LEN) != 0)
		return -ENOMSG;
	if (!have_auth) {
		/* A server that cannot read our cookie cannot authenticate
		 * its answer either, and anyone who saw the request can
		 * echo its origin and identifier: the request keeps waiting
		 * for an authentic reply and the jar stays (RFC 8915 5.7). */
		return decoded == -EKEYEXPIRED ? decoded : -ENOKEY;
	}
	rc = open_authenticator(c, pkt, &auth, plain, sizeof(plain));
	if (rc >= 0)
		rc = take_cookies(c, plain, (size_t)rc, info);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (rc < 0)
		return rc;
	c->waiting = false;
	info->authenticated = true;
	if (decoded == -EKEYEXPIRED)
		nts_jar_clear(&c->jar);
	return decoded;
}
