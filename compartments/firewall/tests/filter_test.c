/*
 * The Firewall's filter, frame by frame, including one test for each
 * weakness listed for CHERIoT's firewall: IPv6 and ICMP passing
 * unfiltered, a removed rule still matching, and removal deleting the
 * wrong rule.
 */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "filter.h"
#include "frames.h"
#include "harness.h"

static struct filter f;
static struct filter_reply reply;

static const uint8_t server4[4] = {10, 0, 0, 1};
static const uint8_t other4[4] = {10, 0, 0, 9};
static const uint8_t us4[4] = {10, 0, 0, 50};
static const uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 1};
static const uint8_t router6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 0xfe};
static const uint8_t us6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				0,    0,    0,	  0,	0, 0, 0, 0x50};

static size_t
tcp4_in(const uint8_t *from, unsigned sport, unsigned dport, uint8_t flags)
{
	size_t n = ipv4(from, us4, 6, 20);
	ports(34, sport, dport, flags);
	return n;
}

static size_t
tcp4_out(const uint8_t *to, unsigned sport, unsigned dport)
{
	size_t n = ipv4(us4, to, 6, 20);
	ports(34, sport, dport, 0x10);
	return n;
}

static struct filter_addr
addr(const uint8_t *b, size_t len)
{
	struct filter_addr a;
	filter_addr_from(&a, b, len);
	return a;
}

/* Server ports and their SYN proxy: tests/syn_proxy_test.c. */
static enum filter_verdict
in(size_t n)
{
	return filter_frame(&f, FILTER_IN, frame, n, 0, &reply);
}

static enum filter_verdict
out(size_t n)
{
	return filter_frame(&f, FILTER_OUT, frame, n, 0, &reply);
}

TEST(default_deny_both_ways)
{
	filter_init(&f);
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50000, 0x10)),
		     FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(out(tcp4_out(server4, 50000, 80)), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(f.counts[FILTER_DROP_NO_RULE], 2);
}

TEST(arp_and_dhcp_pass)
{
	filter_init(&f);
	memset(frame, 0, 60);
	write_be16(frame + 12, 0x0806);
	CHECK_EQ_INT(in(60), FILTER_PASS);
	size_t n = ipv4(us4, (const uint8_t[]){255, 255, 255, 255}, 17, 8);
	ports(34, 68, 67, 0);
	CHECK_EQ_INT(out(n), FILTER_PASS);
}

TEST(a_rule_opens_exactly_its_flow)
{
	struct filter_addr s = addr(server4, 4);

	filter_init(&f);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &s, 80), 0);
	CHECK_EQ_INT(out(tcp4_out(server4, 50000, 80)), FILTER_PASS);
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50000, 0x12)), FILTER_PASS);
	/* Another port, another host, another protocol: all still shut. */
	CHECK_EQ_INT(in(tcp4_in(server4, 81, 50000, 0x12)),
		     FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(in(tcp4_in(other4, 80, 50000, 0x12)), FILTER_DROP_NO_RULE);
	size_t n = ipv4(server4, us4, 17, 8);
	ports(34, 80, 50000, 0);
	CHECK_EQ_INT(in(n), FILTER_DROP_NO_RULE);
}

TEST(removing_a_rule_removes_that_rule_and_no_other)
{
	struct filter_addr s = addr(server4, 4);

	filter_init(&f);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50001, &s, 80), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50002, &s, 80), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50003, &s, 80), 0);
	CHECK_EQ_INT(filter_rule_remove(&f, 6, 50002, &s, 80), 0);
	CHECK_EQ_INT(filter_rule_count(&f), 2);
	/* No stale match for the removed one... */
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50002, 0x10)),
		     FILTER_DROP_NO_RULE);
	/* ...and both neighbours intact. */
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50001, 0x10)), FILTER_PASS);
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50003, 0x10)), FILTER_PASS);
	CHECK_EQ_INT(filter_rule_remove(&f, 6, 50002, &s, 80), -ENOENT);
	/* The last rule removed: nothing matches. */
	CHECK_EQ_INT(filter_rule_remove(&f, 6, 50001, &s, 80), 0);
	CHECK_EQ_INT(filter_rule_remove(&f, 6, 50003, &s, 80), 0);
	CHECK_EQ_INT(in(tcp4_in(server4, 80, 50003, 0x10)),
		     FILTER_DROP_NO_RULE);
}

static size_t
udp4_in(const uint8_t *from, unsigned sport, unsigned dport)
{
	size_t n = ipv4(from, us4, 17, 8);

	ports(34, sport, dport, 0);
	return n;
}

