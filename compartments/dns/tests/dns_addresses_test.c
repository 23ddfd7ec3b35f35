/*
 * IPv4 first, whichever answer arrives first: NetAPI connects to the
 * first address alone and caches it, so an IPv6 address there would send
 * every connect to the name over IPv6 (see dns_addresses.h).
 */
#include <string.h>

#include "dns_addresses.h"
#include "harness.h"

static const uint8_t v4a[4] = {192, 0, 2, 1}, v4b[4] = {192, 0, 2, 2};
static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static bool
at(const struct dns_addresses *a, unsigned i, const uint8_t *address,
   size_t len)
{
	return i < a->count && a->len[i] == len &&
	       memcmp(a->address[i], address, len) == 0;
}

TEST(aaaa_answer_first_still_lists_ipv4_first)
{
	struct dns_addresses a = {0};

	CHECK(dns_addresses_add(&a, v6a, 16));
	CHECK(dns_addresses_add(&a, v6b, 16));
	CHECK(dns_addresses_add(&a, v4a, 4));
	CHECK(dns_addresses_add(&a, v4b, 4));
	CHECK_EQ_INT(a.count, 4);
	CHECK(at(&a, 0, v4a, 4));
	CHECK(at(&a, 1, v4b, 4));
	CHECK(at(&a, 2, v6a, 16));
	CHECK(at(&a, 3, v6b, 16));
}

TEST(a_answer_first_keeps_its_order)
{
	struct dns_addresses a = {0};

	CHECK(dns_addresses_add(&a, v4a, 4));
	CHECK(dns_addresses_add(&a, v6a, 16));
	CHECK(dns_addresses_add(&a, v4b, 4));
	CHECK_EQ_INT(a.count, 3);
	CHECK(at(&a, 0, v4a, 4));
	CHECK(at(&a, 1, v4b, 4));
	CHECK(at(&a, 2, v6a, 16));
}

TEST(ipv4_displaces_ipv6_from_a_full_list)
{
	struct dns_addresses a = {0};

	for (unsigned i = 0; i < DNS_MAX_ADDRESSES; i++)
		CHECK(dns_addresses_add(&a, v6a, 16));
	CHECK(!dns_addresses_add(&a, v6b, 16));
	CHECK(dns_addresses_add(&a, v4a, 4));
	CHECK_EQ_INT(a.count, DNS_MAX_ADDRESSES);
	CHECK(at(&a, 0, v4a, 4));
	CHECK(at(&a, DNS_MAX_ADDRESSES - 1, v6a, 16));
}

TEST(full_of_ipv4_keeps_them)
{
	struct dns_addresses a = {0};

	for (unsigned i = 0; i < DNS_MAX_ADDRESSES; i++)
		CHECK(dns_addresses_add(&a, v4a, 4));
	CHECK(!dns_addresses_add(&a, v4b, 4));
	CHECK(!dns_addresses_add(&a, v6a, 16));
	CHECK_EQ_INT(a.count, DNS_MAX_ADDRESSES);
	for (unsigned i = 0; i < DNS_MAX_ADDRESSES; i++)
		CHECK(at(&a, i, v4a, 4));
}

TEST(other_lengths_refused)
{
	struct dns_addresses a = {0};

	CHECK(!dns_addresses_add(&a, v6a, 6));
	CHECK(!dns_addresses_add(&a, v6a, 0));
	CHECK_EQ_INT(a.count, 0);
}

int
main(void)
{
	RUN(aaaa_answer_first_still_lists_ipv4_first);
	RUN(a_answer_first_keeps_its_order);
	RUN(ipv4_displaces_ipv6_from_a_full_list);
	RUN(full_of_ipv4_keeps_them);
	RUN(other_lengths_refused);
	HARNESS_EXIT();
}
