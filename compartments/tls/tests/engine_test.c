/*
 * The TLS engine against an OpenSSL server in the same process: every
 * certificate is made at run time, every byte between the two goes
 * through peer_pump.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sealnet/tls.h>

#include "engine.h"
#include "harness.h"
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

static time_t now;
static struct peer_credential ca, other_ca, good, wrong_host, expired,
    not_yet_valid, self_signed, unknown_issuer, ip_cert, client;
static char *ca_pem, *client_pem, *client_key_pem;
static size_t ca_pem_len, client_pem_len, client_key_pem_len;
static struct tls_engine engine;

/* Server contexts, each made once in main. */
static SSL_CTX *srv_both, *srv_tls13, *srv_tls12, *srv_tls11, *srv_cbc,
    *srv_wrong_host, *srv_expired, *srv_not_yet_valid, *srv_self_signed,
    *srv_unknown_issuer, *srv_unknown_with_root, *srv_ip, *srv_mtls13,
    *srv_mtls12, *srv_alpn, *srv_wrong_host12;

struct conn {
	struct tls_session session;
	struct peer_server server;
};

static struct tls_session_config
config(void)
{
	return (struct tls_session_config){
	    .host = HOST,
	    .port = PORT,
	    .owner = OWNER,
	    .verify_time = now,
	};
}

/* Starts both ends and pumps until neither has more to say. */
static struct conn *
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

static struct conn *
conn_open(SSL_CTX *server, const struct tls_session_config *c)
{
	return conn_open_with(&engine, server, c);
}

static void
conn_free(struct conn *conn)
{
	if (conn == NULL)
		return;
	tls_session_free(&conn->session);
	peer_server_free(&conn->server);
	free(conn);
}

/* The engine sends `msg`, the server must read exactly it; then the
 * other way round. */
static bool
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

/* ---- the sandbox: nothing opens a file after tls_engine_init ---- */

static int
deny_file_opens(void)
{
	static const int calls[] = {SCMP_SYS(open), SCMP_SYS(openat),
				    SCMP_SYS(openat2), SCMP_SYS(creat),
				    SCMP_SYS(open_by_handle_at)};
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int rc = filter != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < sizeof(calls) / sizeof(calls[0]); i++)
		rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, calls[i],
				      0);
	if (rc == 0)
		rc = seccomp_load(filter);
	seccomp_release(filter);
	return rc;
}

/* Exit codes name the step that went wrong. */
static int
sandboxed_child(void)
{
	struct tls_engine e;
	struct tls_session_config c = config();
	struct conn *conn;
	int step = 10;

	if (tls_engine_init(&e, (const uint8_t *)ca_pem, ca_pem_len) < 0 ||
	    tls_engine_add_identity(
		&e, IDENTITY, (const uint8_t *)client_pem, client_pem_len,
		(const uint8_t *)client_key_pem, client_key_pem_len) < 0)
		return step;
	if (deny_file_opens() < 0)
		return step + 1;
	/* A full handshake with each version, data both ways, client
	 * certificates, each failure with its code, and resumption. */
	SSL_CTX *ok[] = {srv_tls13, srv_tls12, srv_mtls13, srv_mtls12};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		step += 2;
		c.identity = i >= 2 ? IDENTITY : NULL;
		conn = conn_open_with(&e, ok[i], &c);
		if (conn == NULL ||
		    tls_session_state(&conn->session) !=
			TLS_SESSION_ESTABLISHED ||
		    !round_trip(conn, "hello from the sandbox"))
			return step;
		conn_free(conn);
	}
	c.identity = NULL;
	struct {
		SSL_CTX *server;
		int code;
	} bad[] = {
	    {srv_unknown_issuer, SEALNET_TLS_EUNKNOWN_ISSUER},
	    {srv_self_signed, SEALNET_TLS_ESELF_SIGNED},
	    {srv_wrong_host, SEALNET_TLS_EHOST_MISMATCH},
	    {srv_expired, SEALNET_TLS_EEXPIRED},
	    {srv_not_yet_valid, SEALNET_TLS_ENOT_YET_VALID},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		step += 2;
		conn = conn_open_with(&e, bad[i].server, &c);
		if (conn == NULL ||
		    tls_session_error(&conn->session) != bad[i].code)
			return step;
		conn_free(conn);
	}
	conn = conn_open_with(&e, srv_tls13, &c);
	if (conn == NULL || tls_session_resumed(&conn->session))
		return 40;
	conn_free(conn);
	conn = conn_open_with(&e, srv_tls13, &c);
	if (conn == NULL || !tls_session_resumed(&conn->session))
		return 41;
	conn_free(conn);
	tls_engine_free(&e);
	return CHILD_SANDBOX_OK;
}

