/* The TLS engine: OpenSSL client sessions over memory BIOs.  Every OpenSSL
 * call's result is checked, the error queue is emptied before each call
 * whose failure is classified, and every length crossing into OpenSSL's
 * int-sized arguments is bounded first. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sealnet/tls.h>

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
/* Alert levels and the descriptions that mean "I refuse this handshake"
 * (RFC 8446 section 6.2), whenever they arrive: in TLS 1.3 the server
 * judges our certificate after we have finished. */
#define ALERT_LEVEL_FATAL 2
#define NO_ALERT	  (-1)

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

/* Never ask for a pass phrase: OpenSSL's default callback would open the
 * terminal.  Keys are given unencrypted. */
static int
no_pass_phrase(char *buf, int size, int rwflag, void *user)
{
	return -1;
}

/* ---- the resumption cache ---- */

static bool
cache_key_equal(const struct tls_cache_entry *e, uint32_t owner,
		const char *host, uint16_t port, int identity)
{
	return e->session != NULL && e->owner == owner && e->port == port &&
	       e->identity == identity && strcmp(e->host, host) == 0;
}

static struct tls_cache_entry *
cache_find(struct tls_engine *engine, uint32_t owner, const char *host,
	   uint16_t port, int identity)
{
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		if (cache_key_equal(&engine->cache[i], owner, host, port,
				    identity))
			return &engine->cache[i];
	return NULL;
}

static void
cache_clear_entry(struct tls_cache_entry *e)
{
	SSL_SESSION_free(e->session);
	memset(e, 0, sizeof(*e));
}

/* The slot for a new ticket: the key's own, a free one, or the one stored
 * longest ago. */
static struct tls_cache_entry *
cache_slot(struct tls_engine *engine, uint32_t owner, const char *host,
	   uint16_t port, int identity)
{
	struct tls_cache_entry *oldest = &engine->cache[0];
	struct tls_cache_entry *e =
	    cache_find(engine, owner, host, port, identity);

	if (e != NULL)
		return e;
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++) {
		e = &engine->cache[i];
		if (e->session == NULL)
			return e;
		if (e->last_stored < oldest->last_stored)
			oldest = e;
	}
	engine->cache_stats.evicted++;
	return oldest;
}

/* OpenSSL's new-session callback: a ticket (TLS 1.3, or 1.2 with tickets)
 * or a session id (1.2) from a verified server.  The cache keeps a copy:
 * OpenSSL marks the connection's own object unresumable when the
 * connection is freed without close_notify, which most are. */
static int
on_new_session(SSL *ssl, SSL_SESSION *ticket)
{
	struct tls_session *s = SSL_get_app_data(ssl);
	struct tls_cache_entry *e;
	SSL_SESSION *copy;

	if (s == NULL || s->state == TLS_SESSION_FAILED ||
	    SSL_SESSION_is_resumable(ticket) != 1)
		return 0;
	copy = SSL_SESSION_dup(ticket);
	if (copy == NULL) {
		ERR_clear_error();
		return 0;
	}
	e = cache_slot(s->engine, s->owner, s->host, s->port, s->identity);
	if (e->session != NULL)
		cache_clear_entry(e);
	e->session = copy;
	e->owner = s->owner;
	e->port = s->port;
	e->identity = s->identity;
	memcpy(e->host, s->host, sizeof(e->host));
	e->last_stored = ++s->engine->cache_clock;
	s->engine->cache_stats.stored++;
	/* 0: OpenSSL keeps, and frees, its own reference. */
	return 0;
}

void
tls_engine_forget_owner(struct tls_engine *engine, uint32_t owner)
{
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		if (engine->cache[i].session != NULL &&
		    engine->cache[i].owner == owner)
			cache_clear_entry(&engine->cache[i]);
}

/* ---- the context ---- */

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
	SSL_CTX_sess_set_new_cb(ctx, on_new_session);
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

static int
find_identity(const struct tls_engine *engine, const char *name)
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
	    find_identity(engine, name) >= 0)
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
			cache_clear_entry(&engine->cache[i]);
	for (unsigned i = 0; i < engine->identity_count; i++)
		identity_clear(&engine->identities[i]);
	SSL_CTX_free(engine->ctx);
	memset(engine, 0, sizeof(*engine));
}

/* ---- failures ---- */

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

static void
fail(struct tls_session *s, int code)
{
	s->state = TLS_SESSION_FAILED;
	s->error = code;
}

/* Acts on an OpenSSL call's result `ret`; true if the call may be retried
 * once more ciphertext has arrived. */
