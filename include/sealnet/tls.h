/*
 * TLS for application compartments, named like CHERIoT's: sessions to the
 * host of a connection capability, through the TLS compartment.
 *
 * tls_connection_create connects with this compartment's own capability
 * (NetAPI), hands the socket to the TLS compartment through TCPIP
 * (network_socket_delegate), and has TLS run the handshake on it: the
 * TLS compartment holds no capability and opens no connection itself.
 * The capability's host name is sent as SNI and is the name the server's
 * certificate must carry; an identity the capability names
 * (SEALNET_CONNECTION_IDENTITY) is presented if the server asks for a
 * client certificate.  Keys never leave the TLS compartment: TCPIP sees
 * only ciphertext, this compartment only plaintext.  A compartment that
 * creates sessions imports, besides network_host_get for network_start:
 *
 *	SEALNET_IMPORT(network_socket_connect_tcp);
 *	SEALNET_IMPORT(network_socket_delegate);
 *	SEALNET_IMPORT(network_socket_close);
 *	SEALNET_IMPORT(tls_connection_create);
 *	SEALNET_IMPORT(tls_connection_send);
 *	SEALNET_IMPORT(tls_connection_receive);
 *	SEALNET_IMPORT(tls_connection_close);
 *	SEALNET_QUOTA(tls_sessions, 4);
 *
 * Sessions are handles that only the compartment that created them can
 * use; each counts against its tls_sessions quota until closed.  TLS 1.3
 * and 1.2 are offered, with forward-secret AEAD suites only; TLS 1.3
 * tickets (and TLS 1.2 sessions) are kept per compartment, so a second
 * session to the same host and port resumes, and never another
 * compartment's.  Renegotiation is refused.
 *
 * Certificates are checked against the trust anchors the image gives the
 * TLS compartment (`sealnet image build --trust-anchors`, by default the
 * system's bundle), the capability's host name, and the time: the SNTP
 * compartment's network time once it is synchronised and authenticated
 * (NTS; kept, carried forward on the monotonic clock, if SNTP stops
 * updating it), else the system clock.  Plain NTP time is never used for
 * certificates: anyone on the path can forge it, and moving the clock
 * back would make an expired certificate valid again.  TLS logs which
 * clock it uses whenever that changes; `sealnet audit`'s
 * tls_certificate_time says which one the image allows.  A peer whose
 * certificate fails never receives a byte of application data.
 *
 * If the TLS compartment dies, every session it held is gone: the first
 * call on each returns -ENOTRECOVERABLE, every later one -ENOTCONN, and
 * new sessions can be created as soon as it is back.
 *
 * Every function returns 0 (or a byte count) on success, or a negative
 * code: an errno value (sealnet/errors.h) or one of the SEALNET_TLS_E*
 * codes below, which lie below -2000 and say what happened to the TLS
 * connection itself.  Besides the codes its own comment lists, every
 * function here may return:
 *
 *   -ESRCH            sealnet_start() has not succeeded in this process
 *   -EPERM            this compartment does not import an export the
 *                     function calls (logged, naming the SEALNET_IMPORT
 *                     it needs), its image joins it to no compartment
 *                     serving it, or the session is not this
 *                     compartment's
 *   -ETIMEDOUT        the timeout passed before the answer came
 *   -ENOTRECOVERABLE  the TLS compartment (or, while creating, NetAPI or
 *                     TCPIP) is dead, or died while the call was in
 *                     flight (SEALNET_ECOMPARTMENT)
 *   -ECANCELED        the supervisor went away during the call
 *   -EIO              the serving compartment failed to answer
 *   -ENOBUFS          the TLS compartment had as many calls to TCPIP
 *                     unanswered as it may (128, its sessions' waiting
 *                     receives among them), so this session could not
 *                     go on; it has ended
 *   -ENOSYS           the serving compartment has no such export (only
 *                     in an image `sealnet image build` did not check)
 */
#ifndef SEALNET_TLS_H
#define SEALNET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sealnet/compartment.h>

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

/* tls_connection_send's flags: more data follows at once, so the TLS
 * compartment may hold this data back, up to a record, until a send
 * without the flag, a receive or a close. */
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

typedef struct {
	uint32_t slot;
	uint32_t generation;
	uint64_t tag;
} sealnet_tls_session;

/* The longest ALPN protocol name (RFC 7301 allows 255; the TLS
 * compartment offers a list of at most 64 bytes). */
#define SEALNET_TLS_ALPN_MAX 63

/* What a session's handshake settled. */
typedef struct {
	uint16_t version; /* 0x0304: TLS 1.3; 0x0303: TLS 1.2 */
	bool resumed;	  /* an earlier session's ticket was accepted */
	/* The protocol the server chose from the ALPN list; "" if none. */
	char alpn[SEALNET_TLS_ALPN_MAX + 1];
	/* How long the handshake took in the TLS compartment, from the
	 * create's arrival to its answer (the connect before it excluded). */
	uint32_t handshake_us;
} sealnet_tls_info;

/* The most sessions this compartment's SDK keeps track of at once, what
 * the image's tls_sessions quota may be at most. */
#define SEALNET_TLS_SESSIONS_MAX 256

