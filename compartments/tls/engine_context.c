/*
 * The engine's context: the protocol versions, suites and checks every
 * session gets, the trust anchors, and the client identities sessions
 * may present.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine_internal.h"

/* Chains longer than this are refused: real ones have two or three. */
#define TLS_VERIFY_DEPTH 8
/* Security level 2: 112-bit security, so RSA and DH of 2048 bits or more,
 * ECC of 224 or more, and no SHA-1 in signatures. */
#define TLS_SECURITY_LEVEL 2
/* TLS 1.2 suites: forward secrecy and an AEAD, nothing else. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"
/* TLS 1.3 suites: the library's defaults, written out so that nothing
 * outside the binary can change them. */
#define TLS13_CIPHERSUITES                                                     \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"                 \
	"TLS_AES_128_GCM_SHA256"

/* Never ask for a pass phrase: OpenSSL's default callback would open the
 * terminal.  Keys are given unencrypted. */
static int
no_pass_phrase(char *buf, int size, int rwflag, void *user)
{
	return -1;
}

/* Records the last alert the peer sent, which the error queue reports
 * only as a reason code among many. */
static void
on_info(const SSL *ssl, int where, int value)
{
	struct tls_session *s;

	if ((where & SSL_CB_READ_ALERT) != SSL_CB_READ_ALERT)
		return;
	s = SSL_get_app_data(ssl);
	if (s != NULL)
		s->peer_alert = value;
}

static int
load_trust_anchors(X509_STORE *store, const uint8_t *pem, size_t len)
{
	BIO *in;
	unsigned loaded = 0;
	int rc = 0;

	if (pem == NULL || len == 0 || len > INT_MAX)
		return -EINVAL;
	in = BIO_new_mem_buf(pem, (int)len);
	if (in == NULL)
		return -ENOMEM;
	for (;;) {
		X509 *cert = PEM_read_bio_X509(in, NULL, no_pass_phrase, NULL);

		if (cert == NULL)
			break;
		if (X509_STORE_add_cert(store, cert) != 1)
			rc = -EINVAL;
		X509_free(cert);
		if (rc < 0)
			break;
		loaded++;
	}
	/* The loop ends at the first failure to read: it must be the end of
	 * the input, not a malformed certificate. */
	if (rc == 0 && (loaded == 0 || ERR_GET_REASON(ERR_peek_last_error()) !=
					   PEM_R_NO_START_LINE))
		rc = -EINVAL;
	ERR_clear_error();
	BIO_free(in);
	return rc;
}