TEST(closing_a_udp_port_removes_its_rules_and_no_other)
{
	struct filter_addr s = addr(server4, 4), o = addr(other4, 4);

	filter_init(&f);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &s, 7), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &o, 7), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50011, &s, 7), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50010, &s, 7), 0);
	CHECK_EQ_INT(in(udp4_in(server4, 7, 50010)), FILTER_PASS);
	CHECK_EQ_INT(filter_port_close(&f, 17, 50010), 2);
	CHECK_EQ_INT(in(udp4_in(server4, 7, 50010)), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(in(udp4_in(other4, 7, 50010)), FILTER_DROP_NO_RULE);
	/* Another port and the same port over TCP keep their rules. */
	CHECK_EQ_INT(in(udp4_in(server4, 7, 50011)), FILTER_PASS);
	CHECK_EQ_INT(in(tcp4_in(server4, 7, 50010, 0x10)), FILTER_PASS);
	CHECK_EQ_INT(filter_rule_count(&f), 2);
}

TEST(a_udp_port_has_a_bounded_number_of_peers)
{
	struct filter_addr peer = addr(server4, 4), s = addr(server4, 4);

	filter_init(&f);
	for (unsigned i = 0; i < FILTER_MAX_UDP_PEERS_PER_PORT; i++) {
		peer.b[3] = (uint8_t)(100 + i);
		CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &peer, 123), 0);
	}
	peer.b[3] = 99;
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &peer, 123), -EDQUOT);
	/* One already there is still that, and other ports and TCP are
	 * not counted. */
	peer.b[3] = 100;
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &peer, 123), -EEXIST);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50011, &s, 123), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50010, &s, 123), 0);
	/* A peer removed makes room for another. */
	CHECK_EQ_INT(filter_rule_remove(&f, 17, 50010, &peer, 123), 0);
	peer.b[3] = 99;
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50010, &peer, 123), 0);
	CHECK_EQ_INT(filter_rule_count(&f), FILTER_MAX_UDP_PEERS_PER_PORT + 2);
}

TEST(ipv6_is_filtered_like_ipv4)
{
	struct filter_addr s = addr(server6, 16);

	filter_init(&f);
	size_t n = ipv6(server6, us6, 6, 64, 20);
	ports(54, 443, 50000, 0x10);
	CHECK_EQ_INT(in(n), FILTER_DROP_NO_RULE);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &s, 443), 0);
	CHECK_EQ_INT(in(n), FILTER_PASS);
	/* An IPv4 flow with the same ports is not the IPv6 one. */
	CHECK_EQ_INT(in(tcp4_in(server4, 443, 50000, 0x10)),
		     FILTER_DROP_NO_RULE);
}

TEST(icmp_passes_only_as_an_error_about_an_allowed_flow)
{
	struct filter_addr s = addr(server4, 4);

	filter_init(&f);
	/* An echo request: never. */
	size_t n = ipv4(server4, us4, 1, 8);
	frame[34] = 8;
	CHECK_EQ_INT(in(n), FILTER_DROP_ICMP);
	/* Port unreachable quoting our UDP packet to 10.0.0.1:53. */
	n = ipv4(server4, us4, 1, 8 + 28);
	frame[34] = 3;
	uint8_t *q = frame + 34 + 8;
	q[0] = 0x45;
	write_be16(q + 2, 28);
	q[9] = 17;
	memcpy(q + 12, us4, 4);
	memcpy(q + 16, server4, 4);
	write_be16(q + 20, 40000);
	write_be16(q + 22, 53);
	CHECK_EQ_INT(in(n), FILTER_DROP_ICMP);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 40000, &s, 53), 0);
	CHECK_EQ_INT(in(n), FILTER_PASS);
}

/* An IPv4 "fragmentation needed" quoting our TCP segment to 10.0.0.1:80
 * from port 50000, which claimed 1,500 bytes: of it, the quote holds
 * the header and quoted_l4 bytes. */
static size_t
frag_needed4(size_t quoted_l4)
{
	size_t n = ipv4(other4, us4, 1, 8 + 20 + quoted_l4);
	uint8_t *q = frame + 34 + 8;

	frame[34] = 3;
	frame[35] = 4;
	write_be16(frame + 40, 1400);
	q[0] = 0x45;
	write_be16(q + 2, 1500);
	q[8] = 64;
	q[9] = 6;
	memcpy(q + 12, us4, 4);
	memcpy(q + 16, server4, 4);
	write_be16(q + 20, 50000);
	write_be16(q + 22, 80);
	return n;
}

