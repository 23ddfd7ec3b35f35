/*
 * The NTS reply verifier with fixed keys.  Each input first sends a
 * request (fixed identifier and nonce), then answers it:
 *   flag bit 0 clear: the rest of the input is the reply as it arrives,
 *     with our origin timestamp written in when bit 1 is set, so that
 *     the checks behind the origin match are reached;
 *   flag bit 0 set: the test server builds an authentic reply whose
 *     encrypted payload is the rest of the input, and flag bits 1-7
 *     choose how many cookies it adds and whether it echoes our
 *     identifier, so that what follows authentication is fuzzed too.
 * The client's state must stay within its bounds whatever comes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nts.h"
#include "nts_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define XMT 0x0123456789abcdefull

static struct nts_client client;
static struct nts_keys keys;
static struct nts_ke_response ke;

static void
fresh_client(void)
{
	static const uint8_t stream[] = {
	    0x80, 1,  0,  2,  0,  0,  0x80, 4,	0,    2, 0, 15,
	    0,	  5,  0,  16, 1,  2,  3,    4,	5,    6, 7, 8,
	    9,	  10, 11, 12, 13, 14, 15,   16, 0x80, 0, 0, 0};

	if (ke.result != 1) {
		for (int i = 0; i < NTS_KEY_LEN; i++) {
			keys.c2s[i] = (uint8_t)(i * 3);
			keys.s2c[i] = (uint8_t)(i * 5 + 1);
		}
		nts_ke_response_init(&ke);
		if (nts_ke_response_feed(&ke, stream, sizeof(stream)) != 1)
			abort();
	}
	if (nts_client_init(&client, &keys, &ke) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t uid[NTS_UID_LEN] = {0x75, 0x69, 0x64};
	static const uint8_t nonce[NTS_NONCE_LEN] = {0x6e};
	uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
	struct nts_server_request seen;
	struct nts_server_reply opt;
	struct nts_reply_info info;
	int req_len, rep_len, rc;

	if (size < 1)
		return 0;
	fresh_client();
	req_len =
	    nts_request_encode(&client, req, sizeof(req), XMT, uid, nonce);
	if (req_len <= 0 ||
	    nts_server_read_request(&keys, req, (size_t)req_len, &seen) != 0)
		abort();
	if ((data[0] & 1) == 0) {
		rep_len =
		    (int)(size - 1 < sizeof(rep) ? size - 1 : sizeof(rep));
		memcpy(rep, data + 1, (size_t)rep_len);
		if ((data[0] & 2) && rep_len >= 32)
			for (int i = 0; i < 8; i++)
				rep[24 + i] = (uint8_t)(XMT >> (56 - 8 * i));
	} else {
		nts_server_default(&opt, &seen);
		opt.cookies = (unsigned)(data[0] >> 1) % 4;
		opt.echo_uid = (data[0] & 0x10) == 0;
		opt.inner = data + 1;
		opt.inner_len = size - 1;
		rep_len = nts_server_write_reply(&keys, &seen, &opt, rep,
						 sizeof(rep));
		if (rep_len < 0)
			return 0;
	}
	rc = nts_reply_verify(&client, rep, (size_t)rep_len,
			      (data[0] & 0x20) ? NTS_OPTIONAL : NTS_REQUIRED,
			      &info);
	if (nts_jar_count(&client.jar) > NTS_MAX_COOKIES ||
	    (info.authenticated && client.waiting) ||
	    (rc == -EKEYREJECTED && !client.waiting))
		abort();
	/* Accepted once at most. */
	if (!client.waiting &&
	    nts_reply_verify(&client, rep, (size_t)rep_len, NTS_REQUIRED,
			     &info) != -EALREADY)
		abort();
	return 0;
}
