/*
 * NTP packets: the request, replies captured from chrony 4.3 (Debian 12)
 * serving `local stratum 8` (tests/capture-chrony.sh), every rejection
 * the decoder makes, extension-field walking, era conversion across
 * 1900, 1970 and 2036, and the on-wire offset and delay.
 */
#include <errno.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "bytes.h"
#include "hex.h"
#include "ntp.h"

/* Our request's transmit timestamp, and chrony's reply to it. */
static const char chrony_request[] =
    "23000000 00000000 00000000 00000000 00000000 00000000"
    "00000000 00000000 00000000 00000000 092a9054 adb23ea5";
static const char chrony_reply[] =
    "240800e7 00000000 00000000 7f7f0101 eeb78113 8933f891"
    "092a9054 adb23ea5 eeb78115 4ae36b47 eeb78115 4c3a33de";
static const uint64_t chrony_xmt = 0x092a9054adb23ea5ull;

/* 2036-02-07T06:28:16Z, where NTP era 1 begins. */
#define ERA1_UNIX 2085978496LL

static uint8_t pkt[NTP_MAX_PACKET_LEN + 8];

static size_t
load_reply(void)
{
	memset(pkt, 0, sizeof(pkt));
	return hex_decode(chrony_reply, pkt, sizeof(pkt));
}

static int
decode(size_t len)
{
	struct ntp_reply r;

	return ntp_reply_decode(&r, pkt, len, chrony_xmt);
}

TEST(request_is_mode_3_version_4_with_only_the_transmit_timestamp)
{
	uint8_t buf[64], expected[48];

	CHECK(hex_decode(chrony_request, expected, sizeof(expected)) == 48);
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ_INT(ntp_request_encode(buf, sizeof(buf), chrony_xmt), 48);
	CHECK(memcmp(buf, expected, 48) == 0);
	CHECK(buf[48] == 0xee);
	CHECK_EQ_INT(ntp_request_encode(buf, 47, chrony_xmt), -ENOBUFS);
	CHECK_EQ_INT(ntp_request_encode(buf, sizeof(buf), 0), -EINVAL);
}

TEST(chrony_reply_decodes)
{
	struct ntp_reply r;
	struct ntp_unix_time t;
	size_t len = load_reply();

	CHECK_EQ_INT(len, 48);
	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt), 0);
	CHECK_EQ_INT(r.leap, 0);
	CHECK_EQ_INT(r.version, 4);
	CHECK_EQ_INT(r.mode, 4);
	CHECK_EQ_INT(r.stratum, 8);
	CHECK_EQ_INT(r.precision, -25);
	CHECK(r.reference_id == 0x7f7f0101u); /* chrony's LOCAL refid */
	CHECK(r.origin_ts == chrony_xmt);
	CHECK(r.receive_ts == 0xeeb781154ae36b47ull);
	CHECK(r.transmit_ts == 0xeeb781154c3a33deull);
	CHECK_EQ_INT(r.extensions_len, 0);
	CHECK_EQ_INT(r.mac_len, 0);
	/* The capture was made at 2026-11-30T04:59:01Z. */
	CHECK_EQ_INT(ntp_to_unix(r.transmit_ts, 1700000000, &t), 0);
	CHECK_EQ_INT(t.seconds, 1796014741);
	/* 0x4c3a33de / 2^32 of a second. */
	CHECK_EQ_INT(t.nanoseconds, 297763101);
}

TEST(length_is_checked)
{
	size_t len = load_reply();

	CHECK_EQ_INT(decode(len - 1), -EMSGSIZE);
	CHECK_EQ_INT(decode(0), -EMSGSIZE);
	CHECK_EQ_INT(decode(NTP_MAX_PACKET_LEN + 4), -EMSGSIZE);
	/* Trailing bytes that are not whole words. */
	CHECK_EQ_INT(decode(len + 1), -EBADMSG);
	CHECK_EQ_INT(decode(len), 0);
}

TEST(mode_must_be_server)
{
	size_t len = load_reply();

	for (int mode = 0; mode < 8; mode++) {
		pkt[0] = (uint8_t)(4 << 3 | mode);
		CHECK_EQ_INT(decode(len), mode == 4 ? 0 : -EPROTO);
	}
}