static int
run_in_child(int (*body)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(body());
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(nothing_opens_a_file_after_init)
{
	int status = run_in_child(sandboxed_child);

	if (WIFSIGNALED(status))
		printf("# the child died of signal %d\n", WTERMSIG(status));
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), CHILD_SANDBOX_OK);
}

static int
open_after_filter(void)
{
	FILE *f;

	if (deny_file_opens() < 0)
		return 1;
	f = fopen("/etc/hostname", "r");
	if (f != NULL)
		fclose(f);
	return 2;
}

/* The filter the test above relies on really kills an opener. */
TEST(the_sandbox_filter_kills_an_open)
{
	int status = run_in_child(open_after_filter);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ_INT(WTERMSIG(status), SIGSYS);
}

/* ---- handshakes that succeed ---- */

static void
check_handshake(SSL_CTX *server, int version)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(server, &c);

	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	CHECK_EQ_INT(tls_session_version(&conn->session), version);
	CHECK(strcmp(SSL_get_servername(conn->server.ssl,
					TLSEXT_NAMETYPE_host_name),
		     HOST) == 0);
	CHECK(round_trip(conn, "GET / HTTP/1.0\r\n\r\n"));
	conn_free(conn);
}

TEST(tls13_server)
{
	check_handshake(srv_tls13, TLS1_3_VERSION);
}

TEST(tls12_server)
{
	check_handshake(srv_tls12, TLS1_2_VERSION);
}

TEST(server_with_both_versions_gives_tls13)
{
	check_handshake(srv_both, TLS1_3_VERSION);
}

/* ---- certificates refused, each with its own code ---- */

/* The session fails with `code`; the engine takes no plaintext, and the
 * server never completes its handshake nor reads a byte. */
static void
check_refused(SSL_CTX *server, const struct tls_session_config *c, int code)
{
	static const uint8_t secret[] = "password=hunter2";
	struct conn *conn = conn_open(server, c);
	uint8_t buf[256];
	size_t pending;
	int why;

	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session), TLS_SESSION_FAILED);
	CHECK_EQ_INT(tls_session_error(&conn->session), code);
	pending = tls_session_pending(&conn->session);
	CHECK_EQ_INT(tls_session_write(&conn->session, secret, sizeof(secret)),
		     code);
	CHECK_EQ_INT(tls_session_pending(&conn->session), pending);
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)), code);
	peer_pump(&conn->session, &conn->server);
	CHECK(!SSL_is_init_finished(conn->server.ssl));
	CHECK(peer_server_read(&conn->server, buf, sizeof(buf), &why) <= 0);
	conn_free(conn);
}

TEST(unknown_issuer_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_unknown_issuer, &c, SEALNET_TLS_EUNKNOWN_ISSUER);
}

TEST(unknown_root_sent_by_the_server_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_unknown_with_root, &c, SEALNET_TLS_EUNKNOWN_ISSUER);
}

TEST(self_signed_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_self_signed, &c, SEALNET_TLS_ESELF_SIGNED);
}

TEST(wrong_host_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_wrong_host, &c, SEALNET_TLS_EHOST_MISMATCH);
}

TEST(wrong_host_refused_over_tls12)
{
	struct tls_session_config c = config();

	check_refused(srv_wrong_host12, &c, SEALNET_TLS_EHOST_MISMATCH);
}

TEST(expired_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_expired, &c, SEALNET_TLS_EEXPIRED);
}

TEST(not_yet_valid_refused)
{
	struct tls_session_config c = config();

	check_refused(srv_not_yet_valid, &c, SEALNET_TLS_ENOT_YET_VALID);
}

