/*
 * NTS for NTP, entirely in process: the client from an NTS-KE response,
 * its requests checked the way a server checks them, and replies built
 * by tests/nts_server.c with the same codec, honest and broken in every
 * way the client must notice.
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "chrony_nts.h"
#include "hex.h"
#include "nts.h"
#include "nts_server.h"

#define XMT 0x1122334455667788ull

static struct nts_keys keys;
static struct nts_client client;
static uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
static int req_len, rep_len;
static struct nts_server_request seen;
static struct nts_server_reply opt;
static struct nts_reply_info info;

/* An NTS-KE response with n cookies of len bytes, parsed. */
static int
ke_response(struct nts_ke_response *ke, unsigned n, size_t len)
{
	uint8_t stream[4096];
	size_t pos = 0;
	static const uint8_t head[] = {0x80, 1, 0, 2, 0, 0,
				       0x80, 4, 0, 2, 0, 15};

	memcpy(stream, head, sizeof(head));
	pos = sizeof(head);
	for (unsigned i = 0; i < n; i++) {
		stream[pos++] = 0;
		stream[pos++] = NTS_KE_NEW_COOKIE;
		stream[pos++] = (uint8_t)(len >> 8);
		stream[pos++] = (uint8_t)len;
		memset(stream + pos, (int)(0x10 + i), len);
		pos += len;
	}
	memcpy(stream + pos, "\x80\0\0\0", 4);
	pos += 4;
	nts_ke_response_init(ke);
	return nts_ke_response_feed(ke, stream, pos);
}

static int
start(unsigned cookies, size_t cookie_len)
{
	struct nts_ke_response ke;

	for (int i = 0; i < NTS_KEY_LEN; i++) {
		keys.c2s[i] = (uint8_t)i;
		keys.s2c[i] = (uint8_t)(0x80 + i);
	}
	if (ke_response(&ke, cookies, cookie_len) != 1)
		return -1;
	return nts_client_init(&client, &keys, &ke);
}

/* Sends a request, has the server read it, and prepares an honest
 * reply's options. */
static int
exchange(void)
{
	req_len =
	    nts_request_encode(&client, req, sizeof(req), XMT, NULL, NULL);
	if (req_len <= 0)
		return req_len;
	if (nts_server_read_request(&keys, req, (size_t)req_len, &seen) != 0)
		return -1;
	nts_server_default(&opt, &seen);
	return 0;
}

static int
reply(void)
{
	rep_len = nts_server_write_reply(&keys, &seen, &opt, rep, sizeof(rep));
	return rep_len;
}

static int
verify(enum nts_policy policy)
{
	return nts_reply_verify(&client, rep, (size_t)rep_len, policy, &info);
}

TEST(jar_holds_eight_and_gives_each_once)
{
	struct nts_cookie_jar jar;
	struct nts_cookie c;
	uint8_t bytes[NTS_MAX_COOKIE_LEN + 4];

	nts_jar_init(&jar);
	CHECK_EQ_INT(nts_jar_take(&jar, &c), -ENOENT);
	for (unsigned i = 0; i < NTS_MAX_COOKIES; i++) {
		memset(bytes, (int)i, sizeof(bytes));
		CHECK_EQ_INT(nts_jar_put(&jar, bytes, 12 + 4 * i), 0);
	}
	CHECK_EQ_INT(nts_jar_count(&jar), 8);
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, 100), -ENOSPC);
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ_INT(nts_jar_take(&jar, &c), 0);
		CHECK_EQ_INT(c.len, 12 + 4 * i);
		CHECK(c.bytes[0] == i);
	}
	/* Wraps around the ring in order. */
	memset(bytes, 0x77, sizeof(bytes));
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, 16), 0);
	for (unsigned i = 3; i < 8; i++) {
		CHECK_EQ_INT(nts_jar_take(&jar, &c), 0);
		CHECK(c.bytes[0] == i);
	}
	CHECK_EQ_INT(nts_jar_take(&jar, &c), 0);
	CHECK(c.bytes[0] == 0x77);
	CHECK_EQ_INT(nts_jar_count(&jar), 0);
	CHECK_EQ_INT(nts_jar_take(&jar, &c), -ENOENT);
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, 8), -EINVAL);
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, 14), -EINVAL);
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, NTS_MAX_COOKIE_LEN + 4), -EINVAL);
	CHECK_EQ_INT(nts_jar_put(&jar, bytes, NTS_MAX_COOKIE_LEN), 0);
	nts_jar_clear(&jar);
	CHECK_EQ_INT(nts_jar_count(&jar), 0);
}

