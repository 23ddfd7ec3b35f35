/*
 * tls_bench: figures for the TLS engine against an OpenSSL server in the
 * same process, one JSON object per line.  Not a test: nothing here passes
 * or fails.  Both ends run on the same core, so every figure includes the
 * server's share of the work.
 *
 *   handshake   full and resumed, TLS 1.3 and 1.2, microseconds each
 *   bulk        engine to server and back, MB/s, per cipher suite
 *   memory      heap OpenSSL holds for established idle sessions, and the
 *               process's RSS, with 1 and 64 of them
 *
 *   tls_bench [--quick]
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sealnet/tls.h>

#include "engine.h"
#include "peer.h"

#define DAY	    (24L * 60 * 60)
#define HOST	    "example.com"
#define IDLE_MANY   64
#define BULK_RECORD TLS_PLAINTEXT_RECORD_MAX

/* OpenSSL's allocations, counted: the heap a session really holds. */
struct counted {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};
static size_t heap_in_use;

static void *
counted_malloc(size_t n, const char *file, int line)
{
	struct counted *c = malloc(sizeof(*c) + n);

	if (c == NULL)
		return NULL;
	c->size = n;
	heap_in_use += n;
	return c + 1;
}

static void
counted_free(void *p, const char *file, int line)
{
	struct counted *c;

	if (p == NULL)
		return;
	c = (struct counted *)p - 1;
	heap_in_use -= c->size;
	free(c);
}

static void *
counted_realloc(void *p, size_t n, const char *file, int line)
{
	struct counted *c, *grown;

	if (p == NULL)
		return counted_malloc(n, file, line);
	c = (struct counted *)p - 1;
	grown = realloc(c, sizeof(*grown) + n);
	if (grown == NULL)
		return NULL;
	heap_in_use = heap_in_use - grown->size + n;
	grown->size = n;
	return grown + 1;
}

static double
seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct tls_engine engine;
static struct peer_credential ca, server_cert;
static time_t now;

static struct tls_session_config
config(uint16_t port)
{
	return (struct tls_session_config){
	    .host = HOST,
	    .port = port,
	    .owner = 1,
	    .verify_time = now,
	};
}

static SSL_CTX *
server_context(int version, const char *suites)
{
	struct peer_server_options o = {
	    .min_version = version,
	    .max_version = version,
	    .security_level = 2,
	    .credential = &server_cert,
	};
	SSL_CTX *ctx = peer_server_context(&o);

	if (ctx == NULL)
		exit(1);
	if (suites != NULL && ((version == TLS1_3_VERSION &&
				SSL_CTX_set_ciphersuites(ctx, suites) != 1) ||
			       (version == TLS1_2_VERSION &&
				SSL_CTX_set_cipher_list(ctx, suites) != 1)))
		exit(1);
	return ctx;
}

static void
connect_or_die(struct tls_session *s, struct peer_server *server, SSL_CTX *ctx,
	       const struct tls_session_config *c)
{
	if (peer_server_start(server, ctx) < 0 ||
	    tls_session_init(&engine, s, c) < 0)
		exit(1);
	peer_pump(s, server);
	if (tls_session_state(s) != TLS_SESSION_ESTABLISHED) {
		fprintf(stderr, "tls_bench: handshake failed: %s\n",
			sealnet_tls_error_name(tls_session_error(s)));
		exit(1);
	}
}

/* The engine releases idle record buffers; the comparison keeps them. */
static void
keep_buffers(struct tls_session *s, bool release)
{
	if (release)
		SSL_set_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS);
	else
		SSL_clear_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS);
}

static void
bench_handshake(const char *name, int version, bool resumed, int rounds)
{
	static struct peer_server server;
	SSL_CTX *ctx = server_context(version, NULL);
	struct tls_session_config c = config(443);
	struct tls_session s;
	double start, total = 0;
	int done = 0;

	tls_engine_forget_owner(&engine, c.owner);
	for (int i = 0; i < rounds + 1; i++) {
		if (!resumed)
			tls_engine_forget_owner(&engine, c.owner);
		start = seconds_now();
		connect_or_die(&s, &server, ctx, &c);
		/* The first round only leaves a ticket for the others. */
		if (i > 0) {
			total += seconds_now() - start;
			done++;
			if (tls_session_resumed(&s) != resumed)
				exit(1);
		}
		tls_session_free(&s);
		peer_server_free(&server);
	}
	printf("{\"bench\":\"tls_handshake\",\"case\":\"%s\",\"rounds\":%d,"
	       "\"us_each\":%.1f}\n",
	       name, done, total / done * 1e6);
	SSL_CTX_free(ctx);
}

