/*
 * Server ports behind the Firewall's SYN proxy: TCP segments read and
 * written (checked against frames from Linux and from scapy), and the
 * filter's handshake (the cookies alone: syncookie_test.c), frame by frame:
 * spoofed SYNs hold nothing, only a valid cookie makes a rule, the limit counts
 * established connections, and a hand-off lwIP never takes is undone.
 */
#include <errno.h>
#include <string.h>

#include "filter.h"
#include "harness.h"
#include "syncookie.h"
#include "tcpseg.h"

#define SECOND 1000000000ull

/* A SYN Linux sent to port 80, as the Firewall read it from the TAP
 * device: MSS 1460, SACK, timestamps, window scale 10. */
static const uint8_t linux_syn[] = {
    0x52, 0x01, 0x68, 0xc6, 0xb6, 0xfd, 0x02, 0x6b, 0xbd, 0x65, 0x1a,
    0x0a, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0xdd, 0x71, 0x40, 0x00,
    0x40, 0x06, 0x48, 0xee, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00,
    0x5c, 0xdb, 0x08, 0x00, 0x50, 0x48, 0x4c, 0x3f, 0xb1, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xb4, 0x19, 0x00, 0x00, 0x02,
    0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x86, 0x7e, 0x9a, 0xc1,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};

/* An IPv6 SYN made by scapy: MSS 1440, SACK, window scale 7, and two
 * bytes of Ethernet padding. */
static const uint8_t scapy_syn6[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x06, 0x40,
    0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x9c,
    0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x02, 0xff, 0xff, 0xd5, 0x3d, 0x00, 0x00, 0x02, 0x04, 0x05,
    0xa0, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07, 0x00, 0x00};

static const uint8_t station[6] = {0x02, 0, 0, 0, 0, 0x50};
static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t us4[4] = {10, 0, 0, 80};
static const uint8_t client4[4] = {10, 0, 0, 1};
static const uint8_t us6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
				0,    0, 0, 0, 0, 0, 0, 0x50};
static const uint8_t client6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0,
				    0,	  0, 0, 0, 0, 0, 0, 1};

static struct syncookie_key key;
static struct filter f;
static struct filter_reply reply;
static uint8_t frame[TCPSEG_MAX_WRITTEN];
static size_t frame_len;

/* RFC 1071 again, written apart from tcpseg.c: a frame's TCP checksum
 * sums to 0xffff with its pseudo-header. */
