/*
 * One NTS exchange against a real server, with the modules of this
 * folder doing everything but the transport: NTS-KE over TLS 1.3, then
 * one authenticated NTP request.  Used by tests/nts-chrony-interop.sh
 * against chrony; prints each step's result, and every byte and key as
 * hex so that the exchange can become a test vector.
 *
 *   nts_probe CA.pem HOST-NAME ADDRESS
 *
 * Exits 0 only if the reply verified.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "nts.h"
#include "nts_ke.h"

static void
print_hex(const char *name, const uint8_t *p, size_t len)
{
	printf("%s ", name);
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
connect_to(const char *address, int type, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port)};
	struct timeval timeout = {.tv_sec = 3};
	int fd;

	if (inet_pton(AF_INET, address, &sin.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) != 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* NTS-KE: the response parsed into *ke, the keys exported. */
static int
key_exchange(const char *ca, const char *host, const char *address,
	     struct nts_ke_response *ke, struct nts_keys *keys)
{
	static const unsigned char alpn[] = "\x07ntske/1";
	uint8_t request[NTS_KE_REQUEST_LEN], buf[4096], context[8];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	int fd = -1, rc = -1, n;

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	fd = connect_to(address, SOCK_STREAM, NTS_KE_PORT);
	ssl = fd < 0 ? NULL : SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1 || SSL_connect(ssl) != 1) {
		printf("tls failed\n");
		goto out;
	}
	if (nts_ke_request_encode(request, sizeof(request)) !=
		NTS_KE_REQUEST_LEN ||
	    SSL_write(ssl, request, sizeof(request)) != sizeof(request))
		goto out;
	nts_ke_response_init(ke);
	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
		print_hex("ke_read", buf, (size_t)n);
		if (nts_ke_response_feed(ke, buf, (size_t)n) != 0)
			break;
	}
	printf("ke_result %d cookies %u\n", nts_ke_response_end(ke),
	       ke->cookie_count);
	if (nts_ke_response_end(ke) != 0)
		goto out;
	if (nts_ke_exporter_context(ke->aead, NTS_KE_C2S, context,
				    sizeof(context)) < 0 ||
	    SSL_export_keying_material(ssl, keys->c2s, NTS_KEY_LEN,
				       NTS_KE_EXPORTER_LABEL,
				       strlen(NTS_KE_EXPORTER_LABEL), context,
				       NTS_KE_EXPORTER_CONTEXT_LEN, 1) != 1 ||
	    nts_ke_exporter_context(ke->aead, NTS_KE_S2C, context,
				    sizeof(context)) < 0 ||
	    SSL_export_keying_material(ssl, keys->s2c, NTS_KEY_LEN,
				       NTS_KE_EXPORTER_LABEL,
				       strlen(NTS_KE_EXPORTER_LABEL), context,
				       NTS_KE_EXPORTER_CONTEXT_LEN, 1) != 1)
		goto out;
	print_hex("c2s", keys->c2s, NTS_KEY_LEN);
	print_hex("s2c", keys->s2c, NTS_KEY_LEN);
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct nts_ke_response ke;
	static struct nts_client client;
	struct nts_keys keys;
	struct nts_reply_info info;
	struct ntp_sample sample;
	uint8_t req[NTP_MAX_PACKET_LEN], rep[NTP_MAX_PACKET_LEN];
	uint64_t xmt = 0;
	int64_t t1, t4;
	int fd, req_len, rc;
	ssize_t rep_len;

	if (argc != 4) {
		fprintf(stderr, "usage: nts_probe CA.pem HOST ADDRESS\n");
		return 2;
	}
	if (key_exchange(argv[1], argv[2], argv[3], &ke, &keys) != 0 ||
	    nts_client_init(&client, &keys, &ke) != 0)
		return 1;
	while (xmt == 0)
		if (RAND_bytes((uint8_t *)&xmt, sizeof(xmt)) != 1)
			return 1;
	req_len =
	    nts_request_encode(&client, req, sizeof(req), xmt, NULL, NULL);
	printf("request_result %d\n", req_len);
	if (req_len < 0)
		return 1;
	print_hex("request", req, (size_t)req_len);
	fd = connect_to(argv[3], SOCK_DGRAM, 123);
	if (fd < 0)
		return 1;
	t1 = now_ns();
	if (send(fd, req, (size_t)req_len, 0) != req_len)
		return 1;
	rep_len = recv(fd, rep, sizeof(rep), 0);
	t4 = now_ns();
	close(fd);
	if (rep_len <= 0)
		return 1;
	print_hex("reply", rep, (size_t)rep_len);
	rc = nts_reply_verify(&client, rep, (size_t)rep_len, NTS_REQUIRED,
			      &info);
	printf("verify %d authenticated %d new_cookies %u jar %u\n", rc,
	       info.authenticated, info.new_cookies,
	       nts_jar_count(&client.jar));
	if (rc != 0)
		return 1;
	rc = ntp_sample_compute(&sample, &info.ntp, t1, t4);
	printf("sample %d offset_ns %lld delay_ns %lld stratum %u\n", rc,
	       (long long)sample.offset_ns, (long long)sample.delay_ns,
	       sample.stratum);
	/* A second copy of the same reply must not count again. */
	printf("replay %d\n", nts_reply_verify(&client, rep, (size_t)rep_len,
					       NTS_REQUIRED, &info));
	return rc == 0 ? 0 : 1;
}