/* Validity is judged at the caller's time, not the machine's clock. */
TEST(validity_follows_the_callers_time)
{
	struct tls_session_config c = config();
	struct conn *conn;

	c.verify_time = now + 60 * DAY;
	check_refused(srv_both, &c, SEALNET_TLS_EEXPIRED);
	c.verify_time = now - 30 * DAY;
	conn = conn_open(srv_expired, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	conn_free(conn);
}

TEST(ip_literal_checked_as_an_address)
{
	struct tls_session_config c = config();
	struct conn *conn;

	c.host = "127.0.0.1";
	conn = conn_open(srv_ip, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	/* RFC 6066: no SNI for an address. */
	CHECK(SSL_get_servername(conn->server.ssl, TLSEXT_NAMETYPE_host_name) ==
	      NULL);
	conn_free(conn);
	c.host = "127.0.0.2";
	check_refused(srv_ip, &c, SEALNET_TLS_EHOST_MISMATCH);
	c.host = "127.0.0.1";
	check_refused(srv_both, &c, SEALNET_TLS_EHOST_MISMATCH);
}

/* ---- versions and suites ---- */

TEST(no_common_version)
{
	struct tls_session_config c = config();

	check_refused(srv_tls11, &c, SEALNET_TLS_EHANDSHAKE);
}

TEST(no_common_suite)
{
	struct tls_session_config c = config();

	check_refused(srv_cbc, &c, SEALNET_TLS_EHANDSHAKE);
}

/* ---- client certificates ---- */

static void
check_mutual(SSL_CTX *server)
{
	struct tls_session_config c = config();
	struct conn *conn;
	X509 *seen;
	char name[64];

	c.identity = IDENTITY;
	conn = conn_open(server, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	CHECK(round_trip(conn, "authenticated"));
	seen = SSL_get1_peer_certificate(conn->server.ssl);
	CHECK(seen != NULL);
	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(seen),
					NID_commonName, name,
					sizeof(name)) > 0);
	X509_free(seen);
	CHECK(strcmp(name, "sealnet test client") == 0);
	conn_free(conn);
	/* Without an identity the server refuses: in TLS 1.3 after our
	 * Finished, so the engine learns it from the server's alert. */
	c.identity = NULL;
	conn = conn_open(server, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session), TLS_SESSION_FAILED);
	CHECK_EQ_INT(tls_session_error(&conn->session), SEALNET_TLS_EHANDSHAKE);
	conn_free(conn);
}

TEST(client_certificate_tls13)
{
	check_mutual(srv_mtls13);
}

TEST(client_certificate_tls12)
{
	check_mutual(srv_mtls12);
}

/* ---- ALPN ---- */