static int
independent_checksum_ok(const uint8_t *fr, size_t len)
{
	int v6 = fr[12] == 0x86;
	const uint8_t *ip = fr + 14;
	size_t hl = v6 ? 40 : (size_t)(ip[0] & 15) * 4;
	size_t tl = v6 ? (size_t)(ip[4] << 8 | ip[5])
		       : (size_t)(ip[2] << 8 | ip[3]) - hl;
	const uint8_t *src = ip + (v6 ? 8 : 12);
	size_t alen = v6 ? 16 : 4;
	unsigned long sum = 6 + tl;

	if (14 + hl + tl > len)
		return 0;
	for (size_t i = 0; i < 2 * alen; i += 2)
		sum += (unsigned long)(src[i] << 8 | src[i + 1]);
	for (size_t i = 0; i < tl; i++)
		sum += i % 2 ? ip[hl + i] : (unsigned long)ip[hl + i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A segment from a client to us, or from us to a client. */
static struct tcpseg
segment(int v6, const uint8_t *client, uint16_t client_port, int inbound,
	uint8_t flags)
{
	struct tcpseg s = {
	    .ipv6 = v6 != 0, .hop_limit = 64, .flags = flags, .window = 502};
	const uint8_t *us = v6 ? us6 : us4;
	size_t alen = v6 ? 16 : 4;

	memcpy(inbound ? s.src_mac : s.dst_mac, client_mac, 6);
	memcpy(inbound ? s.dst_mac : s.src_mac, station, 6);
	memcpy(inbound ? s.src_ip : s.dst_ip, client, alen);
	memcpy(inbound ? s.dst_ip : s.src_ip, us, alen);
	s.src_port = inbound ? client_port : 80;
	s.dst_port = inbound ? 80 : client_port;
	return s;
}

static enum filter_verdict
send_in(const struct tcpseg *s, uint64_t now)
{
	int n = tcpseg_write(frame, sizeof(frame), s);

	frame_len = n > 0 ? (size_t)n : 0;
	return filter_frame(&f, FILTER_IN, frame, frame_len, now, &reply);
}

static enum filter_verdict
send_out(const struct tcpseg *s, uint64_t now)
{
	int n = tcpseg_write(frame, sizeof(frame), s);

	frame_len = n > 0 ? (size_t)n : 0;
	return filter_frame(&f, FILTER_OUT, frame, frame_len, now, &reply);
}

static void
fresh_filter(uint16_t max_connections)
{
	filter_init(&f);
	filter_syn_proxy(&f, &key, station);
	CHECK_EQ_INT(filter_server_port_add(&f, 6, 80, true, max_connections),
		     0);
	CHECK_EQ_INT(filter_server_port_listening(&f, 6, 80, true), 0);
}

/* The client's SYN, our SYN-ACK (read back into *synack), its ACK. */
static enum filter_verdict
handshake(int v6, const uint8_t *client, uint16_t port, uint64_t now,
	  struct tcpseg *synack)
{
	struct tcpseg syn = segment(v6, client, port, 1, TCPSEG_SYN), ack;

	enum filter_verdict v;

	syn.seq = 1000u * port;
	syn.has_mss = true;
	syn.mss = 1460;
	v = send_in(&syn, now);
	if (v != FILTER_SYN_COOKIE)
		return v;
	if (tcpseg_read(synack, reply.answer, reply.answer_len) < 0)
		return FILTER_DROP_MALFORMED;
	ack = segment(v6, client, port, 1, TCPSEG_ACK);
	ack.seq = syn.seq + 1;
	ack.ack = synack->seq + 1;
	return send_in(&ack, now);
}

TEST(segments_from_linux_and_scapy_are_read_with_their_options)
{
	struct tcpseg s;

	CHECK_EQ_INT(tcpseg_read(&s, linux_syn, sizeof(linux_syn)), 0);
	CHECK(!s.ipv6 && s.flags == TCPSEG_SYN && s.src_port == 56072 &&
	      s.dst_port == 80 && s.seq == 1212956593u && s.window == 64240);
	CHECK(s.has_mss && s.mss == 1460 && s.has_wscale && s.wscale == 10);
	CHECK(memcmp(s.src_ip, client4, 4) == 0 && s.payload_len == 0);
	CHECK_EQ_INT(tcpseg_read(&s, scapy_syn6, sizeof(scapy_syn6)), 0);
	CHECK(s.ipv6 && s.seq == 0x01020304u && s.mss == 1440 &&
	      s.wscale == 7 && s.hop_limit == 64);
	CHECK(memcmp(s.dst_ip, us6, 16) == 0);
}

TEST(a_damaged_or_cut_segment_is_not_read)
{
	uint8_t copy[sizeof(linux_syn)];
	struct tcpseg s;

	/* Any one bit flipped in the IP or TCP headers: a checksum, a
	 * length or a protocol no longer holds. */
	for (size_t bit = 14 * 8; bit < sizeof(copy) * 8; bit++) {
		memcpy(copy, linux_syn, sizeof(copy));
		copy[bit / 8] ^= (uint8_t)(1u << bit % 8);
		CHECK(tcpseg_read(&s, copy, sizeof(copy)) < 0);
	}
	for (size_t len = 0; len < sizeof(linux_syn); len++)
		CHECK(tcpseg_read(&s, linux_syn, len) < 0);
	for (size_t len = 0; len < sizeof(scapy_syn6) - 2; len++)
		CHECK(tcpseg_read(&s, scapy_syn6, len) < 0);
}

TEST(a_written_segment_reads_back_with_right_checksums)
{
	uint8_t out[TCPSEG_MAX_WRITTEN];
	struct tcpseg in, back;
	int n;

	for (int v6 = 0; v6 < 2; v6++) {
		in = segment(v6, v6 ? client6 : client4, 40000, 0,
			     TCPSEG_SYN | TCPSEG_ACK);
		in.seq = 0xfffffff0u;
		in.ack = 7;
		in.has_mss = in.has_wscale = true;
		in.mss = 1440;
		in.wscale = 2;
		n = tcpseg_write(out, sizeof(out), &in);
		CHECK(n == (v6 ? 82 : 62));
		CHECK(independent_checksum_ok(out, (size_t)n));
		CHECK_EQ_INT(tcpseg_read(&back, out, (size_t)n), 0);
		CHECK(memcmp(&back, &in, sizeof(in)) == 0);
		CHECK_EQ_INT(tcpseg_write(out, (size_t)n - 1, &in), -ENOSPC);
	}
}

TEST(a_syn_is_answered_with_a_cookie_and_holds_nothing)
{
	struct tcpseg syn = segment(0, client4, 40000, 1, TCPSEG_SYN), answer;

	fresh_filter(4);
	syn.seq = 0x12345678;
	syn.has_mss = syn.has_wscale = true;
	syn.mss = 1460;
	syn.wscale = 7;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_SYN_COOKIE);
	CHECK_EQ_INT(reply.syn_len, 0);
	CHECK(independent_checksum_ok(reply.answer, reply.answer_len));
	CHECK_EQ_INT(tcpseg_read(&answer, reply.answer, reply.answer_len), 0);
	CHECK(answer.flags == (TCPSEG_SYN | TCPSEG_ACK) &&
	      answer.ack == 0x12345679u && answer.src_port == 80 &&
	      answer.dst_port == 40000);
	CHECK(memcmp(answer.src_mac, station, 6) == 0 &&
	      memcmp(answer.dst_mac, client_mac, 6) == 0 &&
	      memcmp(answer.src_ip, us4, 4) == 0 &&
	      memcmp(answer.dst_ip, client4, 4) == 0);
	CHECK(answer.has_mss && answer.mss == FILTER_PROXY_MSS_IPV4 &&
	      answer.has_wscale && answer.wscale == FILTER_PROXY_WSCALE &&
	      answer.window == FILTER_PROXY_WINDOW);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	/* A client that does not scale gets no window scale from us. */
	syn.has_wscale = false;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_SYN_COOKIE);
	CHECK_EQ_INT(tcpseg_read(&answer, reply.answer, reply.answer_len), 0);
	CHECK(!answer.has_wscale);
}

