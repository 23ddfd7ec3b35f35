/*
 * Channels between two ends in one process: messages of every size
 * intact, bounds kept, and a hostile peer's writes to the shared ring
 * unable to make us read or write outside it (channel_process_test takes
 * the ends apart).
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "channel_shm.h"
#include "handle.h"
#include "harness.h"
#include "loop.h"
#include "schema_hash.h"
#include "sealnet_msg.h"

static _Alignas(8) uint8_t buf[1 << 17];

struct pair {
	struct sn_channel_fds fds;
	struct sn_channel a, b;
};

static int
pair_open(struct pair *p, uint32_t ring)
{
	char err[256];

	if (sn_channel_create(ring, &p->fds) < 0 ||
	    sn_channel_attach(&p->a, &p->fds, 0, "b") < 0 ||
	    sn_channel_attach(&p->b, &p->fds, 1, "a") < 0)
		return -1;
	/* Both in one process: publish b's hash first, then open a. */
	atomic_store(&p->b.shm->side[1].ready, 1);
	memcpy(p->b.shm->side[1].schema_hash,
	       (uint8_t[])SEALNET_SCHEMA_SHA256_BYTES, SN_SHM_HASH_BYTES);
	return sn_channel_open(&p->a, sn_now_ns() + 1000 * SN_MS, err,
			       sizeof(err));
}

static void
pair_close(struct pair *p)
{
	sn_channel_detach(&p->a);
	sn_channel_detach(&p->b);
	sn_channel_fds_close(&p->fds);
}

TEST(messages_of_every_size_wrap_intact)
{
	struct pair p;
	uint32_t sent = 0, got = 0;

	CHECK_EQ_INT(pair_open(&p, 4096), 0);
	/* Sizes 0..2000 in a 4 KiB ring: every wrap position is crossed. */
	for (uint32_t size = 0; size <= 2000; size += 7) {
		ssize_t n;

		for (uint32_t i = 0; i < size; i++)
			buf[i] = (uint8_t)(size + i);
		CHECK_EQ_INT(sn_channel_send(&p.a, buf, size), 0);
		sent++;
		memset(buf, 0, size);
		n = sn_channel_receive(&p.b, buf, sizeof(buf));
		CHECK_EQ_INT(n, size);
		for (uint32_t i = 0; i < size; i++)
			CHECK_EQ_INT(buf[i], (uint8_t)(size + i));
		got++;
	}
	CHECK_EQ_INT(got, sent);
	CHECK_EQ_INT(sn_channel_receive(&p.b, buf, sizeof(buf)), -EAGAIN);
	pair_close(&p);
}

TEST(full_ring_refuses_and_loses_nothing)
{
	struct pair p;
	uint32_t sent = 0;
	int rc;

	CHECK_EQ_INT(pair_open(&p, 4096), 0);
	while ((rc = sn_channel_send(&p.a, &sent, sizeof(sent))) == 0)
		sent++;
	CHECK_EQ_INT(rc, -EAGAIN);
	CHECK(sent > 100);
	CHECK_EQ_INT(p.a.stats.full, 1);
	for (uint32_t i = 0; i < sent; i++) {
		uint32_t v = ~0u;
		CHECK_EQ_INT(sn_channel_receive(&p.b, &v, sizeof(v)), 4);
		CHECK_EQ_INT(v, i);
	}
	/* Space is back once consumed. */
	CHECK_EQ_INT(sn_channel_send(&p.a, &sent, sizeof(sent)), 0);
	pair_close(&p);
}

TEST(oversized_message_is_refused)
{
	struct pair p;

	CHECK_EQ_INT(pair_open(&p, 4096), 0);
	CHECK_EQ_INT(sn_channel_send(&p.a, buf, 4096), -EMSGSIZE);
	CHECK_EQ_INT(sn_channel_send(&p.a, buf, 100), 0);
	CHECK_EQ_INT(sn_channel_receive(&p.b, buf, 50), -ENOBUFS);
	CHECK_EQ_INT(sn_channel_receive(&p.b, buf, 100), 100);
	pair_close(&p);
}

