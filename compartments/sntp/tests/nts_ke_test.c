/*
 * NTS-KE records: the request's bytes, the exporter context, responses
 * fed whole, a byte at a time and split at every position, and every
 * way a response is refused.
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "nts_ke.h"

#define CRIT 0x8000u

struct stream {
	uint8_t bytes[40000];
	size_t len;
};

static struct stream s;
static struct nts_ke_response r;

static void
rec(uint16_t type, const uint8_t *body, size_t body_len)
{
	uint8_t *p = s.bytes + s.len;

	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(body_len >> 8);
	p[3] = (uint8_t)body_len;
	if (body != NULL)
		memcpy(p + 4, body, body_len);
	else
		memset(p + 4, 0x11, body_len);
	s.len += 4 + body_len;
}

static void
rec16(uint16_t type, uint16_t value)
{
	uint8_t b[2] = {(uint8_t)(value >> 8), (uint8_t)value};

	rec(type, b, 2);
}

static void
cookie(size_t len, uint8_t fill)
{
	uint8_t b[300];

	memset(b, fill, sizeof(b));
	rec(NTS_KE_NEW_COOKIE, b, len);
}

/* What chrony 4.3 sends: protocol, AEAD, eight 100-byte cookies, End of
 * Message. */
static void
typical(size_t n_cookies)
{
	s.len = 0;
	rec16(CRIT | NTS_KE_NEXT_PROTOCOL, NTS_KE_PROTOCOL_NTPV4);
	rec16(NTS_KE_AEAD_ALGORITHM, NTS_AEAD_AES_SIV_CMAC_256);
	for (size_t i = 0; i < n_cookies; i++)
		cookie(100, (uint8_t)(0xc0 + i));
}

static void
eom(void)
{
	rec(CRIT | NTS_KE_END_OF_MESSAGE, NULL, 0);
}

static int
feed_all(void)
{
	nts_ke_response_init(&r);
	return nts_ke_response_feed(&r, s.bytes, s.len);
}

TEST(request_bytes)
{
	static const uint8_t expected[NTS_KE_REQUEST_LEN] = {
	    0x80, 0x01, 0x00, 0x02, 0x00, 0x00, /* next protocol: NTPv4 */
	    0x80, 0x04, 0x00, 0x02, 0x00, 0x0f, /* AEAD: SIV-CMAC-256 */
	    0x80, 0x00, 0x00, 0x00,		/* end of message */
	};
	uint8_t buf[20];

	CHECK_EQ_INT(nts_ke_request_encode(buf, sizeof(buf)), 16);
	CHECK(memcmp(buf, expected, sizeof(expected)) == 0);
	CHECK_EQ_INT(nts_ke_request_encode(buf, 15), -ENOBUFS);
}

TEST(exporter_context)
{
	uint8_t c[8];
	static const uint8_t c2s[5] = {0, 0, 0, 15, 0},
			     s2c[5] = {0, 0, 0, 15, 1};

	CHECK_EQ_INT(nts_ke_exporter_context(15, NTS_KE_C2S, c, sizeof(c)), 5);
	CHECK(memcmp(c, c2s, 5) == 0);
	CHECK_EQ_INT(nts_ke_exporter_context(15, NTS_KE_S2C, c, sizeof(c)), 5);
	CHECK(memcmp(c, s2c, 5) == 0);
	CHECK_EQ_INT(nts_ke_exporter_context(15, 2, c, sizeof(c)), -EINVAL);
	CHECK_EQ_INT(nts_ke_exporter_context(15, 0, c, 4), -ENOBUFS);
	CHECK(strcmp(NTS_KE_EXPORTER_LABEL, "EXPORTER-network-time-security") ==
	      0);
	CHECK(strcmp(NTS_KE_ALPN, "ntske/1") == 0);
}

