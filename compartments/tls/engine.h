/*
 * The TLS engine: TLS 1.2 and 1.3 client sessions over OpenSSL 3, driven
 * entirely through byte buffers.  No I/O after tls_engine_init: ciphertext
 * goes in with tls_session_feed and comes out with tls_session_take,
 * plaintext goes in with tls_session_write and out with tls_session_read.
 * No call ever blocks; "not yet" is -EAGAIN.
 *
 * The caller owns every structure and drives everything from one thread.
 *
 * What the engine enforces, for every session:
 *   - TLS 1.2 minimum, 1.3 maximum; ECDHE with AES-GCM or ChaCha20-Poly1305
 *     only; security level 2 (RSA and DH keys of 2048 bits or more, no SHA-1
 *     signatures); no compression; renegotiation refused; full-size
 *     (16 KiB) records;
 *   - the peer's chain must lead to one of the trust anchors given to
 *     tls_engine_init, be valid at the time the caller gives the session,
 *     and name the session's host (an IP literal is checked as an IP
 *     address and is not sent as SNI);
 *   - plaintext is accepted only once the handshake has completed and
 *     verified the peer, and never after close.
 *
 * Resumption: tickets the server sends are kept in the engine's bounded
 * cache under (owner, host, port, identity), and offered once, to the next
 * session with the same four; never to another owner, and never to a
 * session with another client identity (or none).
 *
 * Errors: negative errno values for misuse and limits (-EINVAL, -ENOMEM,
 * -EAGAIN, -ENOTCONN, -EPIPE), SEALNET_TLS_E* (include/sealnet/tls.h) for
 * what happened to the connection.
 */
#ifndef SEALNET_TLS_ENGINE_H
#define SEALNET_TLS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* OpenSSL's types, so that callers need not include its headers. */
struct ssl_ctx_st;
struct ssl_st;
struct bio_st;
struct x509_st;
struct evp_pkey_st;
struct stack_st_X509;
struct ssl_session_st;

/* ---- limits ---- */

/* Longest DNS name (RFC 1035), without the trailing dot. */
#define TLS_HOST_MAX 253
/* Client identities an engine holds, and the longest name of one. */
#define TLS_IDENTITIES_MAX    8
#define TLS_IDENTITY_NAME_MAX 32
/* Resumption tickets kept, across all owners. */
#define TLS_SESSION_CACHE_ENTRIES 64
/* The ALPN list, in wire format (length-prefixed names), at most. */
#define TLS_ALPN_MAX 64
/* Largest TLS record on the wire: header, 16 KiB of plaintext, and the most
 * expansion TLS 1.2 allows. */
#define TLS_RECORD_MAX (5 + 16384 + 2048)
/* Ciphertext held in each direction before the engine pushes back: two
 * records, so one full record always fits behind a partial one. */
#define TLS_CIPHERTEXT_BUFFERED_MAX (2 * TLS_RECORD_MAX)
/* Plaintext per record. */
#define TLS_PLAINTEXT_RECORD_MAX 16384
/* Exporter output, at most (NTS needs 32 bytes per key), and the longest
 * label (TLS 1.3 puts it in a one-byte-length field with "tls13 "). */
#define TLS_EXPORT_MAX	     256
#define TLS_EXPORT_LABEL_MAX 240

/* ---- the process-wide context ---- */

struct tls_identity {
	char name[TLS_IDENTITY_NAME_MAX + 1];
	struct x509_st *certificate;
	struct stack_st_X509 *chain;
	struct evp_pkey_st *key;
};

struct tls_cache_entry {
	struct ssl_session_st *session; /* NULL: the slot is free */
	uint32_t owner;
	uint16_t port;
	int identity; /* an index into identities, or -1 */
	char host[TLS_HOST_MAX + 1];
	uint64_t last_stored; /* for eviction: the oldest goes first */
};

struct tls_cache_stats {
	uint64_t stored;
	uint64_t offered;
	uint64_t evicted;
};

struct tls_engine {
	struct ssl_ctx_st *ctx;
	struct tls_identity identities[TLS_IDENTITIES_MAX];
	unsigned identity_count;
	struct tls_cache_entry cache[TLS_SESSION_CACHE_ENTRIES];
	uint64_t cache_clock;
	struct tls_cache_stats cache_stats;
};

/*
 * Loads OpenSSL (strings, the default provider, the random generator)
 * without reading its configuration file, and builds the context with the
 * trust anchors in `trust_pem` (one or more PEM certificates).  Call it
 * before the sandbox closes the file system, and before anything else in
 * the process uses OpenSSL: after it, no engine call opens a file.
 * Returns 0, -EINVAL (no certificate, or a malformed one) or -ENOMEM.
 */
int tls_engine_init(struct tls_engine *engine, const uint8_t *trust_pem,
		    size_t trust_pem_len);

/*
 * Adds a client identity: `chain_pem` holds the certificate first, then
 * any intermediates; `key_pem` its private key, unencrypted.  Returns 0,
 * -EINVAL (malformed, a key that does not match, a bad or duplicate name),
 * -ENOSPC (TLS_IDENTITIES_MAX reached) or -ENOMEM.
 */
int tls_engine_add_identity(struct tls_engine *engine, const char *name,
			    const uint8_t *chain_pem, size_t chain_pem_len,
			    const uint8_t *key_pem, size_t key_pem_len);

/* Frees the context, the identities and every cached ticket.  Sessions
 * must be freed first. */
void tls_engine_free(struct tls_engine *engine);

/* Drops every cached ticket of one owner (the compartment restarted, or
 * lost its capability). */