TEST(version_must_be_3_or_4)
{
	size_t len = load_reply();

	for (int version = 0; version < 8; version++) {
		pkt[0] = (uint8_t)(version << 3 | 4);
		CHECK_EQ_INT(decode(len), version == 3 || version == 4
					      ? 0
					      : -EPROTONOSUPPORT);
	}
}

TEST(origin_must_be_our_transmit_timestamp)
{
	struct ntp_reply r;
	size_t len = load_reply();

	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt ^ 1), -ENOMSG);
	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt << 1), -ENOMSG);
	/* A zero origin (a server that ignored our timestamp) too. */
	write_be64(pkt + 24, 0);
	CHECK_EQ_INT(decode(len), -ENOMSG);
	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, 0), -EINVAL);
}

TEST(kiss_codes_are_distinct_results)
{
	static const struct {
		const char *code;
		int result;
	} kisses[] = {
	    {"DENY", -EACCES},	     {"RSTR", -EPERM},
	    {"RATE", -EBUSY},	     {"NTSN", -EKEYEXPIRED},
	    {"AUTH", -ECONNREFUSED}, {"XXXX", -ECONNREFUSED},
	};
	struct ntp_reply r;
	size_t len = load_reply();

	pkt[1] = 0;
	for (size_t i = 0; i < sizeof(kisses) / sizeof(kisses[0]); i++) {
		memcpy(pkt + 12, kisses[i].code, 4);
		CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt),
			     kisses[i].result);
		CHECK(memcmp(pkt + 12, kisses[i].code, 4) == 0);
		CHECK_EQ_INT(r.stratum, 0);
	}
}

/* A Kiss-o'-Death from someone who did not see our request is not
 * believed: it could make us drop a good server. */
TEST(kiss_without_our_origin_is_not_ours)
{
	size_t len = load_reply();

	pkt[1] = 0;
	memcpy(pkt + 12, "DENY", 4);
	write_be64(pkt + 24, chrony_xmt + 1);
	CHECK_EQ_INT(decode(len), -ENOMSG);
}

TEST(unsynchronised_servers_are_refused)
{
	size_t len = load_reply();

	pkt[0] = (uint8_t)(3 << 6 | 4 << 3 | 4); /* leap indicator 3 */
	CHECK_EQ_INT(decode(len), -EAGAIN);
	for (int li = 0; li < 3; li++) {
		pkt[0] = (uint8_t)(li << 6 | 4 << 3 | 4);
		CHECK_EQ_INT(decode(len), 0);
	}
	pkt[1] = 16;
	CHECK_EQ_INT(decode(len), -EAGAIN);
	pkt[1] = 255;
	CHECK_EQ_INT(decode(len), -EAGAIN);
	pkt[1] = 15;
	CHECK_EQ_INT(decode(len), 0);
	pkt[1] = 1;
	CHECK_EQ_INT(decode(len), 0);
}

TEST(implausible_root_delay_and_dispersion_are_refused)
{
	size_t len = load_reply();

	/* Root distance = delay / 2 + dispersion must stay under 16 s. */
	write_be32(pkt + 4, 32u << 16);
	CHECK_EQ_INT(decode(len), -ERANGE);
	write_be32(pkt + 4, (32u << 16) - 2);
	CHECK_EQ_INT(decode(len), 0);
	write_be32(pkt + 4, 0xffffffffu);
	CHECK_EQ_INT(decode(len), -ERANGE);
	write_be32(pkt + 4, 0);
	write_be32(pkt + 8, 16u << 16);
	CHECK_EQ_INT(decode(len), -ERANGE);
	write_be32(pkt + 8, 0xffffffffu);
	CHECK_EQ_INT(decode(len), -ERANGE);
	write_be32(pkt + 8, (16u << 16) - 1);
	CHECK_EQ_INT(decode(len), 0);
	/* Each within bound alone, too much together. */
	write_be32(pkt + 4, 16u << 16);
	write_be32(pkt + 8, 8u << 16);
	CHECK_EQ_INT(decode(len), -ERANGE);
}

