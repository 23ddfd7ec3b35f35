/*
 * The control sockets: the supervisor's one line to each compartment.
 *
 * Outgoing messages (boot, compartment_peer_restarted) never wait: a
 * message the socket does not take at once is queued with copies of its
 * descriptors, up to CONTROL_QUEUE_MAX, and a compartment whose queue
 * overflows or stalls for CONTROL_STALL_NS is killed.  Incoming messages
 * are read without blocking, CONTROL_READS_PER_TURN at a time, and only
 * supervisor_ready and supervisor_log are accepted.
 */
#ifndef SEALNET_SUPERVISOR_CONTROL_H
#define SEALNET_SUPERVISOR_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* Gives the child our end of a new incarnation's control socket. */
void control_attach(struct child *ch, int fd);

/*
 * Sends a message with descriptors to a compartment, at once if its
 * socket takes it, else queued with copies of the descriptors.  0 or a
 * negative errno: -EPIPE if it hung up, -ENOBUFS if its queue was full
 * (it is then killed).
 */
int control_send(struct supervisor *sv, struct child *ch, const uint8_t *msg,
		 size_t len, const int *fds, unsigned nfds);

/* Sends what is queued, in order, while the socket takes it. */
void control_flush(struct child *ch);

/* Whether messages wait for the socket to take them. */
bool control_has_queued(const struct child *ch);

/* When the oldest queued message will have waited too long; 0 if none
 * waits. */
uint64_t control_stall_due_ns(const struct child *ch);

/* Kills each compartment whose oldest queued message waited too long. */
void control_check_stalls(struct supervisor *sv, uint64_t now_ns);

/* Handles what the compartment sent, up to a bound per turn. */
void control_readable(struct supervisor *sv, struct child *ch);

/* No more messages will come or go: closes our end (a hung-up socket
 * would be readable forever) and drops the queue.  The death itself
 * comes by SIGCHLD. */
void control_close(struct child *ch);

#endif
