/*
 * The sandbox a compartment runs in, entered by the child the supervisor
 * clones, just before it executes the compartment's binary.
 */
#ifndef SEALNET_SANDBOX_H
#define SEALNET_SANDBOX_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

#include "image.h"

/* Where the child finds the verified binary, open for the exec. */
#define SANDBOX_EXE_FD 5

/* The child is cloned into a pid namespace of its own, in which it is
 * pid 1 and sees no other process.  The other namespaces it makes
 * itself: a network namespace takes the kernel long enough to make that
 * the supervisor should not wait for it. */
#define SANDBOX_CLONE_FLAGS CLONE_NEWPID

/* The compartment's own pid, inside its pid namespace. */
#define SANDBOX_SELF_PID 1

/* The child's first message on the control socket, before the exec: one
 * byte and, as SCM_RIGHTS, the seccomp listener of its filter. */
#define SANDBOX_LISTENER_TAG 'L'

struct sandbox_plan {
	const struct image_compartment *compartment;
	uid_t uid;	/* runs as this uid and gid; 0: the supervisor's own */
	int control_fd; /* becomes SN_CONTROL_FD */
	int stdout_fd;	/* a pipe the supervisor reads */
	int stderr_fd;	/* another */
	int exe_fd;	/* becomes SANDBOX_EXE_FD */
	int device_fd;	/* becomes SN_DEVICE_FD, or -1 */
	int devnull_fd; /* becomes stdin */
	/* The kernel can report forbidden syscalls to the supervisor
	 * (seccomp user notification); without it they kill at once. */
	bool notify;
};

/*
 * In the child: enters the sandbox and executes the binary.  Returns only
 * on failure, with the step that failed written to stderr (the output
 * pipe); the child must then _exit.
 */
void sandbox_enter_and_exec(const struct sandbox_plan *plan);

/* Whether this kernel and libseccomp support what `notify` needs: user
 * notification and letting a notified syscall continue (Linux 5.5). */
bool sandbox_notify_supported(void);

#endif
