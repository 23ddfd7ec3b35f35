/*
 * What a failed OpenSSL call means: our verdict on the peer's chain, the
 * alert the peer sent, or what the library found wrong, as the
 * SEALNET_TLS_E* code the session fails with; and what a refused call
 * returns in each state.
 */
#include <errno.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sealnet/tls.h>

#include "engine_internal.h"

/* Alert levels and the descriptions that mean "I refuse this handshake"
 * (RFC 8446 section 6.2), whenever they arrive: in TLS 1.3 the server
 * judges our certificate after we have finished. */
#define ALERT_LEVEL_FATAL 2

static const uint8_t refusal_alerts[] = {
    40,	 /* handshake_failure */
    42,	 /* bad_certificate */
    43,	 /* unsupported_certificate */
    44,	 /* certificate_revoked */
    45,	 /* certificate_expired */
    46,	 /* certificate_unknown */
    48,	 /* unknown_ca */
    49,	 /* access_denied */
    70,	 /* protocol_version */
    71,	 /* insufficient_security */
    86,	 /* inappropriate_fallback */
    109, /* missing_extension */
    112, /* unrecognized_name */
    116, /* certificate_required */
    120, /* no_application_protocol */
};

static int
verify_error_code(long result)
{
	switch (result) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	/* The peer sent a root of its own, which is not ours. */
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		return SEALNET_TLS_EUNKNOWN_ISSUER;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return SEALNET_TLS_ESELF_SIGNED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return SEALNET_TLS_EHOST_MISMATCH;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return SEALNET_TLS_EEXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return SEALNET_TLS_ENOT_YET_VALID;
	default:
		return SEALNET_TLS_EBAD_CERTIFICATE;
	}
}

static bool
is_refusal_alert(int description)
{
	for (size_t i = 0; i < sizeof(refusal_alerts); i++)
		if (refusal_alerts[i] == description)
			return true;
	return false;
}

/* Why OpenSSL reported SSL_ERROR_SSL, most specific first: our own
 * verdict on the peer's chain, then the peer's alert, then what the
 * library found wrong with the bytes it was given. */
static int
classify_ssl_error(const struct tls_session *s)
{
	long verify = SSL_get_verify_result(s->ssl);
	unsigned long err = ERR_peek_error();

	if (verify != X509_V_OK)
		return verify_error_code(verify);
	if (s->peer_alert != NO_ALERT) {
		int description = s->peer_alert & 0xff;

		if (s->state == TLS_SESSION_HANDSHAKING ||
		    is_refusal_alert(description))
			return SEALNET_TLS_EHANDSHAKE;
		return SEALNET_TLS_EPEER_RESET;
	}
	if (ERR_GET_LIB(err) == ERR_LIB_SSL) {
		switch (ERR_GET_REASON(err)) {
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			return SEALNET_TLS_EPEER_RESET;
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
		case SSL_R_NO_SHARED_CIPHER:
		case SSL_R_NO_CIPHERS_AVAILABLE:
		case SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED:
			return SEALNET_TLS_EHANDSHAKE;
		default:
			break;
		}
	}
	return SEALNET_TLS_EPROTOCOL;
}

void
engine_fail(struct tls_session *s, int code)
{
	s->state = TLS_SESSION_FAILED;
	s->error = code;
}

/* Acts on an OpenSSL call's result `ret`; true if the call may be retried
 * once more ciphertext has arrived. */
bool
engine_handle_result(struct tls_session *s, int ret)
{
	switch (SSL_get_error(s->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return true;
	case SSL_ERROR_ZERO_RETURN:
		if (s->state == TLS_SESSION_HANDSHAKING)
			engine_fail(s, SEALNET_TLS_EPEER_CLOSED);
		else
			s->state = TLS_SESSION_PEER_CLOSED;
		break;
	case SSL_ERROR_SYSCALL:
		/* With memory BIOs only the end of input we set gets here. */
		engine_fail(s, SEALNET_TLS_EPEER_RESET);
		break;
	case SSL_ERROR_SSL:
		engine_fail(s, classify_ssl_error(s));
		break;
	default:
		engine_fail(s, SEALNET_TLS_EPROTOCOL);
		break;
	}
	ERR_clear_error();
	return false;
}

/* The code a refused feed, write or read returns in each final state. */
ssize_t
engine_refusal(const struct tls_session *s)
{
	switch (s->state) {
	case TLS_SESSION_HANDSHAKING:
		return -ENOTCONN;
	case TLS_SESSION_CLOSED:
		return -EPIPE;
	case TLS_SESSION_PEER_CLOSED:
		return SEALNET_TLS_EPEER_CLOSED;
	case TLS_SESSION_FAILED:
		return s->error;
	case TLS_SESSION_ESTABLISHED:
		break;
	}
	return 0;
}
