/*
 * TLS in sealnet: the error codes and constants an application sees.
 *
 * The TLS compartment returns 0 (or a length) on success, a negative errno
 * value for the failures every sealnet call shares (include/sealnet/errors.h)
 * and one of the codes below when the TLS connection itself failed.  They
 * lie below -2000, outside the errno range, so a caller can tell them apart
 * with SEALNET_TLS_IS_ERROR and name them with sealnet_tls_error_name.
 *
 * Certificates are checked against the trust anchors the image gives the
 * TLS compartment, the host name of the connection capability, and a time
 * the compartment supplies (the system clock, or authenticated network time
 * once it has it).  A peer whose certificate fails never receives a byte of
 * application data.
 */
#ifndef SEALNET_TLS_H
#define SEALNET_TLS_H

#include <stddef.h>

/* The peer's chain leads to no trust anchor: an issuer is missing, or the
 * chain ends in a root that is not one of ours. */
#define SEALNET_TLS_EUNKNOWN_ISSUER (-2001)
/* The peer's own certificate is self-signed and is not a trust anchor. */
#define SEALNET_TLS_ESELF_SIGNED (-2002)
/* The certificate is valid but names another host (or IP address). */
#define SEALNET_TLS_EHOST_MISMATCH (-2003)
/* A certificate in the chain expired before the validation time. */
#define SEALNET_TLS_EEXPIRED (-2004)
/* A certificate in the chain is not valid until after the validation
 * time. */
#define SEALNET_TLS_ENOT_YET_VALID (-2005)
/* Any other reason the chain is unacceptable: a bad signature, an issuer
 * that is not a CA, a key too weak for the security level, the wrong key
 * usage. */
#define SEALNET_TLS_EBAD_CERTIFICATE (-2006)
/* The two ends found no common protocol version or cipher suite, or the
 * peer refused the handshake with an alert (for instance it wanted a client
 * certificate we did not have, or did not accept the one we sent). */
#define SEALNET_TLS_EHANDSHAKE (-2007)
/* The peer ended the connection cleanly (close_notify). */
#define SEALNET_TLS_EPEER_CLOSED (-2008)
/* The connection ended without close_notify: the transport closed or was
 * reset, or the peer aborted with an alert after the handshake.  Data may
 * have been cut short. */
#define SEALNET_TLS_EPEER_RESET (-2009)
/* The peer sent bytes that are not valid TLS: not a record, a record that
 * fails authentication, a message out of order. */
#define SEALNET_TLS_EPROTOCOL (-2010)

#define SEALNET_TLS_ERROR_FIRST SEALNET_TLS_EUNKNOWN_ISSUER
#define SEALNET_TLS_ERROR_LAST	SEALNET_TLS_EPROTOCOL

#define SEALNET_TLS_IS_ERROR(code)                                             \
	((code) <= SEALNET_TLS_ERROR_FIRST && (code) >= SEALNET_TLS_ERROR_LAST)

/* tls_connection_send's flags: more data follows at once, so the
 * compartment may hold this data back to fill a larger record. */
#define SEALNET_TLS_SEND_NO_FLUSH 0x1u

/* A short, stable name for a TLS error code ("unknown_issuer"), or NULL
 * when the code is not one of them. */
static inline const char *
sealnet_tls_error_name(int code)
{
	switch (code) {
	case SEALNET_TLS_EUNKNOWN_ISSUER:
		return "unknown_issuer";
	case SEALNET_TLS_ESELF_SIGNED:
		return "self_signed";
	case SEALNET_TLS_EHOST_MISMATCH:
		return "host_mismatch";
	case SEALNET_TLS_EEXPIRED:
		return "expired";
	case SEALNET_TLS_ENOT_YET_VALID:
		return "not_yet_valid";
	case SEALNET_TLS_EBAD_CERTIFICATE:
		return "bad_certificate";
	case SEALNET_TLS_EHANDSHAKE:
		return "handshake_failed";
	case SEALNET_TLS_EPEER_CLOSED:
		return "peer_closed";
	case SEALNET_TLS_EPEER_RESET:
		return "peer_reset";
	case SEALNET_TLS_EPROTOCOL:
		return "protocol_error";
	default:
		return NULL;
	}
}

#endif