TEST(zero_timestamps_are_refused)
{
	size_t len = load_reply();

	write_be64(pkt + 40, 0);
	CHECK_EQ_INT(decode(len), -ENODATA);
	load_reply();
	write_be64(pkt + 32, 0);
	CHECK_EQ_INT(decode(len), -ENODATA);
}

/* Appends one field to pkt at *len with the given length word. */
static void
raw_field(size_t *len, uint16_t type, uint16_t field_len, size_t bytes)
{
	memset(pkt + *len, 0x5a, bytes);
	pkt[*len] = (uint8_t)(type >> 8);
	pkt[*len + 1] = (uint8_t)type;
	pkt[*len + 2] = (uint8_t)(field_len >> 8);
	pkt[*len + 3] = (uint8_t)field_len;
	*len += bytes;
}

TEST(extension_fields_are_walked)
{
	uint8_t body[40];
	struct ntp_reply r;
	struct ntp_ef_cursor c;
	struct ntp_ef ef;
	size_t len = load_reply();

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)i;
	CHECK_EQ_INT(ntp_ef_put(pkt, sizeof(pkt), &len, 0x1234, body, 5), 16);
	CHECK_EQ_INT(ntp_ef_put(pkt, sizeof(pkt), &len, 0x0104, body, 32), 36);
	CHECK_EQ_INT(ntp_ef_put(pkt, sizeof(pkt), &len, 0xf000, body, 29), 36);
	CHECK_EQ_INT(len, 48 + 16 + 36 + 36);
	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt), 0);
	CHECK_EQ_INT(r.extensions_len, 88);
	ntp_ef_cursor_packet(&c, pkt, &r);
	CHECK_EQ_INT(ntp_ef_next(&c, &ef), 1);
	CHECK_EQ_INT(ef.type, 0x1234);
	CHECK_EQ_INT(ef.len, 16);
	CHECK_EQ_INT(ef.offset, 48);
	CHECK_EQ_INT(ef.body_len, 12);
	CHECK(memcmp(ef.body, body, 5) == 0 && ef.body[5] == 0);
	CHECK_EQ_INT(ntp_ef_next(&c, &ef), 1);
	CHECK_EQ_INT(ef.type, 0x0104);
	CHECK_EQ_INT(ef.body_len, 32);
	CHECK(memcmp(ef.body, body, 32) == 0);
	CHECK_EQ_INT(ntp_ef_next(&c, &ef), 1);
	CHECK_EQ_INT(ef.type, 0xf000);
	CHECK_EQ_INT(ef.offset, 100);
	CHECK(ef.body[28] == 28 && ef.body[29] == 0 && ef.body[31] == 0);
	CHECK_EQ_INT(ntp_ef_next(&c, &ef), 0);
}

TEST(bad_extension_fields_are_refused)
{
	size_t len;
	/* Length words that are too short, not whole words, or run past
	 * the packet; each in a 32-byte trailer (more than a MAC). */
	static const uint16_t bad[] = {0, 4, 12, 15, 18, 30, 36, 0xfffc};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = load_reply();
		raw_field(&len, 0x0104, bad[i], 32);
		CHECK_EQ_INT(decode(len), -EBADMSG);
	}
	len = load_reply();
	raw_field(&len, 0x0104, 32, 32);
	CHECK_EQ_INT(decode(len), 0);
	/* A good field, then one whose length overruns. */
	len = load_reply();
	raw_field(&len, 0x0104, 16, 16);
	raw_field(&len, 0x0204, 40, 32);
	CHECK_EQ_INT(decode(len), -EBADMSG);
	/* Version 3 has no extension fields: 32 trailing bytes are not a
	 * MAC. */
	len = load_reply();
	pkt[0] = 3 << 3 | 4;
	raw_field(&len, 0x0104, 32, 32);
	CHECK_EQ_INT(decode(len), -EBADMSG);
}