TEST(an_icmp_error_may_quote_a_packet_cut_short)
{
	struct filter_addr s = addr(server4, 4);
	size_t n;

	filter_init(&f);
	/* Cut to 28 bytes past the ICMP header, as routers often do. */
	CHECK_EQ_INT(in(frag_needed4(8)), FILTER_DROP_ICMP);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &s, 80), 0);
	CHECK_EQ_INT(in(frag_needed4(8)), FILTER_PASS);
	CHECK_EQ_INT(in(frag_needed4(548)), FILTER_PASS);
	/* The ports must be there. */
	CHECK_EQ_INT(in(frag_needed4(7)), FILTER_DROP_ICMP);
	CHECK_EQ_INT(in(frag_needed4(0)), FILTER_DROP_ICMP);
	/* A fragment, whole or cut short, still carries no ports to trust. */
	n = frag_needed4(8);
	write_be16(frame + 42 + 6, 0x2000);
	CHECK_EQ_INT(in(n), FILTER_DROP_ICMP);
	n = frag_needed4(8);
	write_be16(frame + 42 + 6, 0x00b9);
	CHECK_EQ_INT(in(n), FILTER_DROP_ICMP);
	/* A packet that is not a quote may not claim more than it has. */
	n = tcp4_in(server4, 80, 50000, 0x10);
	write_be16(frame + 16, 41);
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
}

/* An IPv6 "packet too big" from a router, quoting our TCP segment to
 * [2001:db8::1]:443 from port 50000, which claimed 1,400 bytes: of it,
 * the quote holds the header and quoted_l4 bytes. */
static size_t
too_big6(size_t quoted_l4)
{
	size_t n = ipv6(router6, us6, 58, 64, 8 + 40 + quoted_l4);
	uint8_t *q = frame + 54 + 8;

	frame[54] = 2;
	write_be32(frame + 58, 1280);
	q[0] = 0x60;
	write_be16(q + 4, 1360);
	q[6] = 6;
	q[7] = 64;
	memcpy(q + 8, us6, 16);
	memcpy(q + 24, server6, 16);
	write_be16(q + 40, 50000);
	write_be16(q + 42, 443);
	return n;
}

TEST(a_packet_too_big_passes_for_an_allowed_flow)
{
	struct filter_addr s = addr(server6, 16);
	size_t n;

	filter_init(&f);
	/* As much as ICMPv6 may quote: 1,280 bytes in all. */
	CHECK_EQ_INT(too_big6(1232 - 40) - 14, 1280);
	CHECK_EQ_INT(in(too_big6(1232 - 40)), FILTER_DROP_ICMP);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &s, 443), 0);
	CHECK_EQ_INT(in(too_big6(1232 - 40)), FILTER_PASS);
	CHECK_EQ_INT(in(too_big6(8)), FILTER_PASS);
	CHECK_EQ_INT(in(too_big6(7)), FILTER_DROP_ICMP);
	CHECK_EQ_INT(in(too_big6(0)), FILTER_DROP_ICMP);
	/* Another port of the same host: no rule, no error. */
	n = too_big6(1232 - 40);
	write_be16(frame + 62 + 40, 50001);
	CHECK_EQ_INT(in(n), FILTER_DROP_ICMP);
	/* A packet that is not a quote may not claim more than it has. */
	n = ipv6(server6, us6, 6, 64, 20);
	ports(54, 443, 50000, 0x10);
	CHECK_EQ_INT(in(n), FILTER_PASS);
	write_be16(frame + 18, 21);
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
}

TEST(neighbour_discovery_only_on_link)
{
	filter_init(&f);
	size_t n = ipv6(server6, us6, 58, 255, 16);
	frame[54] = 134; /* router advertisement */
	CHECK_EQ_INT(in(n), FILTER_PASS);
	frame[14 + 7] = 64; /* forwarded: not from the link */
	CHECK_EQ_INT(in(n), FILTER_DROP_ND);
	n = ipv6(server6, us6, 58, 255, 16);
	frame[54] = 128; /* echo request */
	CHECK_EQ_INT(in(n), FILTER_DROP_ND);
	n = ipv6(us6, server6, 58, 255, 16);
	frame[54] = 134; /* we do not advertise routes */
	CHECK_EQ_INT(out(n), FILTER_DROP_ND);
}

TEST(dns_only_from_the_server_while_a_lookup_is_open)
{
	struct filter_addr s = addr(server4, 4);
	size_t n;

	filter_init(&f);
	n = ipv4(server4, us4, 17, 8);
	ports(34, 53, 40000, 0);
	CHECK_EQ_INT(in(n), FILTER_DROP_DNS);
	filter_dns_open(&f, &s);
	CHECK_EQ_INT(in(n), FILTER_PASS);
	n = ipv4(other4, us4, 17, 8);
	ports(34, 53, 40000, 0);
	CHECK_EQ_INT(in(n), FILTER_DROP_DNS);
	filter_dns_close(&f);
	n = ipv4(server4, us4, 17, 8);
	ports(34, 53, 40000, 0);
	CHECK_EQ_INT(in(n), FILTER_DROP_DNS);
}

