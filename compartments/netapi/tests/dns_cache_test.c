/*
 * NetAPI's cache of DNS answers: an answer is used within its TTL and not
 * after, never past the cache's own bound, not at all with TTL 0; a full
 * cache gives up the entry used least lately; and a connect by name with
 * a known address goes straight to its port, as a literal does.
 */
#include <stdio.h>
#include <string.h>

#include "dns_cache.h"
#include "flow.h"
#include "harness.h"

#define S 1000000000ull

static struct dns_cache c;

static struct flow_address
v4(uint8_t last)
{
	struct flow_address a = {.family = SN_ADDRESS_FAMILY_IPV4,
				 .bytes = {10, 0, 0, last}};
	return a;
}

TEST(an_answer_is_used_within_its_ttl_and_not_after)
{
	struct flow_address a = v4(1), got;

	dns_cache_init(&c);
	dns_cache_put(&c, "bench.test", &a, 60, 100 * S);
	CHECK(dns_cache_get(&c, "bench.test", 159 * S, &got));
	CHECK(memcmp(&got, &a, sizeof(a)) == 0);
	CHECK(!dns_cache_get(&c, "other.test", 159 * S, &got));
	CHECK(!dns_cache_get(&c, "bench.test", 160 * S, &got));
	/* Gone for good once expired. */
	CHECK(!dns_cache_get(&c, "bench.test", 100 * S, &got));
}

TEST(no_answer_is_kept_past_the_bound_nor_with_ttl_0)
{
	struct flow_address a = v4(1), none = {0}, got;

	dns_cache_init(&c);
	dns_cache_put(&c, "zero.test", &a, 0, 0);
	CHECK(!dns_cache_get(&c, "zero.test", 0, &got));
	dns_cache_put(&c, "none.test", &none, 60, 0);
	CHECK(!dns_cache_get(&c, "none.test", 0, &got));
	dns_cache_put(&c, "long.test", &a, 86400, 0);
	CHECK(dns_cache_get(&c, "long.test", (DNS_CACHE_MAX_TTL_S - 1) * S,
			    &got));
	CHECK(!dns_cache_get(&c, "long.test", DNS_CACHE_MAX_TTL_S * S, &got));
}

TEST(a_full_cache_gives_up_the_entry_used_least_lately)
{
	struct flow_address got;
	char host[32];

	dns_cache_init(&c);
	for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++) {
		struct flow_address a = v4((uint8_t)i);

		snprintf(host, sizeof(host), "h%u.test", i);
		dns_cache_put(&c, host, &a, 60, i);
	}
	/* h0 is used again; h1 is now the least lately used. */
	CHECK(dns_cache_get(&c, "h0.test", 1000, &got));
	struct flow_address a = v4(200);
	dns_cache_put(&c, "new.test", &a, 60, 1001);
	CHECK(dns_cache_get(&c, "new.test", 1002, &got));
	CHECK(dns_cache_get(&c, "h0.test", 1003, &got));
	CHECK(!dns_cache_get(&c, "h1.test", 1004, &got));
	CHECK(dns_cache_get(&c, "h2.test", 1005, &got));
}

TEST(a_connect_to_a_known_name_goes_straight_to_its_port)
{
	struct flow f;
	struct flow_target t = {.protocol = SN_PROTOCOL_TCP,
				.host = "bench.test",
				.host_len = 10,
				.port = 7101};
	struct flow_address a = v4(1), none = {0};
	struct flow_action first = flow_start_connect(&f, "app", &t, true);

	CHECK_EQ_INT(first.what, FLOW_DO_GET_DNS_SERVER);
	CHECK_EQ_INT(flow_known_address(&f, &none).what,
		     FLOW_DO_GET_DNS_SERVER);
	CHECK_EQ_INT(flow_known_address(&f, &a).what, FLOW_DO_PICK_PORT);
	CHECK(memcmp(&f.remote, &a, sizeof(a)) == 0);
	/* Only at the start of a connect by name. */
	CHECK_EQ_INT(flow_known_address(&f, &a).what, FLOW_DO_NOTHING);
}

int
main(void)
{
	RUN(an_answer_is_used_within_its_ttl_and_not_after);
	RUN(no_answer_is_kept_past_the_bound_nor_with_ttl_0);
	RUN(a_full_cache_gives_up_the_entry_used_least_lately);
	RUN(a_connect_to_a_known_name_goes_straight_to_its_port);
	HARNESS_EXIT();
}
