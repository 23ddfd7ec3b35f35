/*
 * The device's virtio-net header before the filter: a super-frame is
 * decided once, by the rule of the flow every segment shares, and a
 * header that is malformed or lies about its frame is dropped; frames
 * TCPIP sends get the header that asks the device for what they need.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "harness.h"
#include "stack.h"
#include "vnet.h"

static struct filter f;
static struct filter_reply reply;
static struct vnet_frame in;
/* Header, then frame. */
static uint8_t buf[VNET_HDR_LEN + SN_MAX_SUPER_FRAME + 16];
static uint8_t *const frame = buf + VNET_HDR_LEN;

static const uint8_t server4[4] = {10, 0, 0, 1};
static const uint8_t us4[4] = {10, 0, 0, 50};

static void
header(uint8_t flags, uint8_t gso_type, uint16_t gso_size, uint16_t csum_start,
       uint16_t csum_offset)
{
	struct vnet_hdr h = {.flags = flags,
			     .gso_type = gso_type,
			     .hdr_len = 54,
			     .gso_size = gso_size,
			     .csum_start = csum_start,
			     .csum_offset = csum_offset};

	vnet_encode(buf, &h);
}

/* An IPv4 TCP segment from server4:sport to us4:dport with payload bytes
 * of data: the whole buffer's length, header included. */
static size_t
tcp4(unsigned sport, unsigned dport, uint8_t flags, size_t payload)
{
	uint8_t *ip = frame + SN_ETH_HLEN, *tcp = ip + SN_IPV4_HLEN;

	memset(frame, 0, SN_ETH_HLEN + SN_IPV4_HLEN + SN_TCP_HLEN);
	write_be16(frame + 12, SN_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	write_be16(ip + 2, (unsigned)(SN_IPV4_HLEN + SN_TCP_HLEN + payload));
	ip[8] = 64;
	ip[9] = SN_IPPROTO_TCP;
	memcpy(ip + 12, server4, 4);
	memcpy(ip + 16, us4, 4);
	write_be16(tcp, sport);
	write_be16(tcp + 2, dport);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	memset(tcp + SN_TCP_HLEN, 0xab, payload);
	return VNET_HDR_LEN + SN_ETH_HLEN + SN_IPV4_HLEN + SN_TCP_HLEN +
	       payload;
}

#define ACK   0x10
#define SYN   0x02
#define RST   0x04
#define PSH   0x08
#define L4    (SN_ETH_HLEN + SN_IPV4_HLEN)
#define MSS   1448
#define SUPER (40 * MSS)

static void
set_up(void)
{
	struct filter_addr a;

	filter_init(&f);
	filter_addr_from(&a, server4, 4);
	CHECK_EQ_INT(filter_rule_add(&f, SN_IPPROTO_TCP, 40000, &a, 80), 0);
}

static enum filter_verdict
decide(size_t len)
{
	return vnet_filter_in(&f, buf, len, 1, &reply, &in);
}

TEST(a_super_frame_of_a_flow_with_a_rule_passes_once_as_one_segment)
{
	size_t len;

	set_up();
	len = tcp4(80, 40000, ACK | PSH, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_PASS);
	CHECK(in.frame == frame && in.len == len - VNET_HDR_LEN);
	CHECK(in.checksum_trusted);
	CHECK_EQ_INT(in.segment_size, MSS);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 1);
	/* A frame as the wire had it: no header to obey, checksum checked
	 * downstream. */
	len = tcp4(80, 40000, ACK, 100);
	header(0, VNET_GSO_NONE, 0, 0, 0);
	CHECK_EQ_INT(decide(len), FILTER_PASS);
	CHECK(!in.checksum_trusted && in.segment_size == 0);
}

TEST(a_super_frame_whose_segments_match_no_rule_is_dropped)
{
	set_up();
	/* Another remote port, then another local port. */
	size_t len = tcp4(81, 40000, ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_NO_RULE);
	len = tcp4(80, 40001, ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 0);
}

