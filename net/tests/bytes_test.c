/*
 * The wire's integers and checksum (bytes.h, checksum.h) on published
 * values: network order byte by byte, RFC 1071's worked example, and an
 * IPv4 header whose checksum is known.
 */
#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "harness.h"

TEST(integers_are_written_and_read_in_network_order)
{
	uint8_t b[8];

	write_be16(b, 0x1234);
	CHECK(b[0] == 0x12 && b[1] == 0x34);
	CHECK_EQ_INT(read_be16(b), 0x1234);
	write_be32(b, 0x89abcdefu);
	CHECK(b[0] == 0x89 && b[1] == 0xab && b[2] == 0xcd && b[3] == 0xef);
	CHECK(read_be32(b) == 0x89abcdefu);
	write_be64(b, 0x0102030405060788ull);
	CHECK(b[0] == 0x01 && b[6] == 0x07 && b[7] == 0x88);
	CHECK(read_be64(b) == 0x0102030405060788ull);
}

/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
TEST(the_checksum_gives_rfc_1071s_example)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03,
					0xf4, 0xf5, 0xf6, 0xf7};

	CHECK_EQ_INT(checksum_fold(checksum_add(0, bytes, sizeof(bytes))),
		     0xddf2);
	/* In pieces, as a pseudo-header and a segment are summed. */
	CHECK_EQ_INT(checksum_fold(
			 checksum_add(checksum_add(0, bytes, 4), bytes + 4, 4)),
		     0xddf2);
}

/* An odd last byte counts as the high byte of a word padded with zero. */
TEST(an_odd_last_byte_is_padded_with_zero)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4,
					0xf5, 0xf6, 0xf7, 0x01};

	CHECK_EQ_INT(checksum_fold(checksum_add(0, bytes, sizeof(bytes))),
		     0xdef2);
}

TEST(an_ipv4_headers_checksum_verifies)
{
	/* 192.168.0.1 to 192.168.0.199, UDP, checksum b861. */
	uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			  0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
			  0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	CHECK_EQ_INT(checksum_fold(checksum_add(0, ip, sizeof(ip))), 0xffff);
	write_be16(ip + 10, 0);
	CHECK_EQ_INT((uint16_t)~checksum_fold(checksum_add(0, ip, sizeof(ip))),
		     0xb861);
}

int
main(void)
{
	RUN(integers_are_written_and_read_in_network_order);
	RUN(the_checksum_gives_rfc_1071s_example);
	RUN(an_odd_last_byte_is_padded_with_zero);
	RUN(an_ipv4_headers_checksum_verifies);
	HARNESS_EXIT();
}
