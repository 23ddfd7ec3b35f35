/* Certificates and an in-process OpenSSL server for the engine's tests. */
#include "peer.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static int
add_extension(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static int
random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL &&
		 BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;

	BN_free(bn);
	return ok ? 0 : -1;
}

static int
fill_certificate(X509 *cert, EVP_PKEY *key, const struct peer_cert_spec *spec)
{
	X509 *issuer = spec->issuer ? spec->issuer->cert : cert;
	EVP_PKEY *signer = spec->issuer ? spec->issuer->key : key;
	X509_NAME *name = X509_get_subject_name(cert);
	X509V3_CTX ctx;
	const char *usage = spec->kind == PEER_CERT_CA
				? "critical,keyCertSign,cRLSign"
				: "critical,digitalSignature";

	if (X509_set_version(cert, X509_VERSION_3) != 1 ||
	    random_serial(cert) < 0 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)spec->common_name,
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, X509_get_subject_name(issuer)) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert),
			  spec->base + spec->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert),
			  spec->base + spec->not_after) == NULL ||
	    X509_set_pubkey(cert, key) != 1)
		return -1;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if (add_extension(cert, &ctx, NID_basic_constraints,
			  spec->kind == PEER_CERT_CA
			      ? "critical,CA:TRUE"
			      : "critical,CA:FALSE") < 0 ||
	    add_extension(cert, &ctx, NID_key_usage, usage) < 0 ||
	    add_extension(cert, &ctx, NID_subject_key_identifier, "hash") < 0)
		return -1;
	if (spec->issuer != NULL &&
	    add_extension(cert, &ctx, NID_authority_key_identifier,
			  "keyid:always") < 0)
		return -1;
	if (spec->kind != PEER_CERT_CA &&
	    add_extension(cert, &ctx, NID_ext_key_usage,
			  spec->kind == PEER_CERT_SERVER ? "serverAuth"
							 : "clientAuth") < 0)
		return -1;
	if (spec->alt_names != NULL &&
	    add_extension(cert, &ctx, NID_subject_alt_name, spec->alt_names) <
		0)
		return -1;
	return X509_sign(cert, signer, EVP_sha256()) > 0 ? 0 : -1;
}

int
peer_make_credential(struct peer_credential *out,
		     const struct peer_cert_spec *spec)
{
	memset(out, 0, sizeof(*out));
	out->key = EVP_EC_gen("P-256");
	out->cert = X509_new();
	if (out->key == NULL || out->cert == NULL ||
	    fill_certificate(out->cert, out->key, spec) < 0) {
		peer_credential_free(out);
		return -1;
	}
	return 0;
}

void
peer_credential_free(struct peer_credential *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	memset(c, 0, sizeof(*c));
}

