/*
 * Writes the tls_engine fuzz target's seeds: what real OpenSSL servers sent
 * the engine in complete handshakes (TLS 1.3 and 1.2, with and without a
 * client certificate request, with ALPN), each followed by application
 * data and close_notify.  Also writes the header with the CA certificate
 * that signed the servers' certificates, so that the fuzz target trusts
 * them; every private key is discarded on exit.
 *
 *   tls_fuzz_seeds CORPUS_DIR HEADER
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "engine.h"
#include "fuzz_input.h"
#include "peer.h"

#define DAY	 (24L * 60 * 60)
#define YEARS_20 (20L * 365 * DAY)

static struct peer_credential ca, server_cert, client_cert;
static struct tls_engine engine;
static time_t now;

struct flight {
	uint8_t bytes[64 * 1024];
	size_t len;
};

/* A handshake and a little data, recording every byte the server sent. */
static int
record(SSL_CTX *server_ctx, const char *identity, bool alpn, struct flight *out)
{
	static struct peer_server server;
	static uint8_t buf[64 * 1024];
	struct tls_session session;
	struct tls_session_config c = {
	    .host = FUZZ_HOST,
	    .port = 443,
	    .owner = 1,
	    .identity = identity,
	    .alpn = alpn ? (const uint8_t *)FUZZ_ALPN : NULL,
	    .alpn_len = alpn ? sizeof(FUZZ_ALPN) - 1 : 0,
	    .verify_time = now,
	};
	bool sent_data = false;

	out->len = 0;
	if (peer_server_start(&server, server_ctx) < 0 ||
	    tls_session_init(&engine, &session, &c) < 0)
		return -1;
	for (int turn = 0; turn < 50; turn++) {
		size_t n;
		int got;

		while ((n = tls_session_take(&session, buf, sizeof(buf))) > 0)
			if (BIO_write(server.in, buf, (int)n) != (int)n)
				return -1;
		if (!SSL_is_init_finished(server.ssl)) {
			ERR_clear_error();
			(void)SSL_do_handshake(server.ssl);
		} else if (!sent_data) {
			if (peer_server_write(&server, (const uint8_t *)"hello",
					      5) < 0 ||
			    SSL_shutdown(server.ssl) < 0)
				return -1;
			sent_data = true;
		}
		while ((got = BIO_read(server.out, buf, sizeof(buf))) > 0) {
			if ((size_t)got > sizeof(out->bytes) - out->len)
				return -1;
			memcpy(out->bytes + out->len, buf, (size_t)got);
			out->len += (size_t)got;
			if (tls_session_feed(&session, buf, (size_t)got) != got)
				return -1;
		}
	}
	tls_session_free(&session);
	peer_server_free(&server);
	return sent_data ? 0 : -1;
}

static int
write_seed(const char *dir, const char *name, uint8_t chunking,
	   const struct flight *f)
{
	char path[4096];
	FILE *file;
	int ok;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -1;
	file = fopen(path, "wb");
	if (file == NULL)
		return -1;
	ok = fwrite(&chunking, 1, 1, file) == 1 &&
	     fwrite(f->bytes, 1, f->len, file) == f->len;
	return fclose(file) == 0 && ok ? 0 : -1;
}

static int
write_header(const char *path)
{
	size_t len;
	char *pem = peer_cert_pem(ca.cert, &len);
	FILE *file;
	int ok;

	if (pem == NULL)
		return -1;
	file = fopen(path, "w");
	if (file == NULL) {
		free(pem);
		return -1;
	}
	ok = fprintf(file,
		     "/* Made by compartments/tls/fuzz/make_seeds.c (make "
		     "tls-fuzz-seeds): the CA\n * that signed the certificates"
		     " in the seeds, and the time they were made.\n * Its "
		     "private key was discarded. */\n"
		     "#define FUZZ_SEED_TIME %lld\n"
		     "static const char fuzz_seed_ca[] =\n",
		     (long long)now) > 0;
	for (char *line = strtok(pem, "\n"); ok && line != NULL;
	     line = strtok(NULL, "\n"))
		ok = fprintf(file, "    \"%s\\n\"\n", line) > 0;
	ok = ok && fprintf(file, "    ;\n") > 0;
	free(pem);
	return fclose(file) == 0 && ok ? 0 : -1;
}

