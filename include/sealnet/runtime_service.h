/*
 * Calls to the Runtime compartment (demo/compartments/runtime_service.c),
 * the smallest service: it answers null calls, echoes, and issues and
 * checks handles, so that every boundary rule can be tried without a
 * network.  A compartment imports each function it calls:
 *
 *	SEALNET_IMPORT(runtime_echo);
 *
 * Every function takes a timeout in nanoseconds and returns 0 (or a
 * length) or a negative errno (sealnet/errors.h).  Besides the codes its
 * own comment lists, every function here may return the ones common to
 * every call: -ESRCH, -EPERM (not imported, logged), -EINVAL (a pointer
 * it reads or writes is NULL), -ETIMEDOUT, -ENOTRECOVERABLE, -ECANCELED,
 * -EIO, -ENOSYS.
 */
#ifndef SEALNET_RUNTIME_SERVICE_H
#define SEALNET_RUNTIME_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A handle Runtime issued: only the compartment it was issued to, and
 * only while the Runtime that issued it lives, can use it. */
typedef struct {
	uint32_t slot;
	uint32_t generation;
	uint64_t tag;
} sealnet_handle;

/* The largest echo: what one message carries beside its headers. */
#define SEALNET_ECHO_MAX (64u * 1024u - 512u)

/* A call that does nothing, answered at once: the cost of a call.
 * Errors: only the common ones. */
int runtime_null(uint64_t timeout_ns);

/*
 * Sends len bytes of data and copies the echo into out; returns its
 * length.
 * Errors: -EMSGSIZE (len above SEALNET_ECHO_MAX, or above cap), -EPROTO
 * (the echo is not what was sent).
 */
ssize_t runtime_echo(uint64_t timeout_ns, const void *data, size_t len,
		     void *out, size_t cap);

/*
 * A new handle, owned by this compartment, into *out.
 * Errors: -ENOMEM (Runtime's table of handles is full), -EIO (Runtime
 * had no random bytes for the handle's tag).
 */
int runtime_handle_new(uint64_t timeout_ns, sealnet_handle *out);

/*
 * 0 if h is a handle Runtime issued to this compartment and still holds.
 * Errors: -EPERM (it is not: made up, another compartment's, or issued
 * by a Runtime that has since restarted).
 */
int runtime_handle_check(uint64_t timeout_ns, sealnet_handle h);

#endif