/* Each a super-frame of the allowed flow whose header lies about it. */
TEST(a_header_that_lies_about_its_frame_is_dropped)
{
	size_t len;

	set_up();
	/* The IP length says less than the frame holds: the segments the
	 * device would cut are not the frame the filter read. */
	len = tcp4(80, 40000, ACK, SUPER);
	write_be16(frame + SN_ETH_HLEN + 2, SN_IPV4_HLEN + SN_TCP_HLEN + MSS);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	/* TCPv6 on an IPv4 frame. */
	len = tcp4(80, 40000, ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV6, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	/* A SYN or a reset belongs to one segment, not to forty. */
	len = tcp4(80, 40000, SYN | ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	len = tcp4(80, 40000, RST | ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	/* No segment size; no payload; the checksum said to be elsewhere;
	 * a super-frame whose checksum nobody vouched for. */
	len = tcp4(80, 40000, ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	len = tcp4(80, 40000, ACK, 0);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	len = tcp4(80, 40000, ACK, SUPER);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4 + 2, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 6);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(0, VNET_GSO_TCPV4, MSS, 0, 0);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	/* A UDP packet said to be TCP. */
	len = tcp4(80, 40000, ACK, SUPER);
	frame[SN_ETH_HLEN + 9] = SN_IPPROTO_UDP;
	header(VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 0);
	CHECK_EQ_INT(f.counts[FILTER_DROP_DEVICE], 10);
}

TEST(a_malformed_header_is_dropped)
{
	size_t len;

	set_up();
	len = tcp4(80, 40000, ACK, 100);
	/* Unknown flags, both flags, unknown or UDP segmentation, ECN on
	 * nothing, and a header cut short. */
	header(4, VNET_GSO_NONE, 0, 0, 0);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID, VNET_GSO_NONE, 0, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(VNET_F_NEEDS_CSUM, 3, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(VNET_F_NEEDS_CSUM, 5, MSS, L4, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	header(0, VNET_GSO_ECN, 0, 0, 0);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	CHECK_EQ_INT(decide(VNET_HDR_LEN - 1), FILTER_DROP_DEVICE);
	/* NEEDS_CSUM past the frame's end. */
	header(VNET_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 0xfff0, 16);
	CHECK_EQ_INT(decide(len), FILTER_DROP_DEVICE);
	/* Longer than lwIP's 16-bit lengths hold. */
	header(0, VNET_GSO_NONE, 0, 0, 0);
	CHECK_EQ_INT(decide(VNET_HDR_LEN + SN_MAX_SUPER_FRAME + 1),
		     FILTER_DROP_TOO_LONG);
	CHECK_EQ_INT(f.counts[FILTER_PASS], 0);
	/* The same frame with a sound header passes: the drops above were
	 * the header's. */
	header(VNET_F_DATA_VALID, VNET_GSO_NONE, 0, 0, 0);
	CHECK_EQ_INT(decide(len), FILTER_PASS);
}

TEST(outbound_frames_ask_the_device_only_for_what_fits_the_link)
{
	struct vnet_hdr h;
	size_t len;

	len = tcp4(40000, 80, ACK, SUPER) - VNET_HDR_LEN;
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, MSS), 0);
	CHECK(h.flags == VNET_F_NEEDS_CSUM && h.gso_type == VNET_GSO_TCPV4);
	CHECK(h.gso_size == MSS && h.csum_start == L4 && h.csum_offset == 16);
	CHECK_EQ_INT(h.hdr_len, L4 + SN_TCP_HLEN);
	/* Not as one segment: no segment size, but the checksum is left. */
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, 0), 0);
	CHECK(h.flags == VNET_F_NEEDS_CSUM && h.gso_type == VNET_GSO_NONE);
	/* Pieces longer than the link; a single piece; a SYN. */
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, 1461), -EINVAL);
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, SUPER), -EINVAL);
	len = tcp4(40000, 80, SYN, SUPER) - VNET_HDR_LEN;
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, MSS), -EINVAL);
	/* Not TCP: nothing asked of the device, and nothing to cut. */
	len = tcp4(40000, 80, ACK, 100) - VNET_HDR_LEN;
	frame[SN_ETH_HLEN + 9] = 1;
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, 0), 0);
	CHECK(h.flags == 0 && h.gso_type == VNET_GSO_NONE);
	CHECK_EQ_INT(vnet_for_output(&h, frame, len, MSS), -EINVAL);
}

int
main(void)
{
	RUN(a_super_frame_of_a_flow_with_a_rule_passes_once_as_one_segment);
	RUN(a_super_frame_whose_segments_match_no_rule_is_dropped);
	RUN(a_header_that_lies_about_its_frame_is_dropped);
	RUN(a_malformed_header_is_dropped);
	RUN(outbound_frames_ask_the_device_only_for_what_fits_the_link);
	HARNESS_EXIT();
}
