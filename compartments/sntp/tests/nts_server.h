/*
 * The server side of NTS for NTP, as much as the tests and the reply
 * fuzzer need to play it: check a client's request with the C2S key,
 * and answer it with cookies encrypted under the S2C key.  Built from
 * the same codec the client uses (ntp_ef_put, siv_encrypt), and with
 * switches for every way a reply can be wrong.
 */
#ifndef SEALNET_SNTP_TESTS_NTS_SERVER_H
#define SEALNET_SNTP_TESTS_NTS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nts.h"

/* What the server read from a request. */
struct nts_server_request {
	uint64_t transmit_ts;
	uint8_t uid[NTS_UID_LEN];
	size_t cookie_len;
	uint8_t cookie[NTS_MAX_COOKIE_LEN];
	unsigned placeholders;
};

/* Everything about a reply the tests vary; nts_server_default fills
 * in an honest one. */
struct nts_server_reply {
	uint8_t stratum;
	uint8_t leap;
	uint32_t reference_id;
	uint64_t receive_ts;
	uint64_t transmit_ts;
	bool echo_uid;	   /* else no unique identifier */
	bool corrupt_uid;  /* echo a different one */
	bool authenticate; /* else no authenticator */
	unsigned cookies;  /* encrypted new cookies */
	size_t cookie_len;
	uint8_t cookie_fill;   /* first byte of each cookie */
	size_t nonce_len;      /* 16 normally */
	bool short_nonce_area; /* omit the padding a short nonce needs */
	const uint8_t *s2c;    /* NULL: the right key */
	bool field_after_auth; /* a 28-byte field after the authenticator */
	bool plain_cookie;     /* a cookie outside the encrypted part too */
	const uint8_t *inner;  /* extra plaintext appended inside */
	size_t inner_len;
};

/* 0, or -EBADMSG / -EKEYREJECTED when the request is not a valid NTS
 * request under the C2S key. */
int nts_server_read_request(const struct nts_keys *keys, const uint8_t *pkt,
			    size_t len, struct nts_server_request *out);

void nts_server_default(struct nts_server_reply *opt,
			const struct nts_server_request *req);

/* The reply's length, or a negative errno. */
int nts_server_write_reply(const struct nts_keys *keys,
			   const struct nts_server_request *req,
			   const struct nts_server_reply *opt, uint8_t *out,
			   size_t cap);

#endif
