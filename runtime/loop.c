#include "loop.h"

#include <assert.h>
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Long enough to catch a reply from a peer running on the other core
 * (a call's round trip is under 2 us), short enough not to take the core
 * from the peers that would send it: on a 2-core machine a bulk transfer
 * keeps four processes busy (the kernel's peer, the Firewall, TCPIP, the
 * application), and at 20 us their spinning took a fifth of TCPIP's and
 * the application's samples, and 0.1-0.2 of the kernel's throughput. */
#define DEFAULT_SPIN_NS 5000u

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Message buffers and channel state belong to the loop's thread.  The
 * check costs a system call per turn of the loop, so only debug builds
 * (the sanitizer build among them) make it. */
#ifdef SEALNET_DEBUG
#define ASSERT_OWNER(l) assert(gettid() == (l)->owner)
#else
#define ASSERT_OWNER(l) ((void)(l))
#endif

int
sn_loop_init(struct sn_loop *l)
{
	const char *spin = getenv("SEALNET_SPIN_NS");

	memset(l, 0, sizeof(*l));
	l->spin_ns = spin ? strtoull(spin, NULL, 10) : DEFAULT_SPIN_NS;
	l->owner = gettid();
	l->next_timer_id = 1;
	return 0;
}

static struct sn_loop_channel *
find_channel(struct sn_loop *l, const struct sn_channel *ch)
{
	for (unsigned i = 0; i < l->nchannels; i++)
		if (l->channels[i].ch == ch)
			return &l->channels[i];
	return NULL;
}

int
sn_loop_add_channel(struct sn_loop *l, struct sn_channel *ch, sn_channel_cb cb,
		    void *ctx)
{
	ASSERT_OWNER(l);
	if (find_channel(l, ch) != NULL)
		return -EEXIST;
	if (l->nchannels >= SN_LOOP_MAX_CHANNELS)
		return -ENOSPC;
	l->channels[l->nchannels++] =
	    (struct sn_loop_channel){.ch = ch, .cb = cb, .ctx = ctx};
	return 0;
}

int
sn_loop_remove_channel(struct sn_loop *l, struct sn_channel *ch)
{
	struct sn_loop_channel *lc = find_channel(l, ch);

	ASSERT_OWNER(l);
	if (lc == NULL)
		return -ENOENT;
	*lc = l->channels[--l->nchannels];
	return 0;
}

void
sn_loop_pause_channel(struct sn_loop *l, struct sn_channel *ch, bool paused)
{
	struct sn_loop_channel *lc = find_channel(l, ch);

	if (lc != NULL)
		lc->paused = paused;
}

int
sn_loop_add_fd(struct sn_loop *l, int fd, short events, sn_fd_cb cb, void *ctx)
{
	ASSERT_OWNER(l);
	if (l->nfds >= SN_LOOP_MAX_FDS)
		return -ENOSPC;
	l->fds[l->nfds++] = (struct sn_loop_fd){fd, events, cb, ctx};
	return 0;
}

int
sn_loop_remove_fd(struct sn_loop *l, int fd)
{
	ASSERT_OWNER(l);
	for (unsigned i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->nfds];
			return 0;
		}
	return -ENOENT;
}

int
sn_loop_add_timer(struct sn_loop *l, uint64_t deadline_ns, sn_timer_cb cb,
		  void *ctx)
{
	ASSERT_OWNER(l);
	for (unsigned i = 0; i < SN_LOOP_MAX_TIMERS; i++) {
		struct sn_loop_timer *t = &l->timers[i];

		if (t->id != 0)
			continue;
		t->deadline_ns = deadline_ns;
		t->cb = cb;
		t->ctx = ctx;
		t->id = l->next_timer_id;
		if (l->ntimers++ == 0 || deadline_ns < l->earliest_ns)
			l->earliest_ns = deadline_ns;
		/* Ids are never 0 and not reused soon, so a stale cancel
		 * cannot hit a newer timer in the same slot. */
		l->next_timer_id =
		    l->next_timer_id == INT32_MAX ? 1 : l->next_timer_id + 1;
		return t->id;
	}
	return -ENOSPC;
}

int
sn_loop_cancel_timer(struct sn_loop *l, int id)
{
	ASSERT_OWNER(l);
	for (unsigned i = 0; i < SN_LOOP_MAX_TIMERS; i++)
		if (id > 0 && l->timers[i].id == id) {
			l->timers[i].id = 0;
			/* earliest_ns stays a lower bound. */
			l->ntimers--;
			return 0;
		}
	return -ENOENT;
}

void
sn_loop_stop(struct sn_loop *l)
{
	l->stopping = true;
}