TEST(spoofed_syns_leave_the_port_open)
{
	struct tcpseg synack;
	uint8_t spoofed[4] = {192, 0, 2, 0};

	fresh_filter(4);
	for (unsigned i = 0; i < 10000; i++) {
		struct tcpseg syn =
		    segment(0, spoofed, (uint16_t)(1024 + i), 1, TCPSEG_SYN);

		spoofed[2] = (uint8_t)(i >> 8);
		spoofed[3] = (uint8_t)i;
		CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_SYN_COOKIE);
	}
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	CHECK_EQ_INT(f.counts[FILTER_SYN_COOKIE], 10000);
	CHECK_EQ_INT(handshake(0, client4, 40000, SECOND, &synack),
		     FILTER_PASS);
	CHECK_EQ_INT(filter_rule_count(&f), 1);
}

TEST(a_valid_cookie_passes_a_rebuilt_syn_then_the_ack)
{
	struct tcpseg synack, syn;

	for (int v6 = 0; v6 < 2; v6++) {
		fresh_filter(4);
		CHECK_EQ_INT(handshake(v6, v6 ? client6 : client4, 40001,
				       3 * SECOND, &synack),
			     FILTER_PASS);
		CHECK_EQ_INT(reply.answer_len, 0);
		CHECK_EQ_INT(reply.syn_isn, synack.seq);
		CHECK(independent_checksum_ok(reply.syn, reply.syn_len));
		CHECK_EQ_INT(tcpseg_read(&syn, reply.syn, reply.syn_len), 0);
		CHECK(syn.flags == TCPSEG_SYN && syn.seq == 1000u * 40001 &&
		      syn.src_port == 40001 && syn.dst_port == 80 &&
		      syn.has_mss && syn.mss == 1460 && !syn.has_wscale &&
		      syn.ipv6 == v6);
		CHECK(memcmp(syn.src_mac, client_mac, 6) == 0 &&
		      memcmp(syn.dst_mac, station, 6) == 0);
		CHECK_EQ_INT(filter_rule_count(&f), 1);
		CHECK_EQ_INT(f.servers[0].connections, 1);
		/* Later segments of the connection pass as they are. */
		struct tcpseg data = segment(v6, v6 ? client6 : client4, 40001,
					     1, TCPSEG_ACK | TCPSEG_PSH);
		CHECK_EQ_INT(send_in(&data, 3 * SECOND), FILTER_PASS);
		CHECK_EQ_INT(reply.syn_len, 0);
	}
}

