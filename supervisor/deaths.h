/*
 * Deaths and restarts: killing an incarnation for a reason of ours,
 * reaping it and saying why it died, marking its channels dead at once,
 * and starting it again under the image's policy, with backoff and the
 * crash-loop bound of restart.h.
 */
#ifndef SEALNET_SUPERVISOR_DEATHS_H
#define SEALNET_SUPERVISOR_DEATHS_H

#include "state.h"

/* Kills the running incarnation for a reason of ours; its death is
 * reported, with the reason, when it is reaped.  Only the first reason
 * counts. */
void kill_child(struct supervisor *sv, struct child *ch, enum kill_reason why,
		const char *words);

/* Reaps every child that ended, and decides about each restart. */
void reap_all(struct supervisor *sv);

/* Starts the children whose restart is due; one that cannot be started
 * is given up on. */
void restart_due(struct supervisor *sv);

#endif