static bool
handle_result(struct tls_session *s, int ret)
{
	switch (SSL_get_error(s->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return true;
	case SSL_ERROR_ZERO_RETURN:
		if (s->state == TLS_SESSION_HANDSHAKING)
			fail(s, SEALNET_TLS_EPEER_CLOSED);
		else
			s->state = TLS_SESSION_PEER_CLOSED;
		break;
	case SSL_ERROR_SYSCALL:
		/* With memory BIOs only the end of input we set gets here. */
		fail(s, SEALNET_TLS_EPEER_RESET);
		break;
	case SSL_ERROR_SSL:
		fail(s, classify_ssl_error(s));
		break;
	default:
		fail(s, SEALNET_TLS_EPROTOCOL);
		break;
	}
	ERR_clear_error();
	return false;
}

/* Runs the handshake as far as the ciphertext allows, then lets OpenSSL
 * look at what follows it (tickets, key updates, alerts, close_notify)
 * without taking any plaintext, so that the state is current after every
 * feed. */
static void
advance(struct tls_session *s)
{
	uint8_t byte;
	size_t seen;
	int ret;

	if (s->state == TLS_SESSION_HANDSHAKING) {
		ERR_clear_error();
		ret = SSL_do_handshake(s->ssl);
		if (ret != 1) {
			(void)handle_result(s, ret);
			return;
		}
		s->state = TLS_SESSION_ESTABLISHED;
	}
	if (s->state != TLS_SESSION_ESTABLISHED)
		return;
	ERR_clear_error();
	ret = SSL_peek_ex(s->ssl, &byte, sizeof(byte), &seen);
	if (ret != 1)
		(void)handle_result(s, ret);
}

/* ---- sessions ---- */

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Copies the host in lower case; true if it is an IP literal. */
static int
check_host(const char *host, char out[TLS_HOST_MAX + 1], bool *is_ip)
{
	struct in6_addr addr;
	size_t len;

	if (host == NULL)
		return -EINVAL;
	len = strnlen(host, TLS_HOST_MAX + 1);
	if (len == 0 || len > TLS_HOST_MAX)
		return -EINVAL;
	*is_ip = inet_pton(AF_INET, host, &addr) == 1 ||
		 inet_pton(AF_INET6, host, &addr) == 1;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		if (!*is_ip && !is_host_char(c))
			return -EINVAL;
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	return 0;
}

static int
check_alpn(const uint8_t *alpn, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return 0;
	if (alpn == NULL || len > TLS_ALPN_MAX)
		return -EINVAL;
	while (at < len) {
		size_t name = alpn[at];

		if (name == 0 || name > len - at - 1)
			return -EINVAL;
		at += 1 + name;
	}
	return 0;
}

static int
configure_session(struct tls_session *s, const struct tls_session_config *c,
		  bool is_ip)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);

	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	X509_VERIFY_PARAM_set_time(param, (time_t)c->verify_time);
	if (is_ip) {
		/* RFC 6066: SNI carries host names only. */
		if (X509_VERIFY_PARAM_set1_ip_asc(param, s->host) != 1)
			return -EINVAL;
	} else if (X509_VERIFY_PARAM_set1_host(param, s->host, 0) != 1 ||
		   SSL_set_tlsext_host_name(s->ssl, s->host) != 1) {
		return -ENOMEM;
	}
	/* SSL_set_alpn_protos alone returns 0 on success. */
	if (c->alpn_len > 0 &&
	    SSL_set_alpn_protos(s->ssl, c->alpn, (unsigned)c->alpn_len) != 0)
		return -ENOMEM;
	if (s->identity >= 0) {
		struct tls_identity *id = &s->engine->identities[s->identity];

		if (SSL_use_cert_and_key(s->ssl, id->certificate, id->key,
					 id->chain, 1) != 1)
			return -EINVAL;
	}
	return 0;
}

/* A TLS 1.3 ticket is offered once: reusing one would let an observer link
 * the connections (RFC 8446 appendix C.4), and the connection that uses it
 * receives fresh ones.  A TLS 1.2 server renews its ticket only when it
 * chooses to, so a 1.2 session stays until the server replaces it. */
static int
offer_ticket(struct tls_session *s)
{
	struct tls_cache_entry *e =
	    cache_find(s->engine, s->owner, s->host, s->port, s->identity);
	SSL_SESSION *offered;
	bool single_use;
	int rc = 0;

	if (e == NULL)
		return 0;
	single_use =
	    SSL_SESSION_get_protocol_version(e->session) == TLS1_3_VERSION;
	if (SSL_SESSION_is_resumable(e->session) != 1) {
		cache_clear_entry(e);
		return 0;
	}
	/* The connection gets a copy: freeing it without close_notify
	 * marks its session unresumable, and that must not reach ours. */
	offered = single_use ? e->session : SSL_SESSION_dup(e->session);
	if (offered == NULL || SSL_set_session(s->ssl, offered) != 1)
		rc = -ENOMEM;
	else
		s->engine->cache_stats.offered++;
	if (single_use)
		cache_clear_entry(e);
	else
		SSL_SESSION_free(offered);
	ERR_clear_error();
	return rc;
}

