/* Restart decisions: policy, backoff and the crash-loop bound. */
#include "restart.h"

#include <string.h>

void
restart_history_init(struct restart_history *h)
{
	memset(h, 0, sizeof(*h));
	h->delay_ns = RESTART_BASE_DELAY_NS;
}

static unsigned
restarts_within_window(const struct restart_history *h, uint64_t now_ns)
{
	unsigned kept = h->count < RESTART_HISTORY ? h->count : RESTART_HISTORY;
	unsigned n = 0;

	for (unsigned i = 0; i < kept; i++)
		n += now_ns - h->at[i] < RESTART_WINDOW_NS;
	return n;
}

struct restart_plan
restart_decide(struct restart_history *h, enum image_restart policy,
	       unsigned max_per_window, bool failed, bool was_ready,
	       uint64_t now_ns)
{
	struct restart_plan plan = {RESTART_NOT_NEEDED, 0, 0};

	if (policy == RESTART_NEVER ||
	    (policy == RESTART_ON_FAILURE && !failed))
		return plan;
	plan.recent = restarts_within_window(h, now_ns);
	if (plan.recent >= max_per_window) {
		plan.verdict = RESTART_CRASH_LOOP;
		return plan;
	}
	if (was_ready)
		h->delay_ns = RESTART_BASE_DELAY_NS;
	else if (h->delay_ns < RESTART_MAX_DELAY_NS / 2)
		h->delay_ns *= 2;
	else
		h->delay_ns = RESTART_MAX_DELAY_NS;
	plan.verdict = RESTART_AFTER;
	plan.delay_ns = h->delay_ns;
	return plan;
}

void
restart_record(struct restart_history *h, uint64_t now_ns)
{
	h->at[h->count % RESTART_HISTORY] = now_ns;
	h->count++;
}
