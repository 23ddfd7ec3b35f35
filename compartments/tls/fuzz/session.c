/*
 * tls_engine: an engine session fed whatever the fuzzer says the server
 * sent.  The ClientHello is taken; then the input (after its control byte,
 * fuzz_input.h) is fed in pieces, with everything a compartment would do
 * between pieces: take output, read plaintext, write.  Then the end of
 * stream, a last read, close, and free.  The engine must never crash,
 * never leak, and never let plaintext out before the handshake is done.
 *
 * The engine trusts the CA that signed the seeds' certificates and checks
 * them at the time the seeds were made, so TLS 1.2 flights get as far as
 * the ServerKeyExchange signature (which covers this run's random).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "engine.h"
#include "fuzz_input.h"
#include "peer.h"
#include "seed_ca.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_engine engine;

/* An identity for CertificateRequest: the server never checks it here. */
static void
add_identity(void)
{
	struct peer_credential me;
	struct peer_cert_spec spec = {
	    .kind = PEER_CERT_CLIENT,
	    .common_name = "fuzz client",
	    .base = FUZZ_SEED_TIME,
	    .not_before = -1,
	    .not_after = 1,
	};
	size_t cert_len, key_len;
	char *cert, *key;

	if (peer_make_credential(&me, &spec) < 0)
		abort();
	cert = peer_cert_pem(me.cert, &cert_len);
	key = peer_key_pem(me.key, &key_len);
	if (cert == NULL || key == NULL ||
	    tls_engine_add_identity(&engine, FUZZ_IDENTITY,
				    (const uint8_t *)cert, cert_len,
				    (const uint8_t *)key, key_len) != 0)
		abort();
	free(cert);
	free(key);
	peer_credential_free(&me);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (tls_engine_init(&engine, (const uint8_t *)fuzz_seed_ca,
			    sizeof(fuzz_seed_ca) - 1) != 0)
		abort();
	add_identity();
	return 0;
}

/* What a compartment does between two pieces of input. */
static void
drive(struct tls_session *s)
{
	static uint8_t buf[32 * 1024];
	enum tls_session_state state;
	ssize_t n;

	while (tls_session_take(s, buf, sizeof(buf)) > 0)
		continue;
	while ((n = tls_session_read(s, buf, sizeof(buf))) > 0)
		if ((size_t)n > sizeof(buf))
			abort();
	/* Plaintext is taken only from an established session. */
	state = tls_session_state(s);
	n = tls_session_write(s, (const uint8_t *)"ping", 4);
	if (n > 0 && state != TLS_SESSION_ESTABLISHED)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_session_config config = {
	    .host = FUZZ_HOST,
	    .port = 443,
	    .owner = 1,
	    .verify_time = FUZZ_SEED_TIME,
	};
	struct tls_session s;
	uint8_t control, out[TLS_EXPORT_MAX];
	const uint8_t *alpn;
	size_t chunk, at = 0;

	if (size == 0)
		return 0;
	control = data[0];
	data++;
	size--;
	if (control & FUZZ_WITH_IDENTITY)
		config.identity = FUZZ_IDENTITY;
	if (control & FUZZ_WITH_ALPN) {
		config.alpn = (const uint8_t *)FUZZ_ALPN;
		config.alpn_len = sizeof(FUZZ_ALPN) - 1;
	}
	/* No tickets carried from one input to the next. */
	tls_engine_forget_owner(&engine, config.owner);
	if (tls_session_init(&engine, &s, &config) != 0)
		abort();
	drive(&s);
	chunk = fuzz_chunk_size(control, size);
	while (at < size) {
		size_t piece = size - at < chunk ? size - at : chunk;
		ssize_t took = tls_session_feed(&s, data + at, piece);

		if (took < 0)
			break;
		if ((size_t)took > piece)
			abort();
		at += (size_t)took;
		drive(&s);
		/* Nothing taken, and nothing read made room: the engine
		 * holds a full buffer of records it cannot use. */
		if (took == 0 && tls_session_feed(&s, data + at, 1) == 0)
			break;
	}
	(void)tls_session_version(&s);
	(void)tls_session_resumed(&s);
	(void)tls_session_alpn(&s, &alpn);
	(void)tls_session_export(&s, "EXPORTER-fuzz", NULL, 0, out, 32);
	tls_session_feed_eof(&s);
	drive(&s);
	(void)tls_session_close(&s);
	drive(&s);
	tls_session_free(&s);
	return 0;
}