TEST(an_ack_without_a_valid_cookie_is_dropped)
{
	struct tcpseg ack = segment(0, client4, 40002, 1, TCPSEG_ACK), synack;

	fresh_filter(4);
	for (uint32_t guess = 0; guess < 1000; guess++) {
		ack.ack = guess * 2654435761u;
		CHECK_EQ_INT(send_in(&ack, SECOND), FILTER_DROP_COOKIE);
		CHECK_EQ_INT(reply.answer_len + reply.syn_len, 0);
	}
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	/* A real cookie, but past its time. */
	CHECK_EQ_INT(handshake(0, client4, 40003, SECOND, &synack),
		     FILTER_PASS);
	ack = segment(0, client4, 40004, 1, TCPSEG_SYN);
	ack.seq = 1000u * 40004;
	CHECK_EQ_INT(send_in(&ack, SECOND), FILTER_SYN_COOKIE);
	CHECK_EQ_INT(tcpseg_read(&synack, reply.answer, reply.answer_len), 0);
	ack.flags = TCPSEG_ACK;
	ack.seq++;
	ack.ack = synack.seq + 1;
	CHECK_EQ_INT(send_in(&ack, SECOND + 2 * SYNCOOKIE_PERIOD_NS),
		     FILTER_DROP_COOKIE);
	CHECK_EQ_INT(send_in(&ack, SECOND + SYNCOOKIE_PERIOD_NS), FILTER_PASS);
}

TEST(the_limit_counts_established_connections)
{
	struct tcpseg synack, late_synack, rst;
	struct tcpseg syn = segment(0, client4, 40015, 1, TCPSEG_SYN);
	struct tcpseg ack = segment(0, client4, 40015, 1, TCPSEG_ACK);

	fresh_filter(2);
	syn.seq = 777;
	/* A SYN-ACK to one client while two others complete. */
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_SYN_COOKIE);
	CHECK_EQ_INT(tcpseg_read(&late_synack, reply.answer, reply.answer_len),
		     0);
	CHECK_EQ_INT(handshake(0, client4, 40011, SECOND, &synack),
		     FILTER_PASS);
	CHECK_EQ_INT(handshake(0, client4, 40012, SECOND, &synack),
		     FILTER_PASS);
	/* At the limit a SYN is not answered: the client's connect waits. */
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_SERVER_FULL);
	CHECK_EQ_INT(reply.answer_len, 0);
	/* The first client's ACK comes when there is no room: reset. */
	ack.seq = syn.seq + 1;
	ack.ack = late_synack.seq + 1;
	CHECK_EQ_INT(send_in(&ack, SECOND), FILTER_DROP_SERVER_FULL);
	CHECK_EQ_INT(reply.syn_len, 0);
	CHECK_EQ_INT(tcpseg_read(&rst, reply.answer, reply.answer_len), 0);
	CHECK(rst.flags == TCPSEG_RST && rst.seq == ack.ack &&
	      rst.dst_port == 40015 && memcmp(rst.dst_mac, client_mac, 6) == 0);
	CHECK_EQ_INT(filter_rule_count(&f), 2);
	CHECK_EQ_INT(f.servers[0].connections, 2);
}

