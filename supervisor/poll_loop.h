/*
 * The supervisor's loop: one poll over the signalfd and every running
 * compartment's control socket, output pipes and seccomp listener, with
 * a deadline for the next restart, stall or drop report.  It never
 * blocks on a compartment: each descriptor is read only when poll says
 * it is ready.
 */
#ifndef SEALNET_SUPERVISOR_POLL_LOOP_H
#define SEALNET_SUPERVISOR_POLL_LOOP_H

#include "state.h"

/* Turns until SIGTERM or SIGINT arrives. */
void loop_run(struct supervisor *sv);

/* Stops every compartment: SIGTERM, then SIGKILL after STOP_GRACE_NS,
 * each reaped; none is restarted. */
void loop_stop_all(struct supervisor *sv);

#endif