static uint64_t next_timer(const struct sn_loop *l);

/* Runs due timers in deadline order; returns how many ran. */
static int
run_timers(struct sn_loop *l, uint64_t now)
{
	int ran = 0;

	if (l->ntimers == 0 || now < l->earliest_ns)
		return 0;
	for (;;) {
		struct sn_loop_timer *due = NULL;

		for (unsigned i = 0; i < SN_LOOP_MAX_TIMERS; i++) {
			struct sn_loop_timer *t = &l->timers[i];

			if (t->id != 0 && t->deadline_ns <= now &&
			    (due == NULL || t->deadline_ns < due->deadline_ns))
				due = t;
		}
		if (due == NULL) {
			l->earliest_ns = next_timer(l);
			return ran;
		}
		due->id = 0;
		l->ntimers--;
		due->cb(due->ctx);
		ran++;
	}
}

static uint64_t
next_timer(const struct sn_loop *l)
{
	uint64_t next = 0;

	if (l->ntimers == 0)
		return 0;
	for (unsigned i = 0; i < SN_LOOP_MAX_TIMERS; i++) {
		const struct sn_loop_timer *t = &l->timers[i];

		if (t->id != 0 && (next == 0 || t->deadline_ns < next))
			next = t->deadline_ns;
	}
	return next;
}

/* A channel's callback runs when there is something to read (unless the
 * channel is paused) or when a send it refused for want of space would
 * fit now, paused or not: the callback or the turn's end retries it. */
static bool
channel_ready(const struct sn_loop_channel *lc)
{
	return (!lc->paused && sn_channel_readable(lc->ch)) ||
	       sn_channel_room_came(lc->ch);
}

/* Whether a wake-up through the channel must end a sleep. */
static bool
channel_watched(const struct sn_loop_channel *lc)
{
	return !lc->paused || lc->ch->room_wanted != 0;
}

static int
run_channels(struct sn_loop *l)
{
	int ran = 0;

	/* A callback may remove its channel: walk backwards. */
	for (unsigned i = l->nchannels; i-- > 0;) {
		struct sn_loop_channel lc = l->channels[i];

		if (channel_ready(&lc)) {
			sn_channel_room_taken(lc.ch);
			lc.cb(lc.ctx, lc.ch);
			ran++;
		}
	}
	return ran;
}

static bool
any_readable(const struct sn_loop *l)
{
	for (unsigned i = 0; i < l->nchannels; i++)
		if (channel_ready(&l->channels[i]))
			return true;
	return false;
}

static void
set_sleep(struct sn_loop *l, enum sn_channel_sleep how)
{
	for (unsigned i = 0; i < l->nchannels; i++)
		sn_channel_set_sleep(l->channels[i].ch, how);
}

static struct timespec
abs_timespec(uint64_t ns)
{
	return (struct timespec){(time_t)(ns / 1000000000u),
				 (long)(ns % 1000000000u)};
}

/* Sleeps until a doorbell rings or wake_ns (0: none). */
static void
sleep_futex(struct sn_loop *l, uint64_t wake_ns)
{
	struct waitv w[SN_LOOP_MAX_CHANNELS];
	unsigned channel_of[SN_LOOP_MAX_CHANNELS];
	struct timespec ts = abs_timespec(wake_ns);
	unsigned n = 0;

	/* Doorbell values are taken before announcing sleep and before the
	 * last look at the rings, so a ring in between fails the wait. */
	for (unsigned i = 0; i < l->nchannels; i++) {
		_Atomic uint32_t *bell;

		if (!channel_watched(&l->channels[i]))
			continue;
		bell = sn_channel_doorbell(l->channels[i].ch);
		channel_of[n] = i;
		w[n++] = (struct waitv){.val = atomic_load(bell),
					.uaddr = (uintptr_t)bell,
					.flags = FUTEX2_SIZE_U32};
	}
	set_sleep(l, SN_CHANNEL_SLEEP_FUTEX);
	if (!any_readable(l)) {
		if (n > 0) {
			long woken =
			    syscall(SYS_futex_waitv, w, n, 0,
				    wake_ns ? &ts : NULL, CLOCK_MONOTONIC);

			/* The index of the doorbell that was rung. */
			if (woken >= 0 && (unsigned long)woken < n)
				sn_channel_woke_idle(
				    l->channels[channel_of[woken]].ch);
		} else if (wake_ns)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
		else
			pause();
	}
	set_sleep(l, SN_CHANNEL_AWAKE);
}

/* Sleeps in ppoll on the descriptors and the channels' eventfds, and
 * dispatches ready descriptors. */