int
tls_session_init(struct tls_engine *engine, struct tls_session *session,
		 const struct tls_session_config *config)
{
	struct tls_session s;
	bool is_ip = false;
	int rc;

	memset(session, 0, sizeof(*session));
	memset(&s, 0, sizeof(s));
	if (engine == NULL || engine->ctx == NULL || config == NULL ||
	    config->verify_time < 0 ||
	    check_host(config->host, s.host, &is_ip) < 0 ||
	    check_alpn(config->alpn, config->alpn_len) < 0)
		return -EINVAL;
	s.identity = -1;
	if (config->identity != NULL) {
		s.identity = find_identity(engine, config->identity);
		if (s.identity < 0)
			return -EINVAL;
	}
	s.engine = engine;
	s.owner = config->owner;
	s.port = config->port;
	s.state = TLS_SESSION_HANDSHAKING;
	s.peer_alert = NO_ALERT;
	s.ssl = SSL_new(engine->ctx);
	s.from_network = BIO_new(BIO_s_mem());
	s.to_network = BIO_new(BIO_s_mem());
	if (s.ssl == NULL || s.from_network == NULL || s.to_network == NULL) {
		BIO_free(s.from_network);
		BIO_free(s.to_network);
		SSL_free(s.ssl);
		ERR_clear_error();
		return -ENOMEM;
	}
	/* An empty input is "not yet", not the end of the stream; only
	 * tls_session_feed_eof says that. */
	BIO_set_mem_eof_return(s.from_network, -1);
	SSL_set_bio(s.ssl, s.from_network, s.to_network);
	SSL_set_connect_state(s.ssl);
	rc = configure_session(&s, config, is_ip);
	if (rc == 0)
		rc = offer_ticket(&s);
	if (rc < 0) {
		SSL_free(s.ssl);
		ERR_clear_error();
		return rc;
	}
	*session = s;
	/* The callbacks find the session through this, so it is set only
	 * once the session is at the address it will keep. */
	if (SSL_set_app_data(session->ssl, session) != 1) {
		SSL_free(session->ssl);
		memset(session, 0, sizeof(*session));
		ERR_clear_error();
		return -ENOMEM;
	}
	advance(session);
	return 0;
}

void
tls_session_free(struct tls_session *session)
{
	SSL_free(session->ssl);
	memset(session, 0, sizeof(*session));
}

/* The code a refused feed, write or read returns in each final state. */
static ssize_t
refusal(const struct tls_session *s)
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

ssize_t
tls_session_feed(struct tls_session *session, const uint8_t *data, size_t len)
{
	size_t buffered, room, take;

	if (session->ssl == NULL || (data == NULL && len > 0) ||
	    session->transport_ended)
		return -EINVAL;
	if (session->state != TLS_SESSION_HANDSHAKING &&
	    session->state != TLS_SESSION_ESTABLISHED)
		return refusal(session);
	buffered = BIO_ctrl_pending(session->from_network);
	room = buffered < TLS_CIPHERTEXT_BUFFERED_MAX
		   ? TLS_CIPHERTEXT_BUFFERED_MAX - buffered
		   : 0;
	take = len < room ? len : room;
	if (take > 0 &&
	    BIO_write(session->from_network, data, (int)take) != (int)take) {
		ERR_clear_error();
		fail(session, -ENOMEM);
		return -ENOMEM;
	}
	advance(session);
	if (session->state == TLS_SESSION_FAILED)
		return session->error;
	return (ssize_t)take;
}

void
tls_session_feed_eof(struct tls_session *session)
{
	if (session->ssl == NULL || session->transport_ended)
		return;
	session->transport_ended = true;
	/* From now on an empty input is the end of the stream. */
	BIO_set_mem_eof_return(session->from_network, 0);
	advance(session);
}

size_t
tls_session_pending(const struct tls_session *session)
{
	return session->ssl != NULL ? BIO_ctrl_pending(session->to_network) : 0;
}

size_t
tls_session_take(struct tls_session *session, uint8_t *out, size_t cap)
{
	int got;

	if (session->ssl == NULL || out == NULL || cap == 0)
		return 0;
	got = BIO_read(session->to_network, out,
		       cap > INT_MAX ? INT_MAX : (int)cap);
	return got > 0 ? (size_t)got : 0;
}

