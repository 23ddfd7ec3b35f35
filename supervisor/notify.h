/*
 * The seccomp listener: the kernel's report of each syscall a
 * compartment's filter does not allow, held until the supervisor
 * answers.  The sandbox hands the listener over on the control socket
 * before the exec; the supervisor lets exactly that exec through and
 * kills on anything else, naming the syscall from the kernel's record.
 */
#ifndef SEALNET_SUPERVISOR_NOTIFY_H
#define SEALNET_SUPERVISOR_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

/* A new incarnation: no listener yet, its exec not yet let through. */
void notify_reset(struct child *ch);

/* Whether the next message on its control socket must be the sandbox's
 * listener. */
bool notify_expects_listener(const struct supervisor *sv,
			     const struct child *ch);

/* Reads that message; a child that sends anything else is killed. */
void notify_take_listener(struct supervisor *sv, struct child *ch);

/* Judges the syscall the kernel reports. */
void notify_listener_readable(struct supervisor *sv, struct child *ch);

/* Closes the listener, once it hung up or its incarnation died. */
void notify_close(struct child *ch);

/* Frees what judging syscalls needed. */
void notify_release(struct supervisor *sv);

/* The syscall's name on this architecture, or "unknown". */
void syscall_name(int nr, char *out, size_t cap);

#endif