static int
make_credentials(void)
{
	struct peer_cert_spec spec = {
	    .kind = PEER_CERT_CA,
	    .common_name = "sealnet fuzz seed CA",
	    .base = now,
	    .not_before = -DAY,
	    .not_after = YEARS_20,
	};

	if (peer_make_credential(&ca, &spec) < 0)
		return -1;
	spec = (struct peer_cert_spec){.kind = PEER_CERT_SERVER,
				       .common_name = FUZZ_HOST,
				       .alt_names = "DNS:" FUZZ_HOST,
				       .base = now,
				       .not_before = -DAY,
				       .not_after = YEARS_20,
				       .issuer = &ca};
	if (peer_make_credential(&server_cert, &spec) < 0)
		return -1;
	spec.kind = PEER_CERT_CLIENT;
	spec.common_name = "sealnet fuzz client";
	spec.alt_names = NULL;
	return peer_make_credential(&client_cert, &spec);
}

static int
add_identity(void)
{
	size_t cert_len, key_len;
	char *cert = peer_cert_pem(client_cert.cert, &cert_len);
	char *key = peer_key_pem(client_cert.key, &key_len);
	int rc = cert && key
		     ? tls_engine_add_identity(&engine, FUZZ_IDENTITY,
					       (uint8_t *)cert, cert_len,
					       (uint8_t *)key, key_len)
		     : -ENOMEM;

	free(cert);
	free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct flight flight;
	struct {
		const char *name;
		int version;
		bool client_auth;
		bool alpn;
		uint8_t chunking;
	} seeds[] = {
	    {"tls13", TLS1_3_VERSION, false, false, 0},
	    {"tls13_small_chunks", TLS1_3_VERSION, false, false, 1},
	    {"tls12", TLS1_2_VERSION, false, false, 0},
	    {"tls12_small_chunks", TLS1_2_VERSION, false, false, 3},
	    {"tls13_client_auth", TLS1_3_VERSION, true, false, 0},
	    {"tls12_client_auth", TLS1_2_VERSION, true, false, 0},
	    {"tls13_alpn", TLS1_3_VERSION, false, true, 0},
	};
	size_t pem_len;
	char *pem;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR HEADER\n", argv[0]);
		return 2;
	}
	now = time(NULL);
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 ||
	    make_credentials() < 0)
		return 1;
	pem = peer_cert_pem(ca.cert, &pem_len);
	if (pem == NULL ||
	    tls_engine_init(&engine, (const uint8_t *)pem, pem_len) < 0 ||
	    add_identity() < 0)
		return 1;
	free(pem);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct peer_server_options o = {
		    .min_version = seeds[i].version,
		    .max_version = seeds[i].version,
		    .security_level = 2,
		    .credential = &server_cert,
		    .client_ca = seeds[i].client_auth ? ca.cert : NULL,
		    .alpn = seeds[i].alpn ? "ntske/1" : NULL,
		};
		SSL_CTX *ctx = peer_server_context(&o);

		if (ctx == NULL ||
		    record(ctx, seeds[i].client_auth ? FUZZ_IDENTITY : NULL,
			   seeds[i].alpn, &flight) < 0 ||
		    write_seed(
			argv[1], seeds[i].name,
			(uint8_t)(seeds[i].chunking |
				  (seeds[i].client_auth ? FUZZ_WITH_IDENTITY
							: 0) |
				  (seeds[i].alpn ? FUZZ_WITH_ALPN : 0)),
			&flight) < 0) {
			fprintf(stderr, "tls_fuzz_seeds: %s failed\n",
				seeds[i].name);
			return 1;
		}
		SSL_CTX_free(ctx);
	}
	if (write_header(argv[2]) < 0)
		return 1;
	tls_engine_free(&engine);
	peer_credential_free(&ca);
	peer_credential_free(&server_cert);
	peer_credential_free(&client_cert);
	return 0;
}