/* Hostile producers: each writes something impossible. */
static int
receive_after(void (*tamper)(struct pair *p))
{
	struct pair p;
	ssize_t n;

	if (pair_open(&p, 4096) < 0)
		return 0;
	sn_channel_send(&p.a, "abcdefgh", 8);
	tamper(&p);
	n = sn_channel_receive(&p.b, buf, sizeof(buf));
	/* Broken for good, counted, and further sends refused. */
	int ok = n == -EBADMSG && p.b.stats.rejected == 1 &&
		 sn_channel_receive(&p.b, buf, sizeof(buf)) == -EBADMSG &&
		 sn_channel_send(&p.b, "x", 1) == -EPIPE;
	pair_close(&p);
	return ok;
}

static void
tail_beyond_ring(struct pair *p)
{
	atomic_store(&p->a.shm->side[0].tail, 4096 + 8);
}
static void
tail_misaligned(struct pair *p)
{
	atomic_store(&p->a.shm->side[0].tail, 12);
}
static void
length_beyond_available(struct pair *p)
{
	uint32_t len = 64;
	memcpy(p->a.tx_ring, &len, 4);
}
static void
length_beyond_max(struct pair *p)
{
	uint32_t len = 0xfffffff0u;
	memcpy(p->a.tx_ring, &len, 4);
}
static void
wrap_marker_beyond_tail(struct pair *p)
{
	uint32_t len = SN_SHM_WRAP;
	memcpy(p->a.tx_ring, &len, 4);
}

TEST(hostile_producer_breaks_the_channel)
{
	CHECK(receive_after(tail_beyond_ring));
	CHECK(receive_after(tail_misaligned));
	CHECK(receive_after(length_beyond_available));
	CHECK(receive_after(length_beyond_max));
	CHECK(receive_after(wrap_marker_beyond_tail));
}

TEST(hostile_consumer_cannot_make_us_overwrite)
{
	struct pair p;

	CHECK_EQ_INT(pair_open(&p, 4096), 0);
	CHECK_EQ_INT(sn_channel_send(&p.a, "abcdefgh", 8), 0);
	/* The consumer claims to have read more than was ever written. */
	atomic_store(&p.b.shm->side[1].head, 4096 * 3);
	CHECK_EQ_INT(sn_channel_send(&p.a, "abcdefgh", 8), -EPIPE);
	CHECK_EQ_INT(p.a.stats.rejected, 1);
	pair_close(&p);
}

/* A hostile peer that rewrites the record it sent the moment receive has
 * copied it: every byte, so the message no longer verifies and its
 * payload reads "tampered". */
static unsigned tamper_count;

static void
tamper(struct sn_channel *ch, uint32_t pos, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		ch->rx_ring[pos + i] = (uint8_t) "tampered"[i % 8];
	tamper_count++;
}

TEST(received_copy_is_immune_to_later_writes)
{
	static _Alignas(8) uint8_t msg[256], got[256];
	struct pair p;
	sn_builder b;
	sn_message_ref m;
	sn_verify_error err;
	uint32_t root, body, n;
	size_t len;
	ssize_t rc;

	sn_builder_init(&b, msg, sizeof(msg));
	root = sn_message_start(&b);
	sn_message_add_call_id(&b, root, 1);
	sn_message_add_call_type(&b, root, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, root, SN_EXPORT_RUNTIME_ECHO);
	body = sn_bytes_start(&b);
	sn_bytes_add_data(&b, body, "original", 8);
	sn_message_add_body(&b, root, SN_BODY_BYTES, body);
	CHECK_EQ_INT(sn_builder_finish(&b, root, &len), 0);

	CHECK_EQ_INT(pair_open(&p, 4096), 0);
	CHECK_EQ_INT(sn_channel_send(&p.a, msg, len), 0);
	tamper_count = 0;
	sn_channel_test_after_copy = tamper;
	rc = sn_channel_receive(&p.b, got, sizeof(got));
	sn_channel_test_after_copy = NULL;
	CHECK_EQ_INT(rc, (ssize_t)len);
	/* The attack was made: the ring now holds the peer's bytes. */
	CHECK_EQ_INT(tamper_count, 1);
	CHECK(memcmp(p.a.tx_ring + SN_SHM_RECORD_HEADER, "tampered", 8) == 0);
	/* What receive handed over is what was sent, and verifies. */
	CHECK(memcmp(got, msg, len) == 0);
	CHECK_EQ_INT(sn_message_verify(got, (size_t)rc, &m, &err), 0);
	const uint8_t *data = sn_bytes_data(sn_message_body_as_bytes(m), &n);
	CHECK(data != NULL && n == 8 && memcmp(data, "original", 8) == 0);
	pair_close(&p);
}

