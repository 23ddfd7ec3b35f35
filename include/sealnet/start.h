/*
 * Starting an application compartment, and its loop.
 *
 * `sealnet run` starts each compartment of an image in its own sandbox
 * and sends it, on a socket it inherits, what the image grants it: the
 * compartments it may call and the channels to them.  sealnet_start()
 * takes that and tells the supervisor the compartment is ready; the
 * compartment's state is the runtime's, one per process.
 *
 *	int main(void)
 *	{
 *		if (sealnet_start() < 0)
 *			return 1;
 *		...calls: network_socket_connect_tcp(...)...
 *		return sealnet_run();
 *	}
 *
 * A compartment serves calls to it (its SEALNET_EXPORTs) and hears of
 * other compartments' restarts only while its loop turns: inside a call
 * that waits for an answer, in sealnet_wait(), or in sealnet_run().  A
 * compartment that has nothing more to do returns from main; its restart
 * policy (SEALNET_RESTART) says whether the supervisor starts it again.
 */
#ifndef SEALNET_START_H
#define SEALNET_START_H

#include <stdint.h>

/* Callbacks each event keeps, the runtime's own included. */
#define SEALNET_MAX_CALLBACKS 4u

/*
 * Boots this compartment from the supervisor's message and reports it
 * ready.  Once per process; a failed start cannot be retried: exit.
 * Errors (each also logged): -EALREADY (started already), -EBADF (not
 * started by `sealnet run`: descriptor 3 is not its control socket),
 * -EPIPE (the supervisor went away first), -EBADMSG (the boot message
 * failed verification), -EMSGSIZE (it was cut short), -EINVAL (it, or
 * this binary's own export records, are malformed), -ENOMEM (a channel
 * could not be mapped).
 */
int sealnet_start(void);

/*
 * Serves calls and the supervisor's messages until the supervisor goes
 * away (it stops a compartment with SIGTERM, which ends the process).
 * Returns 0 then, or -ESRCH if sealnet_start() has not succeeded.
 */
int sealnet_run(void);

/*
 * Serves for timeout_ns, then returns 0: a compartment's sleep.
 * Errors: -ESRCH (sealnet_start() has not succeeded), -ECANCELED (the
 * supervisor went away: the compartment should exit).
 */
int sealnet_wait(uint64_t timeout_ns);

/* 1 for the compartment's first run, one more for each restart; 0 before
 * sealnet_start(). */
uint32_t sealnet_incarnation(void);

/* The compartment's name, as the image gives it; NULL before
 * sealnet_start(). */
const char *sealnet_compartment_name(void);

/* Told the name of another compartment of the image. */
typedef void (*sealnet_compartment_fn)(void *ctx, const char *compartment);

/*
 * fn(ctx, name) runs when a compartment this one is joined to dies
 * (calls to it in flight have already failed with -ENOTRECOVERABLE), or
 * when its successor has joined after a restart (handles from before it
 * are gone).  Each runs inside the loop, so it may call other
 * compartments.  Up to SEALNET_MAX_CALLBACKS of each, called in the
 * order they were registered.
 * Errors: -ESRCH (sealnet_start() has not succeeded), -EINVAL (fn is
 * NULL), -EEXIST (fn is registered with ctx already), -ENOSPC (there are
 * SEALNET_MAX_CALLBACKS already).
 */
int sealnet_on_compartment_died(sealnet_compartment_fn fn, void *ctx);

/*
 * As sealnet_on_compartment_died, for a restarted compartment's
 * successor, once it has joined.
 * Errors: -ESRCH, -EINVAL, -EEXIST, -ENOSPC, as above.
 */
int sealnet_on_compartment_restarted(sealnet_compartment_fn fn, void *ctx);

#endif
