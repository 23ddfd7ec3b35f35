/*
 * Which of the SNTP compartment's capabilities are time servers: plain
 * NTP from UDP ones, NTS from TCP ones, and with NTS none of the UDP
 * ones a server of its own; only the UDP capabilities an NTS-KE server
 * may name for its NTP requests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../tests/harness.h"
#include "servers.h"

static struct sn_capability caps[SYNC_MAX_SERVERS + 4];

static void
set(unsigned i, enum sn_capability_kind kind, uint8_t protocol,
    const char *host, uint16_t port)
{
	memset(&caps[i], 0, sizeof(caps[i]));
	caps[i].kind = kind;
	caps[i].protocol = protocol;
	caps[i].port = port;
	snprintf(caps[i].host, sizeof(caps[i].host), "%s", host);
}

TEST(udp_capabilities_are_plain_servers)
{
	struct server_plan plan;

	set(0, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "10.0.0.1", 123);
	set(1, SN_CAPABILITY_BIND, SN_PROTOCOL_UDP, "", 123);
	set(2, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "ntp.test", 123);
	servers_plan(caps, 3, &plan);
	CHECK(!plan.nts_required);
	CHECK_EQ_INT(plan.n, 2);
	CHECK_EQ_INT(plan.cap[0], 0);
	CHECK_EQ_INT(plan.cap[1], 2);
	CHECK_EQ_INT(plan.left_out, 0);
}

/* One TCP capability is enough: the UDP ones are no servers then, so a
 * plain server beside an NTS one is never asked. */
TEST(a_tcp_capability_requires_nts)
{
	struct server_plan plan;

	set(0, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "10.0.0.3", 123);
	set(1, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_TCP, "ntp.test", 4460);
	set(2, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "ntp.test", 123);
	servers_plan(caps, 3, &plan);
	CHECK(plan.nts_required);
	CHECK_EQ_INT(plan.n, 1);
	CHECK_EQ_INT(plan.cap[0], 1);
}

TEST(servers_beyond_the_limit_are_counted_not_used)
{
	struct server_plan plan;
	unsigned n = SYNC_MAX_SERVERS + 3;

	for (unsigned i = 0; i < n; i++)
		set(i, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "10.0.0.1",
		    (uint16_t)(123 + i));
	servers_plan(caps, n, &plan);
	CHECK_EQ_INT(plan.n, SYNC_MAX_SERVERS);
	CHECK_EQ_INT(plan.left_out, 3);
	CHECK_EQ_INT(plan.cap[SYNC_MAX_SERVERS - 1], SYNC_MAX_SERVERS - 1);
}

/* The NTP server an NTS-KE response names is used only through a UDP
 * capability to exactly that host and port. */
TEST(an_ntp_server_is_found_only_as_granted)
{
	set(0, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_TCP, "ntp.test", 4460);
	set(1, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "ntp.test", 123);
	set(2, SN_CAPABILITY_CONNECTION, SN_PROTOCOL_UDP, "other.test", 123);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "ntp.test", 123), 1);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "other.test", 123), 2);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "ntp.test", 4460), -ENOENT);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "ntp.test", 124), -ENOENT);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "evil.test", 123), -ENOENT);
	CHECK_EQ_INT(servers_find_udp(caps, 3, "NTP.test", 123), -ENOENT);
}

int
main(void)
{
	RUN(udp_capabilities_are_plain_servers);
	RUN(a_tcp_capability_requires_nts);
	RUN(servers_beyond_the_limit_are_counted_not_used);
	RUN(an_ntp_server_is_found_only_as_granted);
	HARNESS_EXIT();
}
