/*
 * The TLS engine's records after the handshake: how a session ends, what
 * garbage and alerts do to it, plaintext both ways within its bounds, key
 * updates, and renegotiation refused.
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
	CHECK_EQ_INT(tls_session_feed_room(&conn->session),
		     TLS_CIPHERTEXT_BUFFERED_MAX);
	took = tls_session_feed(&conn->session, wire, wire_len);
	CHECK_EQ_INT(took, TLS_CIPHERTEXT_BUFFERED_MAX);
	fed = (size_t)took;
	/* One record moved into OpenSSL; room for about that much, and
	 * feed_room says so beforehand. */
	size_t room = tls_session_feed_room(&conn->session);
	took = tls_session_feed(&conn->session, wire + fed, wire_len - fed);
	CHECK(took > 0 && took <= TLS_RECORD_MAX);
	CHECK_EQ_INT(took, room);
	fed += (size_t)took;
	CHECK_EQ_INT(tls_session_feed_room(&conn->session), 0);
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

int
main(void)
{
	if (fixtures_make("tls_engine_records_test") < 0 ||
	    fixtures_start_engine("tls_engine_records_test") < 0)
		return EXIT_FAILURE;
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
	fixtures_free();
	HARNESS_EXIT();
}