TEST(legacy_macs_are_skipped)
{
	struct ntp_reply r;
	static const size_t macs[] = {4, 20, 24};
	size_t len;

	for (size_t i = 0; i < 3; i++) {
		for (int version = 3; version <= 4; version++) {
			len = load_reply();
			pkt[0] = (uint8_t)(version << 3 | 4);
			memset(pkt + len, 0x77, macs[i]);
			len += macs[i];
			CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt),
				     0);
			CHECK_EQ_INT(r.mac_len, macs[i]);
			CHECK_EQ_INT(r.extensions_len, 0);
		}
	}
	/* After an extension field, too. */
	len = load_reply();
	raw_field(&len, 0x0104, 16, 16);
	len += 20;
	CHECK_EQ_INT(ntp_reply_decode(&r, pkt, len, chrony_xmt), 0);
	CHECK_EQ_INT(r.extensions_len, 16);
	CHECK_EQ_INT(r.mac_len, 20);
	/* 8, 12 and 16 bytes are neither a field nor a MAC. */
	for (size_t extra = 8; extra <= 16; extra += 4) {
		len = load_reply() + extra;
		CHECK_EQ_INT(decode(len), -EBADMSG);
	}
}

TEST(ef_put_checks_room)
{
	uint8_t buf[36];
	size_t pos = 20;

	CHECK_EQ_INT(ntp_ef_put(buf, sizeof(buf), &pos, 1, NULL, 13), -ENOBUFS);
	CHECK_EQ_INT(pos, 20);
	CHECK_EQ_INT(ntp_ef_put(buf, sizeof(buf), &pos, 1, NULL, 12), 16);
	CHECK_EQ_INT(pos, 36);
	pos = 40;
	CHECK_EQ_INT(ntp_ef_put(buf, sizeof(buf), &pos, 1, NULL, 0), -ENOBUFS);
	CHECK_EQ_INT(ntp_ef_put(buf, sizeof(buf), &pos, 1, NULL, 70000),
		     -EMSGSIZE);
	CHECK_EQ_INT(ntp_ef_len(0), 16);
	CHECK_EQ_INT(ntp_ef_len(13), 20);
	CHECK_EQ_INT(ntp_ef_len(100), 104);
}

static uint64_t
ntp_at(uint32_t seconds, uint32_t fraction)
{
	return (uint64_t)seconds << 32 | fraction;
}

TEST(era_boundary_2036)
{
	struct ntp_unix_time t;

	/* The last second of era 0 and the first of era 1, seen from a
	 * pivot on either side of the boundary. */
	for (int64_t pivot = ERA1_UNIX - 86400 * 400;
	     pivot <= ERA1_UNIX + 86400 * 400; pivot += 86400 * 100) {
		CHECK_EQ_INT(ntp_to_unix(ntp_at(0xffffffffu, 0), pivot, &t), 0);
		CHECK_EQ_INT(t.seconds, ERA1_UNIX - 1);
		CHECK_EQ_INT(ntp_to_unix(ntp_at(0, 0), pivot, &t), 0);
		CHECK_EQ_INT(t.seconds, ERA1_UNIX);
		CHECK_EQ_INT(ntp_to_unix(ntp_at(16, 0x80000000u), pivot, &t),
			     0);
		CHECK_EQ_INT(t.seconds, ERA1_UNIX + 16);
		CHECK_EQ_INT(t.nanoseconds, 500000000);
	}
	/* Far into era 1: 2100-01-01 is NTP era 1, second 2016466304. */
	CHECK_EQ_INT(ntp_to_unix(ntp_at(2016466304u, 0), 4102444800LL, &t), 0);
	CHECK_EQ_INT(t.seconds, 4102444800LL);
	/* The same timestamp, pivot in 2020: 68 years back is closer. */
	CHECK_EQ_INT(ntp_to_unix(ntp_at(2016466304u, 0), 1577836800LL, &t), 0);
	CHECK_EQ_INT(t.seconds, 4102444800LL - (1LL << 32));
}

