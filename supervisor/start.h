/*
 * Starting a compartment: its binary, copied once into a sealed memfd
 * and checked against the image, and each incarnation, cloned into its
 * own pid namespace to enter its sandbox (sandbox.h) with fresh channels,
 * a control socket, output pipes and its boot message.
 */
#ifndef SEALNET_SUPERVISOR_START_H
#define SEALNET_SUPERVISOR_START_H

#include "state.h"

/*
 * Sets ch->exe_fd to the binary, copied into a memfd that is then sealed
 * against any change, and hashed there (ch->exe_sealed); if the kernel
 * forbids executable memfds, to the file itself, hashed again before
 * every start.  0, -EPERM after saying why, or another negative errno
 * for the caller to report.
 */
int load_binary(struct child *ch);

/* Copies src into the memfd mem and seals mem against any change: 0 or a
 * negative errno (-EFBIG past BINARY_MAX_BYTES). */
int copy_and_seal(int src, int mem);

/* Starts the next incarnation of compartment `self`.  0 once it runs (a
 * boot message that cannot be sent gets it killed, and restarted as the
 * policy says), else a negative errno and nothing was started. */
int start_incarnation(struct supervisor *sv, unsigned self);

#endif
