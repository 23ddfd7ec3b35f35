/*
 * NTS Key Establishment records (RFC 8915 section 4): the client's
 * request, the server's response parsed as it arrives, and the context
 * for TLS's keying-material exporter.  Pure: the TLS connection that
 * carries the records belongs to the caller.
 *
 * A record is (critical bit | type : 15, body length : 16, body).  The
 * request is Next Protocol Negotiation (NTPv4), AEAD Algorithm
 * Negotiation (AEAD_AES_SIV_CMAC_256) and End of Message, all three
 * critical: RFC 8915 requires the bit on the first and last, and every
 * server must understand the AEAD record anyway.
 *
 * The response parser takes the stream in pieces of any size (a record,
 * even its header, may straddle reads) and holds at most one record body
 * of NTS_KE_MAX_KEPT_BODY bytes.  Results of nts_ke_response_feed:
 *   0                 more bytes are needed
 *   1                 End of Message came and the response is usable
 *   -EMSGSIZE         more than NTS_KE_MAX_RESPONSE_LEN bytes, or a
 *                     cookie longer than NTS_MAX_COOKIE_LEN
 *   -EBADMSG          a record breaks its own format: a body length
 *                     wrong for its type, End of Message or Next
 *                     Protocol without the critical bit, a record that
 *                     may come once coming twice, a cookie shorter than
 *                     NTS_MIN_COOKIE_LEN or not whole words, a server
 *                     name that is empty or not printable ASCII, port
 *                     0, or bytes after End of Message
 *   -EOPNOTSUPP       a critical record of a type we do not know
 *   -ECONNREFUSED     an Error record; its code is in error_code
 *   -EREMOTEIO        a Warning record; its code is in warning_code (no
 *                     warning codes are defined, so none is understood)
 *   -EPROTONOSUPPORT  the server chose no protocol, or not NTPv4
 *   -ENOPROTOOPT      the server chose no AEAD, or not id 15
 *   -EPROTO           End of Message without a Next Protocol, an AEAD
 *                     or at least one cookie
 * Errors are sticky: every later feed returns the same.  Unknown
 * records without the critical bit are skipped; cookies beyond
 * NTS_MAX_COOKIES are counted in cookies_dropped and not kept.
 *
 * nts_ke_response_end says the stream has closed: 0 if the response was
 * complete, -ENODATA if End of Message never came, or the error.
 */
#ifndef SEALNET_SNTP_NTS_KE_H
#define SEALNET_SNTP_NTS_KE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sntp_const.h"

struct nts_cookie {
	uint16_t len;
	uint8_t bytes[NTS_MAX_COOKIE_LEN];
};

struct nts_ke_response {
	/* Where the parser is in the stream. */
	uint8_t header[NTS_KE_RECORD_HEADER_LEN];
	size_t header_have;
	bool in_body;
	bool critical;
	bool keep_body;
	uint16_t type;
	size_t body_len;
	size_t body_have;
	uint8_t body[NTS_KE_MAX_KEPT_BODY];
	size_t total;
	int result;

	/* What the server said. */
	bool have_next_protocol;
	bool have_aead;
	bool have_server;
	bool have_port;
	uint16_t next_protocol;
	uint16_t aead;
	uint16_t port;
	uint16_t error_code;
	uint16_t warning_code;
	char server[NTS_KE_MAX_SERVER_LEN + 1]; /* NUL-terminated */
	struct nts_cookie cookies[NTS_MAX_COOKIES];
	unsigned cookie_count;
	unsigned cookies_dropped;
};

/* Writes the 16-byte request; -ENOBUFS if cap is smaller. */
int nts_ke_request_encode(uint8_t *buf, size_t cap);

void nts_ke_response_init(struct nts_ke_response *r);
int nts_ke_response_feed(struct nts_ke_response *r, const uint8_t *data,
			 size_t len);
int nts_ke_response_end(const struct nts_ke_response *r);

/*
 * The exporter context for one direction (NTS_KE_C2S or NTS_KE_S2C):
 * protocol id NTPv4, the AEAD id, the direction byte.  With the label
 * NTS_KE_EXPORTER_LABEL and a 32-byte output it gives that direction's
 * key (SSL_export_keying_material with use_context = 1).  Returns 5, or
 * -EINVAL for another direction, -ENOBUFS if cap is smaller.
 */
int nts_ke_exporter_context(uint16_t aead, uint8_t direction, uint8_t *out,
			    size_t cap);

#endif
