/*
 * The event loop: timers in deadline order, cancelled and re-armed
 * without losing their time, and descriptor callbacks.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "loop.h"

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

int
main(void)
{
	RUN(timers_fire_in_deadline_order_and_cancel);
	RUN(timers_cancelled_first_or_added_while_firing_keep_their_time);
	RUN(descriptor_callbacks_fire);
	HARNESS_EXIT();
}
