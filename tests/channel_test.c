/*
 * Channels, the event loop and handles: what a compartment relies on when
 * its peer is honest, and what it still gets when the peer is not.
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

/* ---- across processes ---- */

static void
count_received(void *ctx, struct sn_channel *ch)
{
	uint64_t *next = ctx;
	ssize_t n;

	while ((n = sn_channel_receive(ch, buf, sizeof(buf))) >= 0) {
		uint64_t seq;

		/* Each message carries its sequence number and a size
		 * derived from it: a loss, reorder or tear shows. */
		if (n < 9)
			_exit(2);
		memcpy(&seq, buf, 8);
		if (seq != *next || (size_t)n != 9 + seq % 777 ||
		    buf[n - 1] != (uint8_t)seq)
			_exit(3);
		(*next)++;
	}
	if (n == -SEALNET_ECOMPARTMENT)
		_exit(*next == 200000 ? 0 : 4);
	if (n != -EAGAIN)
		_exit(5);
}

static int
stream(bool with_fd)
{
	struct sn_channel_fds fds;
	struct sn_channel ch;
	struct sn_loop loop;
	char err[256];
	int status, pipefd[2];
	pid_t pid;

	if (sn_channel_create(1 << 16, &fds) < 0 || pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		uint64_t next = 0;

		sn_loop_init(&loop);
		/* A descriptor makes the loop sleep in ppoll, not futex. */
		if (with_fd)
			sn_loop_add_fd(&loop, pipefd[0], POLLIN, NULL, NULL);
		if (sn_channel_attach(&ch, &fds, 1, "producer") < 0 ||
		    sn_channel_open(&ch, sn_now_ns() + 5000 * SN_MS, err,
				    sizeof(err)) < 0)
			_exit(1);
		sn_loop_add_channel(&loop, &ch, count_received, &next);
		sn_loop_run(&loop);
		_exit(6);
	}
	sn_channel_attach(&ch, &fds, 0, "consumer");
	if (sn_channel_open(&ch, sn_now_ns() + 5000 * SN_MS, err, sizeof(err)) <
	    0)
		goto fail;
	for (uint64_t seq = 0; seq < 200000; seq++) {
		size_t n = 9 + seq % 777;

		memcpy(buf, &seq, 8);
		buf[n - 1] = (uint8_t)seq;
		/* Every few thousand, pause so the consumer falls asleep
		 * and must be woken. */
		if (seq % 5000 == 0)
			usleep(2000);
		while (sn_channel_send(&ch, buf, n) == -EAGAIN) {
			int rc = sn_channel_wait_writable(
			    &ch, n, sn_now_ns() + 2000 * SN_MS);
			if (rc < 0) {
				printf("  seq %llu: waiting for space: %d\n",
				       (unsigned long long)seq, rc);
				goto fail;
			}
		}
	}
	/* Wait until everything is consumed, then say we are done. */
	while (atomic_load(&ch.shm->side[1].head) != ch.tail)
		usleep(100);
	sn_channel_mark_dead(&fds);
	waitpid(pid, &status, 0);
	sn_channel_detach(&ch);
	sn_channel_fds_close(&fds);
	close(pipefd[0]);
	close(pipefd[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("  consumer: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

TEST(stream_across_processes_futex_wakeups)
{
	CHECK_EQ_INT(stream(false), 0);
}

TEST(stream_across_processes_poll_wakeups)
{
	CHECK_EQ_INT(stream(true), 0);
}

static void
note_breakage(void *ctx, struct sn_channel *ch)
{
	ssize_t *last = ctx;

	*last = sn_channel_receive(ch, buf, sizeof(buf));
}

/* A peer that rings our doorbell (futex and eventfd alike) without ever
 * producing a message. */
static void
ring_for_nothing(struct sn_channel_fds *fds)
{
	struct sn_channel ch;
	uint64_t one = 1;

	if (sn_channel_attach(&ch, fds, 1, "ringer") < 0)
		_exit(1);
	sn_channel_announce(&ch);
	for (;;) {
		atomic_fetch_add(&ch.shm->side[0].doorbell, 1);
		syscall(SYS_futex, &ch.shm->side[0].doorbell, FUTEX_WAKE, 1,
			NULL, NULL, 0);
		if (write(fds->eventfd[0], &one, sizeof(one)) < 0)
			sched_yield();
	}
}

static int
cut_off_after_idle_wakes(bool with_fd)
{
	struct sn_channel_fds fds;
	struct sn_channel ch;
	struct sn_loop loop;
	ssize_t last = 0;
	int status, pipefd[2];
	pid_t pid;

	if (sn_channel_create(4096, &fds) < 0 || pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid == 0)
		ring_for_nothing(&fds);
	sn_loop_init(&loop);
	if (with_fd)
		sn_loop_add_fd(&loop, pipefd[0], POLLIN, NULL, NULL);
	sn_channel_attach(&ch, &fds, 0, "ringer");
	sn_channel_announce(&ch);
	sn_loop_add_channel(&loop, &ch, note_breakage, &last);
	uint64_t end = sn_now_ns() + 10000 * SN_MS;
	while (last != -EBADMSG && sn_now_ns() < end)
		sn_loop_run_once(&loop, end);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("  %s: cut off after %llu idle wake-ups\n",
	       with_fd ? "ppoll" : "futex",
	       (unsigned long long)ch.stats.idle_wakes);
	sn_channel_detach(&ch);
	sn_channel_fds_close(&fds);
	close(pipefd[0]);
	close(pipefd[1]);
	return last == -EBADMSG &&
		       ch.stats.idle_wakes >= SN_CHANNEL_MAX_IDLE_WAKES
		   ? 0
		   : -1;
}

TEST(a_peer_that_wakes_us_for_nothing_is_cut_off_futex)
{
	CHECK_EQ_INT(cut_off_after_idle_wakes(false), 0);
}

TEST(a_peer_that_wakes_us_for_nothing_is_cut_off_ppoll)
{
	CHECK_EQ_INT(cut_off_after_idle_wakes(true), 0);
}

TEST(mark_dead_wakes_a_sleeping_receiver)
{
	struct sn_channel_fds fds;
	struct sn_channel ch;
	struct sn_loop loop;
	char err[256];
	int status;
	pid_t pid;
	uint64_t t0;

	CHECK_EQ_INT(sn_channel_create(4096, &fds), 0);
	pid = fork();
	if (pid == 0) {
		struct sn_channel peer;
		sn_channel_attach(&peer, &fds, 1, "a");
		sn_channel_open(&peer, sn_now_ns() + 5000 * SN_MS, err,
				sizeof(err));
		pause();
		_exit(0);
	}
	sn_loop_init(&loop);
	CHECK_EQ_INT(sn_channel_attach(&ch, &fds, 0, "b"), 0);
	CHECK_EQ_INT(
	    sn_channel_open(&ch, sn_now_ns() + 5000 * SN_MS, err, sizeof(err)),
	    0);
	sn_loop_add_channel(&loop, &ch, NULL, NULL);
	t0 = sn_now_ns();
	if (fork() == 0) {
		usleep(50000);
		kill(pid, SIGKILL);
		sn_channel_mark_dead(&fds);
		_exit(0);
	}
	/* Sleeps on the futex until the parent's mark wakes it. */
	CHECK_EQ_INT(sn_loop_wait(&loop, sn_now_ns() + 5000 * SN_MS), 0);
	CHECK(sn_now_ns() - t0 < 2000 * SN_MS);
	CHECK(sn_channel_readable(&ch));
	CHECK_EQ_INT(sn_channel_receive(&ch, buf, sizeof(buf)),
		     -SEALNET_ECOMPARTMENT);
	CHECK_EQ_INT(sn_channel_send(&ch, "x", 1), -SEALNET_ECOMPARTMENT);
	while (waitpid(-1, &status, 0) > 0)
		;
	sn_channel_detach(&ch);
	sn_channel_fds_close(&fds);
}

/* ---- loop ---- */

static int order[8], norder;

static void
record(void *ctx)
{
	order[norder++] = (int)(intptr_t)ctx;
}

TEST(timers_fire_in_deadline_order_and_cancel)
{
	struct sn_loop loop;
	uint64_t now = sn_now_ns();
	int cancelled;

	sn_loop_init(&loop);
	norder = 0;
	sn_loop_add_timer(&loop, now + 30 * SN_MS, record, (void *)3);
	sn_loop_add_timer(&loop, now + 10 * SN_MS, record, (void *)1);
	cancelled =
	    sn_loop_add_timer(&loop, now + 15 * SN_MS, record, (void *)9);
	sn_loop_add_timer(&loop, now + 20 * SN_MS, record, (void *)2);
	CHECK_EQ_INT(sn_loop_cancel_timer(&loop, cancelled), 0);
	while (norder < 3)
		CHECK(sn_loop_run_once(&loop, now + 1000 * SN_MS) > 0);
	CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
	CHECK(sn_now_ns() - now >= 30 * SN_MS);
	CHECK_EQ_INT(sn_loop_run_once(&loop, sn_now_ns() + 5 * SN_MS),
		     -ETIMEDOUT);
}

static struct sn_loop *rearm_loop;

static void
rearm_sooner(void *ctx)
{
	record(ctx);
	/* Sooner than any timer left: the loop must not skip it. */
	sn_loop_add_timer(rearm_loop, sn_now_ns() + 1 * SN_MS, record,
			  (void *)5);
}

TEST(timers_cancelled_first_or_added_while_firing_keep_their_time)
{
	struct sn_loop loop;
	uint64_t now = sn_now_ns();
	int first;

	sn_loop_init(&loop);
	rearm_loop = &loop;
	norder = 0;
	first = sn_loop_add_timer(&loop, now + 5 * SN_MS, record, (void *)9);
	sn_loop_add_timer(&loop, now + 10 * SN_MS, rearm_sooner, (void *)4);
	sn_loop_add_timer(&loop, now + 200 * SN_MS, record, (void *)6);
	/* The earliest goes; the others keep their deadlines. */
	CHECK_EQ_INT(sn_loop_cancel_timer(&loop, first), 0);
	while (norder < 2)
		CHECK(sn_loop_run_once(&loop, now + 1000 * SN_MS) > 0);
	CHECK(order[0] == 4 && order[1] == 5);
	CHECK(sn_now_ns() - now < 150 * SN_MS);
	while (norder < 3)
		CHECK(sn_loop_run_once(&loop, now + 1000 * SN_MS) > 0);
	CHECK(order[2] == 6);
	CHECK_EQ_INT(loop.ntimers, 0);
}

static void
on_readable_fd(void *ctx, int fd, short revents)
{
	char c;

	if (read(fd, &c, 1) == 1)
		*(char *)ctx = c;
}

TEST(descriptor_callbacks_fire)
{
	struct sn_loop loop;
	char got = 0;
	int p[2];

	CHECK_EQ_INT(pipe(p), 0);
	sn_loop_init(&loop);
	CHECK_EQ_INT(sn_loop_add_fd(&loop, p[0], POLLIN, on_readable_fd, &got),
		     0);
	CHECK(write(p[1], "z", 1) == 1);
	CHECK(sn_loop_run_once(&loop, sn_now_ns() + 1000 * SN_MS) > 0);
	CHECK_EQ_INT(got, 'z');
	close(p[0]);
	close(p[1]);
}

/* ---- handles ---- */

TEST(handles_cannot_be_forged_or_reused)
{
	struct sn_handle_entry entries[4];
	struct sn_handle_table t;
	struct sn_handle_id h, h2, forged;
	void *obj;
	int x = 1, y = 2;

	sn_handle_table_init(&t, entries, 4);
	CHECK_EQ_INT(sn_handle_alloc(&t, 10, &x, &h), 0);
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &h, &obj), 0);
	CHECK(obj == &x);
	/* Another compartment holding the same bits gets nothing. */
	CHECK_EQ_INT(sn_handle_lookup(&t, 11, &h, &obj), -EPERM);
	forged = h;
	forged.tag ^= 1;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	forged = h;
	forged.slot = 4;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	forged.slot = UINT32_MAX;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	/* Released, the slot is reused: the old handle stays dead. */
	CHECK_EQ_INT(sn_handle_release(&t, 10, &h, NULL), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 10, &y, &h2), 0);
	CHECK_EQ_INT(h2.slot, h.slot);
	CHECK(h2.generation != h.generation && h2.tag != h.tag);
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &h, &obj), -EPERM);
	CHECK_EQ_INT(sn_handle_release(&t, 10, &h, NULL), -EPERM);
	CHECK_EQ_INT(t.refused, 6);
}