TEST(client_needs_a_complete_key_exchange)
{
	struct nts_ke_response ke;

	nts_ke_response_init(&ke);
	CHECK_EQ_INT(nts_client_init(&client, &keys, &ke), -EINVAL);
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
	CHECK(!client.waiting);
}

TEST(request_is_what_a_server_accepts)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	/* Header, identifier, cookie, no placeholder (the jar had all
	 * eight), authenticator. */
	CHECK_EQ_INT(req_len, 48 + 36 + 104 + 40);
	CHECK(seen.transmit_ts == XMT);
	CHECK_EQ_INT(seen.cookie_len, 100);
	CHECK(seen.cookie[0] == 0x10 && seen.cookie[99] == 0x10);
	CHECK_EQ_INT(seen.placeholders, 0);
	CHECK(memcmp(seen.uid, client.uid, NTS_UID_LEN) == 0);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 7);
	/* The authenticator covers the whole packet before it: the
	 * header after the mode, the identifier and the cookie. */
	for (int i = 1; i < req_len - 40; i++) {
		if (i == 48 || i == 84)
			i += 4; /* a field's type and length */
		req[i] ^= 0x01;
		CHECK_EQ_INT(
		    nts_server_read_request(&keys, req, (size_t)req_len, &seen),
		    -EKEYREJECTED);
		req[i] ^= 0x01;
	}
	/* Under the C2S key only. */
	memcpy(keys.c2s, keys.s2c, NTS_KEY_LEN);
	CHECK_EQ_INT(
	    nts_server_read_request(&keys, req, (size_t)req_len, &seen),
	    -EKEYREJECTED);
}

TEST(each_cookie_is_used_once_and_placeholders_refill)
{
	CHECK_EQ_INT(start(8, 100), 0);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ_INT(exchange(), 0);
		CHECK(seen.cookie[0] == 0x10 + i);
		/* Enough placeholders that the reply fills the jar. */
		CHECK_EQ_INT(seen.placeholders, i);
		CHECK_EQ_INT(nts_jar_count(&client.jar), 7 - i);
	}
	CHECK_EQ_INT(
	    nts_request_encode(&client, req, sizeof(req), XMT, NULL, NULL),
	    -ENOENT);
}

TEST(requests_fit_the_packet)
{
	/* One 256-byte cookie left: seven placeholders would make 2.2 KB,
	 * so only as many as fit in NTP_MAX_PACKET_LEN. */
	CHECK_EQ_INT(start(1, NTS_MAX_COOKIE_LEN), 0);
	CHECK_EQ_INT(exchange(), 0);
	CHECK(req_len <= NTP_MAX_PACKET_LEN);
	CHECK_EQ_INT(seen.placeholders, 3);
	/* A smaller buffer, fewer placeholders. */
	CHECK_EQ_INT(start(1, NTS_MAX_COOKIE_LEN), 0);
	req_len = nts_request_encode(&client, req, 700, XMT, NULL, NULL);
	CHECK(req_len > 0 && req_len <= 700);
	CHECK_EQ_INT(
	    nts_server_read_request(&keys, req, (size_t)req_len, &seen), 0);
	CHECK_EQ_INT(seen.placeholders, 1);
	/* No room even for the cookie: nothing is used up. */
	CHECK_EQ_INT(start(1, NTS_MAX_COOKIE_LEN), 0);
	CHECK_EQ_INT(nts_request_encode(&client, req, 48 + 36 + 260 + 39, XMT,
					NULL, NULL),
		     -ENOBUFS);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 1);
	CHECK(!client.waiting);
	CHECK_EQ_INT(
	    nts_request_encode(&client, req, sizeof(req), 0, NULL, NULL),
	    -EINVAL);
}

