/*
 * Errors returned by sealnet's C API.
 *
 * Every function returns 0 (or a length) on success and a negative errno
 * value on failure, as CHERIoT's network stack does.  Each function's
 * header lists the codes it can return; this is what each means, and
 * where it comes from.
 *
 * From this compartment's own runtime, before or while a call waits:
 *
 *   -ESRCH       sealnet_start() has not succeeded in this process
 *   -EPERM       this compartment does not import the export the call
 *                needs (SEALNET_IMPORT), or its image joins it to no
 *                compartment serving it; the log says which
 *   -EINVAL      a malformed argument, such as a capability of the wrong
 *                kind
 *   -EMSGSIZE    the data does not fit one message, or an answer does not
 *                fit the caller's buffer
 *   -ETIMEDOUT   the timeout passed before the answer came (the callee's
 *                channel may have stayed full all along: then nothing was
 *                sent); whatever the callee made for a call it answered
 *                too late, such as a socket, is released
 *   -ENOTRECOVERABLE (SEALNET_ECOMPARTMENT)
 *                the called compartment is dead, died while the call was
 *                in flight, broke its channel or was built from another
 *                schema; a restarted compartment does not know handles
 *                issued before it died
 *   -EBUSY       a compartment's runtime has 128 calls to the same peer
 *                unanswered (only code that calls from inside callbacks
 *                gets there)
 *   -ECANCELED   the supervisor went away while the call waited: the
 *                compartment is being stopped
 *   -EPROTO      the answer broke its export's contract (more bytes than
 *                were asked for, a malformed address)
 *
 * From the called compartment's runtime, before any of its code runs:
 *
 *   -EPERM       the caller does not import the export, or presented a
 *                capability the image does not give it
 *   -ETIMEDOUT   the request arrived after its deadline
 *   -ENOSYS      the callee has no handler for the export (an image that
 *                `sealnet image build` did not check)
 *   -EIO         the callee's handler returned without answering
 *
 * From the service itself (the network API's are listed per function in
 * sealnet/network.h):
 *
 *   -EINVAL       an argument the service cannot use (a handle of the
 *                 wrong kind, a malformed name)
 *   -EPERM        a handle that is not the caller's: made up, another
 *                 compartment's, closed, or from before a restart
 *   -EAGAIN       the service is busy, or not ready yet: try again
 *   -EBUSY        another call on the same handle is still waiting
 *   -EDQUOT       a quota the image sets for this compartment is used up
 *                 (sockets, buffered bytes)
 *   -ENOMEM       the service, or this compartment, is out of memory
 *   -ENOSPC       a fixed table of the service is full (firewall rules)
 *   -ENOTCONN     not connected, or the peer ended the stream
 *   -ECONNREFUSED the remote host refused the connection
 *   -ECONNRESET   the remote host reset the connection
 *   -ECONNABORTED the stack gave the connection up
 *   -EHOSTUNREACH the name has no address, there is no DNS server yet,
 *                 or there is no route
 *   -EADDRINUSE   the port is taken
 *   -EIO          the service failed inside (no random bytes)
 *   -EPROTO       a peer on the network, or a compartment the service
 *                 asked, answered with something malformed
 */
#ifndef SEALNET_ERRORS_H
#define SEALNET_ERRORS_H

#include <errno.h>

#define SEALNET_ECOMPARTMENT ENOTRECOVERABLE

#endif
