/* A test server for NTS-protected NTP, built on the client's codec. */
#include "nts_server.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "siv.h"

int
nts_server_read_request(const struct nts_keys *keys, const uint8_t *pkt,
			size_t len, struct nts_server_request *out)
{
	struct ntp_ef_cursor cur;
	struct ntp_ef ef;
	bool have_uid = false, have_cookie = false, have_auth = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < NTP_HEADER_LEN || (pkt[0] & 7) != NTP_MODE_CLIENT)
		return -EBADMSG;
	out->transmit_ts = read_be64(pkt + 40);
	ntp_ef_cursor_init(&cur, pkt, len, NTP_EF_MIN_LEN);
	cur.pos = NTP_HEADER_LEN;
	while ((rc = ntp_ef_next(&cur, &ef)) == 1) {
		if (have_auth)
			return -EBADMSG;
		switch (ef.type) {
		case NTS_EF_UNIQUE_ID:
			if (ef.body_len < NTS_UID_LEN)
				return -EBADMSG;
			memcpy(out->uid, ef.body, NTS_UID_LEN);
			have_uid = true;
			break;
		case NTS_EF_COOKIE:
			if (have_cookie || ef.body_len > NTS_MAX_COOKIE_LEN)
				return -EBADMSG;
			memcpy(out->cookie, ef.body, ef.body_len);
			out->cookie_len = ef.body_len;
			have_cookie = true;
			break;
		case NTS_EF_COOKIE_PLACEHOLDER:
			out->placeholders++;
			break;
		case NTS_EF_AUTHENTICATOR: {
			size_t nonce_len = (size_t)ef.body[0] << 8 | ef.body[1];
			size_t ct_len = (size_t)ef.body[2] << 8 | ef.body[3];
			size_t nonce_area = (nonce_len + 3) & ~(size_t)3;
			struct siv_part parts[2] = {{pkt, ef.offset},
						    {ef.body + 4, nonce_len}};
			uint8_t plain[NTP_MAX_PACKET_LEN];

			if (ef.body_len < 4 ||
			    4 + nonce_area + ct_len > ef.body_len)
				return -EBADMSG;
			rc = siv_decrypt(keys->c2s, parts, 2,
					 ef.body + 4 + nonce_area, ct_len,
					 plain, sizeof(plain));
			if (rc < 0)
				return rc;
			have_auth = true;
			break;
		}
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	return have_uid && have_cookie && have_auth ? 0 : -EBADMSG;
}

void
nts_server_default(struct nts_server_reply *opt,
		   const struct nts_server_request *req)
{
	*opt = (struct nts_server_reply){
	    .stratum = 2,
	    .reference_id = 0xc0000201u,
	    .receive_ts = 0xeeb7811500000000ull,
	    .transmit_ts = 0xeeb7811500100000ull,
	    .echo_uid = true,
	    .authenticate = true,
	    .cookies = 1 + req->placeholders,
	    .cookie_len = req->cookie_len,
	    .cookie_fill = 0xa0,
	    .nonce_len = NTS_NONCE_LEN,
	};
}

/* The NTS Authenticator and Encrypted Extension Fields field: plain,
 * sealed under the server-to-client key with the packet so far as
 * associated data, after a nonce as opt shapes it. */
static int
put_authenticator(const struct nts_keys *keys,
		  const struct nts_server_reply *opt, uint8_t *out, size_t cap,
		  size_t *pos, const uint8_t *plain, size_t plain_len)
{
	uint8_t auth[NTP_MAX_PACKET_LEN];
	size_t nonce_area, auth_len;
	struct siv_part parts[2];
	int rc;

	nonce_area = (opt->nonce_len + 3) & ~(size_t)3;
	if (nonce_area < NTS_MIN_NONCE_AREA && !opt->short_nonce_area)
		nonce_area = NTS_MIN_NONCE_AREA;
	auth_len = 4 + nonce_area + ((plain_len + SIV_TAG_LEN + 3) & ~3u);
	if (auth_len > sizeof(auth))
		return -ENOBUFS;
	memset(auth, 0, auth_len);
	auth[0] = (uint8_t)(opt->nonce_len >> 8);
	auth[1] = (uint8_t)opt->nonce_len;
	auth[2] = (uint8_t)((plain_len + SIV_TAG_LEN) >> 8);
	auth[3] = (uint8_t)(plain_len + SIV_TAG_LEN);
	for (size_t i = 0; i < opt->nonce_len; i++)
		auth[4 + i] = (uint8_t)(0x30 + i);
	parts[0] = (struct siv_part){out, *pos};
	parts[1] = (struct siv_part){auth + 4, opt->nonce_len};
	rc = siv_encrypt(opt->s2c ? opt->s2c : keys->s2c, parts, 2, plain,
			 plain_len,
			 auth + 4 + ((opt->nonce_len + 3) & ~(size_t)3),
			 sizeof(auth) - 4 - nonce_area);
	if (rc < 0)
		return rc;
	return ntp_ef_put(out, cap, pos, NTS_EF_AUTHENTICATOR, auth, auth_len);
}

int
nts_server_write_reply(const struct nts_keys *keys,
		       const struct nts_server_request *req,
		       const struct nts_server_reply *opt, uint8_t *out,
		       size_t cap)
{
	uint8_t plain[NTP_MAX_PACKET_LEN], cookie[NTS_MAX_COOKIE_LEN];
	uint8_t uid[NTS_UID_LEN];
	size_t pos = NTP_HEADER_LEN, plain_len = 0;
	int rc;

	if (cap < NTP_HEADER_LEN || opt->cookie_len > sizeof(cookie) ||
	    opt->nonce_len > 64)
		return -EINVAL;
	memset(out, 0, NTP_HEADER_LEN);
	out[0] = (uint8_t)(opt->leap << 6 | NTP_VERSION << 3 | NTP_MODE_SERVER);
	out[1] = opt->stratum;
	out[2] = 4;
	out[3] = (uint8_t)-20;
	write_be32(out + 12, opt->reference_id);
	write_be64(out + 24, req->transmit_ts);
	write_be64(out + 32, opt->receive_ts);
	write_be64(out + 40, opt->transmit_ts);
	if (opt->echo_uid) {
		memcpy(uid, req->uid, NTS_UID_LEN);
		if (opt->corrupt_uid)
			uid[0] ^= 1;
		rc = ntp_ef_put(out, cap, &pos, NTS_EF_UNIQUE_ID, uid,
				NTS_UID_LEN);
		if (rc < 0)
			return rc;
	}
	for (unsigned i = 0; i < opt->cookies; i++) {
		memset(cookie, (int)(opt->cookie_fill + i), opt->cookie_len);
		rc = ntp_ef_put(plain, sizeof(plain), &plain_len, NTS_EF_COOKIE,
				cookie, opt->cookie_len);
		if (rc < 0)
			return rc;
		if (opt->plain_cookie && i == 0) {
			rc = ntp_ef_put(out, cap, &pos, NTS_EF_COOKIE, cookie,
					opt->cookie_len);
			if (rc < 0)
				return rc;
		}
	}
	if (opt->inner_len > sizeof(plain) - plain_len)
		return -ENOBUFS;
	if (opt->inner_len > 0)
		memcpy(plain + plain_len, opt->inner, opt->inner_len);
	plain_len += opt->inner_len;
	if (opt->authenticate) {
		rc = put_authenticator(keys, opt, out, cap, &pos, plain,
				       plain_len);
		if (rc < 0)
			return rc;
	}
	if (opt->field_after_auth) {
		rc = ntp_ef_put(out, cap, &pos, 0x2000, NULL, 24);
		if (rc < 0)
			return rc;
	}
	return (int)pos;
}