TEST(epochs_1970_and_1900)
{
	struct ntp_unix_time t;
	uint64_t ts;

	CHECK_EQ_INT(ntp_to_unix(ntp_at(2208988800u, 0), 0, &t), 0);
	CHECK_EQ_INT(t.seconds, 0);
	CHECK_EQ_INT(ntp_to_unix(ntp_at(2208988799u, 0xffffffffu), 0, &t), 0);
	CHECK_EQ_INT(t.seconds, -1);
	CHECK_EQ_INT(t.nanoseconds, 999999999);
	/* 1900-01-01 is NTP zero in era 0; the second before it is in
	 * era -1. */
	CHECK_EQ_INT(ntp_to_unix(ntp_at(0, 0), -2208988800LL, &t), 0);
	CHECK_EQ_INT(t.seconds, -2208988800LL);
	CHECK_EQ_INT(ntp_to_unix(ntp_at(0xffffffffu, 0), -2208988800LL, &t), 0);
	CHECK_EQ_INT(t.seconds, -2208988801LL);
	/* And back: the era is dropped, the second kept. */
	CHECK_EQ_INT(
	    ntp_from_unix(&(struct ntp_unix_time){-2208988801LL, 0}, &ts), 0);
	CHECK(ts == ntp_at(0xffffffffu, 0));
	CHECK_EQ_INT(ntp_from_unix(&(struct ntp_unix_time){0, 0}, &ts), 0);
	CHECK(ts == ntp_at(2208988800u, 0));
	CHECK_EQ_INT(ntp_from_unix(&(struct ntp_unix_time){ERA1_UNIX, 0}, &ts),
		     0);
	CHECK(ts == 0);
}

/* Exactly half an era away: the earlier era, as documented. */
TEST(half_era_tie_goes_back)
{
	struct ntp_unix_time t;

	CHECK_EQ_INT(ntp_to_unix(ntp_at(0x80000000u, 0), ERA1_UNIX, &t), 0);
	CHECK_EQ_INT(t.seconds, ERA1_UNIX - (1LL << 31));
	CHECK_EQ_INT(ntp_to_unix(ntp_at(0x7fffffffu, 0), ERA1_UNIX, &t), 0);
	CHECK_EQ_INT(t.seconds, ERA1_UNIX + (1LL << 31) - 1);
}

TEST(conversion_round_trips_to_the_nanosecond)
{
	uint64_t state = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 100000; i++) {
		struct ntp_unix_time in, out;
		uint64_t ts;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		/* Within 60 years of 2036, either side. */
		in.seconds = ERA1_UNIX +
			     (int64_t)(state % (120ull * 31557600)) -
			     60LL * 31557600;
		in.nanoseconds = (uint32_t)((state >> 20) % 1000000000u);
		CHECK_EQ_INT(ntp_from_unix(&in, &ts), 0);
		CHECK_EQ_INT(ntp_to_unix(ts, in.seconds + 86400, &out), 0);
		CHECK_EQ_INT(out.seconds, in.seconds);
		CHECK_EQ_INT(out.nanoseconds, in.nanoseconds);
	}
}

TEST(conversion_rejects_bad_input)
{
	struct ntp_unix_time t;
	uint64_t ts;

	CHECK_EQ_INT(ntp_to_unix(1, NTP_PIVOT_LIMIT, &t), -ERANGE);
	CHECK_EQ_INT(ntp_to_unix(1, -NTP_PIVOT_LIMIT, &t), -ERANGE);
	CHECK_EQ_INT(ntp_to_unix(1, INT64_MIN, &t), -ERANGE);
	CHECK_EQ_INT(ntp_to_unix(1, NTP_PIVOT_LIMIT - 1, &t), 0);
	CHECK_EQ_INT(
	    ntp_from_unix(&(struct ntp_unix_time){0, 1000000000u}, &ts),
	    -EINVAL);
}

/* A reply whose server clock reads t_server at our t_local. */
static void
reply_at(struct ntp_reply *r, int64_t t2_unix_ns, int64_t t3_unix_ns)
{
	uint64_t t2, t3;
	struct ntp_unix_time u2 = {t2_unix_ns / 1000000000,
				   (uint32_t)(t2_unix_ns % 1000000000)};
	struct ntp_unix_time u3 = {t3_unix_ns / 1000000000,
				   (uint32_t)(t3_unix_ns % 1000000000)};

	ntp_from_unix(&u2, &t2);
	ntp_from_unix(&u3, &t3);
	*r = (struct ntp_reply){.stratum = 2,
				.root_delay = 1u << 15,
				.root_dispersion = 1u << 14,
				.receive_ts = t2,
				.transmit_ts = t3};
}

