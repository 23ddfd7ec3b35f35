/*
 * The sandbox a compartment runs in, entered by the forked child just
 * before it executes the compartment's binary.
 */
#ifndef SEALNET_SANDBOX_H
#define SEALNET_SANDBOX_H

#include "image.h"

/* Where the child finds the verified binary, open for fexecve. */
#define SANDBOX_EXE_FD 5
/* The network device, for the compartment that holds it. */
#define SANDBOX_DEVICE_FD 6

struct sandbox_plan {
	const struct image_compartment *compartment;
	unsigned index; /* picks the compartment's uid */
	int control_fd; /* becomes SN_CONTROL_FD */
	int note_fd;	/* becomes SN_DEATH_NOTE_FD */
	int exe_fd;	/* becomes SANDBOX_EXE_FD */
	int device_fd;	/* becomes SANDBOX_DEVICE_FD, or -1 */
	int devnull_fd; /* becomes stdin */
};

/* The uid a compartment runs as when the supervisor is root. */
#define SANDBOX_UID_BASE 61000u

/*
 * In the child: enters the sandbox and executes the binary.  Returns only
 * on failure, with the step that failed written to stderr; the child must
 * then _exit.
 */
void sandbox_enter_and_exec(const struct sandbox_plan *plan);

#endif