TEST(alpn_chosen_by_the_server)
{
	struct tls_session_config c = config();
	const uint8_t *proto;
	struct conn *conn;

	c.alpn = (const uint8_t *)ALPN_OFFER;
	c.alpn_len = ALPN_OFFER_LEN;
	conn = conn_open(srv_alpn, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	CHECK_EQ_INT(tls_session_alpn(&conn->session, &proto), 7);
	CHECK(memcmp(proto, "ntske/1", 7) == 0);
	conn_free(conn);
	/* A server without ALPN chooses nothing. */
	conn = conn_open(srv_both, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	CHECK_EQ_INT(tls_session_alpn(&conn->session, &proto), 0);
	CHECK(proto == NULL);
	conn_free(conn);
}

/* ---- resumption ---- */

static int
connect_resumed(SSL_CTX *server, const struct tls_session_config *c)
{
	struct conn *conn = conn_open(server, c);
	int result;

	if (conn == NULL ||
	    tls_session_state(&conn->session) != TLS_SESSION_ESTABLISHED)
		result = -1;
	else
		result = tls_session_resumed(&conn->session) ? 1 : 0;
	conn_free(conn);
	return result;
}

static void
check_resumption(SSL_CTX *server)
{
	struct tls_session_config c = config();

	tls_engine_forget_owner(&engine, OWNER);
	tls_engine_forget_owner(&engine, OTHER_OWNER);
	CHECK_EQ_INT(connect_resumed(server, &c), 0);
	CHECK_EQ_INT(connect_resumed(server, &c), 1);
	/* In TLS 1.3 the resumed connection left a fresh ticket for the
	 * next; in TLS 1.2 the session stays. */
	CHECK_EQ_INT(connect_resumed(server, &c), 1);
	c.owner = OTHER_OWNER;
	CHECK_EQ_INT(connect_resumed(server, &c), 0);
	c.owner = OWNER;
	c.port = PORT + 1;
	CHECK_EQ_INT(connect_resumed(server, &c), 0);
	c.port = PORT;
	c.identity = IDENTITY;
	CHECK_EQ_INT(connect_resumed(server, &c), 0);
	/* Forgetting an owner drops its tickets. */
	c.identity = NULL;
	tls_engine_forget_owner(&engine, OWNER);
	CHECK_EQ_INT(connect_resumed(server, &c), 0);
}

TEST(resumption_tls13_only_for_the_same_owner)
{
	check_resumption(srv_tls13);
}

TEST(resumption_tls12_only_for_the_same_owner)
{
	check_resumption(srv_tls12);
}

TEST(cache_is_bounded)
{
	struct tls_session_config c = config();
	uint64_t evicted = engine.cache_stats.evicted;
	unsigned held = 0;

	c.owner = 77;
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES + 6; i++) {
		c.port = (uint16_t)(1000 + i);
		CHECK_EQ_INT(connect_resumed(srv_tls13, &c), 0);
	}
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		held += engine.cache[i].session != NULL;
	CHECK_EQ_INT(held, TLS_SESSION_CACHE_ENTRIES);
	CHECK(engine.cache_stats.evicted >= evicted + 6);
	/* The oldest went first; the newest is still there. */
	c.port = 1000;
	CHECK_EQ_INT(connect_resumed(srv_tls13, &c), 0);
	c.port = (uint16_t)(1000 + TLS_SESSION_CACHE_ENTRIES + 5);
	CHECK_EQ_INT(connect_resumed(srv_tls13, &c), 1);
	tls_engine_forget_owner(&engine, 77);
}

/* ---- the exporter ---- */

TEST(exporter_matches_the_server)
{
	static const uint8_t context[] = {0x00, 0x00, 0x00, 0x0f, 0x00};
	struct tls_session_config c = config();
	uint8_t ours[32], theirs[32], other[32];
	struct conn *conn;
	struct tls_session fresh;

	CHECK_EQ_INT(tls_session_init(&engine, &fresh, &c), 0);
	CHECK_EQ_INT(tls_session_export(&fresh, NTS_LABEL, context,
					sizeof(context), ours, sizeof(ours)),
		     -ENOTCONN);
	tls_session_free(&fresh);
	conn = conn_open(srv_tls13, &c);
	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_export(&conn->session, NTS_LABEL, context,
					sizeof(context), ours, sizeof(ours)),
		     0);
	CHECK(SSL_export_keying_material(
		  conn->server.ssl, theirs, sizeof(theirs), NTS_LABEL,
		  strlen(NTS_LABEL), context, sizeof(context), 1) == 1);
	CHECK(memcmp(ours, theirs, sizeof(ours)) == 0);
	/* The other direction's key differs. */
	uint8_t s2c[sizeof(context)];
	memcpy(s2c, context, sizeof(context));
	s2c[4] = 0x01;
	CHECK_EQ_INT(tls_session_export(&conn->session, NTS_LABEL, s2c,
					sizeof(s2c), other, sizeof(other)),
		     0);
	CHECK(memcmp(ours, other, sizeof(ours)) != 0);
	conn_free(conn);
}

/* ---- endings ---- */

TEST(close_notify_from_the_server)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	uint8_t buf[16];

	CHECK(conn != NULL);
	CHECK_EQ_INT(
	    peer_server_write(&conn->server, (const uint8_t *)"bye", 3), 0);
	CHECK(SSL_shutdown(conn->server.ssl) >= 0);
	peer_pump(&conn->session, &conn->server);
	/* What came before close_notify is read first. */
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "bye", 3) == 0);
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)),
		     SEALNET_TLS_EPEER_CLOSED);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_PEER_CLOSED);
	CHECK_EQ_INT(tls_session_write(&conn->session, buf, 1),
		     SEALNET_TLS_EPEER_CLOSED);
	conn_free(conn);
}