TEST(offset_and_delay)
{
	const int64_t ms = 1000000;
	struct ntp_reply r;
	struct ntp_sample s;
	/* Our clock 1.5 s behind; 10 ms out, 1 ms in the server, 12 ms
	 * back. */
	int64_t t1 = 1796014741LL * 1000000000 + 123456789;
	int64_t t2 = t1 + 1500 * ms + 10 * ms, t3 = t2 + 1 * ms;
	int64_t t4 = t1 + 23 * ms;

	reply_at(&r, t2, t3);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t4), 0);
	CHECK_EQ_INT(s.delay_ns, 22 * ms);
	CHECK_EQ_INT(s.offset_ns, 1499 * ms);
	CHECK_EQ_INT(s.root_delay_ns, 500 * ms);
	CHECK_EQ_INT(s.root_dispersion_ns, 250 * ms);
	CHECK_EQ_INT(s.stratum, 2);

	/* Our clock ahead instead. */
	t2 = t1 - 3600 * 1000 * ms + 5 * ms;
	reply_at(&r, t2, t2);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t1 + 10 * ms), 0);
	CHECK_EQ_INT(s.offset_ns, -3600 * 1000 * ms);
	CHECK_EQ_INT(s.delay_ns, 10 * ms);
}

TEST(offset_across_the_2036_boundary)
{
	const int64_t ms = 1000000;
	struct ntp_reply r;
	struct ntp_sample s;
	/* Our clock 2 s before era 1 begins; the server 3 s ahead of us,
	 * so its timestamps are in era 1 (small NTP seconds). */
	int64_t t1 = (ERA1_UNIX - 2) * 1000000000;
	int64_t t2 = t1 + 3000 * ms + 5 * ms, t4 = t1 + 10 * ms;

	reply_at(&r, t2, t2);
	CHECK((r.receive_ts >> 32) == 1);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t4), 0);
	CHECK_EQ_INT(s.offset_ns, 3000 * ms);
	CHECK_EQ_INT(s.delay_ns, 10 * ms);
}

TEST(impossible_samples_are_refused)
{
	const int64_t ms = 1000000;
	struct ntp_reply r;
	struct ntp_sample s;
	int64_t t1 = 1796014741LL * 1000000000;

	reply_at(&r, t1 + 5 * ms, t1 + 6 * ms);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t1 - 1), -EINVAL);
	/* The server held it longer than the round trip took. */
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t1 + ms / 2), -ERANGE);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t1 + ms), 0);
	CHECK_EQ_INT(s.delay_ns, 0);
	/* Transmitted before it was received. */
	reply_at(&r, t1 + 6 * ms, t1 + 5 * ms);
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, t1, t1 + 10 * ms), -ERANGE);
	/* Our own clock beyond what the conversion takes. */
	CHECK_EQ_INT(ntp_sample_compute(&s, &r, INT64_MIN, INT64_MAX), -ERANGE);
}

int
main(void)
{
	RUN(request_is_mode_3_version_4_with_only_the_transmit_timestamp);
	RUN(chrony_reply_decodes);
	RUN(length_is_checked);
	RUN(mode_must_be_server);
	RUN(version_must_be_3_or_4);
	RUN(origin_must_be_our_transmit_timestamp);
	RUN(kiss_codes_are_distinct_results);
	RUN(kiss_without_our_origin_is_not_ours);
	RUN(unsynchronised_servers_are_refused);
	RUN(implausible_root_delay_and_dispersion_are_refused);
	RUN(zero_timestamps_are_refused);
	RUN(extension_fields_are_walked);
	RUN(bad_extension_fields_are_refused);
	RUN(legacy_macs_are_skipped);
	RUN(ef_put_checks_room);
	RUN(era_boundary_2036);
	RUN(epochs_1970_and_1900);
	RUN(half_era_tie_goes_back);
	RUN(conversion_round_trips_to_the_nanosecond);
	RUN(conversion_rejects_bad_input);
	RUN(offset_and_delay);
	RUN(offset_across_the_2036_boundary);
	RUN(impossible_samples_are_refused);
	HARNESS_EXIT();
}
