/*
 * network_start asks NetAPI through network_host_get, so a compartment
 * must import that export too.  Without the import it must say so and
 * send nothing, rather than wait out its timeout or let NetAPI refuse a
 * call the application never made.
 */
#include <string.h>

#include <sealnet/sealnet.h>

#include "harness.h"
#include "sdk_harness.h"

SEALNET_COMPARTMENT("no_host_get");
SEALNET_IMPORT(network_socket_connect_tcp);

static struct fake_peer netapi = {.name = "NetAPI"};
static char log_text[4096];

TEST(network_start_without_network_host_get_says_why)
{
	static _Alignas(8) uint8_t sent[SN_CHANNEL_MAX_MESSAGE];
	uint64_t t0;
	int rc;

	CHECK(fake_supervisor_boot("no_host_get", &netapi, 1) >= 0);
	CHECK_EQ_INT(sealnet_start(), 0);
	CHECK_EQ_INT(fake_peer_attach(&netapi), 0);
	t0 = sealnet_now_ns();
	log_capture_begin();
	rc = network_start(10 * SEALNET_SECOND);
	log_capture_end(log_text, sizeof(log_text));
	CHECK_EQ_INT(rc, -EPERM);
	CHECK(documented("network.h", "network_start", rc));
	/* At once, not after the timeout. */
	CHECK(sealnet_now_ns() - t0 < SEALNET_SECOND);
	CHECK(strstr(log_text, "network_start calls network_host_get"));
	CHECK(strstr(log_text, "declare SEALNET_IMPORT(network_host_get)"));
	/* Nothing reached NetAPI. */
	CHECK_EQ_INT(sn_channel_receive(&netapi.end, sent, sizeof(sent)),
		     -EAGAIN);
}

TEST(network_host_get_without_its_import_is_refused)
{
	sealnet_host_info info;

	CHECK_EQ_INT(network_host_get(SEALNET_SECOND, &info), -EPERM);
	CHECK(documented("network.h", "network_host_get", -EPERM));
}

int
main(void)
{
	RUN(network_start_without_network_host_get_says_why);
	RUN(network_host_get_without_its_import_is_refused);
	HARNESS_EXIT();
}