TEST(close_sends_close_notify)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	uint8_t buf[16];
	int why;

	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_close(&conn->session), 0);
	CHECK_EQ_INT(tls_session_state(&conn->session), TLS_SESSION_CLOSED);
	peer_pump(&conn->session, &conn->server);
	CHECK_EQ_INT(peer_server_read(&conn->server, buf, sizeof(buf), &why),
		     -1);
	CHECK_EQ_INT(why, SSL_ERROR_ZERO_RETURN);
	CHECK_EQ_INT(tls_session_write(&conn->session, buf, 1), -EPIPE);
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)),
		     -EPIPE);
	conn_free(conn);
}

TEST(end_of_stream_without_close_notify)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	uint8_t buf[16];

	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	tls_session_feed_eof(&conn->session);
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)),
		     SEALNET_TLS_EPEER_RESET);
	CHECK_EQ_INT(tls_session_error(&conn->session),
		     SEALNET_TLS_EPEER_RESET);
	conn_free(conn);
	/* And in the middle of the handshake. */
	struct tls_session s;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), 0);
	tls_session_feed_eof(&s);
	CHECK_EQ_INT(tls_session_error(&s), SEALNET_TLS_EPEER_RESET);
	tls_session_free(&s);
}

TEST(garbage_before_the_server_hello)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	struct tls_session_config c = config();
	struct tls_session s;
	uint8_t hello[4096];

	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), 0);
	CHECK(tls_session_take(&s, hello, sizeof(hello)) > 0);
	CHECK_EQ_INT(
	    tls_session_feed(&s, (const uint8_t *)reply, sizeof(reply) - 1),
	    SEALNET_TLS_EPROTOCOL);
	CHECK_EQ_INT(tls_session_state(&s), TLS_SESSION_FAILED);
	tls_session_free(&s);
}

TEST(garbage_after_the_handshake)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	uint8_t record[5 + 64];
	uint8_t buf[64];

	CHECK(conn != NULL);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	/* An application-data record that no key made. */
	record[0] = 0x17;
	record[1] = 0x03;
	record[2] = 0x03;
	record[3] = 0;
	record[4] = 64;
	for (size_t i = 5; i < sizeof(record); i++)
		record[i] = (uint8_t)(i * 37);
	CHECK_EQ_INT(tls_session_feed(&conn->session, record, sizeof(record)),
		     SEALNET_TLS_EPROTOCOL);
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)),
		     SEALNET_TLS_EPROTOCOL);
	conn_free(conn);
}

/* The server fails on bytes it was sent and tells us with an alert. */
TEST(peer_aborts_after_the_handshake)
{
	static const uint8_t junk[] = {
	    0x17, 0x03, 0x03, 0x00, 0x20, 1,  2,  3,  4,  5,  6,  7,  8,
	    9,	  10,	11,   12,   13,	  14, 15, 16, 17, 18, 19, 20, 21,
	    22,	  23,	24,   25,   26,	  27, 28, 29, 30, 31, 32};
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	uint8_t buf[16];
	int why;

	CHECK(conn != NULL);
	CHECK(BIO_write(conn->server.in, junk, sizeof(junk)) ==
	      (int)sizeof(junk));
	CHECK_EQ_INT(peer_server_read(&conn->server, buf, sizeof(buf), &why),
		     -1);
	peer_pump(&conn->session, &conn->server);
	CHECK_EQ_INT(tls_session_state(&conn->session), TLS_SESSION_FAILED);
	CHECK_EQ_INT(tls_session_error(&conn->session),
		     SEALNET_TLS_EPEER_RESET);
	/* bad_record_mac, fatal. */
	CHECK_EQ_INT(conn->session.peer_alert, 2 << 8 | 20);
	conn_free(conn);
}

/* ---- plaintext ---- */