TEST(overlapping_lookups_keep_the_dns_hole_open)
{
	struct filter_addr s = addr(server4, 4);
	size_t n;

	filter_init(&f);
	filter_dns_open(&f, &s);
	filter_dns_open(&f, &s);
	/* The first lookup ends; the second still waits for its answer. */
	filter_dns_close(&f);
	n = ipv4(server4, us4, 17, 8);
	ports(34, 53, 40001, 0);
	CHECK_EQ_INT(in(n), FILTER_PASS);
	filter_dns_close(&f);
	CHECK_EQ_INT(in(n), FILTER_DROP_DNS);
	/* An extra close does not open anything. */
	filter_dns_close(&f);
	CHECK_EQ_INT(in(n), FILTER_DROP_DNS);
}

TEST(malformed_and_fragmented_packets_are_dropped)
{
	size_t n;

	filter_init(&f);
	CHECK_EQ_INT(in(10), FILTER_DROP_MALFORMED);
	n = tcp4_in(server4, 80, 50000, 0x10);
	frame[14] = 0x44; /* header shorter than 20 bytes */
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
	n = tcp4_in(server4, 80, 50000, 0x10);
	write_be16(frame + 16, 1500); /* longer than the frame */
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
	n = tcp4_in(server4, 80, 50000, 0x10);
	write_be16(frame + 20, 0x2000); /* more fragments */
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
	n = ipv4(server4, us4, 6, 10); /* TCP header cut short */
	CHECK_EQ_INT(in(n), FILTER_DROP_MALFORMED);
	memset(frame, 0, 60);
	write_be16(frame + 12, 0x88cc); /* LLDP */
	CHECK_EQ_INT(in(60), FILTER_DROP_ETHERTYPE);
}

/* A full table, under two keys, and with many rules to one host: each
 * rule opens its flow; removing rules one by one leaves exactly the rest
 * open; a full table refuses one more. */
static void
fill_and_empty(uint64_t seed, unsigned hosts)
{
	struct filter_addr a;
	uint8_t host[4] = {10, 1, 0, 0};

	filter_init(&f);
	filter_seed(&f, seed);
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++) {
		host[3] = (uint8_t)(i % hosts);
		a = addr(host, 4);
		CHECK_EQ_INT(
		    filter_rule_add(&f, 6, (uint16_t)(1024 + i), &a, 80), 0);
	}
	a = addr(server4, 4);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 40000, &a, 80), -ENOSPC);
	/* A rule there already is not granted twice. */
	host[3] = 0;
	a = addr(host, 4);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 1024, &a, 80), -EEXIST);
	/* Keyed again with every rule in place: all still found. */
	filter_seed(&f, seed + 1);
	for (unsigned i = 0; i < FILTER_MAX_RULES; i += 2) {
		host[3] = (uint8_t)(i % hosts);
		a = addr(host, 4);
		CHECK_EQ_INT(
		    filter_rule_remove(&f, 6, (uint16_t)(1024 + i), &a, 80), 0);
	}
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++) {
		host[3] = (uint8_t)(i % hosts);
		CHECK_EQ_INT(in(tcp4_in(host, 80, 1024 + i, 0x10)),
			     i % 2 ? FILTER_PASS : FILTER_DROP_NO_RULE);
	}
	CHECK_EQ_INT(filter_rule_count(&f), FILTER_MAX_RULES / 2);
}

TEST(a_full_table_of_rules_each_found_and_removed_alone)
{
	fill_and_empty(0x0123456789abcdefull, 250);
	fill_and_empty(0, 1);
}

int
main(void)
{
	RUN(default_deny_both_ways);
	RUN(arp_and_dhcp_pass);
	RUN(a_rule_opens_exactly_its_flow);
	RUN(removing_a_rule_removes_that_rule_and_no_other);
	RUN(a_full_table_of_rules_each_found_and_removed_alone);
	RUN(closing_a_udp_port_removes_its_rules_and_no_other);
	RUN(a_udp_port_has_a_bounded_number_of_peers);
	RUN(ipv6_is_filtered_like_ipv4);
	RUN(icmp_passes_only_as_an_error_about_an_allowed_flow);
	RUN(an_icmp_error_may_quote_a_packet_cut_short);
	RUN(a_packet_too_big_passes_for_an_allowed_flow);
	RUN(neighbour_discovery_only_on_link);
	RUN(dns_only_from_the_server_while_a_lookup_is_open);
	RUN(overlapping_lookups_keep_the_dns_hole_open);
	RUN(malformed_and_fragmented_packets_are_dropped);
	HARNESS_EXIT();
}