static int
configure_context(SSL_CTX *ctx)
{
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS13_CIPHERSUITES) != 1)
		return -ENOMEM;
	SSL_CTX_set_security_level(ctx, TLS_SECURITY_LEVEL);
	SSL_CTX_set_options(ctx,
			    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	/* A server that cannot do secure renegotiation's handshake
	 * extension is refused outright. */
	SSL_CTX_clear_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	/* An idle session gives its 16 KiB record buffers back: 19 KiB a
	 * session instead of 53 (README.md), at no cost we could measure
	 * in throughput. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	/* Our own cache, and not OpenSSL's: it knows nothing of owners. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
						SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_new_cb(ctx, engine_on_new_session);
	SSL_CTX_set_info_callback(ctx, on_info);
	return 0;
}

int
tls_engine_init(struct tls_engine *engine, const uint8_t *trust_pem,
		size_t trust_pem_len)
{
	uint8_t warm_up[16];
	X509_STORE *store;
	int rc;

	memset(engine, 0, sizeof(*engine));
	/* Before anything else touches OpenSSL: without NO_LOAD_CONFIG the
	 * first use reads openssl.cnf, and the host's file would decide our
	 * protocol versions and suites. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
				 OPENSSL_INIT_LOAD_SSL_STRINGS |
				 OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
			     NULL) != 1)
		return -ENOMEM;
	/* Instantiate both random generators now, seeded by getrandom(),
	 * rather than at the first handshake. */
	if (RAND_bytes(warm_up, sizeof(warm_up)) != 1 ||
	    RAND_priv_bytes(warm_up, sizeof(warm_up)) != 1)
		return -ENOMEM;
	OPENSSL_cleanse(warm_up, sizeof(warm_up));
	engine->ctx = SSL_CTX_new(TLS_client_method());
	if (engine->ctx == NULL)
		return -ENOMEM;
	rc = configure_context(engine->ctx);
	if (rc < 0)
		goto fail;
	/* A store with no lookup methods: it never looks in a directory. */
	store = X509_STORE_new();
	if (store == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = load_trust_anchors(store, trust_pem, trust_pem_len);
	if (rc < 0) {
		X509_STORE_free(store);
		goto fail;
	}
	SSL_CTX_set_cert_store(engine->ctx, store);
	ERR_clear_error();
	return 0;
fail:
	SSL_CTX_free(engine->ctx);
	engine->ctx = NULL;
	ERR_clear_error();
	return rc;
}

static void
identity_clear(struct tls_identity *id)
{
	X509_free(id->certificate);
	sk_X509_pop_free(id->chain, X509_free);
	EVP_PKEY_free(id->key);
	memset(id, 0, sizeof(*id));
}

/* The first certificate is the identity's own, the rest its chain. */
static int
load_chain(struct tls_identity *id, const uint8_t *pem, size_t len)
{
	BIO *in;
	int rc = 0;

	if (pem == NULL || len == 0 || len > INT_MAX)
		return -EINVAL;
	in = BIO_new_mem_buf(pem, (int)len);
	if (in == NULL)
		return -ENOMEM;
	id->chain = sk_X509_new_null();
	if (id->chain == NULL) {
		BIO_free(in);
		return -ENOMEM;
	}
	for (;;) {
		X509 *cert = PEM_read_bio_X509(in, NULL, no_pass_phrase, NULL);

		if (cert == NULL)
			break;
		if (id->certificate == NULL) {
			id->certificate = cert;
		} else if (sk_X509_push(id->chain, cert) <= 0) {
			X509_free(cert);
			rc = -ENOMEM;
			break;
		}
	}
	if (rc == 0 &&
	    (id->certificate == NULL ||
	     ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE))
		rc = -EINVAL;
	ERR_clear_error();
	BIO_free(in);
	return rc;
}

static int
load_key(struct tls_identity *id, const uint8_t *pem, size_t len)
{
	BIO *in;

	if (pem == NULL || len == 0 || len > INT_MAX)
		return -EINVAL;
	in = BIO_new_mem_buf(pem, (int)len);
	if (in == NULL)
		return -ENOMEM;
	id->key = PEM_read_bio_PrivateKey(in, NULL, no_pass_phrase, NULL);
	BIO_free(in);
	ERR_clear_error();
	return id->key != NULL ? 0 : -EINVAL;
}

int
engine_find_identity(const struct tls_engine *engine, const char *name)
{
	for (unsigned i = 0; i < engine->identity_count; i++)
		if (strcmp(engine->identities[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
tls_engine_add_identity(struct tls_engine *engine, const char *name,
			const uint8_t *chain_pem, size_t chain_pem_len,
			const uint8_t *key_pem, size_t key_pem_len)
{
	struct tls_identity id;
	size_t name_len;
	int rc;

	if (engine->ctx == NULL || name == NULL)
		return -EINVAL;
	name_len = strnlen(name, TLS_IDENTITY_NAME_MAX + 1);
	if (name_len == 0 || name_len > TLS_IDENTITY_NAME_MAX ||
	    engine_find_identity(engine, name) >= 0)
		return -EINVAL;
	if (engine->identity_count == TLS_IDENTITIES_MAX)
		return -ENOSPC;
	memset(&id, 0, sizeof(id));
	memcpy(id.name, name, name_len);
	rc = load_chain(&id, chain_pem, chain_pem_len);
	if (rc == 0)
		rc = load_key(&id, key_pem, key_pem_len);
	if (rc == 0 && X509_check_private_key(id.certificate, id.key) != 1)
		rc = -EINVAL;
	ERR_clear_error();
	if (rc < 0) {
		identity_clear(&id);
		return rc;
	}
	engine->identities[engine->identity_count++] = id;
	return 0;
}

void
tls_engine_free(struct tls_engine *engine)
{
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		if (engine->cache[i].session != NULL)
			engine_cache_clear(&engine->cache[i]);
	for (unsigned i = 0; i < engine->identity_count; i++)
		identity_clear(&engine->identities[i]);
	SSL_CTX_free(engine->ctx);
	memset(engine, 0, sizeof(*engine));
}