ssize_t
tls_session_write(struct tls_session *session, const uint8_t *data, size_t len)
{
	size_t done = 0;

	if (session->ssl == NULL || (data == NULL && len > 0) ||
	    len > SSIZE_MAX)
		return -EINVAL;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return refusal(session);
	/* One record per call to OpenSSL, and none once enough ciphertext
	 * waits: memory BIOs never push back, so this is where the bound
	 * on buffered output lives. */
	while (done < len && BIO_ctrl_pending(session->to_network) <
				 TLS_CIPHERTEXT_BUFFERED_MAX) {
		size_t chunk = len - done < TLS_PLAINTEXT_RECORD_MAX
				   ? len - done
				   : TLS_PLAINTEXT_RECORD_MAX;
		size_t written = 0;
		int ret;

		ERR_clear_error();
		ret = SSL_write_ex(session->ssl, data + done, chunk, &written);
		if (ret != 1) {
			(void)handle_result(session, ret);
			break;
		}
		done += written;
	}
	if (done > 0)
		return (ssize_t)done;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return refusal(session);
	return -EAGAIN;
}

ssize_t
tls_session_read(struct tls_session *session, uint8_t *out, size_t cap)
{
	size_t got = 0;
	int ret;

	if (session->ssl == NULL || (out == NULL && cap > 0) || cap > SSIZE_MAX)
		return -EINVAL;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return refusal(session);
	if (cap == 0)
		return 0;
	ERR_clear_error();
	ret = SSL_read_ex(session->ssl, out, cap, &got);
	if (ret == 1)
		return (ssize_t)got;
	if (handle_result(session, ret))
		return -EAGAIN;
	return refusal(session);
}

int
tls_session_close(struct tls_session *session)
{
	int ret;

	if (session->ssl == NULL)
		return -EINVAL;
	switch (session->state) {
	case TLS_SESSION_FAILED:
		return session->error;
	case TLS_SESSION_CLOSED:
		return 0;
	case TLS_SESSION_HANDSHAKING:
		/* Nothing was said yet that close_notify could end. */
		session->state = TLS_SESSION_CLOSED;
		return 0;
	case TLS_SESSION_ESTABLISHED:
	case TLS_SESSION_PEER_CLOSED:
		break;
	}
	ERR_clear_error();
	/* 0: sent, the peer's not yet seen; 1: both done.  Either way
	 * close_notify is in the output. */
	ret = SSL_shutdown(session->ssl);
	ERR_clear_error();
	session->state = TLS_SESSION_CLOSED;
	return ret >= 0 ? 0 : -ENOMEM;
}

enum tls_session_state
tls_session_state(const struct tls_session *session)
{
	return session->state;
}

int
tls_session_error(const struct tls_session *session)
{
	return session->state == TLS_SESSION_FAILED ? session->error : 0;
}

static bool
handshake_done(const struct tls_session *s)
{
	return s->ssl != NULL && (s->state == TLS_SESSION_ESTABLISHED ||
				  s->state == TLS_SESSION_PEER_CLOSED);
}

int
tls_session_version(const struct tls_session *session)
{
	return handshake_done(session) ? SSL_version(session->ssl) : 0;
}

bool
tls_session_resumed(const struct tls_session *session)
{
	return handshake_done(session) && SSL_session_reused(session->ssl) == 1;
}

size_t
tls_session_alpn(const struct tls_session *session, const uint8_t **protocol)
{
	const unsigned char *data = NULL;
	unsigned len = 0;

	*protocol = NULL;
	if (!handshake_done(session))
		return 0;
	SSL_get0_alpn_selected(session->ssl, &data, &len);
	*protocol = len > 0 ? data : NULL;
	return len;
}

int
tls_session_export(const struct tls_session *session, const char *label,
		   const uint8_t *context, size_t context_len, uint8_t *out,
		   size_t out_len)
{
	size_t label_len;
	int ret;

	if (label == NULL || out == NULL || out_len == 0 ||
	    out_len > TLS_EXPORT_MAX || (context == NULL && context_len > 0) ||
	    context_len > UINT16_MAX)
		return -EINVAL;
	label_len = strnlen(label, TLS_EXPORT_LABEL_MAX + 1);
	if (label_len > TLS_EXPORT_LABEL_MAX)
		return -EINVAL;
	if (!handshake_done(session))
		return -ENOTCONN;
	ERR_clear_error();
	ret = SSL_export_keying_material(session->ssl, out, out_len, label,
					 label_len, context, context_len, 1);
	ERR_clear_error();
	return ret == 1 ? 0 : -EINVAL;
}
