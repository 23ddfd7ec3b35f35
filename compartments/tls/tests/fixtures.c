/*
 * The TLS engine tests' fixtures (fixtures.h).
 */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

time_t now;
struct peer_credential ca, other_ca, good, wrong_host, expired, not_yet_valid,
    self_signed, unknown_issuer, ip_cert, client;
char *ca_pem, *client_pem, *client_key_pem;
size_t ca_pem_len, client_pem_len, client_key_pem_len;
struct tls_engine engine;

SSL_CTX *srv_both, *srv_tls13, *srv_tls12, *srv_tls11, *srv_cbc,
    *srv_wrong_host, *srv_expired, *srv_not_yet_valid, *srv_self_signed,
    *srv_unknown_issuer, *srv_unknown_with_root, *srv_ip, *srv_mtls13,
    *srv_mtls12, *srv_alpn, *srv_wrong_host12;

/* Every server context: each must have been made, and each is freed. */
static SSL_CTX **const server_contexts[] = {&srv_both,
					    &srv_tls13,
					    &srv_tls12,
					    &srv_tls11,
					    &srv_cbc,
					    &srv_wrong_host,
					    &srv_expired,
					    &srv_not_yet_valid,
					    &srv_self_signed,
					    &srv_unknown_issuer,
					    &srv_unknown_with_root,
					    &srv_ip,
					    &srv_mtls13,
					    &srv_mtls12,
					    &srv_alpn,
					    &srv_wrong_host12};
#define SERVER_CONTEXTS (sizeof(server_contexts) / sizeof(server_contexts[0]))

struct tls_session_config
config(void)
{
	return (struct tls_session_config){
	    .host = HOST,
	    .port = PORT,
	    .owner = OWNER,
	    .verify_time = now,
	};
}

struct conn *
conn_open_with(struct tls_engine *e, SSL_CTX *server,
	       const struct tls_session_config *c)
{
	struct conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		return NULL;
	if (peer_server_start(&conn->server, server) < 0) {
		free(conn);
		return NULL;
	}
	if (tls_session_init(e, &conn->session, c) < 0) {
		peer_server_free(&conn->server);
		free(conn);
		return NULL;
	}
	peer_pump(&conn->session, &conn->server);
	return conn;
}

struct conn *
conn_open(SSL_CTX *server, const struct tls_session_config *c)
{
	return conn_open_with(&engine, server, c);
}

void
conn_free(struct conn *conn)
{
	if (conn == NULL)
		return;
	tls_session_free(&conn->session);
	peer_server_free(&conn->server);
	free(conn);
}

bool
round_trip(struct conn *c, const char *msg)
{
	size_t len = strlen(msg);
	uint8_t buf[256];
	int why;
	long got;
	ssize_t n;

	if (tls_session_write(&c->session, (const uint8_t *)msg, len) !=
	    (ssize_t)len)
		return false;
	peer_pump(&c->session, &c->server);
	got = peer_server_read(&c->server, buf, sizeof(buf), &why);
	if (got != (long)len || memcmp(buf, msg, len) != 0)
		return false;
	if (peer_server_write(&c->server, (const uint8_t *)msg, len) < 0)
		return false;
	peer_pump(&c->session, &c->server);
	n = tls_session_read(&c->session, buf, sizeof(buf));
	return n == (ssize_t)len && memcmp(buf, msg, len) == 0;
}

static int
make(struct peer_credential *out, enum peer_cert_kind kind, const char *cn,
     const char *alt, long from, long to, const struct peer_credential *by)
{
	struct peer_cert_spec spec = {
	    .kind = kind,
	    .common_name = cn,
	    .alt_names = alt,
	    .base = now,
	    .not_before = from,
	    .not_after = to,
	    .issuer = by,
	};

	return peer_make_credential(out, &spec);
}

static SSL_CTX *
server(const struct peer_credential *cred, int min, int max)
{
	struct peer_server_options o = {
	    .min_version = min,
	    .max_version = max,
	    .security_level = 2,
	    .credential = cred,
	};

	return peer_server_context(&o);
}