/*
 * A TLS session to the host and port of a TCP connection capability this
 * compartment holds, into *out.  Returns once the handshake has completed
 * and the server's certificate was verified.
 * Errors: -EINVAL (not a TCP connection capability), -EPERM (a
 * capability the image does not give this compartment), -EDQUOT (the
 * sockets or tls_sessions quota is used up), -ENOSPC (the TLS
 * compartment holds as many sessions as it can), -ENOMEM (TLS has no
 * memory for it); every error of network_socket_connect_tcp
 * (sealnet/network.h: -EHOSTUNREACH, -ECONNREFUSED, -EAGAIN, ...); and
 * what made the handshake fail: SEALNET_TLS_EUNKNOWN_ISSUER,
 * SEALNET_TLS_ESELF_SIGNED, SEALNET_TLS_EHOST_MISMATCH,
 * SEALNET_TLS_EEXPIRED, SEALNET_TLS_ENOT_YET_VALID,
 * SEALNET_TLS_EBAD_CERTIFICATE, SEALNET_TLS_EHANDSHAKE,
 * SEALNET_TLS_EPEER_CLOSED, SEALNET_TLS_EPEER_RESET,
 * SEALNET_TLS_EPROTOCOL.  The TLS compartment's log names the reason and
 * the host.
 */
int tls_connection_create(uint64_t timeout_ns,
			  const struct sealnet_declaration *capability,
			  sealnet_tls_session *out);

/*
 * As tls_connection_create, offering the application protocols of
 * `alpn`, a comma-separated list in order of preference ("h2,http/1.1";
 * NULL or "" for none), and giving what the handshake settled in *info
 * (which may be NULL).  The server choosing none is not an error: check
 * info->alpn.
 * Errors: as tls_connection_create, and -EINVAL for an ALPN list with an
 * empty name or longer than 64 bytes in TLS's wire format.
 */
int tls_connection_create_alpn(uint64_t timeout_ns,
			       const struct sealnet_declaration *capability,
			       const char *alpn, sealnet_tls_session *out,
			       sealnet_tls_info *info);

/*
 * What the handshake of session s settled, into *out; no call is made.
 * Errors: -ENOENT (not a session this compartment created and has not
 * closed).
 */
int tls_connection_info(sealnet_tls_session s, sealnet_tls_info *out);

/*
 * Sends all of data over the session and returns len; with
 * SEALNET_TLS_SEND_NO_FLUSH in flags, up to a record of it may wait in
 * the TLS compartment for what follows.  If the timeout passes or the
 * session fails part way, returns how much was taken (the next call
 * meets the error), or the error if nothing was.
 * Errors: -ENOTCONN (the TLS compartment died before this session's
 * first call reported it), -EPIPE (the session is being closed),
 * -EBUSY (another send on it still waits), -EINVAL (unknown flags),
 * -EPROTO (TLS said it took more than was offered);
 * SEALNET_TLS_EPEER_CLOSED, SEALNET_TLS_EPEER_RESET or
 * SEALNET_TLS_EPROTOCOL once the connection ended.
 */
ssize_t tls_connection_send(uint64_t timeout_ns, sealnet_tls_session s,
			    const void *data, size_t len, unsigned flags);

/*
 * Up to len bytes of plaintext into buf, as soon as there are any.
 * Errors: SEALNET_TLS_EPEER_CLOSED (the server ended the session
 * cleanly, and everything before was read), SEALNET_TLS_EPEER_RESET (the
 * connection ended without close_notify, or the server aborted),
 * SEALNET_TLS_EPROTOCOL (the server sent bytes that are not valid TLS),
 * -ENOTCONN (as for send), -EPIPE (the session is being closed), -EBUSY
 * (another receive on it still waits), -EPROTO (TLS sent more than was
 * asked for).
 */
ssize_t tls_connection_receive_preallocated(uint64_t timeout_ns,
					    sealnet_tls_session s, void *buf,
					    size_t len);

/*
 * As tls_connection_receive_preallocated, into a buffer the call
 * allocates (*buf is set only when the result is above 0; the caller
 * free()s it).
 * Errors: as tls_connection_receive_preallocated, and -ENOMEM when the
 * buffer cannot be allocated.
 */
ssize_t tls_connection_receive(uint64_t timeout_ns, sealnet_tls_session s,
			       void **buf);

/*
 * Sends close_notify (after anything held back), closes the socket and
 * releases the session and its quota.  A session of a TLS compartment
 * that died is released without a call.
 * Errors: -EBUSY (a close of it already waits).
 */
int tls_connection_close(uint64_t timeout_ns, sealnet_tls_session s);

/*
 * The TLS exporter (RFC 8446 section 7.5, RFC 5705): out_len bytes (at
 * most 256) bound to the session, for `label` and `context` (context may
 * be NULL with context_len 0).  For NTS; the audit's policy allows it to
 * the SNTP compartment alone (SEALNET_IMPORT(
 * tls_connection_keying_material)).
 * Errors: -EINVAL (no label, one over 240 bytes, out_len 0 or over 256,
 * a context over 65535 bytes), -ENOTCONN (as for send, or the session is
 * not established).
 */
int tls_connection_keying_material(uint64_t timeout_ns, sealnet_tls_session s,
				   const char *label, const void *context,
				   size_t context_len, void *out,
				   size_t out_len);

#endif