TEST(a_closed_connection_frees_its_place)
{
	struct tcpseg synack, rst = segment(0, client4, 40021, 0, TCPSEG_RST);
	struct filter_addr c;

	fresh_filter(1);
	filter_addr_from(&c, client4, 4);
	CHECK_EQ_INT(handshake(0, client4, 40021, SECOND, &synack),
		     FILTER_PASS);
	CHECK_EQ_INT(handshake(0, client4, 40022, SECOND, &synack),
		     FILTER_DROP_SERVER_FULL);
	/* lwIP's reset frees the place... */
	rst.seq = synack.seq + 1;
	CHECK_EQ_INT(send_out(&rst, SECOND), FILTER_PASS);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	CHECK_EQ_INT(handshake(0, client4, 40022, SECOND, &synack),
		     FILTER_PASS);
	/* ...and so does TCPIP's removal when lwIP is done with it. */
	CHECK_EQ_INT(filter_rule_remove(&f, 6, 80, &c, 40022), 0);
	CHECK_EQ_INT(handshake(0, client4, 40023, SECOND, &synack),
		     FILTER_PASS);
}

/* An off-path host that knows the client's address and port, and not
 * the connection's numbers, sends resets of every sequence number it
 * likes.  Each reaches lwIP, which ends the connection only for the one
 * it expects and answers the others with an ACK; none of them may end
 * the connection in the Firewall first. */
TEST(a_reset_from_outside_leaves_the_connection_to_lwip)
{
	struct tcpseg synack, rst = segment(0, client4, 40025, 1, TCPSEG_RST);
	struct tcpseg data = segment(0, client4, 40025, 1, TCPSEG_ACK);

	fresh_filter(1);
	CHECK_EQ_INT(handshake(0, client4, 40025, SECOND, &synack),
		     FILTER_PASS);
	for (uint32_t i = 0; i < 64; i++) {
		rst.seq = i * 0x04000000u;
		CHECK_EQ_INT(send_in(&rst, SECOND), FILTER_PASS);
	}
	CHECK_EQ_INT(filter_rule_count(&f), 1);
	/* The connection's own segments still pass both ways, and its
	 * place under the limit is still taken. */
	data.seq = 1000u * 40025 + 1;
	data.ack = synack.seq + 1;
	CHECK_EQ_INT(send_in(&data, SECOND), FILTER_PASS);
	CHECK_EQ_INT(handshake(0, client4, 40026, SECOND, &synack),
		     FILTER_DROP_SERVER_FULL);
}

TEST(any_segment_of_the_connection_completes_the_hand_off)
{
	struct tcpseg synack, ack;

	fresh_filter(4);
	CHECK_EQ_INT(handshake(0, client4, 40035, SECOND, &synack),
		     FILTER_PASS);
	/* Its SYN-ACK was lost inside the stack; its ACK of the request
	 * passes, and shows the connection is lwIP's. */
	ack = segment(0, client4, 40035, 0, TCPSEG_ACK);
	ack.seq = synack.seq + 1;
	ack.ack = 1000u * 40035 + 1 + 73;
	CHECK_EQ_INT(send_out(&ack, SECOND), FILTER_PASS);
	CHECK_EQ_INT(filter_expire(&f, 100 * SECOND, frame, sizeof(frame)), 0);
	CHECK_EQ_INT(filter_rule_count(&f), 1);
}

TEST(lwips_own_syn_ack_is_dropped_once)
{
	struct tcpseg synack, ours;

	fresh_filter(4);
	CHECK_EQ_INT(handshake(0, client4, 40031, SECOND, &synack),
		     FILTER_PASS);
	ours = segment(0, client4, 40031, 0, TCPSEG_SYN | TCPSEG_ACK);
	ours.seq = synack.seq;
	ours.ack = 1000u * 40031 + 1;
	CHECK_EQ_INT(send_out(&ours, SECOND), FILTER_DROP_HANDSHAKE);
	/* Taken over: no reset later, and a retransmission passes. */
	CHECK_EQ_INT(filter_expire(&f, 10 * SECOND, frame, sizeof(frame)), 0);
	CHECK_EQ_INT(send_out(&ours, SECOND), FILTER_PASS);
	CHECK_EQ_INT(filter_rule_count(&f), 1);
}