static int
make_credentials(void)
{
	now = time(NULL);
	if (make(&ca, PEER_CERT_CA, "sealnet test CA", NULL, -365 * DAY,
		 365 * DAY, NULL) < 0 ||
	    make(&other_ca, PEER_CERT_CA, "someone else's CA", NULL, -DAY,
		 365 * DAY, NULL) < 0 ||
	    make(&good, PEER_CERT_SERVER, HOST, "DNS:" HOST, -DAY, 30 * DAY,
		 &ca) < 0 ||
	    make(&wrong_host, PEER_CERT_SERVER, "other.example",
		 "DNS:other.example", -DAY, 30 * DAY, &ca) < 0 ||
	    make(&expired, PEER_CERT_SERVER, HOST, "DNS:" HOST, -60 * DAY, -DAY,
		 &ca) < 0 ||
	    make(&not_yet_valid, PEER_CERT_SERVER, HOST, "DNS:" HOST, DAY,
		 30 * DAY, &ca) < 0 ||
	    make(&self_signed, PEER_CERT_SERVER, HOST, "DNS:" HOST, -DAY,
		 30 * DAY, NULL) < 0 ||
	    make(&unknown_issuer, PEER_CERT_SERVER, HOST, "DNS:" HOST, -DAY,
		 30 * DAY, &other_ca) < 0 ||
	    make(&ip_cert, PEER_CERT_SERVER, "127.0.0.1", "IP:127.0.0.1", -DAY,
		 30 * DAY, &ca) < 0 ||
	    make(&client, PEER_CERT_CLIENT, "sealnet test client", NULL, -DAY,
		 30 * DAY, &ca) < 0)
		return -1;
	ca_pem = peer_cert_pem(ca.cert, &ca_pem_len);
	client_pem = peer_cert_pem(client.cert, &client_pem_len);
	client_key_pem = peer_key_pem(client.key, &client_key_pem_len);
	if (ca_pem == NULL || client_pem == NULL || client_key_pem == NULL)
		return -1;
	return 0;
}

/* Every srv_*: a context for each kind of server the tests meet. */
static int
make_servers(void)
{
	struct peer_server_options o;

	srv_both = server(&good, 0, 0);
	srv_tls13 = server(&good, TLS1_3_VERSION, TLS1_3_VERSION);
	srv_tls12 = server(&good, TLS1_2_VERSION, TLS1_2_VERSION);
	srv_wrong_host = server(&wrong_host, 0, 0);
	srv_wrong_host12 = server(&wrong_host, TLS1_2_VERSION, TLS1_2_VERSION);
	srv_expired = server(&expired, 0, 0);
	srv_not_yet_valid = server(&not_yet_valid, 0, 0);
	srv_self_signed = server(&self_signed, 0, 0);
	srv_unknown_issuer = server(&unknown_issuer, 0, 0);
	srv_ip = server(&ip_cert, 0, 0);
	o = (struct peer_server_options){.min_version = TLS1_VERSION,
					 .max_version = TLS1_1_VERSION,
					 .security_level = 0,
					 .tls12_ciphers = "DEFAULT@SECLEVEL=0",
					 .credential = &good};
	srv_tls11 = peer_server_context(&o);
	/* Only RSA key exchange and CBC: our client offers neither. */
	o = (struct peer_server_options){.min_version = TLS1_2_VERSION,
					 .max_version = TLS1_2_VERSION,
					 .security_level = 2,
					 .tls12_ciphers =
					     "ECDHE-ECDSA-AES128-SHA256",
					 .credential = &good};
	srv_cbc = peer_server_context(&o);
	o = (struct peer_server_options){.security_level = 2,
					 .credential = &unknown_issuer,
					 .chain_extra = other_ca.cert};
	srv_unknown_with_root = peer_server_context(&o);
	o = (struct peer_server_options){.min_version = TLS1_3_VERSION,
					 .security_level = 2,
					 .credential = &good,
					 .client_ca = ca.cert};
	srv_mtls13 = peer_server_context(&o);
	o.min_version = TLS1_2_VERSION;
	o.max_version = TLS1_2_VERSION;
	srv_mtls12 = peer_server_context(&o);
	o = (struct peer_server_options){
	    .security_level = 2, .credential = &good, .alpn = "ntske/1"};
	srv_alpn = peer_server_context(&o);
	for (size_t i = 0; i < SERVER_CONTEXTS; i++)
		if (*server_contexts[i] == NULL)
			return -1;
	return 0;
}

void
fixtures_free(void)
{
	struct peer_credential *creds[] = {
	    &ca,      &other_ca,      &good,	    &wrong_host,
	    &expired, &not_yet_valid, &self_signed, &unknown_issuer,
	    &ip_cert, &client};

	tls_engine_free(&engine);
	for (size_t i = 0; i < SERVER_CONTEXTS; i++)
		SSL_CTX_free(*server_contexts[i]);
	for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		peer_credential_free(creds[i]);
	free(ca_pem);
	free(client_pem);
	free(client_key_pem);
}

int
fixtures_make(const char *test)
{
	/* As a compartment would: OpenSSL starts without its configuration
	 * file, so the host's cannot change what the servers here accept. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 ||
	    make_credentials() < 0 || make_servers() < 0) {
		printf("FAIL %s: cannot make the fixtures\n", test);
		ERR_print_errors_fp(stdout);
		return -1;
	}
	return 0;
}

int
fixtures_start_engine(const char *test)
{
	if (tls_engine_init(&engine, (const uint8_t *)ca_pem, ca_pem_len) < 0 ||
	    tls_engine_add_identity(
		&engine, IDENTITY, (const uint8_t *)client_pem, client_pem_len,
		(const uint8_t *)client_key_pem, client_key_pem_len) < 0) {
		printf("FAIL %s: tls_engine_init\n", test);
		return -1;
	}
	return 0;
}
