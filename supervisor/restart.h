/*
 * When a compartment that died is started again.  A pure core: the
 * caller keeps the history and passes the time in.
 *
 * Backoff punishes failing to start, not crashing in service: an
 * incarnation that said it was ready and then died is restarted after
 * RESTART_BASE_DELAY_NS; one that died before it was ready waits twice
 * as long as the previous restart did, up to RESTART_MAX_DELAY_NS.  The
 * image's limit on restarts within RESTART_WINDOW_NS bounds a crash loop
 * either way: at the limit, the compartment is given up on.
 */
#ifndef SEALNET_RESTART_H
#define SEALNET_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "bounds.h"
#include "image.h"

struct restart_history {
	uint64_t at[RESTART_HISTORY]; /* times of restarts, a ring */
	unsigned count;		      /* restarts ever */
	uint64_t delay_ns;	      /* the delay the last restart waited */
};

enum restart_verdict {
	RESTART_NOT_NEEDED, /* the policy does not restart this death */
	RESTART_AFTER,	    /* restart after delay_ns */
	RESTART_CRASH_LOOP, /* the image's limit is reached: give up */
};

struct restart_plan {
	enum restart_verdict verdict;
	uint64_t delay_ns;
	unsigned recent; /* restarts within the window, for the log */
};

void restart_history_init(struct restart_history *h);

/* What to do about a death.  failed: not a clean exit with status 0;
 * was_ready: the incarnation had said it was ready. */
struct restart_plan restart_decide(struct restart_history *h,
				   enum image_restart policy,
				   unsigned max_per_window, bool failed,
				   bool was_ready, uint64_t now_ns);

/* Records that a restart happened now. */
void restart_record(struct restart_history *h, uint64_t now_ns);

#endif