TEST(given_identifier_and_nonce_make_the_same_request)
{
	uint8_t uid[NTS_UID_LEN], nonce[NTS_NONCE_LEN], first[512];
	int n;

	memset(uid, 0x42, sizeof(uid));
	memset(nonce, 0x24, sizeof(nonce));
	CHECK_EQ_INT(start(8, 100), 0);
	n = nts_request_encode(&client, first, sizeof(first), XMT, uid, nonce);
	CHECK(n > 0);
	CHECK(memcmp(first + 48 + 4, uid, NTS_UID_LEN) == 0);
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(
	    nts_request_encode(&client, req, sizeof(req), XMT, uid, nonce), n);
	CHECK(memcmp(req, first, (size_t)n) == 0);
	/* Random ones differ from request to request. */
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	memcpy(first, req, (size_t)req_len);
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	CHECK(memcmp(first + 52, req + 52, NTS_UID_LEN) != 0);
}

TEST(round_trip)
{
	CHECK_EQ_INT(start(8, 100), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(exchange(), 0);
	CHECK_EQ_INT(seen.placeholders, 2);
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK(info.authenticated);
	CHECK_EQ_INT(info.new_cookies, 3);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
	CHECK(info.ntp.stratum == 2 && info.ntp.origin_ts == XMT);
	CHECK(info.ntp.transmit_ts == 0xeeb7811500100000ull);
	CHECK(!client.waiting);
	/* The new cookies come after the old ones, as the server made
	 * them. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(exchange(), 0);
	CHECK(seen.cookie[0] == 0x17);
	CHECK_EQ_INT(exchange(), 0);
	CHECK(seen.cookie[0] == 0xa0);
}

TEST(a_replayed_reply_is_refused)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EALREADY);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
	/* Nor does it answer the next request. */
	CHECK_EQ_INT(exchange(), 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOMSG);
}

TEST(a_tampered_reply_is_refused_and_the_real_one_still_counts)
{
	uint8_t good[NTP_MAX_PACKET_LEN];
	int good_len;

	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	CHECK_EQ_INT(exchange(), 0);
	good_len = reply();
	CHECK(good_len > 0);
	memcpy(good, rep, (size_t)good_len);
	/* Every byte the authenticator covers, its lengths aside: the
	 * header, the identifier's body, the nonce, the tag and the
	 * encrypted cookies. */
	for (int i = 0; i < good_len; i++) {
		int expected = -EKEYREJECTED;

		if (i < 48 && (i < 4 || i >= 24) && i != 1)
			continue; /* fields the decoder judges first */
		if (i >= 48 && i < 52)
			continue; /* the identifier's type and length */
		if (i >= 84 && i < 92)
			continue; /* the authenticator's type and lengths */
		rep[i] ^= 0x20;
		CHECK_EQ_INT(verify(NTS_REQUIRED),
			     i >= 52 && i < 84 ? -ENOMSG : expected);
		rep[i] ^= 0x20;
	}
	CHECK(client.waiting);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 6);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
}

TEST(keys_are_directional)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.s2c = keys.c2s;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EKEYREJECTED);
	CHECK(client.waiting);
}

TEST(a_reply_without_nts_is_refused_when_required)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.echo_uid = false;
	opt.authenticate = false;
	CHECK(reply() > 0);
	CHECK_EQ_INT(rep_len, 48);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOKEY);
	CHECK(client.waiting);
	/* Our identifier, but nothing authenticated. */
	opt.echo_uid = true;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOKEY);
	CHECK_EQ_INT(verify(NTS_OPTIONAL), -ENOKEY);
	/* Where NTS is optional, plain NTP is taken as such. */
	opt.echo_uid = false;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_OPTIONAL), 0);
	CHECK(!info.authenticated);
	CHECK_EQ_INT(verify(NTS_OPTIONAL), -EALREADY);
}

