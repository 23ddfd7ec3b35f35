/*
 * What a compartment does with the control messages the supervisor sends
 * it: the boot message and each peer's restart.  A peer that restarts
 * many times must not leave its predecessors' descriptors behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "harness.h"

static _Alignas(8) uint8_t msg[4096];

static unsigned
open_descriptors(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static uint32_t
peer_named(sn_builder *b, const char *name)
{
	uint32_t p = sn_boot_peer_start(b);

	sn_boot_peer_add_name(b, p, name, strlen(name));
	sn_boot_peer_add_side(b, p, 0);
	return p;
}

static size_t
boot_message(void)
{
	sn_builder b;
	uint32_t m, boot, peers;
	size_t len;

	sn_builder_init(&b, msg, sizeof(msg));
	m = sn_message_start(&b);
	sn_message_add_call_id(&b, m, 1);
	sn_message_add_call_type(&b, m, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, m, SN_EXPORT_COMPARTMENT_BOOT);
	boot = sn_boot_start(&b);
	sn_boot_add_compartment(&b, boot, "survivor", 8);
	sn_boot_add_incarnation(&b, boot, 1);
	peers = sn_boot_start_peers(&b, boot, 1);
	sn_builder_set_table_at(&b, peers, 0, peer_named(&b, "crasher"));
	sn_message_add_body(&b, m, SN_BODY_BOOT, boot);
	return sn_builder_finish(&b, m, &len) < 0 ? 0 : len;
}

static size_t
restart_message(uint32_t incarnation)
{
	sn_builder b;
	uint32_t m, body;
	size_t len;

	sn_builder_init(&b, msg, sizeof(msg));
	m = sn_message_start(&b);
	sn_message_add_call_id(&b, m, incarnation);
	sn_message_add_call_type(&b, m, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, m, SN_EXPORT_COMPARTMENT_PEER_RESTARTED);
	body = sn_peer_restarted_start(&b);
	sn_peer_restarted_add_incarnation(&b, body, incarnation);
	sn_peer_restarted_add_peer(&b, body, peer_named(&b, "crasher"));
	sn_message_add_body(&b, m, SN_BODY_PEER_RESTARTED, body);
	return sn_builder_finish(&b, m, &len) < 0 ? 0 : len;
}

static int
send_with_channel(struct sn_compartment *c, size_t len)
{
	struct sn_channel_fds fds;
	int rc = sn_channel_create(4096, &fds);

	if (rc < 0)
		return rc;
	/* The message takes the descriptors, applied or refused. */
	return sn_control_message(
	    c, msg, len, (int[]){fds.shm, fds.eventfd[0], fds.eventfd[1]}, 3);
}

TEST(two_hundred_restarts_of_a_peer_leave_no_descriptor_behind)
{
	static struct sn_compartment c;
	unsigned booted, after;

	CHECK_EQ_INT(sn_compartment_init(&c, "booting", NULL, 0, NULL), 0);
	CHECK_EQ_INT(send_with_channel(&c, boot_message()), 0);
	booted = open_descriptors();
	/* Each restart is logged; 200 such lines say nothing here. */
	int saved = dup(2), quiet = open("/dev/null", O_WRONLY);
	dup2(quiet, 2);
	close(quiet);
	int rc = 0;
	for (uint32_t i = 2; i < 202 && rc == 0; i++)
		rc = send_with_channel(&c, restart_message(i));
	dup2(saved, 2);
	close(saved);
	CHECK_EQ_INT(rc, 0);
	after = open_descriptors();
	printf("  descriptors after boot: %u, after 200 restarts: %u\n", booted,
	       after);
	CHECK_EQ_INT(after, booted);
	CHECK(sn_compartment_peer(&c, "crasher") != NULL);
}

TEST(a_refused_message_closes_its_descriptors)
{
	static struct sn_compartment c;
	unsigned before;

	CHECK_EQ_INT(sn_compartment_init(&c, "booting", NULL, 0, NULL), 0);
	before = open_descriptors();
	/* A restart for a peer this compartment was never given. */
	CHECK_EQ_INT(send_with_channel(&c, restart_message(2)), -EINVAL);
	CHECK_EQ_INT(open_descriptors(), before);
	/* A boot message that comes with too few descriptors. */
	size_t len = boot_message();
	int fds[2] = {dup(0), dup(0)};
	CHECK_EQ_INT(sn_control_message(&c, msg, len, fds, 2), -EINVAL);
	CHECK_EQ_INT(open_descriptors(), before);
}

int
main(void)
{
	RUN(two_hundred_restarts_of_a_peer_leave_no_descriptor_behind);
	RUN(a_refused_message_closes_its_descriptors);
	HARNESS_EXIT();
}
