/*
 * The other end of the engine's tests and benchmark: certificates made at
 * run time through OpenSSL's API (nothing is read from disk, no key is
 * ever written anywhere), and an OpenSSL server over memory BIOs, with a
 * pump that moves bytes between it and an engine session.
 */
#ifndef SEALNET_TLS_TESTS_PEER_H
#define SEALNET_TLS_TESTS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine.h"

/* A certificate with its key. */
struct peer_credential {
	EVP_PKEY *key;
	X509 *cert;
};

enum peer_cert_kind {
	PEER_CERT_CA,
	PEER_CERT_SERVER,
	PEER_CERT_CLIENT,
};

struct peer_cert_spec {
	enum peer_cert_kind kind;
	const char *common_name;
	/* subjectAltName in OpenSSL's syntax ("DNS:example.com",
	 * "IP:127.0.0.1"), or NULL. */
	const char *alt_names;
	/* Validity, relative to `base`. */
	time_t base;
	long not_before;
	long not_after;
	/* NULL: self-signed. */
	const struct peer_credential *issuer;
};

/* Makes a P-256 key and a certificate for it.  Returns 0 or -1. */
int peer_make_credential(struct peer_credential *out,
			 const struct peer_cert_spec *spec);
void peer_credential_free(struct peer_credential *c);

/* PEM text of a certificate or a key, NUL-terminated, to free() after. */
char *peer_cert_pem(X509 *cert, size_t *len);
char *peer_key_pem(EVP_PKEY *key, size_t *len);

struct peer_server_options {
	int min_version; /* 0: TLS1_2_VERSION */
	int max_version; /* 0: TLS1_3_VERSION */
	int security_level;
	const char *tls12_ciphers; /* NULL: the library's default */
	const struct peer_credential *credential;
	/* Sent after the server's own certificate, or NULL. */
	X509 *chain_extra;
	/* Non-NULL: a client certificate from this CA is required. */
	X509 *client_ca;
	/* Non-NULL: chosen when the client offers it. */
	const char *alpn;
};

/* A context outlives connections, so tickets it issues resume. */
SSL_CTX *peer_server_context(const struct peer_server_options *o);

/* Bytes the server has written that the engine did not take yet. */
#define PEER_WIRE_MAX (256 * 1024)

struct peer_server {
	SSL *ssl;
	BIO *in;  /* engine to server */
	BIO *out; /* server to engine */
	uint8_t wire[PEER_WIRE_MAX];
	size_t wire_len;
	int handshake_result; /* the last SSL_do_handshake's, 1 when done */
};

int peer_server_start(struct peer_server *s, SSL_CTX *ctx);
void peer_server_free(struct peer_server *s);

/* Moves bytes both ways until neither side has any more to say, driving
 * the server's handshake.  Returns the bytes moved. */
size_t peer_pump(struct tls_session *session, struct peer_server *server);

/* Hands the engine raw bytes, as if the server had sent them. */
void peer_inject(struct peer_server *server, const uint8_t *data, size_t len);

/* Server-side application data.  Read: bytes, 0 for none, -1 for an
 * error or close (SSL_get_error's code in *why). */
int peer_server_write(struct peer_server *s, const uint8_t *data, size_t len);
long peer_server_read(struct peer_server *s, uint8_t *out, size_t cap,
		      int *why);

#endif
