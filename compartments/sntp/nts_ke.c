/* NTS-KE records.  Each record's length is judged from its header,
 * before its body is read, so a body is kept only when it is one we
 * need and fits. */
#include "nts_ke.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

_Static_assert(NTS_MAX_COOKIE_LEN <= NTS_KE_MAX_KEPT_BODY,
	       "a cookie fits the kept body");
_Static_assert(NTS_KE_MAX_SERVER_LEN <= NTS_KE_MAX_KEPT_BODY,
	       "a server name fits the kept body");

static void
put_record(uint8_t *p, uint16_t type, uint16_t body_len)
{
	write_be16(p, type);
	write_be16(p + 2, body_len);
}

int
nts_ke_request_encode(uint8_t *buf, size_t cap)
{
	if (cap < NTS_KE_REQUEST_LEN)
		return -ENOBUFS;
	put_record(buf, NTS_KE_CRITICAL | NTS_KE_NEXT_PROTOCOL, 2);
	buf[4] = NTS_KE_PROTOCOL_NTPV4 >> 8;
	buf[5] = NTS_KE_PROTOCOL_NTPV4 & 0xff;
	put_record(buf + 6, NTS_KE_CRITICAL | NTS_KE_AEAD_ALGORITHM, 2);
	buf[10] = NTS_AEAD_AES_SIV_CMAC_256 >> 8;
	buf[11] = NTS_AEAD_AES_SIV_CMAC_256 & 0xff;
	put_record(buf + 12, NTS_KE_CRITICAL | NTS_KE_END_OF_MESSAGE, 0);
	return NTS_KE_REQUEST_LEN;
}

int
nts_ke_exporter_context(uint16_t aead, uint8_t direction, uint8_t *out,
			size_t cap)
{
	if (direction != NTS_KE_C2S && direction != NTS_KE_S2C)
		return -EINVAL;
	if (cap < NTS_KE_EXPORTER_CONTEXT_LEN)
		return -ENOBUFS;
	out[0] = NTS_KE_PROTOCOL_NTPV4 >> 8;
	out[1] = NTS_KE_PROTOCOL_NTPV4 & 0xff;
	out[2] = (uint8_t)(aead >> 8);
	out[3] = (uint8_t)aead;
	out[4] = direction;
	return NTS_KE_EXPORTER_CONTEXT_LEN;
}

void
nts_ke_response_init(struct nts_ke_response *r)
{
	memset(r, 0, sizeof(*r));
}

static uint16_t
body16(const struct nts_ke_response *r)
{
	return read_be16(r->body);
}

/* Judges a record from its header alone: 0 to read its body (kept if
 * r->keep_body), or the error. */
static int
record_header(struct nts_ke_response *r)
{
	size_t len = r->body_len;

	r->keep_body = true;
	switch (r->type) {
	case NTS_KE_END_OF_MESSAGE:
		return r->critical && len == 0 ? 0 : -EBADMSG;
	case NTS_KE_NEXT_PROTOCOL:
		if (!r->critical || r->have_next_protocol || len % 2 != 0 ||
		    len > 2)
			return -EBADMSG;
		return len == 0 ? -EPROTONOSUPPORT : 0;
	case NTS_KE_AEAD_ALGORITHM:
		if (r->have_aead || len % 2 != 0 || len > 2)
			return -EBADMSG;
		return len == 0 ? -ENOPROTOOPT : 0;
	case NTS_KE_ERROR:
	case NTS_KE_WARNING:
		return len == 2 ? 0 : -EBADMSG;
	case NTS_KE_NEW_COOKIE:
		if (len > NTS_MAX_COOKIE_LEN)
			return -EMSGSIZE;
		if (len < NTS_MIN_COOKIE_LEN || len % 4 != 0)
			return -EBADMSG;
		if (r->cookie_count == NTS_MAX_COOKIES) {
			r->cookies_dropped++;
			r->keep_body = false;
		}
		return 0;
	case NTS_KE_NTPV4_SERVER:
		return !r->have_server && len >= 1 &&
			       len <= NTS_KE_MAX_SERVER_LEN
			   ? 0
			   : -EBADMSG;
	case NTS_KE_NTPV4_PORT:
		return !r->have_port && len == 2 ? 0 : -EBADMSG;
	default:
		if (r->critical)
			return -EOPNOTSUPP;
		r->keep_body = false;
		return 0;
	}
}

