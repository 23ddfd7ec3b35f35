/*
 * The event loop: one per compartment, on one thread.  It multiplexes the
 * compartment's channels, file descriptors and timers, and dispatches each
 * to a callback.  All storage is inside struct sn_loop: nothing allocated.
 *
 * Waiting spins briefly, then sleeps: with futex_waitv on the channels'
 * doorbells when the loop has no descriptors, else in ppoll on the
 * descriptors and the channels' eventfds.
 */
#ifndef SEALNET_LOOP_H
#define SEALNET_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "clock.h"

#define SN_LOOP_MAX_CHANNELS 64
#define SN_LOOP_MAX_FDS	     64
#define SN_LOOP_MAX_TIMERS   256

typedef void (*sn_channel_cb)(void *ctx, struct sn_channel *ch);
typedef void (*sn_fd_cb)(void *ctx, int fd, short revents);
typedef void (*sn_timer_cb)(void *ctx);

struct sn_loop_channel {
	struct sn_channel *ch;
	sn_channel_cb cb;
	void *ctx;
	bool paused;
};

struct sn_loop_fd {
	int fd;
	short events;
	sn_fd_cb cb;
	void *ctx;
};

struct sn_loop_timer {
	uint64_t deadline_ns;
	sn_timer_cb cb;
	void *ctx;
	int id; /* 0: free */
};

struct sn_loop {
	struct sn_loop_channel channels[SN_LOOP_MAX_CHANNELS];
	unsigned nchannels;
	struct sn_loop_fd fds[SN_LOOP_MAX_FDS];
	unsigned nfds;
	struct sn_loop_timer timers[SN_LOOP_MAX_TIMERS];
	/* Timers in use, and a deadline no later than the earliest of them:
	 * most turns have nothing due and skip the table. */
	unsigned ntimers;
	uint64_t earliest_ns;
	int next_timer_id;
	uint64_t spin_ns;
	pid_t owner;
	bool stopping;
};

int sn_loop_init(struct sn_loop *l);
int sn_loop_add_channel(struct sn_loop *l, struct sn_channel *ch,
			sn_channel_cb cb, void *ctx);
int sn_loop_remove_channel(struct sn_loop *l, struct sn_channel *ch);
/* A paused channel is neither dispatched nor waited on: the callee's way
 * of not reading a caller that already has enough calls in flight. */
void sn_loop_pause_channel(struct sn_loop *l, struct sn_channel *ch,
			   bool paused);
int sn_loop_add_fd(struct sn_loop *l, int fd, short events, sn_fd_cb cb,
		   void *ctx);
int sn_loop_remove_fd(struct sn_loop *l, int fd);
/* Returns a timer id > 0, or -ENOSPC. */
int sn_loop_add_timer(struct sn_loop *l, uint64_t deadline_ns, sn_timer_cb cb,
		      void *ctx);
int sn_loop_cancel_timer(struct sn_loop *l, int id);

/*
 * Waits until something is ready or deadline_ns (0: no deadline) passes,
 * and dispatches everything ready.  Returns how many callbacks ran,
 * -ETIMEDOUT, or -ECANCELED after sn_loop_stop().
 */
int sn_loop_run_once(struct sn_loop *l, uint64_t deadline_ns);
/* Dispatches whatever is ready now and never waits: due timers, readable
 * channels, ready descriptors.  Returns how many callbacks ran, or
 * -ECANCELED after sn_loop_stop().  For a caller that drives the loop
 * itself, as a fuzz target does. */
int sn_loop_dispatch_ready(struct sn_loop *l);
/* Waits like run_once but dispatches nothing: for a caller that polls
 * one channel itself.  Not for loops with descriptors. */
int sn_loop_wait(struct sn_loop *l, uint64_t deadline_ns);
int sn_loop_run(struct sn_loop *l);
void sn_loop_stop(struct sn_loop *l);

#endif