TEST(typical_response)
{
	typical(8);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(nts_ke_response_end(&r), 0);
	CHECK_EQ_INT(r.next_protocol, 0);
	CHECK_EQ_INT(r.aead, 15);
	CHECK_EQ_INT(r.cookie_count, 8);
	CHECK_EQ_INT(r.cookies_dropped, 0);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ_INT(r.cookies[i].len, 100);
		CHECK(r.cookies[i].bytes[0] == 0xc0 + i);
		CHECK(r.cookies[i].bytes[99] == 0xc0 + i);
	}
	CHECK(!r.have_server && !r.have_port);
}

TEST(server_and_port_are_kept)
{
	typical(1);
	rec(NTS_KE_NTPV4_SERVER, (const uint8_t *)"ntp.example.net", 15);
	rec16(CRIT | NTS_KE_NTPV4_PORT, 10123);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK(r.have_server && strcmp(r.server, "ntp.example.net") == 0);
	CHECK(r.have_port && r.port == 10123);
}

TEST(fed_a_byte_at_a_time)
{
	typical(8);
	rec(NTS_KE_NTPV4_SERVER, (const uint8_t *)"2001:db8::1", 11);
	eom();
	nts_ke_response_init(&r);
	for (size_t i = 0; i + 1 < s.len; i++)
		CHECK_EQ_INT(nts_ke_response_feed(&r, s.bytes + i, 1), 0);
	CHECK_EQ_INT(nts_ke_response_end(&r), -ENODATA);
	CHECK_EQ_INT(nts_ke_response_feed(&r, s.bytes + s.len - 1, 1), 1);
	CHECK_EQ_INT(r.cookie_count, 8);
	CHECK(r.cookies[7].bytes[50] == 0xc7);
	CHECK(strcmp(r.server, "2001:db8::1") == 0);
	/* An empty read changes nothing. */
	CHECK_EQ_INT(nts_ke_response_feed(&r, s.bytes, 0), 1);
}

TEST(split_at_every_position)
{
	typical(3);
	rec(0x4321, NULL, 300); /* unknown, not critical: skipped */
	eom();
	for (size_t cut = 0; cut <= s.len; cut++) {
		nts_ke_response_init(&r);
		CHECK_EQ_INT(nts_ke_response_feed(&r, s.bytes, cut),
			     cut == s.len ? 1 : 0);
		CHECK_EQ_INT(
		    nts_ke_response_feed(&r, s.bytes + cut, s.len - cut), 1);
		CHECK_EQ_INT(r.cookie_count, 3);
		CHECK(r.cookies[2].bytes[99] == 0xc2);
	}
}

TEST(missing_end_of_message_is_incomplete)
{
	typical(8);
	CHECK_EQ_INT(feed_all(), 0);
	CHECK_EQ_INT(nts_ke_response_end(&r), -ENODATA);
	/* Half a header of it. */
	s.bytes[s.len++] = 0x80;
	CHECK_EQ_INT(feed_all(), 0);
	CHECK_EQ_INT(nts_ke_response_end(&r), -ENODATA);
}

TEST(end_of_message_must_be_critical_and_empty)
{
	typical(1);
	rec(NTS_KE_END_OF_MESSAGE, NULL, 0);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec(CRIT | NTS_KE_END_OF_MESSAGE, NULL, 2);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
}

TEST(nothing_may_follow_end_of_message)
{
	typical(1);
	eom();
	s.bytes[s.len++] = 0;
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	CHECK_EQ_INT(nts_ke_response_end(&r), -EBADMSG);
	/* Nor in a later read. */
	s.len--;
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(nts_ke_response_feed(&r, s.bytes, 1), -EBADMSG);
}