static int
sleep_poll(struct sn_loop *l, uint64_t wake_ns, bool block)
{
	struct pollfd p[SN_LOOP_MAX_FDS + SN_LOOP_MAX_CHANNELS];
	struct sn_channel *woke[SN_LOOP_MAX_CHANNELS];
	struct sn_loop_fd fds[SN_LOOP_MAX_FDS];
	unsigned nfds = l->nfds, n = 0;
	struct timespec ts = {0, 0};
	int ran = 0;

	memcpy(fds, l->fds, sizeof(fds[0]) * nfds);
	for (unsigned i = 0; i < nfds; i++)
		p[n++] = (struct pollfd){fds[i].fd, fds[i].events, 0};
	if (block) {
		for (unsigned i = 0; i < l->nchannels; i++)
			if (channel_watched(&l->channels[i])) {
				woke[n - nfds] = l->channels[i].ch;
				p[n++] = (struct pollfd){
				    l->channels[i].ch->eventfd_self, POLLIN, 0};
			}
		set_sleep(l, SN_CHANNEL_SLEEP_EVENTFD);
		if (any_readable(l)) {
			block = false;
		} else if (wake_ns) {
			uint64_t now = sn_now_ns();
			ts = abs_timespec(wake_ns > now ? wake_ns - now : 0);
		}
	}
	if (ppoll(p, n, block && !wake_ns ? NULL : &ts, NULL) > 0) {
		for (unsigned i = nfds; i < n; i++)
			if (p[i].revents) {
				uint64_t drain;
				if (read(p[i].fd, &drain, sizeof(drain)) < 0)
					continue;
				sn_channel_woke_idle(woke[i - nfds]);
			}
		for (unsigned i = 0; i < nfds; i++)
			if (p[i].revents) {
				fds[i].cb(fds[i].ctx, fds[i].fd, p[i].revents);
				ran++;
			}
	}
	if (block)
		set_sleep(l, SN_CHANNEL_AWAKE);
	return ran;
}

/* Waits, spinning first, until a channel is readable or wake_ns passes.
 * With descriptors, sleeps in ppoll and dispatches the ready ones. */
static int
wait_ready(struct sn_loop *l, uint64_t wake_ns)
{
	uint64_t spin_until = sn_now_ns() + l->spin_ns;

	if (wake_ns && wake_ns < spin_until)
		spin_until = wake_ns;
	while (!any_readable(l) && sn_now_ns() < spin_until)
		cpu_relax();
	if (any_readable(l))
		return 0;
	if (l->nfds > 0)
		return sleep_poll(l, wake_ns, true);
	sleep_futex(l, wake_ns);
	return 0;
}

int
sn_loop_wait(struct sn_loop *l, uint64_t deadline_ns)
{
	ASSERT_OWNER(l);
	if (l->nfds > 0)
		return -EINVAL; /* it would have to dispatch descriptors */
	wait_ready(l, deadline_ns);
	return deadline_ns && sn_now_ns() >= deadline_ns ? -ETIMEDOUT : 0;
}

int
sn_loop_dispatch_ready(struct sn_loop *l)
{
	int ran;

	ASSERT_OWNER(l);
	if (l->stopping)
		return -ECANCELED;
	ran = run_timers(l, sn_now_ns()) + run_channels(l);
	/* As in run_once: descriptors are looked at when nothing else was
	 * ready, which saves a system call on a busy turn. */
	if (l->nfds > 0 && ran == 0)
		ran = sleep_poll(l, 0, false);
	return ran;
}

int
sn_loop_run_once(struct sn_loop *l, uint64_t deadline_ns)
{
	ASSERT_OWNER(l);
	for (;;) {
		uint64_t now = sn_now_ns(), wake_ns;
		int ran;

		if (l->stopping)
			return -ECANCELED;
		ran = run_timers(l, now) + run_channels(l);
		if (l->nfds > 0 && ran == 0)
			ran = sleep_poll(l, 0, false);
		if (ran > 0)
			return ran;
		if (deadline_ns && now >= deadline_ns)
			return -ETIMEDOUT;
		wake_ns = next_timer(l);
		if (deadline_ns && (wake_ns == 0 || deadline_ns < wake_ns))
			wake_ns = deadline_ns;
		if (wait_ready(l, wake_ns) > 0)
			return 1;
	}
}

int
sn_loop_run(struct sn_loop *l)
{
	int rc;

	while ((rc = sn_loop_run_once(l, 0)) >= 0 || rc == -ETIMEDOUT)
		;
	l->stopping = false;
	return rc == -ECANCELED ? 0 : rc;
}
