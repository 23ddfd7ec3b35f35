/*
 * What the TLS engine keeps past a handshake: tickets offered only to the
 * same owner, port and identity, a bounded cache, and exported keys that
 * match the server's.
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

int
main(void)
{
	if (fixtures_make("tls_engine_resumption_test") < 0 ||
	    fixtures_start_engine("tls_engine_resumption_test") < 0)
		return EXIT_FAILURE;
	RUN(resumption_tls13_only_for_the_same_owner);
	RUN(resumption_tls12_only_for_the_same_owner);
	RUN(cache_is_bounded);
	RUN(exporter_matches_the_server);
	fixtures_free();
	HARNESS_EXIT();
}
