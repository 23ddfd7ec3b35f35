/*
 * The files the tls_calls fuzz target boots the TLS compartment with, as
 * the supervisor would hand it the image's: the CA that signed the seeds'
 * server certificates as the trust anchors, and an identity "fuzz" (a
 * key and certificate made here, at start) for the capability the
 * harness grants with it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "call_replies.h"
#include "fuzz_input.h"
#include "peer.h"
#include "seed_ca.h"

static void
file(struct fuzz_boot_file *f, const char *name, const void *data, size_t len)
{
	unsigned md_len = 0;

	f->name = name;
	f->data = data;
	f->len = len;
	if (EVP_Digest(data, len, f->sha256, &md_len, EVP_sha256(), NULL) !=
		1 ||
	    md_len != sizeof(f->sha256))
		abort();
}

unsigned
fuzz_boot_files(struct fuzz_boot_file *out, unsigned max)
{
	static struct peer_credential identity;
	struct peer_cert_spec spec = {
	    .kind = PEER_CERT_CLIENT,
	    .common_name = FUZZ_IDENTITY,
	    .base = FUZZ_SEED_TIME,
	    .not_before = 0,
	    .not_after = 20L * 365 * 24 * 60 * 60,
	};
	/* Kept for the process's life, as the memfds are. */
	static char *cert, *key;
	size_t cert_len, key_len;

	/* As the compartment does: OpenSSL without its configuration. */
	if (max < 3 ||
	    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 ||
	    peer_make_credential(&identity, &spec) < 0 ||
	    (cert = peer_cert_pem(identity.cert, &cert_len)) == NULL ||
	    (key = peer_key_pem(identity.key, &key_len)) == NULL)
		abort();
	file(&out[0], "trust_anchors", fuzz_seed_ca, sizeof(fuzz_seed_ca) - 1);
	file(&out[1], "identity/" FUZZ_IDENTITY "/certificate", cert, cert_len);
	file(&out[2], "identity/" FUZZ_IDENTITY "/key", key, key_len);
	return 3;
}