void tls_engine_forget_owner(struct tls_engine *engine, uint32_t owner);

/* ---- sessions ---- */

enum tls_session_state {
	TLS_SESSION_HANDSHAKING,
	TLS_SESSION_ESTABLISHED,
	TLS_SESSION_CLOSED,	 /* we sent close_notify */
	TLS_SESSION_PEER_CLOSED, /* the peer sent close_notify */
	TLS_SESSION_FAILED,	 /* tls_session_error says why */
};

struct tls_session_config {
	/* The peer's name: SNI and the certificate check.  A dotted IPv4 or
	 * an IPv6 literal is checked against the certificate's IP
	 * addresses instead, and sends no SNI. */
	const char *host;
	uint16_t port;
	/* Whose session this is: resumption never crosses owners. */
	uint32_t owner;
	/* ALPN protocols in wire format (each name prefixed by its length),
	 * or NULL. */
	const uint8_t *alpn;
	size_t alpn_len;
	/* A name given to tls_engine_add_identity, or NULL for none. */
	const char *identity;
	/* Certificates are checked at this time, in seconds since the Unix
	 * epoch. */
	int64_t verify_time;
};

struct tls_session {
	struct tls_engine *engine;
	struct ssl_st *ssl;
	struct bio_st *from_network; /* ciphertext fed, not yet read */
	struct bio_st *to_network;   /* ciphertext made, not yet taken */
	enum tls_session_state state;
	int error; /* the failure, once state is TLS_SESSION_FAILED */
	uint32_t owner;
	uint16_t port;
	int identity; /* an index into the engine's identities, or -1 */
	char host[TLS_HOST_MAX + 1];
	bool transport_ended;
	/* The last alert the peer sent: level << 8 | description, or -1. */
	int peer_alert;
};

/*
 * Starts a session and writes the ClientHello (take it with
 * tls_session_take).  On failure the session needs no free.  OpenSSL's
 * callbacks find the session by its address: it must not move until
 * tls_session_free.
 * Returns 0, -EINVAL (bad host, ALPN list or time; unknown identity) or
 * -ENOMEM.
 */
int tls_session_init(struct tls_engine *engine, struct tls_session *session,
		     const struct tls_session_config *config);

void tls_session_free(struct tls_session *session);

/*
 * Hands the engine ciphertext received from the peer and advances the
 * handshake.  Returns how many bytes it took, which is less than `len`
 * when TLS_CIPHERTEXT_BUFFERED_MAX is reached (read plaintext, then feed
 * the rest), or the session's failure.  Feeding a failed or closed
 * session returns its state's code and takes nothing.
 */
ssize_t tls_session_feed(struct tls_session *session, const uint8_t *data,
			 size_t len);

/* How many bytes of ciphertext tls_session_feed would take now: ask the
 * transport for no more, and nothing need be kept aside. */
size_t tls_session_feed_room(const struct tls_session *session);

/* The transport ended (EOF or reset).  Without a close_notify before it,
 * the session fails with SEALNET_TLS_EPEER_RESET. */
void tls_session_feed_eof(struct tls_session *session);

/* Ciphertext waiting to be sent, in bytes. */
size_t tls_session_pending(const struct tls_session *session);

/* Moves up to `cap` bytes of ciphertext to send into `out`; returns how
 * many (0: nothing to send). */
size_t tls_session_take(struct tls_session *session, uint8_t *out, size_t cap);

/*
 * Encrypts plaintext for the peer.  Returns how many bytes it took (fewer
 * than `len` once TLS_CIPHERTEXT_BUFFERED_MAX of ciphertext is waiting:
 * take it, then write the rest), -EAGAIN if it could take none,
 * -ENOTCONN while the handshake is in progress, -EPIPE after
 * tls_session_close, or the code of the failure or the peer's close.
 */
ssize_t tls_session_write(struct tls_session *session, const uint8_t *data,
			  size_t len);

/*
 * Decrypts plaintext from the peer.  Returns the number of bytes (> 0),
 * -EAGAIN when more ciphertext is needed, -ENOTCONN while the handshake
 * is in progress, SEALNET_TLS_EPEER_CLOSED once everything the peer sent
 * before its close_notify has been read, -EPIPE after tls_session_close,
 * or the failure's code.
 */
ssize_t tls_session_read(struct tls_session *session, uint8_t *out, size_t cap);

/* Sends close_notify (take it, then close the transport).  Writes and
 * reads are refused from here on.  Returns 0, or the session's failure. */
int tls_session_close(struct tls_session *session);

enum tls_session_state tls_session_state(const struct tls_session *session);
/* The failure's code (SEALNET_TLS_E* or -ENOMEM), 0 unless failed. */
int tls_session_error(const struct tls_session *session);

/* TLS 1.3 is 0x0304, TLS 1.2 0x0303; 0 before the handshake completes. */
int tls_session_version(const struct tls_session *session);
bool tls_session_resumed(const struct tls_session *session);
/* The protocol the server chose from the ALPN list, or 0 bytes if none. */
size_t tls_session_alpn(const struct tls_session *session,
			const uint8_t **protocol);

/*
 * The TLS exporter (RFC 5705, RFC 8446 section 7.5): `out_len` bytes bound
 * to this connection, for `label` and `context` (which may be empty).
 * Only once established.  Returns 0, -ENOTCONN or -EINVAL.
 */
int tls_session_export(const struct tls_session *session, const char *label,
		       const uint8_t *context, size_t context_len, uint8_t *out,
		       size_t out_len);

#endif