/* Acts on a record whose body has been read: 0 to go on, 1 for End of
 * Message with everything in place, or the error. */
static int
record_done(struct nts_ke_response *r)
{
	if (!r->keep_body)
		return 0;
	switch (r->type) {
	case NTS_KE_END_OF_MESSAGE:
		return r->have_next_protocol && r->have_aead &&
			       r->cookie_count > 0
			   ? 1
			   : -EPROTO;
	case NTS_KE_NEXT_PROTOCOL:
		r->next_protocol = body16(r);
		r->have_next_protocol = true;
		return r->next_protocol == NTS_KE_PROTOCOL_NTPV4
			   ? 0
			   : -EPROTONOSUPPORT;
	case NTS_KE_AEAD_ALGORITHM:
		r->aead = body16(r);
		r->have_aead = true;
		return r->aead == NTS_AEAD_AES_SIV_CMAC_256 ? 0 : -ENOPROTOOPT;
	case NTS_KE_ERROR:
		r->error_code = body16(r);
		return -ECONNREFUSED;
	case NTS_KE_WARNING:
		r->warning_code = body16(r);
		return -EREMOTEIO;
	case NTS_KE_NEW_COOKIE: {
		struct nts_cookie *c = &r->cookies[r->cookie_count++];

		c->len = (uint16_t)r->body_len;
		memcpy(c->bytes, r->body, r->body_len);
		return 0;
	}
	case NTS_KE_NTPV4_SERVER:
		/* A host name or address literal: printable, no spaces,
		 * and so no NUL to cut it short. */
		for (size_t i = 0; i < r->body_len; i++)
			if (r->body[i] < 0x21 || r->body[i] > 0x7e)
				return -EBADMSG;
		memcpy(r->server, r->body, r->body_len);
		r->server[r->body_len] = '\0';
		r->have_server = true;
		return 0;
	case NTS_KE_NTPV4_PORT:
		r->port = body16(r);
		r->have_port = true;
		return r->port != 0 ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

int
nts_ke_response_feed(struct nts_ke_response *r, const uint8_t *data, size_t len)
{
	size_t used = 0;

	while (r->result == 0 && used < len) {
		size_t take;

		if (!r->in_body) {
			take = NTS_KE_RECORD_HEADER_LEN - r->header_have;
			if (take > len - used)
				take = len - used;
			memcpy(r->header + r->header_have, data + used, take);
			r->header_have += take;
			used += take;
			if (r->header_have < NTS_KE_RECORD_HEADER_LEN)
				break;
			r->header_have = 0;
			r->critical = (r->header[0] & 0x80) != 0;
			r->type = (uint16_t)((r->header[0] & 0x7f) << 8 |
					     r->header[1]);
			r->body_len = read_be16(r->header + 2);
			r->body_have = 0;
			/* total stays far below SIZE_MAX: it stops at the
			 * bound. */
			r->total += NTS_KE_RECORD_HEADER_LEN + r->body_len;
			if (r->total > NTS_KE_MAX_RESPONSE_LEN) {
				r->result = -EMSGSIZE;
				break;
			}
			r->result = record_header(r);
			r->in_body = true;
		} else {
			take = r->body_len - r->body_have;
			if (take > len - used)
				take = len - used;
			/* record_header let through only kept bodies that
			 * fit NTS_KE_MAX_KEPT_BODY. */
			if (r->keep_body)
				memcpy(r->body + r->body_have, data + used,
				       take);
			r->body_have += take;
			used += take;
		}
		if (r->result == 0 && r->in_body &&
		    r->body_have == r->body_len) {
			r->in_body = false;
			r->result = record_done(r);
		}
	}
	/* Bytes after End of Message, in this read or a later one. */
	if (r->result == 1 && used < len)
		r->result = -EBADMSG;
	return r->result;
}

int
nts_ke_response_end(const struct nts_ke_response *r)
{
	if (r->result == 1)
		return 0;
	return r->result < 0 ? r->result : -ENODATA;
}