TEST(optional_nts_is_still_checked_in_full)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	CHECK(reply() > 0);
	rep[rep_len - 1] ^= 1;
	CHECK_EQ_INT(verify(NTS_OPTIONAL), -EKEYREJECTED);
	rep[rep_len - 1] ^= 1;
	CHECK_EQ_INT(verify(NTS_OPTIONAL), 0);
	CHECK(info.authenticated);
}

TEST(the_unique_identifier_must_be_ours)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.echo_uid = false;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOMSG);
	opt.echo_uid = true;
	opt.corrupt_uid = true;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOMSG);
	CHECK(client.waiting);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 7);
}

/* A NAK is believed on its identifier alone, so it ends nothing: the
 * request waits for an authentic reply, with the jar as it was. */
TEST(nts_nak_leaves_the_request_waiting)
{
	struct nts_server_reply honest;

	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	honest = opt;
	opt.stratum = 0;
	opt.reference_id = NTP_KISS_NTSN;
	opt.authenticate = false;
	opt.cookies = 0;
	/* Someone else's identifier: not even a NAK. */
	opt.corrupt_uid = true;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOMSG);
	opt.corrupt_uid = false;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EKEYEXPIRED);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 7);
	CHECK(client.waiting);
	opt = honest;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK(info.authenticated);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
}

TEST(other_kisses_count_only_when_authenticated)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.stratum = 0;
	opt.reference_id = NTP_KISS_DENY;
	opt.authenticate = false;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -ENOKEY);
	opt.authenticate = true;
	opt.reference_id = NTP_KISS_RATE;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBUSY);
	CHECK(info.authenticated);
	CHECK(!client.waiting);
}

TEST(an_authentic_unsynchronised_reply_is_still_unsynchronised)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.leap = 3;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EAGAIN);
	CHECK(info.authenticated);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
}

TEST(the_authenticator_must_be_last)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.field_after_auth = true;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	/* Nor a legacy MAC after it. */
	opt.field_after_auth = false;
	CHECK(reply() > 0);
	memset(rep + rep_len, 0, 20);
	rep_len += 20;
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	rep_len -= 20;
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
}

TEST(authenticator_lengths_are_checked)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	/* A 12-byte nonce is fine when padding fills 16 bytes ... */
	opt.nonce_len = 12;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	/* ... and refused without. */
	CHECK_EQ_INT(exchange(), 0);
	opt.nonce_len = 8;
	opt.short_nonce_area = true;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	/* Lengths that run past the field. */
	opt.nonce_len = NTS_NONCE_LEN;
	opt.short_nonce_area = false;
	CHECK(reply() > 0);
	rep[84 + 6] = 0x40; /* ciphertext length */
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	CHECK(reply() > 0);
	rep[84 + 4] = 0x7f; /* nonce length */
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	CHECK(reply() > 0);
	rep[84 + 4] = 0;
	rep[84 + 5] = 0; /* no nonce */
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	/* Shorter than the tag. */
	CHECK(reply() > 0);
	rep[84 + 6] = 0;
	rep[84 + 7] = SIV_TAG_LEN - 4;
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	CHECK(client.waiting);
}

TEST(only_encrypted_cookies_are_taken)
{
	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.plain_cookie = true;
	opt.cookie_fill = 0x55;
	opt.cookies = 0;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK_EQ_INT(info.new_cookies, 0);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 7);
}

TEST(extra_and_malformed_cookies)
{
	static const uint8_t broken[3] = {0x02, 0x04, 0x00};

	CHECK_EQ_INT(start(8, 100), 0);
	CHECK_EQ_INT(exchange(), 0);
	opt.cookies = 10;
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK_EQ_INT(info.new_cookies, 1);
	CHECK_EQ_INT(info.cookies_dropped, 9);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
	/* Inside the authenticated payload, a field that does not walk:
	 * refused, and the jar untouched by the good cookie before it. */
	CHECK_EQ_INT(exchange(), 0);
	opt.inner = broken;
	opt.inner_len = sizeof(broken);
	CHECK(reply() > 0);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EBADMSG);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 7);
}