/* `bytes` from the engine to the server, then as many back. */
static void
bench_bulk(const char *name, int version, const char *suites, size_t bytes,
	   bool release_buffers)
{
	static uint8_t buf[BULK_RECORD];
	static struct peer_server server;
	SSL_CTX *ctx = server_context(version, suites);
	struct tls_session_config c = config(443);
	struct tls_session s;
	size_t sent = 0, got = 0;
	double start, up, down;
	int why;
	long n;

	memset(buf, 0x5a, sizeof(buf));
	connect_or_die(&s, &server, ctx, &c);
	keep_buffers(&s, release_buffers);
	start = seconds_now();
	while (got < bytes) {
		ssize_t w = 0;

		if (sent < bytes)
			w = tls_session_write(&s, buf,
					      bytes - sent < sizeof(buf)
						  ? bytes - sent
						  : sizeof(buf));
		if (w > 0)
			sent += (size_t)w;
		else if (w != -EAGAIN && w != 0)
			exit(1);
		peer_pump(&s, &server);
		while ((n = peer_server_read(&server, buf, sizeof(buf), &why)) >
		       0)
			got += (size_t)n;
	}
	up = seconds_now() - start;
	got = 0;
	start = seconds_now();
	while (got < bytes) {
		ssize_t r;

		if (peer_server_write(&server, buf, sizeof(buf)) < 0)
			exit(1);
		peer_pump(&s, &server);
		while ((r = tls_session_read(&s, buf, sizeof(buf))) > 0) {
			got += (size_t)r;
			peer_pump(&s, &server);
		}
	}
	down = seconds_now() - start;
	printf("{\"bench\":\"tls_bulk\",\"case\":\"%s\",\"suite\":\"%s\","
	       "\"release_buffers\":%s,\"bytes\":%zu,"
	       "\"engine_to_server_MBps\":%.1f,"
	       "\"server_to_engine_MBps\":%.1f}\n",
	       name, SSL_get_cipher_name(s.ssl),
	       release_buffers ? "true" : "false", bytes, bytes / up / 1e6,
	       bytes / down / 1e6);
	tls_session_free(&s);
	peer_server_free(&server);
	SSL_CTX_free(ctx);
}

