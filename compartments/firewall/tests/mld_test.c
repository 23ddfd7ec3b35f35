/*
 * Multicast listener discovery through the Firewall's filter, frame by
 * frame: lwIP's reports go out behind their hop-by-hop header, and that
 * header carries nothing else, in nor out.
 */
#include <string.h>

#include "bytes.h"
#include "filter.h"
#include "frames.h"
#include "harness.h"

static struct filter f;
static struct filter_reply reply;

static const uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 1};
static const uint8_t us6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				0,    0,    0,	  0,	0, 0, 0, 0x50};
static const uint8_t link6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				  0,	0,    0, 0, 0, 0, 0, 0x50};
/* The solicited-node group of us6 and link6. */
static const uint8_t group6[16] = {0xff, 0x02, 0, 0, 0,	   0, 0, 0,
				   0,	 0,    0, 1, 0xff, 0, 0, 0x50};

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

/* An MLDv1 report as lwIP's mld6_send makes it: hop limit 1, and a
 * hop-by-hop header holding a router alert for MLD and two bytes of
 * padding, before the 24-byte message. */
static size_t
mld_report(const uint8_t *src, const uint8_t *dst, uint8_t hop)
{
	static const uint8_t hop_by_hop[8] = {58, 0, 5, 2, 0, 0, 1, 0};
	size_t n = ipv6(src, dst, 0, hop, 8 + 24);

	memcpy(frame + 54, hop_by_hop, 8);
	frame[62] = 131;
	memcpy(frame + 62 + 8, group6, 16);
	return n;
}

/* The same with a 16-byte hop-by-hop header holding these options. */
static size_t
mld_report_with(const uint8_t options[14])
{
	size_t n = ipv6(link6, group6, 0, 1, 16 + 24);

	frame[54] = 58;
	frame[55] = 1;
	memcpy(frame + 56, options, 14);
	frame[70] = 131;
	return n;
}

TEST(mld_reports_pass_out_as_lwip_sends_them)
{
	size_t n;

	filter_init(&f);
	CHECK_EQ_INT(out(mld_report(link6, group6, 1)), FILTER_PASS);
	/* During duplicate address detection, from no address. */
	CHECK_EQ_INT(out(mld_report((const uint8_t[16]){0}, group6, 1)),
		     FILTER_PASS);
	n = mld_report(link6, group6, 1);
	frame[62] = 132; /* done */
	CHECK_EQ_INT(out(n), FILTER_PASS);
	n = mld_report(link6, group6, 1);
	frame[62] = 143; /* MLDv2 report */
	CHECK_EQ_INT(out(n), FILTER_PASS);
	/* Padding spelt as Pad1s instead of PadN, and a longer header. */
	n = mld_report(link6, group6, 1);
	frame[60] = frame[61] = 0;
	CHECK_EQ_INT(out(n), FILTER_PASS);
	CHECK_EQ_INT(
	    out(mld_report_with((const uint8_t[14]){5, 2, 0, 0, 1, 8})),
	    FILTER_PASS);
}

