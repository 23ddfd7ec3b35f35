/*
 * What every test of the TLS engine shares: certificates made at run time
 * by tests/peer.c, an OpenSSL server context for each case, the engine
 * that trusts the test CA, and connections between the two pumped in
 * process.
 */
#ifndef SEALNET_TLS_TESTS_FIXTURES_H
#define SEALNET_TLS_TESTS_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "engine.h"
#include "peer.h"

#define DAY		 (24L * 60 * 60)
#define HOST		 "example.com"
#define PORT		 443
#define OWNER		 1
#define OTHER_OWNER	 2
#define IDENTITY	 "app"
#define NTS_LABEL	 "EXPORTER-network-time-security"
#define ALPN_OFFER	 "\x07ntske/1\x08http/1.1"
#define ALPN_OFFER_LEN	 (sizeof(ALPN_OFFER) - 1)
#define BULK_BYTES	 (1024 * 1024)
#define CHILD_SANDBOX_OK 0

/* The time the certificates' validity is counted from. */
extern time_t now;
extern struct peer_credential ca, other_ca, good, wrong_host, expired,
    not_yet_valid, self_signed, unknown_issuer, ip_cert, client;
extern char *ca_pem, *client_pem, *client_key_pem;
extern size_t ca_pem_len, client_pem_len, client_key_pem_len;
/* Trusts ca and holds the client identity IDENTITY, once started. */
extern struct tls_engine engine;

/* Server contexts, each made once by fixtures_make. */
extern SSL_CTX *srv_both, *srv_tls13, *srv_tls12, *srv_tls11, *srv_cbc,
    *srv_wrong_host, *srv_expired, *srv_not_yet_valid, *srv_self_signed,
    *srv_unknown_issuer, *srv_unknown_with_root, *srv_ip, *srv_mtls13,
    *srv_mtls12, *srv_alpn, *srv_wrong_host12;

struct conn {
	struct tls_session session;
	struct peer_server server;
};

/* A session to HOST:PORT for OWNER, verified at `now`. */
struct tls_session_config config(void);
/* Starts both ends and pumps until neither has more to say; NULL if
 * either cannot start. */
struct conn *conn_open_with(struct tls_engine *e, SSL_CTX *server,
			    const struct tls_session_config *c);
struct conn *conn_open(SSL_CTX *server, const struct tls_session_config *c);
void conn_free(struct conn *conn);
/* The engine sends `msg`, the server must read exactly it; then the
 * other way round. */
bool round_trip(struct conn *c, const char *msg);

/* Starts OpenSSL as a compartment would and makes every certificate and
 * server; on failure prints a FAIL line for `test` and returns -1. */
int fixtures_make(const char *test);
/* Starts `engine`; on failure prints a FAIL line for `test`. */
int fixtures_start_engine(const char *test);
void fixtures_free(void);

#endif