TEST(schema_mismatch_names_both_hashes)
{
	struct pair p;
	char err[256];

	CHECK_EQ_INT(sn_channel_create(4096, &p.fds), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.a, &p.fds, 0, "b"), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.b, &p.fds, 1, "a"), 0);
	memset(p.b.shm->side[1].schema_hash, 0xab, SN_SHM_HASH_BYTES);
	atomic_store(&p.b.shm->side[1].ready, 1);
	CHECK_EQ_INT(
	    sn_channel_open(&p.a, sn_now_ns() + 1000 * SN_MS, err, sizeof(err)),
	    -EPROTO);
	CHECK(strstr(err, SEALNET_SCHEMA_SHA256_HEX) != NULL);
	CHECK(strstr(err, "abababababababababababababababababababababababab"
			  "abababababababab") != NULL);
	pair_close(&p);
}

TEST(open_times_out_without_a_peer)
{
	struct pair p;
	char err[256];

	CHECK_EQ_INT(sn_channel_create(4096, &p.fds), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.a, &p.fds, 0, "nobody"), 0);
	CHECK_EQ_INT(
	    sn_channel_open(&p.a, sn_now_ns() + 20 * SN_MS, err, sizeof(err)),
	    -ETIMEDOUT);
	CHECK(strstr(err, "nobody") != NULL);
	sn_channel_detach(&p.a);
	sn_channel_fds_close(&p.fds);
}

TEST(data_before_the_announcement_breaks_the_channel)
{
	struct pair p;
	uint32_t header[2] = {8, 0};

	CHECK_EQ_INT(sn_channel_create(4096, &p.fds), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.a, &p.fds, 0, "b"), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.b, &p.fds, 1, "a"), 0);
	sn_channel_announce(&p.a);
	/* b never announces, yet writes a record and moves its tail: an
	 * honest peer cannot, and waiting for the announcement would spin
	 * on a channel that always looks readable. */
	memcpy(p.b.tx_ring, header, sizeof(header));
	atomic_store(&p.b.shm->side[1].tail, 16);
	CHECK(sn_channel_readable(&p.a));
	CHECK_EQ_INT(sn_channel_receive(&p.a, buf, sizeof(buf)), -EBADMSG);
	CHECK_EQ_INT(p.a.stats.rejected, 1);
	CHECK(sn_channel_readable(&p.a));
	pair_close(&p);
}

TEST(nothing_to_read_and_not_announced_is_just_empty)
{
	struct pair p;

	CHECK_EQ_INT(sn_channel_create(4096, &p.fds), 0);
	CHECK_EQ_INT(sn_channel_attach(&p.a, &p.fds, 0, "b"), 0);
	CHECK_EQ_INT(sn_channel_receive(&p.a, buf, sizeof(buf)), -EAGAIN);
	CHECK(!sn_channel_readable(&p.a));
	CHECK_EQ_INT(p.a.stats.rejected, 0);
	sn_channel_detach(&p.a);
	sn_channel_fds_close(&p.fds);
}

TEST(channel_memory_can_never_be_executed)
{
	struct sn_channel_fds fds;
	int status;
	pid_t pid;

	CHECK_EQ_INT(sn_channel_create(4096, &fds), 0);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = {"channel", NULL}, *const envp[] = {NULL};

		fexecve(fds.shm, argv, envp);
		_exit(errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	sn_channel_fds_close(&fds);
	/* Refused for want of permission, not for what the bytes are. */
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	RUN(messages_of_every_size_wrap_intact);
	RUN(full_ring_refuses_and_loses_nothing);
	RUN(oversized_message_is_refused);
	RUN(hostile_producer_breaks_the_channel);
	RUN(hostile_consumer_cannot_make_us_overwrite);
	RUN(received_copy_is_immune_to_later_writes);
	RUN(schema_mismatch_names_both_hashes);
	RUN(open_times_out_without_a_peer);
	RUN(data_before_the_announcement_breaks_the_channel);
	RUN(channel_memory_can_never_be_executed);
	RUN(nothing_to_read_and_not_announced_is_just_empty);
	HARNESS_EXIT();
}