TEST(no_plaintext_before_the_handshake)
{
	struct tls_session_config c = config();
	struct tls_session s;
	uint8_t buf[4096];
	size_t hello;

	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), 0);
	hello = tls_session_pending(&s);
	CHECK(hello > 0);
	CHECK_EQ_INT(tls_session_write(&s, (const uint8_t *)"early", 5),
		     -ENOTCONN);
	CHECK_EQ_INT(tls_session_read(&s, buf, sizeof(buf)), -ENOTCONN);
	CHECK_EQ_INT(tls_session_pending(&s), hello);
	CHECK_EQ_INT(tls_session_close(&s), 0);
	CHECK_EQ_INT(tls_session_write(&s, (const uint8_t *)"late", 4), -EPIPE);
	tls_session_free(&s);
}

static uint8_t
pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

/* A megabyte each way through bounded buffers: feed and write push
 * back, and every byte arrives in order. */
TEST(bulk_both_ways)
{
	static uint8_t out[BULK_BYTES], in[BULK_BYTES], relay[32768];
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	size_t sent = 0, received = 0, served = 0, echoed = 0;
	bool pushed_back = false;

	CHECK(conn != NULL);
	for (size_t i = 0; i < BULK_BYTES; i++)
		out[i] = pattern(i);
	for (unsigned turn = 0; turn < 100000 && received < BULK_BYTES;
	     turn++) {
		ssize_t n;
		long got;
		int why;

		if (sent < BULK_BYTES) {
			size_t offered = BULK_BYTES - sent;

			n = tls_session_write(&conn->session, out + sent,
					      offered);
			CHECK(n > 0 || n == -EAGAIN);
			/* Taking less than offered is the push-back. */
			if (n < (ssize_t)offered)
				pushed_back = true;
			if (n > 0)
				sent += (size_t)n;
		}
		peer_pump(&conn->session, &conn->server);
		/* The server echoes what it reads. */
		while ((got = peer_server_read(&conn->server, relay,
					       sizeof(relay), &why)) > 0) {
			for (long i = 0; i < got; i++)
				CHECK_EQ_INT(relay[i], pattern(served + i));
			CHECK_EQ_INT(peer_server_write(&conn->server, relay,
						       (size_t)got),
				     0);
			served += (size_t)got;
		}
		peer_pump(&conn->session, &conn->server);
		while ((n = tls_session_read(&conn->session, in + received,
					     BULK_BYTES - received)) > 0)
			received += (size_t)n;
		CHECK(n == -EAGAIN || received == BULK_BYTES);
		echoed = received;
	}
	CHECK_EQ_INT(echoed, BULK_BYTES);
	CHECK(memcmp(in, out, BULK_BYTES) == 0);
	CHECK(pushed_back);
	conn_free(conn);
}

/* The server sends far more than the engine buffers: feed takes up to
 * the bound, then nothing until plaintext is read, and nothing is lost. */
TEST(feed_stops_at_the_bound)
{
	static uint8_t wire[8 * TLS_CIPHERTEXT_BUFFERED_MAX];
	static uint8_t sent[4 * TLS_CIPHERTEXT_BUFFERED_MAX];
	static uint8_t got[sizeof(sent)];
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_both, &c);
	size_t wire_len, fed = 0, received = 0;
	ssize_t took, n;

	CHECK(conn != NULL);
	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = pattern(i);
	CHECK_EQ_INT(peer_server_write(&conn->server, sent, sizeof(sent)), 0);
	n = BIO_read(conn->server.out, wire, sizeof(wire));
	CHECK(n > (ssize_t)sizeof(sent));
	wire_len = (size_t)n;
	took = tls_session_feed(&conn->session, wire, wire_len);
	CHECK_EQ_INT(took, TLS_CIPHERTEXT_BUFFERED_MAX);
	fed = (size_t)took;
	/* One record moved into OpenSSL; room for about that much. */
	took = tls_session_feed(&conn->session, wire + fed, wire_len - fed);
	CHECK(took > 0 && took <= TLS_RECORD_MAX);
	fed += (size_t)took;
	CHECK_EQ_INT(
	    tls_session_feed(&conn->session, wire + fed, wire_len - fed), 0);
	while (received < sizeof(got)) {
		n = tls_session_read(&conn->session, got + received,
				     sizeof(got) - received);
		if (n > 0) {
			received += (size_t)n;
			continue;
		}
		CHECK_EQ_INT(n, -EAGAIN);
		CHECK(fed < wire_len);
		took = tls_session_feed(&conn->session, wire + fed,
					wire_len - fed);
		CHECK(took > 0);
		fed += (size_t)took;
	}
	CHECK_EQ_INT(fed, wire_len);
	CHECK(memcmp(got, sent, sizeof(sent)) == 0);
	conn_free(conn);
}