TEST(an_older_connections_segment_leaves_the_hand_off_waiting)
{
	struct tcpseg synack, old;
	int n;

	fresh_filter(1);
	CHECK_EQ_INT(handshake(0, client4, 40036, SECOND, &synack),
		     FILTER_PASS);
	/* lwIP answers the SYN from the connection's last incarnation, in
	 * TIME_WAIT, with an ACK of that one's numbers. */
	old = segment(0, client4, 40036, 0, TCPSEG_ACK);
	old.seq = synack.seq + 1 + 0x40000000u;
	old.ack = 1000u * 40036 + 1 - 0x40000000u;
	CHECK_EQ_INT(send_out(&old, SECOND), FILTER_PASS);
	/* One number right is not enough either. */
	old.seq = synack.seq + 1;
	CHECK_EQ_INT(send_out(&old, SECOND), FILTER_PASS);
	old.seq = synack.seq - 1;
	old.ack = 1000u * 40036 + 1;
	CHECK_EQ_INT(send_out(&old, SECOND), FILTER_PASS);
	/* The new connection was never lwIP's: its client is reset, and
	 * its place under the limit is free again. */
	n = filter_expire(&f, SECOND + FILTER_HANDOFF_NS, frame, sizeof(frame));
	CHECK(n > 0);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	CHECK_EQ_INT(handshake(0, client4, 40037, 7 * SECOND, &synack),
		     FILTER_PASS);
}

TEST(a_hand_off_lwip_never_takes_is_undone)
{
	struct tcpseg synack, rst;
	int n;

	fresh_filter(1);
	CHECK_EQ_INT(handshake(0, client4, 40041, SECOND, &synack),
		     FILTER_PASS);
	CHECK_EQ_INT(filter_expire(&f, SECOND + FILTER_HANDOFF_NS - 1, frame,
				   sizeof(frame)),
		     0);
	n = filter_expire(&f, SECOND + FILTER_HANDOFF_NS, frame, sizeof(frame));
	CHECK(n > 0);
	CHECK_EQ_INT(tcpseg_read(&rst, frame, (size_t)n), 0);
	CHECK(rst.flags == TCPSEG_RST && rst.seq == synack.seq + 1 &&
	      rst.src_port == 80 && rst.dst_port == 40041 &&
	      memcmp(rst.dst_mac, client_mac, 6) == 0 &&
	      memcmp(rst.src_mac, station, 6) == 0 &&
	      memcmp(rst.dst_ip, client4, 4) == 0 &&
	      memcmp(rst.src_ip, us4, 4) == 0);
	CHECK_EQ_INT(filter_expire(&f, 100 * SECOND, frame, sizeof(frame)), 0);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
	CHECK_EQ_INT(handshake(0, client4, 40042, 3 * SECOND, &synack),
		     FILTER_PASS);
	/* Too small a buffer: no reset, but the rule goes all the same. */
	CHECK_EQ_INT(filter_expire(&f, 10 * SECOND, frame, 10), -ENOSPC);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
}

TEST(only_frames_to_the_station_from_a_unicast_peer_are_answered)
{
	struct tcpseg syn = segment(0, client4, 40051, 1, TCPSEG_SYN);
	uint8_t group[4] = {224, 0, 0, 1};

	fresh_filter(4);
	syn.dst_mac[5] ^= 1;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	syn.dst_mac[5] ^= 1;
	syn.src_mac[0] |= 1;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	syn = segment(0, group, 40051, 1, TCPSEG_SYN);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	syn = segment(0, client4, 40051, 1, TCPSEG_SYN);
	memset(syn.dst_ip, 255, 4);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	/* SYN with RST or FIN, or a reset alone: not a handshake. */
	syn = segment(0, client4, 40051, 1, TCPSEG_SYN | TCPSEG_FIN);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	syn.flags = TCPSEG_RST;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(reply.answer_len, 0);
	/* A damaged checksum: not answered. */
	syn = segment(0, client4, 40051, 1, TCPSEG_SYN);
	CHECK(send_in(&syn, SECOND) == FILTER_SYN_COOKIE);
	frame[frame_len - 1] ^= 1;
	CHECK_EQ_INT(
	    filter_frame(&f, FILTER_IN, frame, frame_len, SECOND, &reply),
	    FILTER_DROP_MALFORMED);
	CHECK_EQ_INT(reply.answer_len, 0);
	CHECK_EQ_INT(filter_rule_count(&f), 0);
}

