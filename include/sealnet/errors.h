/*
 * Errors returned by sealnet's C API.
 *
 * Every call returns 0 (or a length) on success and a negative errno value
 * on failure, as CHERIoT's network stack does:
 *
 *   -EINVAL      a malformed argument
 *   -EPERM       the caller lacks the import, capability or handle
 *   -ETIMEDOUT   the deadline passed before the answer came
 *   -ENOTCONN    the socket or session is not connected
 *   -ENOMEM      a quota or a fixed table is full
 *   -EAGAIN      a channel stayed full (nothing was sent)
 *   -EMSGSIZE    a message larger than a channel carries
 *   -EPROTO      the two ends were built from different schemas
 *   -ENOTRECOVERABLE (SEALNET_ECOMPARTMENT)
 *                the called compartment is dead, or died while the call
 *                was in flight; a restarted compartment does not know
 *                handles issued before it died
 */
#ifndef SEALNET_ERRORS_H
#define SEALNET_ERRORS_H

#include <errno.h>

#define SEALNET_ECOMPARTMENT ENOTRECOVERABLE

#endif