TEST(error_and_warning_records_are_distinct)
{
	typical(0);
	rec16(CRIT | NTS_KE_ERROR, 1); /* bad request */
	eom();
	CHECK_EQ_INT(feed_all(), -ECONNREFUSED);
	CHECK_EQ_INT(r.error_code, 1);
	CHECK_EQ_INT(nts_ke_response_end(&r), -ECONNREFUSED);
	typical(2);
	rec16(CRIT | NTS_KE_WARNING, 7);
	eom();
	CHECK_EQ_INT(feed_all(), -EREMOTEIO);
	CHECK_EQ_INT(r.warning_code, 7);
	/* Either one with a body that is not a 16-bit code. */
	typical(0);
	rec(CRIT | NTS_KE_ERROR, NULL, 3);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(0);
	rec(CRIT | NTS_KE_WARNING, NULL, 0);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
}

TEST(unknown_records)
{
	typical(1);
	rec(CRIT | 0x0400, NULL, 0);
	eom();
	CHECK_EQ_INT(feed_all(), -EOPNOTSUPP);
	typical(1);
	rec(0x0400, NULL, 0);
	rec(0x7fff, NULL, 5000);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(r.cookie_count, 1);
}

TEST(next_protocol_is_checked)
{
	s.len = 0;
	rec16(NTS_KE_NEXT_PROTOCOL, 0); /* without the critical bit */
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	s.len = 0;
	rec(CRIT | NTS_KE_NEXT_PROTOCOL, NULL, 0); /* none acceptable */
	CHECK_EQ_INT(feed_all(), -EPROTONOSUPPORT);
	s.len = 0;
	rec16(CRIT | NTS_KE_NEXT_PROTOCOL, 0x8001);
	CHECK_EQ_INT(feed_all(), -EPROTONOSUPPORT);
	s.len = 0;
	rec(CRIT | NTS_KE_NEXT_PROTOCOL, NULL, 3);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	/* The server chooses one; it does not list several. */
	s.len = 0;
	rec(CRIT | NTS_KE_NEXT_PROTOCOL, (const uint8_t *)"\0\0\0\0", 4);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec16(CRIT | NTS_KE_NEXT_PROTOCOL, 0);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
}

TEST(aead_is_checked)
{
	s.len = 0;
	rec(NTS_KE_AEAD_ALGORITHM, NULL, 0);
	CHECK_EQ_INT(feed_all(), -ENOPROTOOPT);
	s.len = 0;
	rec16(CRIT | NTS_KE_AEAD_ALGORITHM, 30); /* AES-128-GCM-SIV */
	CHECK_EQ_INT(feed_all(), -ENOPROTOOPT);
	s.len = 0;
	rec(NTS_KE_AEAD_ALGORITHM, NULL, 1);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	s.len = 0;
	rec(NTS_KE_AEAD_ALGORITHM, (const uint8_t *)"\0\x0f\0\x0f", 4);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec16(NTS_KE_AEAD_ALGORITHM, 15);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
}

TEST(cookies_are_bounded)
{
	typical(0);
	cookie(NTS_MAX_COOKIE_LEN + 4, 1);
	CHECK_EQ_INT(feed_all(), -EMSGSIZE);
	typical(0);
	cookie(NTS_MIN_COOKIE_LEN - 4, 1);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(0);
	cookie(102, 1);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(0);
	cookie(NTS_MAX_COOKIE_LEN, 1);
	cookie(NTS_MIN_COOKIE_LEN, 2);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(r.cookies[0].len, NTS_MAX_COOKIE_LEN);
	CHECK_EQ_INT(r.cookies[1].len, NTS_MIN_COOKIE_LEN);
	/* More than the jar holds: the first eight are kept. */
	typical(11);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(r.cookie_count, NTS_MAX_COOKIES);
	CHECK_EQ_INT(r.cookies_dropped, 3);
	CHECK(r.cookies[7].bytes[0] == 0xc7);
}

