/*
 * The skeleton compartment's pure core: what it answers, computed without
 * I/O so that it can be tested and fuzzed alone.  A new compartment keeps
 * this shape: its logic here, its boundary in skeleton.c.
 *
 * A name is 1 to GREETING_NAME_MAX bytes of printable ASCII; anything
 * else is refused, never repaired.
 */
#ifndef SEALNET_SKELETON_GREETING_H
#define SEALNET_SKELETON_GREETING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GREETING_NAME_MAX 64u
/* "hello, " and the longest name. */
#define GREETING_MAX (7u + GREETING_NAME_MAX)

/* Writes "hello, NAME" into out (not NUL-terminated) and returns its
 * length; -EINVAL for a name that is empty, too long or not printable
 * ASCII; -ENOBUFS when cap is too small. */
ssize_t greeting_compose(const uint8_t *name, size_t len, char *out,
			 size_t cap);

#endif