/*
 * chrony's answer to a request these modules made: the NTS-KE response
 * parses, our encoder rebuilds the very request chrony accepted from
 * its identifier and nonce, and chrony's reply verifies once.
 */
TEST(chrony_exchange)
{
	static struct nts_ke_response ke;
	uint8_t stream[1024], captured[NTP_MAX_PACKET_LEN];
	size_t stream_len, captured_len;
	uint64_t xmt = 0;

	stream_len = hex_decode(chrony_ke_response, stream, sizeof(stream));
	CHECK(stream_len > 0);
	nts_ke_response_init(&ke);
	CHECK_EQ_INT(nts_ke_response_feed(&ke, stream, stream_len), 1);
	CHECK_EQ_INT(ke.aead, NTS_AEAD_AES_SIV_CMAC_256);
	CHECK_EQ_INT(ke.cookie_count, 8);
	CHECK_EQ_INT(ke.cookies[0].len, 100);
	CHECK(hex_decode(chrony_c2s, keys.c2s, NTS_KEY_LEN) == NTS_KEY_LEN);
	CHECK(hex_decode(chrony_s2c, keys.s2c, NTS_KEY_LEN) == NTS_KEY_LEN);
	CHECK_EQ_INT(nts_client_init(&client, &keys, &ke), 0);

	captured_len =
	    hex_decode(chrony_nts_request, captured, sizeof(captured));
	CHECK_EQ_INT(captured_len, 48 + 36 + 104 + 40);
	for (int i = 40; i < 48; i++)
		xmt = xmt << 8 | captured[i];
	/* Identifier at 52, nonce in the authenticator at 188 + 8. */
	req_len = nts_request_encode(&client, req, sizeof(req), xmt,
				     captured + 52, captured + 196);
	CHECK_EQ_INT(req_len, captured_len);
	CHECK(memcmp(req, captured, captured_len) == 0);

	rep_len = (int)hex_decode(chrony_nts_reply, rep, sizeof(rep));
	CHECK(rep_len > 0);
	rep[rep_len - 1] ^= 1;
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EKEYREJECTED);
	rep[rep_len - 1] ^= 1;
	CHECK_EQ_INT(verify(NTS_REQUIRED), 0);
	CHECK(info.authenticated);
	CHECK_EQ_INT(info.ntp.stratum, 8);
	CHECK_EQ_INT(info.new_cookies, 1);
	CHECK_EQ_INT(nts_jar_count(&client.jar), 8);
	CHECK_EQ_INT(verify(NTS_REQUIRED), -EALREADY);
}

int
main(void)
{
	RUN(jar_holds_eight_and_gives_each_once);
	RUN(client_needs_a_complete_key_exchange);
	RUN(request_is_what_a_server_accepts);
	RUN(each_cookie_is_used_once_and_placeholders_refill);
	RUN(requests_fit_the_packet);
	RUN(given_identifier_and_nonce_make_the_same_request);
	RUN(round_trip);
	RUN(a_replayed_reply_is_refused);
	RUN(a_tampered_reply_is_refused_and_the_real_one_still_counts);
	RUN(keys_are_directional);
	RUN(a_reply_without_nts_is_refused_when_required);
	RUN(optional_nts_is_still_checked_in_full);
	RUN(the_unique_identifier_must_be_ours);
	RUN(nts_nak_leaves_the_request_waiting);
	RUN(other_kisses_count_only_when_authenticated);
	RUN(an_authentic_unsynchronised_reply_is_still_unsynchronised);
	RUN(the_authenticator_must_be_last);
	RUN(authenticator_lengths_are_checked);
	RUN(only_encrypted_cookies_are_taken);
	RUN(extra_and_malformed_cookies);
	RUN(chrony_exchange);
	HARNESS_EXIT();
}