TEST(mld_behind_a_hop_by_hop_header_passes_only_as_mld_does)
{
	size_t n;

	filter_init(&f);
	/* Nothing comes in behind one. */
	CHECK_EQ_INT(in(mld_report(server6, group6, 1)), FILTER_DROP_PROTOCOL);
	/* MLD stays on the link. */
	CHECK_EQ_INT(out(mld_report(link6, group6, 255)), FILTER_DROP_ND);
	CHECK_EQ_INT(out(mld_report(link6, group6, 2)), FILTER_DROP_ND);
	CHECK_EQ_INT(out(mld_report(link6, group6, 0)), FILTER_DROP_ND);
	/* ICMPv6 other than MLD's reports: a query, an echo request, a
	 * report without its group address. */
	n = mld_report(link6, group6, 1);
	frame[62] = 130;
	CHECK_EQ_INT(out(n), FILTER_DROP_ND);
	n = mld_report(link6, group6, 1);
	frame[62] = 128;
	CHECK_EQ_INT(out(n), FILTER_DROP_ND);
	n = mld_report(link6, group6, 1);
	write_be16(frame + 18, 8 + 23);
	CHECK_EQ_INT(out(n - 1), FILTER_DROP_ND);
	/* Options MLD does not use: a router alert for RSVP, a second
	 * router alert, a jumbo payload. */
	n = mld_report(link6, group6, 1);
	frame[59] = 1;
	CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
	n = mld_report_with((const uint8_t[14]){5, 2, 0, 0, 5, 2, 0, 0, 1, 2});
	CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
	n = mld_report_with(
	    (const uint8_t[14]){5, 2, 0, 0, 0xc2, 4, 0, 0, 0x10, 0, 1, 2});
	CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
	/* The padding alone. */
	n = mld_report(link6, group6, 1);
	memcpy(frame + 56, (const uint8_t[]){1, 4, 0, 0, 0, 0}, 6);
	CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
	/* A second extension header. */
	n = mld_report(link6, group6, 1);
	frame[54] = 0;
	CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
}

TEST(a_hop_by_hop_header_does_not_carry_tcp_or_udp_past_the_rules)
{
	struct filter_addr s;
	size_t n;

	filter_init(&f);
	filter_addr_from(&s, server6, 16);
	CHECK_EQ_INT(filter_rule_add(&f, 6, 50000, &s, 443), 0);
	CHECK_EQ_INT(filter_rule_add(&f, 17, 50000, &s, 443), 0);
	n = ipv6(us6, server6, 6, 1, 20);
	ports(54, 50000, 443, 0x10);
	CHECK_EQ_INT(out(n), FILTER_PASS);
	for (unsigned i = 0; i < 2; i++) {
		n = mld_report(us6, server6, 1);
		frame[54] = i == 0 ? 6 : 17;
		ports(62, 50000, 443, 0x10);
		CHECK_EQ_INT(out(n), FILTER_DROP_PROTOCOL);
		CHECK_EQ_INT(in(n), FILTER_DROP_PROTOCOL);
	}
}

TEST(a_malformed_hop_by_hop_header_is_dropped)
{
	size_t n;

	filter_init(&f);
	/* Longer than the packet: by a byte, and by as much as a length
	 * can say. */
	n = mld_report(link6, group6, 1);
	write_be16(frame + 18, 8 + 7);
	frame[55] = 1;
	CHECK_EQ_INT(out(n - 17), FILTER_DROP_MALFORMED);
	n = mld_report(link6, group6, 1);
	frame[55] = 255;
	CHECK_EQ_INT(out(n), FILTER_DROP_MALFORMED);
	/* Shorter than any. */
	n = mld_report(link6, group6, 1);
	write_be16(frame + 18, 7);
	CHECK_EQ_INT(out(n - 25), FILTER_DROP_MALFORMED);
	/* An option running past the header's end. */
	n = mld_report(link6, group6, 1);
	frame[61] = 1;
	CHECK_EQ_INT(out(n), FILTER_DROP_MALFORMED);
	n = mld_report(link6, group6, 1);
	memcpy(frame + 56, (const uint8_t[]){1, 2, 0, 0, 0, 5}, 6);
	CHECK_EQ_INT(out(n), FILTER_DROP_MALFORMED);
	/* A length that takes in the message, read as options. */
	n = mld_report(link6, group6, 1);
	frame[55] = 3;
	CHECK(out(n) != FILTER_PASS);
}

int
main(void)
{
	RUN(mld_reports_pass_out_as_lwip_sends_them);
	RUN(mld_behind_a_hop_by_hop_header_passes_only_as_mld_does);
	RUN(a_hop_by_hop_header_does_not_carry_tcp_or_udp_past_the_rules);
	RUN(a_malformed_hop_by_hop_header_is_dropped);
	HARNESS_EXIT();
}
