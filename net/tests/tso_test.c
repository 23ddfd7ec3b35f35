/*
 * Segments joined for the device to cut: lwIP's back-to-back segments of
 * one flow become one frame whose pieces are those segments again, with
 * a checksum field the device completes into the right checksum; any
 * other pair stays apart.
 */
#include <string.h>

#include "bytes.h"
#include "harness.h"
#include "stack.h"
#include "tcpseg.h"
#include "tso.h"

#define MSS  1460u
#define ACK  0x10
#define PSH  0x08
#define SYN  0x02
#define HDRS (SN_ETH_HLEN + SN_IPV4_HLEN + SN_TCP_HLEN)
#define MAX  SN_MAX_SUPER_FRAME

static uint8_t joined[MAX + 64], seg[HDRS + MSS];

/* An IPv4 segment as lwIP sends it: payload bytes seq, seq+1, ... */
static size_t
segment(uint8_t *out, uint32_t seq, uint8_t flags, size_t payload)
{
	uint8_t *ip = out + SN_ETH_HLEN, *tcp = ip + SN_IPV4_HLEN;
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	memset(out, 0, HDRS);
	memcpy(out, mac, sizeof(mac));
	write_be16(out + 12, SN_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	write_be16(ip + 2, (unsigned)(SN_IPV4_HLEN + SN_TCP_HLEN + payload));
	ip[8] = 255;
	ip[9] = SN_IPPROTO_TCP;
	write_be32(ip + 12, 0x0a000032);
	write_be32(ip + 16, 0x0a000001);
	write_be16(tcp, 40000);
	write_be16(tcp + 2, 80);
	write_be32(tcp + 4, seq);
	write_be32(tcp + 8, 777);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	write_be16(tcp + 14, 8192);
	for (size_t i = 0; i < payload; i++)
		tcp[SN_TCP_HLEN + i] = (uint8_t)(seq + i);
	return HDRS + payload;
}

/* What the device does with NEEDS_CSUM: sum from the TCP header to the
 * end, seeded with the field, and store the complement. */
static void
complete_checksum(uint8_t *frame, size_t len)
{
	uint8_t *tcp = frame + SN_ETH_HLEN + SN_IPV4_HLEN;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len - (size_t)(tcp - frame); i += 2)
		sum += (uint32_t)(tcp[i] << 8 | tcp[i + 1]);
	if ((len - (size_t)(tcp - frame)) & 1)
		sum += (uint32_t)tcp[len - (size_t)(tcp - frame) - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	write_be16(tcp + 16, ~sum & 0xffff);
}

/* Joins as TCPIP does: n full segments, then a short one with PSH. */
static size_t
join(unsigned n, size_t tail, uint16_t *segment_size)
{
	struct tso_segment last, next;
	size_t len = segment(joined, 1000, ACK, MSS);

	*segment_size = 0;
	if (tso_read(&last, joined, len, len) < 0)
		return 0;
	tso_leave_checksum(joined, &last);
	for (unsigned i = 1; i <= n; i++) {
		size_t payload = i == n ? tail : MSS;
		size_t slen = segment(seg, 1000 + (uint32_t)(i * MSS),
				      i == n ? ACK | PSH : ACK, payload);

		if (tso_read(&next, seg, HDRS, slen) < 0 ||
		    !tso_continues(joined, &last, *segment_size, seg, &next,
				   MAX))
			return 0;
		memcpy(joined + len, seg + next.headers, next.payload);
		len += next.payload;
		tso_joined(joined, &last, segment_size, seg, &next);
	}
	return len;
}

TEST(back_to_back_segments_join_into_one_frame_that_reads_whole)
{
	struct tcpseg s;
	uint16_t segment_size;
	size_t len = join(40, 300, &segment_size);

	CHECK_EQ_INT(len, HDRS + 40 * MSS + 300);
	CHECK_EQ_INT(segment_size, MSS);
	complete_checksum(joined, len);
	/* Right IP length and checksum, right TCP checksum once completed,
	 * the sequence number of the first segment, PSH of the last. */
	CHECK_EQ_INT(tcpseg_read(&s, joined, len), 0);
	CHECK_EQ_INT(s.seq, 1000);
	CHECK_EQ_INT(s.flags, ACK | PSH);
	CHECK_EQ_INT(s.payload_len, 40 * MSS + 300);
	for (size_t i = 0; i < s.payload_len; i++)
		if (joined[HDRS + i] != (uint8_t)(1000 + i)) {
			CHECK(!"the payload is the segments' in order");
		}
}

TEST(a_frame_never_grows_past_what_lwip_can_hold)
{
	uint16_t segment_size;

	/* 44 full segments fit 64 KiB, 45 do not. */
	CHECK(join(43, MSS, &segment_size) != 0);
	CHECK_EQ_INT(join(44, MSS, &segment_size), 0);
}

TEST(segments_that_do_not_continue_the_frame_stay_apart)
{
	struct tso_segment last, next;
	size_t len = segment(joined, 1000, ACK, MSS), slen;

	CHECK_EQ_INT(tso_read(&last, joined, len, len), 0);
	/* A gap in the sequence; another port; a SYN; a longer piece; a
	 * frame whose last piece was short. */
	slen = segment(seg, 1000 + MSS + 1, ACK, MSS);
	CHECK_EQ_INT(tso_read(&next, seg, HDRS, slen), 0);
	CHECK(!tso_continues(joined, &last, 0, seg, &next, MAX));
	slen = segment(seg, 1000 + MSS, ACK, MSS);
	write_be16(seg + SN_ETH_HLEN + SN_IPV4_HLEN, 40001);
	CHECK_EQ_INT(tso_read(&next, seg, HDRS, slen), 0);
	CHECK(!tso_continues(joined, &last, 0, seg, &next, MAX));
	slen = segment(seg, 1000 + MSS, ACK | SYN, MSS);
	CHECK_EQ_INT(tso_read(&next, seg, HDRS, slen), 0);
	CHECK(!tso_continues(joined, &last, 0, seg, &next, MAX));
	slen = segment(seg, 1000 + MSS, ACK, MSS);
	CHECK_EQ_INT(tso_read(&next, seg, HDRS, slen), 0);
	CHECK(!tso_continues(joined, &last, MSS / 2, seg, &next, MAX));
	CHECK(tso_continues(joined, &last, 0, seg, &next, MAX));
	/* A frame with PSH ends a run. */
	len = segment(joined, 1000, ACK | PSH, MSS);
	CHECK_EQ_INT(tso_read(&last, joined, len, len), 0);
	CHECK(!tso_continues(joined, &last, 0, seg, &next, MAX));
	/* An IP length that is not the frame's is no segment to join. */
	CHECK(tso_read(&next, seg, HDRS, slen + 1) < 0);
}

int
main(void)
{
	RUN(back_to_back_segments_join_into_one_frame_that_reads_whole);
	RUN(a_frame_never_grows_past_what_lwip_can_hold);
	RUN(segments_that_do_not_continue_the_frame_stay_apart);
	HARNESS_EXIT();
}