TEST(key_update_from_the_server)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_tls13, &c);

	CHECK(conn != NULL);
	CHECK(SSL_key_update(conn->server.ssl, SSL_KEY_UPDATE_REQUESTED) == 1);
	CHECK(round_trip(conn, "after the key update"));
	CHECK(round_trip(conn, "and again"));
	conn_free(conn);
}

TEST(renegotiation_refused)
{
	struct tls_session_config c = config();
	struct conn *conn = conn_open(srv_tls12, &c);
	uint8_t buf[16];

	CHECK(conn != NULL);
	CHECK(SSL_renegotiate(conn->server.ssl) == 1);
	ERR_clear_error();
	(void)SSL_do_handshake(conn->server.ssl);
	ERR_clear_error();
	peer_pump(&conn->session, &conn->server);
	/* The engine answered no_renegotiation and carried on. */
	CHECK_EQ_INT(tls_session_read(&conn->session, buf, sizeof(buf)),
		     -EAGAIN);
	CHECK_EQ_INT(SSL_renegotiate_pending(conn->server.ssl), 1);
	CHECK_EQ_INT(tls_session_state(&conn->session),
		     TLS_SESSION_ESTABLISHED);
	conn_free(conn);
}

/* ---- arguments ---- */

TEST(bad_arguments)
{
	struct tls_session_config c = config();
	struct tls_session s;
	char long_host[TLS_HOST_MAX + 2];

	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = '\0';
	const char *hosts[] = {"", "exa mple.com", "example.com/", long_host,
			       "ex\xc3\xa4mple.com"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		c.host = hosts[i];
		CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	}
	c = config();
	c.host = NULL;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.alpn = (const uint8_t *)"\x00";
	c.alpn_len = 1;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c.alpn = (const uint8_t *)"\x05h2";
	c.alpn_len = 3;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.identity = "nobody";
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
	c = config();
	c.verify_time = -1;
	CHECK_EQ_INT(tls_session_init(&engine, &s, &c), -EINVAL);
}

TEST(bad_pem_refused)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n"
				   "-----END CERTIFICATE-----\n";
	struct tls_engine e;
	char *other_key;
	size_t other_key_len;

	CHECK_EQ_INT(tls_engine_init(&e, (const uint8_t *)"", 0), -EINVAL);
	CHECK_EQ_INT(
	    tls_engine_init(&e, (const uint8_t *)junk, sizeof(junk) - 1),
	    -EINVAL);
	CHECK_EQ_INT(tls_engine_init(&e, (const uint8_t *)ca_pem, ca_pem_len),
		     0);
	/* A key that is not the certificate's. */
	other_key = peer_key_pem(good.key, &other_key_len);
	CHECK(other_key != NULL);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)other_key, other_key_len),
		     -EINVAL);
	free(other_key);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)client_key_pem, client_key_pem_len),
		     0);
	CHECK_EQ_INT(tls_engine_add_identity(
			 &e, "x", (const uint8_t *)client_pem, client_pem_len,
			 (const uint8_t *)client_key_pem, client_key_pem_len),
		     -EINVAL);
	tls_engine_free(&e);
}

TEST(every_error_has_its_own_name)
{
	for (int a = SEALNET_TLS_ERROR_LAST; a <= SEALNET_TLS_ERROR_FIRST;
	     a++) {
		CHECK(SEALNET_TLS_IS_ERROR(a));
		CHECK(sealnet_tls_error_name(a) != NULL);
		CHECK(-a > 2000);
		for (int b = a + 1; b <= SEALNET_TLS_ERROR_FIRST; b++)
			CHECK(strcmp(sealnet_tls_error_name(a),
				     sealnet_tls_error_name(b)) != 0);
	}
	CHECK(sealnet_tls_error_name(-EINVAL) == NULL);
	CHECK(!SEALNET_TLS_IS_ERROR(-EINVAL));
	CHECK(sealnet_tls_error_name(SEALNET_TLS_ERROR_LAST - 1) == NULL);
}

