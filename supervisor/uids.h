/*
 * The uids a supervisor's compartments run as, unique to it.
 *
 * A running supervisor holds one block of UID_BLOCK_SIZE uids for its
 * whole life: it holds an exclusive flock on UID_LOCK_DIR/uids-FIRST.lock
 * (released by the kernel however the supervisor ends), and it takes
 * only a block in which no process runs as any of the uids and no user
 * or group is named by one.  Compartments of two runs therefore never
 * share a uid, and none shares one with anything else on the machine.
 */
#ifndef SEALNET_UIDS_H
#define SEALNET_UIDS_H

#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"

struct uid_block {
	uid_t first;
	int lock_fd; /* -1: no block held */
};

/* 0, or a negative errno with the reason in why. */
int uid_block_take(struct uid_block *b, char *why, size_t whylen);

void uid_block_release(struct uid_block *b);

#endif
