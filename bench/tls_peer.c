/*
 * The kernel's side of the TLS benchmark: OpenSSL over the kernel's TCP,
 * to the same server sealnet's side talks to, with the same settings
 * the TLS compartment uses (TLS 1.2 to 1.3, the CA given, the name
 * checked), so the two figures differ by the path alone.
 *
 *   tls_peer handshake HOST PORT CAFILE N   N x (getaddrinfo, connect,
 *                                           full handshake, close); the
 *                                           median in milliseconds, and
 *                                           that of the handshake alone
 *   tls_peer send HOST PORT CAFILE BYTES    one handshake, then BYTES
 *                                           written; MB/s of the write
 *
 * Each prints one number, or nothing and exits 1 if anything failed.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "peer.h"

static char buf[64 * 1024];

static SSL_CTX *
context(const char *cafile)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL ||
	    SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1 ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* Every handshake a full one, as sealnet's side gets from a
	 * server that issues no tickets. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

/* A connection and its handshake; the SSL, or NULL.  *handshake: when
 * the handshake began, the connect done. */
static SSL *
open_session(SSL_CTX *ctx, const char *host, const char *port, int *fd,
	     double *handshake)
{
	SSL *ssl;

	*fd = peer_connect(host, port);
	if (*fd < 0 || (ssl = SSL_new(ctx)) == NULL)
		return NULL;
	*handshake = peer_now();
	if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1 || SSL_set_fd(ssl, *fd) != 1 ||
	    SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static int
handshakes(SSL_CTX *ctx, const char *host, const char *port, int n)
{
	double *t = calloc((size_t)n, sizeof(*t));
	double *h = calloc((size_t)n, sizeof(*h));
	int fd;

	for (int i = 0; t != NULL && h != NULL && i < n; i++) {
		double t0 = peer_now(), began;
		SSL *ssl = open_session(ctx, host, port, &fd, &began);

		if (ssl == NULL)
			return 1;
		t[i] = peer_now() - t0;
		h[i] = peer_now() - began;
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
	}
	if (t == NULL || h == NULL)
		return 1;
	qsort(t, (size_t)n, sizeof(*t), peer_compare_doubles);
	qsort(h, (size_t)n, sizeof(*h), peer_compare_doubles);
	printf("%.3f %.3f\n", t[n / 2] * 1e3, h[n / 2] * 1e3);
	return 0;
}

static int
send_bytes(SSL_CTX *ctx, const char *host, const char *port, long long total)
{
	long long sent = 0;
	int fd;
	double began;
	SSL *ssl = open_session(ctx, host, port, &fd, &began);
	double t0 = peer_now();

	if (ssl == NULL)
		return 1;
	while (sent < total) {
		size_t n = total - sent < (long long)sizeof(buf)
			       ? (size_t)(total - sent)
			       : sizeof(buf);
		size_t w = 0;

		if (SSL_write_ex(ssl, buf, n, &w) != 1)
			return 1;
		sent += (long long)w;
	}
	double took = peer_now() - t0;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	printf("%.1f\n", (double)total / took / 1e6);
	return 0;
}

int
main(int argc, char **argv)
{
	SSL_CTX *ctx;

	if (argc != 6) {
		fprintf(stderr,
			"usage: tls_peer handshake|send HOST PORT CAFILE "
			"N|BYTES\n");
		return 2;
	}
	ctx = context(argv[4]);
	if (ctx == NULL)
		return 1;
	if (strcmp(argv[1], "handshake") == 0)
		return handshakes(ctx, argv[2], argv[3], atoi(argv[5]));
	if (strcmp(argv[1], "send") == 0)
		return send_bytes(ctx, argv[2], argv[3], atoll(argv[5]));
	return 2;
}