/* ---- fixtures ---- */

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
make_fixtures(void)
{
	struct peer_server_options o;

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
	SSL_CTX *all[] = {srv_both,
			  srv_tls13,
			  srv_tls12,
			  srv_tls11,
			  srv_cbc,
			  srv_wrong_host,
			  srv_expired,
			  srv_not_yet_valid,
			  srv_self_signed,
			  srv_unknown_issuer,
			  srv_unknown_with_root,
			  srv_ip,
			  srv_mtls13,
			  srv_mtls12,
			  srv_alpn,
			  srv_wrong_host12};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] == NULL)
			return -1;
	return 0;
}

static void
free_fixtures(void)
{
	SSL_CTX *all[] = {srv_both,
			  srv_tls13,
			  srv_tls12,
			  srv_tls11,
			  srv_cbc,
			  srv_wrong_host,
			  srv_expired,
			  srv_not_yet_valid,
			  srv_self_signed,
			  srv_unknown_issuer,
			  srv_unknown_with_root,
			  srv_ip,
			  srv_mtls13,
			  srv_mtls12,
			  srv_alpn,
			  srv_wrong_host12};
	struct peer_credential *creds[] = {
	    &ca,      &other_ca,      &good,	    &wrong_host,
	    &expired, &not_yet_valid, &self_signed, &unknown_issuer,
	    &ip_cert, &client};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		SSL_CTX_free(all[i]);
	for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		peer_credential_free(creds[i]);
	free(ca_pem);
	free(client_pem);
	free(client_key_pem);
}

int
main(void)
{
	/* As a compartment would: OpenSSL starts without its configuration
	 * file, so the host's cannot change what the servers here accept. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1 ||
	    make_fixtures() < 0) {
		printf("FAIL tls_engine_test: cannot make the fixtures\n");
		ERR_print_errors_fp(stdout);
		return EXIT_FAILURE;
	}
	RUN(nothing_opens_a_file_after_init);
	RUN(the_sandbox_filter_kills_an_open);
	if (tls_engine_init(&engine, (const uint8_t *)ca_pem, ca_pem_len) < 0 ||
	    tls_engine_add_identity(
		&engine, IDENTITY, (const uint8_t *)client_pem, client_pem_len,
		(const uint8_t *)client_key_pem, client_key_pem_len) < 0) {
		printf("FAIL tls_engine_test: tls_engine_init\n");
		return EXIT_FAILURE;
	}
	RUN(tls13_server);
	RUN(tls12_server);
	RUN(server_with_both_versions_gives_tls13);
	RUN(unknown_issuer_refused);
	RUN(unknown_root_sent_by_the_server_refused);
	RUN(self_signed_refused);
	RUN(wrong_host_refused);
	RUN(wrong_host_refused_over_tls12);
	RUN(expired_refused);
	RUN(not_yet_valid_refused);
	RUN(validity_follows_the_callers_time);
	RUN(ip_literal_checked_as_an_address);
	RUN(no_common_version);
	RUN(no_common_suite);
	RUN(client_certificate_tls13);
	RUN(client_certificate_tls12);
	RUN(alpn_chosen_by_the_server);
	RUN(resumption_tls13_only_for_the_same_owner);
	RUN(resumption_tls12_only_for_the_same_owner);
	RUN(cache_is_bounded);
	RUN(exporter_matches_the_server);
	RUN(close_notify_from_the_server);
	RUN(close_sends_close_notify);
	RUN(end_of_stream_without_close_notify);
	RUN(garbage_before_the_server_hello);
	RUN(garbage_after_the_handshake);
	RUN(peer_aborts_after_the_handshake);
	RUN(no_plaintext_before_the_handshake);
	RUN(bulk_both_ways);
	RUN(feed_stops_at_the_bound);
	RUN(key_update_from_the_server);
	RUN(renegotiation_refused);
	RUN(bad_arguments);
	RUN(bad_pem_refused);
	RUN(every_error_has_its_own_name);
	tls_engine_free(&engine);
	free_fixtures();
	HARNESS_EXIT();
}