TEST(handle_table_full_is_enomem)
{
	struct sn_handle_entry entries[2];
	struct sn_handle_table t;
	struct sn_handle_id h;

	sn_handle_table_init(&t, entries, 2);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), -ENOMEM);
}

TEST(a_new_table_refuses_old_handles)
{
	/* A restarted compartment starts a new table: earlier handles,
	 * same slot and generation, are refused for their tag. */
	struct sn_handle_entry a[2], b[2];
	struct sn_handle_table before, after;
	struct sn_handle_id h, fresh;
	void *obj;

	sn_handle_table_init(&before, a, 2);
	sn_handle_table_init(&after, b, 2);
	CHECK_EQ_INT(sn_handle_alloc(&before, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&after, 1, NULL, &fresh), 0);
	CHECK_EQ_INT(fresh.slot, h.slot);
	CHECK_EQ_INT(fresh.generation, h.generation);
	CHECK_EQ_INT(sn_handle_lookup(&after, 1, &h, &obj), -EPERM);
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
	RUN(a_peer_that_wakes_us_for_nothing_is_cut_off_futex);
	RUN(a_peer_that_wakes_us_for_nothing_is_cut_off_ppoll);
	RUN(stream_across_processes_futex_wakeups);
	RUN(stream_across_processes_poll_wakeups);
	RUN(mark_dead_wakes_a_sleeping_receiver);
	RUN(timers_fire_in_deadline_order_and_cancel);
	RUN(timers_cancelled_first_or_added_while_firing_keep_their_time);
	RUN(descriptor_callbacks_fire);
	RUN(handles_cannot_be_forged_or_reused);
	RUN(handle_table_full_is_enomem);
	RUN(a_new_table_refuses_old_handles);
	HARNESS_EXIT();
}
