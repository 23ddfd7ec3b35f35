/*
 * The TLS engine's handshakes: those that succeed with each version, each
 * certificate refused with its own code, no common version or suite,
 * client certificates, and ALPN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sealnet/tls.h>

#include "engine.h"
#include "fixtures.h"
#include "harness.h"
#include "peer.h"

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

int
main(void)
{
	if (fixtures_make("tls_engine_handshake_test") < 0 ||
	    fixtures_start_engine("tls_engine_handshake_test") < 0)
		return EXIT_FAILURE;
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
	fixtures_free();
	HARNESS_EXIT();
}