TEST(server_and_port_are_checked)
{
	static const char *const bad_names[] = {"two words", "nul\0byte",
						"tab\there", "\x7f"};
	static const size_t bad_lens[] = {9, 8, 8, 1};
	uint8_t long_name[NTS_KE_MAX_SERVER_LEN + 1];

	for (size_t i = 0; i < 4; i++) {
		typical(1);
		rec(NTS_KE_NTPV4_SERVER, (const uint8_t *)bad_names[i],
		    bad_lens[i]);
		CHECK_EQ_INT(feed_all(), -EBADMSG);
	}
	typical(1);
	rec(NTS_KE_NTPV4_SERVER, NULL, 0);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	memset(long_name, 'a', sizeof(long_name));
	typical(1);
	rec(NTS_KE_NTPV4_SERVER, long_name, sizeof(long_name));
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec(NTS_KE_NTPV4_SERVER, long_name, sizeof(long_name) - 1);
	eom();
	CHECK_EQ_INT(feed_all(), 1);
	CHECK_EQ_INT(strlen(r.server), NTS_KE_MAX_SERVER_LEN);
	typical(1);
	rec(NTS_KE_NTPV4_SERVER, (const uint8_t *)"a", 1);
	rec(NTS_KE_NTPV4_SERVER, (const uint8_t *)"b", 1);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec16(NTS_KE_NTPV4_PORT, 0);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec(NTS_KE_NTPV4_PORT, NULL, 1);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
	typical(1);
	rec16(NTS_KE_NTPV4_PORT, 123);
	rec16(NTS_KE_NTPV4_PORT, 123);
	CHECK_EQ_INT(feed_all(), -EBADMSG);
}

TEST(required_records_must_all_come)
{
	typical(0);
	eom();
	CHECK_EQ_INT(feed_all(), -EPROTO);
	s.len = 0;
	rec16(NTS_KE_AEAD_ALGORITHM, 15);
	cookie(100, 1);
	eom();
	CHECK_EQ_INT(feed_all(), -EPROTO);
	s.len = 0;
	rec16(CRIT | NTS_KE_NEXT_PROTOCOL, 0);
	cookie(100, 1);
	eom();
	CHECK_EQ_INT(feed_all(), -EPROTO);
}

TEST(response_size_is_bounded)
{
	typical(1);
	rec(0x0555, NULL, 9000);
	rec(0x0555, NULL, 9000);
	eom();
	CHECK_EQ_INT(feed_all(), -EMSGSIZE);
	/* Just within the bound. */
	typical(1);
	rec(0x0555, NULL, NTS_KE_MAX_RESPONSE_LEN - s.len - 8);
	eom();
	CHECK_EQ_INT(s.len, NTS_KE_MAX_RESPONSE_LEN);
	CHECK_EQ_INT(feed_all(), 1);
}

TEST(errors_are_sticky)
{
	uint8_t good[256];
	size_t good_len;

	typical(1);
	eom();
	good_len = s.len;
	CHECK(good_len <= sizeof(good));
	memcpy(good, s.bytes, good_len);
	s.len = 0;
	rec(CRIT | 0x1234, NULL, 0);
	CHECK_EQ_INT(feed_all(), -EOPNOTSUPP);
	CHECK_EQ_INT(nts_ke_response_feed(&r, good, good_len), -EOPNOTSUPP);
	CHECK_EQ_INT(nts_ke_response_end(&r), -EOPNOTSUPP);
}

int
main(void)
{
	RUN(request_bytes);
	RUN(exporter_context);
	RUN(typical_response);
	RUN(server_and_port_are_kept);
	RUN(fed_a_byte_at_a_time);
	RUN(split_at_every_position);
	RUN(missing_end_of_message_is_incomplete);
	RUN(end_of_message_must_be_critical_and_empty);
	RUN(nothing_may_follow_end_of_message);
	RUN(error_and_warning_records_are_distinct);
	RUN(unknown_records);
	RUN(next_protocol_is_checked);
	RUN(aead_is_checked);
	RUN(cookies_are_bounded);
	RUN(server_and_port_are_checked);
	RUN(required_records_must_all_come);
	RUN(response_size_is_bounded);
	RUN(errors_are_sticky);
	HARNESS_EXIT();
}