static char *
bio_text(BIO *b, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *copy = n > 0 ? malloc((size_t)n + 1) : NULL;

	if (copy != NULL) {
		memcpy(copy, data, (size_t)n);
		copy[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(b);
	return copy;
}

char *
peer_cert_pem(X509 *cert, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (b == NULL || PEM_write_bio_X509(b, cert) != 1) {
		BIO_free(b);
		return NULL;
	}
	return bio_text(b, len);
}

char *
peer_key_pem(EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());

	if (b == NULL ||
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(b);
		return NULL;
	}
	return bio_text(b, len);
}

static int
select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_len,
	    const unsigned char *in, unsigned in_len, void *arg)
{
	const char *wanted = arg;
	size_t wanted_len = strlen(wanted);

	for (unsigned at = 0; at < in_len;) {
		unsigned len = in[at];

		if (len == wanted_len && at + 1 + len <= in_len &&
		    memcmp(in + at + 1, wanted, len) == 0) {
			*out = in + at + 1;
			*out_len = (unsigned char)len;
			return SSL_TLSEXT_ERR_OK;
		}
		at += 1 + len;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *
peer_server_context(const struct peer_server_options *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_security_level(ctx, o->security_level);
	if (SSL_CTX_set_min_proto_version(
		ctx, o->min_version ? o->min_version : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(
		ctx, o->max_version ? o->max_version : TLS1_3_VERSION) != 1 ||
	    (o->tls12_ciphers != NULL &&
	     SSL_CTX_set_cipher_list(ctx, o->tls12_ciphers) != 1) ||
	    SSL_CTX_use_certificate(ctx, o->credential->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, o->credential->key) != 1)
		goto fail;
	if (o->chain_extra != NULL) {
		if (X509_up_ref(o->chain_extra) != 1)
			goto fail;
		if (SSL_CTX_add_extra_chain_cert(ctx, o->chain_extra) != 1) {
			X509_free(o->chain_extra);
			goto fail;
		}
	}
	if (o->client_ca != NULL) {
		X509_STORE *store = SSL_CTX_get_cert_store(ctx);

		if (X509_STORE_add_cert(store, o->client_ca) != 1)
			goto fail;
		SSL_CTX_set_verify(
		    ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    NULL);
	}
	if (o->alpn != NULL)
		SSL_CTX_set_alpn_select_cb(ctx, select_alpn, (void *)o->alpn);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
peer_server_start(struct peer_server *s, SSL_CTX *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ssl = SSL_new(ctx);
	s->in = BIO_new(BIO_s_mem());
	s->out = BIO_new(BIO_s_mem());
	if (s->ssl == NULL || s->in == NULL || s->out == NULL) {
		BIO_free(s->in);
		BIO_free(s->out);
		SSL_free(s->ssl);
		return -1;
	}
	BIO_set_mem_eof_return(s->in, -1);
	SSL_set_bio(s->ssl, s->in, s->out);
	SSL_set_accept_state(s->ssl);
	return 0;
}

void
peer_server_free(struct peer_server *s)
{
	SSL_free(s->ssl);
	s->ssl = NULL;
}

/* From the server's output into the wire buffer, as far as it fits. */
static bool
collect_server_output(struct peer_server *s)
{
	size_t room = sizeof(s->wire) - s->wire_len;
	int got;

	if (room == 0)
		return false;
	got = BIO_read(s->out, s->wire + s->wire_len,
		       room > INT32_MAX ? INT32_MAX : (int)room);
	if (got <= 0)
		return false;
	s->wire_len += (size_t)got;
	return true;
}

/* From the wire buffer into the engine, as far as it takes. */
static bool
deliver_to_engine(struct tls_session *session, struct peer_server *s)
{
	ssize_t took;

	if (s->wire_len == 0)
		return false;
	took = tls_session_feed(session, s->wire, s->wire_len);
	if (took < 0) {
		/* The engine has failed: what remains is never delivered. */
		s->wire_len = 0;
		return true;
	}
	if (took == 0)
		return false;
	memmove(s->wire, s->wire + took, s->wire_len - (size_t)took);
	s->wire_len -= (size_t)took;
	return true;
}

size_t
peer_pump(struct tls_session *session, struct peer_server *s)
{
	static uint8_t buf[64 * 1024];
	size_t moved_total = 0;

	for (;;) {
		bool moved = false;
		size_t n;

		while ((n = tls_session_take(session, buf, sizeof(buf))) > 0) {
			if (BIO_write(s->in, buf, (int)n) != (int)n)
				abort();
			moved_total += n;
			moved = true;
		}
		if (!SSL_is_init_finished(s->ssl)) {
			ERR_clear_error();
			s->handshake_result = SSL_do_handshake(s->ssl);
		}
		while (collect_server_output(s))
			moved = true;
		while (deliver_to_engine(session, s))
			moved = true;
		if (!moved)
			return moved_total;
	}
}

void
peer_inject(struct peer_server *s, const uint8_t *data, size_t len)
{
	if (len > sizeof(s->wire) - s->wire_len)
		abort();
	memcpy(s->wire + s->wire_len, data, len);
	s->wire_len += len;
}

int
peer_server_write(struct peer_server *s, const uint8_t *data, size_t len)
{
	size_t written = 0;

	ERR_clear_error();
	return SSL_write_ex(s->ssl, data, len, &written) == 1 && written == len
		   ? 0
		   : -1;
}

long
peer_server_read(struct peer_server *s, uint8_t *out, size_t cap, int *why)
{
	size_t got = 0;
	int ret;

	ERR_clear_error();
	ret = SSL_read_ex(s->ssl, out, cap, &got);
	if (ret == 1) {
		*why = SSL_ERROR_NONE;
		return (long)got;
	}
	*why = SSL_get_error(s->ssl, ret);
	ERR_clear_error();
	return *why == SSL_ERROR_WANT_READ ? 0 : -1;
}