static long
rss_kib(void)
{
	long pages_total, pages_resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%ld %ld", &pages_total, &pages_resident) == 2;
	fclose(f);
	return ok ? pages_resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

struct heap_sample {
	size_t heap;
	size_t heap_without_tickets;
	long rss_kib;
};

/* What the engine holds now, above `base`: OpenSSL's heap with the cached
 * tickets, without them (they are dropped), and the process's RSS. */
static struct heap_sample
sample(size_t base)
{
	struct heap_sample s;

	malloc_trim(0);
	s.heap = heap_in_use - base;
	s.rss_kib = rss_kib();
	tls_engine_forget_owner(&engine, 1);
	s.heap_without_tickets = heap_in_use - base;
	return s;
}

/* In a child of its own, so that it starts from the parent's heap: idle
 * sessions established one after another against one server object, a
 * message each way, the server freed after each; what remains is the
 * engine's.  Sampled after the first and after the last. */
static void
idle_sessions(bool release_buffers)
{
	static struct tls_session sessions[IDLE_MANY];
	static struct peer_server server;
	SSL_CTX *ctx = server_context(TLS1_3_VERSION, NULL);
	struct heap_sample one = {0}, many;
	size_t base;
	long rss_base;
	uint8_t buf[64];
	int why;

	/* Resident before the count starts: the server's wire buffer. */
	memset(&server, 0, sizeof(server));
	malloc_trim(0);
	base = heap_in_use;
	rss_base = rss_kib();
	for (int i = 0; i < IDLE_MANY; i++) {
		struct tls_session_config c = config((uint16_t)(1000 + i));
		struct tls_session *s = &sessions[i];

		connect_or_die(s, &server, ctx, &c);
		keep_buffers(s, release_buffers);
		if (tls_session_write(s, (const uint8_t *)"hi", 2) != 2)
			exit(1);
		peer_pump(s, &server);
		if (peer_server_read(&server, buf, sizeof(buf), &why) != 2 ||
		    peer_server_write(&server, (const uint8_t *)"ho", 2) < 0)
			exit(1);
		peer_pump(s, &server);
		if (tls_session_read(s, buf, sizeof(buf)) != 2)
			exit(1);
		peer_server_free(&server);
		if (i == 0)
			one = sample(base);
	}
	many = sample(base);
	printf("{\"bench\":\"tls_idle_sessions\",\"release_buffers\":%s,"
	       "\"heap_1\":%zu,\"heap_1_without_tickets\":%zu,"
	       "\"heap_%d\":%zu,\"heap_%d_without_tickets\":%zu,"
	       "\"heap_each_beyond_the_first\":%zu,"
	       "\"rss_kib_base\":%ld,\"rss_kib_1\":%ld,\"rss_kib_%d\":%ld}\n",
	       release_buffers ? "true" : "false", one.heap,
	       one.heap_without_tickets, IDLE_MANY, many.heap, IDLE_MANY,
	       many.heap_without_tickets,
	       (many.heap_without_tickets - one.heap_without_tickets) /
		   (IDLE_MANY - 1),
	       rss_base, one.rss_kib, IDLE_MANY, many.rss_kib);
	fflush(stdout);
	SSL_CTX_free(ctx);
	/* The sessions stay until the process ends: they were measured. */
}

static void
in_child(bool release_buffers)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		idle_sessions(release_buffers);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		exit(1);
}

int
main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	int rounds = quick ? 20 : 300;
	size_t bulk = quick ? 8u << 20 : 128u << 20;
	struct peer_cert_spec spec = {
	    .kind = PEER_CERT_CA,
	    .common_name = "bench CA",
	    .not_before = -DAY,
	    .not_after = DAY,
	};
	size_t pem_len;
	char *pem;

	/* Before OpenSSL allocates anything. */
	if (CRYPTO_set_mem_functions(counted_malloc, counted_realloc,
				     counted_free) != 1 ||
	    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		return 1;
	now = time(NULL);
	spec.base = now;
	if (peer_make_credential(&ca, &spec) < 0)
		return 1;
	spec = (struct peer_cert_spec){.kind = PEER_CERT_SERVER,
				       .common_name = HOST,
				       .alt_names = "DNS:" HOST,
				       .base = now,
				       .not_before = -DAY,
				       .not_after = DAY,
				       .issuer = &ca};
	if (peer_make_credential(&server_cert, &spec) < 0)
		return 1;
	pem = peer_cert_pem(ca.cert, &pem_len);
	if (pem == NULL ||
	    tls_engine_init(&engine, (const uint8_t *)pem, pem_len) != 0)
		return 1;
	free(pem);
	bench_handshake("tls13_full_p256", TLS1_3_VERSION, false, rounds);
	bench_handshake("tls13_resumed", TLS1_3_VERSION, true, rounds);
	bench_handshake("tls12_full_p256", TLS1_2_VERSION, false, rounds);
	bench_handshake("tls12_resumed", TLS1_2_VERSION, true, rounds);
	for (int release = 0; release < 2; release++) {
		bench_bulk("tls13", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256",
			   bulk, release);
		bench_bulk("tls13", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384",
			   bulk, release);
		bench_bulk("tls13", TLS1_3_VERSION,
			   "TLS_CHACHA20_POLY1305_SHA256", bulk, release);
		bench_bulk("tls12", TLS1_2_VERSION,
			   "ECDHE-ECDSA-AES128-GCM-SHA256", bulk, release);
	}
	in_child(false);
	in_child(true);
	tls_engine_free(&engine);
	peer_credential_free(&ca);
	peer_credential_free(&server_cert);
	return 0;
}