TEST(a_port_without_a_listener_lets_nobody_new_in)
{
	struct tcpseg synack, syn = segment(0, client4, 40071, 1, TCPSEG_SYN);
	struct tcpseg data = segment(0, client4, 40070, 1, TCPSEG_ACK);
	struct tcpseg reply_data = segment(0, client4, 40070, 0, TCPSEG_ACK);

	/* Registered by NetAPI, no listener yet: nothing is answered. */
	filter_init(&f);
	filter_syn_proxy(&f, &key, station);
	CHECK_EQ_INT(filter_server_port_add(&f, 6, 80, true, 4), 0);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NOT_LISTENING);
	CHECK_EQ_INT(reply.answer_len, 0);
	CHECK_EQ_INT(filter_server_port_listening(&f, 6, 80, true), 0);
	CHECK_EQ_INT(handshake(0, client4, 40070, SECOND, &synack),
		     FILTER_PASS);
	/* A cookie handed out before the listener closed buys nothing
	 * after, and the established connection goes on both ways. */
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_SYN_COOKIE);
	CHECK_EQ_INT(tcpseg_read(&synack, reply.answer, reply.answer_len), 0);
	CHECK_EQ_INT(filter_server_port_listening(&f, 6, 80, false), 0);
	syn.flags = TCPSEG_ACK;
	syn.seq++;
	syn.ack = synack.seq + 1;
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NOT_LISTENING);
	CHECK_EQ_INT(reply.answer_len + reply.syn_len, 0);
	CHECK_EQ_INT(send_in(&data, SECOND), FILTER_PASS);
	CHECK_EQ_INT(send_out(&reply_data, SECOND), FILTER_PASS);
	CHECK_EQ_INT(filter_rule_count(&f), 1);
	/* Listening again lets new clients in; an unknown port is refused. */
	CHECK_EQ_INT(filter_server_port_listening(&f, 6, 80, true), 0);
	CHECK_EQ_INT(handshake(0, client4, 40072, SECOND, &synack),
		     FILTER_PASS);
	CHECK_EQ_INT(filter_server_port_listening(&f, 6, 81, true), -ENOENT);
}

TEST(ipv6_only_to_ports_bound_for_it_and_never_without_a_key)
{
	struct tcpseg syn = segment(1, client6, 40061, 1, TCPSEG_SYN);

	filter_init(&f);
	filter_syn_proxy(&f, &key, station);
	filter_server_port_add(&f, 6, 80, false, 4);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	filter_init(&f);
	filter_server_port_add(&f, 6, 80, true, 4);
	filter_server_port_listening(&f, 6, 80, true);
	CHECK_EQ_INT(send_in(&syn, SECOND), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(reply.answer_len, 0);
}

int
main(void)
{
	const uint8_t k[SYNCOOKIE_KEY_BYTES] = "sixteen byte key";

	if (syncookie_key_init(&key, k) < 0) {
		printf("FAIL syn_proxy_test: no SipHash in OpenSSL\n");
		return 1;
	}
	RUN(segments_from_linux_and_scapy_are_read_with_their_options);
	RUN(a_damaged_or_cut_segment_is_not_read);
	RUN(a_written_segment_reads_back_with_right_checksums);
	RUN(a_syn_is_answered_with_a_cookie_and_holds_nothing);
	RUN(spoofed_syns_leave_the_port_open);
	RUN(a_valid_cookie_passes_a_rebuilt_syn_then_the_ack);
	RUN(an_ack_without_a_valid_cookie_is_dropped);
	RUN(the_limit_counts_established_connections);
	RUN(a_closed_connection_frees_its_place);
	RUN(a_reset_from_outside_leaves_the_connection_to_lwip);
	RUN(lwips_own_syn_ack_is_dropped_once);
	RUN(any_segment_of_the_connection_completes_the_hand_off);
	RUN(an_older_connections_segment_leaves_the_hand_off_waiting);
	RUN(a_hand_off_lwip_never_takes_is_undone);
	RUN(only_frames_to_the_station_from_a_unicast_peer_are_answered);
	RUN(a_port_without_a_listener_lets_nobody_new_in);
	RUN(ipv6_only_to_ports_bound_for_it_and_never_without_a_key);
	syncookie_key_free(&key);
	HARNESS_EXIT();
}
