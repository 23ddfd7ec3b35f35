/* The TLS engine: OpenSSL client sessions over memory BIOs.  Every OpenSSL
 * call's result is checked, the error queue is emptied before each call
 * whose failure is classified, and every length crossing into OpenSSL's
 * int-sized arguments is bounded first.  This file holds the sessions;
 * engine_internal.h says where the rest is. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sealnet/tls.h>

#include "engine_internal.h"

/* Runs the handshake as far as the ciphertext allows, then lets OpenSSL
 * look at what follows it (tickets, key updates, alerts, close_notify)
 * without taking any plaintext, so that the state is current after every
 * feed. */
static void
advance(struct tls_session *s)
{
	uint8_t byte;
	size_t seen;
	int ret;

	if (s->state == TLS_SESSION_HANDSHAKING) {
		ERR_clear_error();
		ret = SSL_do_handshake(s->ssl);
		if (ret != 1) {
			(void)engine_handle_result(s, ret);
			return;
		}
		s->state = TLS_SESSION_ESTABLISHED;
	}
	if (s->state != TLS_SESSION_ESTABLISHED)
		return;
	ERR_clear_error();
	ret = SSL_peek_ex(s->ssl, &byte, sizeof(byte), &seen);
	if (ret != 1)
		(void)engine_handle_result(s, ret);
}

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Copies the host in lower case; true if it is an IP literal. */
static int
check_host(const char *host, char out[TLS_HOST_MAX + 1], bool *is_ip)
{
	struct in6_addr addr;
	size_t len;

	if (host == NULL)
		return -EINVAL;
	len = strnlen(host, TLS_HOST_MAX + 1);
	if (len == 0 || len > TLS_HOST_MAX)
		return -EINVAL;
	*is_ip = inet_pton(AF_INET, host, &addr) == 1 ||
		 inet_pton(AF_INET6, host, &addr) == 1;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		if (!*is_ip && !is_host_char(c))
			return -EINVAL;
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	return 0;
}

static int
check_alpn(const uint8_t *alpn, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return 0;
	if (alpn == NULL || len > TLS_ALPN_MAX)
		return -EINVAL;
	while (at < len) {
		size_t name = alpn[at];

		if (name == 0 || name > len - at - 1)
			return -EINVAL;
		at += 1 + name;
	}
	return 0;
}

static int
configure_session(struct tls_session *s, const struct tls_session_config *c,
		  bool is_ip)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);

	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	X509_VERIFY_PARAM_set_time(param, (time_t)c->verify_time);
	if (is_ip) {
		/* RFC 6066: SNI carries host names only. */
		if (X509_VERIFY_PARAM_set1_ip_asc(param, s->host) != 1)
			return -EINVAL;
	} else if (X509_VERIFY_PARAM_set1_host(param, s->host, 0) != 1 ||
		   SSL_set_tlsext_host_name(s->ssl, s->host) != 1) {
		return -ENOMEM;
	}
	/* SSL_set_alpn_protos alone returns 0 on success. */
	if (c->alpn_len > 0 &&
	    SSL_set_alpn_protos(s->ssl, c->alpn, (unsigned)c->alpn_len) != 0)
		return -ENOMEM;
	if (s->identity >= 0) {
		struct tls_identity *id = &s->engine->identities[s->identity];

		if (SSL_use_cert_and_key(s->ssl, id->certificate, id->key,
					 id->chain, 1) != 1)
			return -EINVAL;
	}
	return 0;
}

int
tls_session_init(struct tls_engine *engine, struct tls_session *session,
		 const struct tls_session_config *config)
{
	struct tls_session s;
	bool is_ip = false;
	int rc;

	memset(session, 0, sizeof(*session));
	memset(&s, 0, sizeof(s));
	if (engine == NULL || engine->ctx == NULL || config == NULL ||
	    config->verify_time < 0 ||
	    check_host(config->host, s.host, &is_ip) < 0 ||
	    check_alpn(config->alpn, config->alpn_len) < 0)
		return -EINVAL;
	s.identity = -1;
	if (config->identity != NULL) {
		s.identity = engine_find_identity(engine, config->identity);
		if (s.identity < 0)
			return -EINVAL;
	}
	s.engine = engine;
	s.owner = config->owner;
	s.port = config->port;
	s.state = TLS_SESSION_HANDSHAKING;
	s.peer_alert = NO_ALERT;
	s.ssl = SSL_new(engine->ctx);
	s.from_network = BIO_new(BIO_s_mem());
	s.to_network = BIO_new(BIO_s_mem());
	if (s.ssl == NULL || s.from_network == NULL || s.to_network == NULL) {
		BIO_free(s.from_network);
		BIO_free(s.to_network);
		SSL_free(s.ssl);
		ERR_clear_error();
		return -ENOMEM;
	}
	/* An empty input is "not yet", not the end of the stream; only
	 * tls_session_feed_eof says that. */
	BIO_set_mem_eof_return(s.from_network, -1);
	SSL_set_bio(s.ssl, s.from_network, s.to_network);
	SSL_set_connect_state(s.ssl);
	rc = configure_session(&s, config, is_ip);
	if (rc == 0)
		rc = engine_offer_ticket(&s);
	if (rc < 0) {
		SSL_free(s.ssl);
		ERR_clear_error();
		return rc;
	}
	*session = s;
	/* The callbacks find the session through this, so it is set only
	 * once the session is at the address it will keep. */
	if (SSL_set_app_data(session->ssl, session) != 1) {
		SSL_free(session->ssl);
		memset(session, 0, sizeof(*session));
		ERR_clear_error();
		return -ENOMEM;
	}
	advance(session);
	return 0;
}

void
tls_session_free(struct tls_session *session)
{
	SSL_free(session->ssl);
	memset(session, 0, sizeof(*session));
}

ssize_t
tls_session_feed(struct tls_session *session, const uint8_t *data, size_t len)
{
	size_t buffered, room, take;

	if (session->ssl == NULL || (data == NULL && len > 0) ||
	    session->transport_ended)
		return -EINVAL;
	if (session->state != TLS_SESSION_HANDSHAKING &&
	    session->state != TLS_SESSION_ESTABLISHED)
		return engine_refusal(session);
	buffered = BIO_ctrl_pending(session->from_network);
	room = buffered < TLS_CIPHERTEXT_BUFFERED_MAX
		   ? TLS_CIPHERTEXT_BUFFERED_MAX - buffered
		   : 0;
	take = len < room ? len : room;
	if (take > 0 &&
	    BIO_write(session->from_network, data, (int)take) != (int)take) {
		ERR_clear_error();
		engine_fail(session, -ENOMEM);
		return -ENOMEM;
	}
	advance(session);
	if (session->state == TLS_SESSION_FAILED)
		return session->error;
	return (ssize_t)take;
}

size_t
tls_session_feed_room(const struct tls_session *session)
{
	size_t buffered;

	if (session->ssl == NULL || session->transport_ended ||
	    (session->state != TLS_SESSION_HANDSHAKING &&
	     session->state != TLS_SESSION_ESTABLISHED))
		return 0;
	buffered = BIO_ctrl_pending(session->from_network);
	return buffered < TLS_CIPHERTEXT_BUFFERED_MAX
		   ? TLS_CIPHERTEXT_BUFFERED_MAX - buffered
		   : 0;
}

void
tls_session_feed_eof(struct tls_session *session)
{
	if (session->ssl == NULL || session->transport_ended)
		return;
	session->transport_ended = true;
	/* From now on an empty input is the end of the stream. */
	BIO_set_mem_eof_return(session->from_network, 0);
	advance(session);
}

size_t
tls_session_pending(const struct tls_session *session)
{
	return session->ssl != NULL ? BIO_ctrl_pending(session->to_network) : 0;
}

size_t
tls_session_take(struct tls_session *session, uint8_t *out, size_t cap)
{
	int got;

	if (session->ssl == NULL || out == NULL || cap == 0)
		return 0;
	got = BIO_read(session->to_network, out,
		       cap > INT_MAX ? INT_MAX : (int)cap);
	return got > 0 ? (size_t)got : 0;
}

ssize_t
tls_session_write(struct tls_session *session, const uint8_t *data, size_t len)
{
	size_t done = 0;

	if (session->ssl == NULL || (data == NULL && len > 0) ||
	    len > SSIZE_MAX)
		return -EINVAL;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return engine_refusal(session);
	/* One record per call to OpenSSL, and none once enough ciphertext
	 * waits: memory BIOs never push back, so this is where the bound
	 * on buffered output lives. */
	while (done < len && BIO_ctrl_pending(session->to_network) <
				 TLS_CIPHERTEXT_BUFFERED_MAX) {
		size_t chunk = len - done < TLS_PLAINTEXT_RECORD_MAX
				   ? len - done
				   : TLS_PLAINTEXT_RECORD_MAX;
		size_t written = 0;
		int ret;

		ERR_clear_error();
		ret = SSL_write_ex(session->ssl, data + done, chunk, &written);
		if (ret != 1) {
			(void)engine_handle_result(session, ret);
			break;
		}
		done += written;
	}
	if (done > 0)
		return (ssize_t)done;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return engine_refusal(session);
	return -EAGAIN;
}

ssize_t
tls_session_read(struct tls_session *session, uint8_t *out, size_t cap)
{
	size_t got = 0;
	int ret;

	if (session->ssl == NULL || (out == NULL && cap > 0) || cap > SSIZE_MAX)
		return -EINVAL;
	if (session->state != TLS_SESSION_ESTABLISHED)
		return engine_refusal(session);
	if (cap == 0)
		return 0;
	ERR_clear_error();
	ret = SSL_read_ex(session->ssl, out, cap, &got);
	if (ret == 1)
		return (ssize_t)got;
	if (engine_handle_result(session, ret))
		return -EAGAIN;
	return engine_refusal(session);
}

int
tls_session_close(struct tls_session *session)
{
	int ret;

	if (session->ssl == NULL)
		return -EINVAL;
	switch (session->state) {
	case TLS_SESSION_FAILED:
		return session->error;
	case TLS_SESSION_CLOSED:
		return 0;
	case TLS_SESSION_HANDSHAKING:
		/* Nothing was said yet that close_notify could end. */
		session->state = TLS_SESSION_CLOSED;
		return 0;
	case TLS_SESSION_ESTABLISHED:
	case TLS_SESSION_PEER_CLOSED:
		break;
	}
	ERR_clear_error();
	/* 0: sent, the peer's not yet seen; 1: both done.  Either way
	 * close_notify is in the output. */
	ret = SSL_shutdown(session->ssl);
	ERR_clear_error();
	session->state = TLS_SESSION_CLOSED;
	return ret >= 0 ? 0 : -ENOMEM;
}

enum tls_session_state
tls_session_state(const struct tls_session *session)
{
	return session->state;
}

int
tls_session_error(const struct tls_session *session)
{
	return session->state == TLS_SESSION_FAILED ? session->error : 0;
}

static bool
handshake_done(const struct tls_session *s)
{
	return s->ssl != NULL && (s->state == TLS_SESSION_ESTABLISHED ||
				  s->state == TLS_SESSION_PEER_CLOSED);
}

int
tls_session_version(const struct tls_session *session)
{
	return handshake_done(session) ? SSL_version(session->ssl) : 0;
}

bool
tls_session_resumed(const struct tls_session *session)
{
	return handshake_done(session) && SSL_session_reused(session->ssl) == 1;
}

size_t
tls_session_alpn(const struct tls_session *session, const uint8_t **protocol)
{
	const unsigned char *data = NULL;
	unsigned len = 0;

	*protocol = NULL;
	if (!handshake_done(session))
		return 0;
	SSL_get0_alpn_selected(session->ssl, &data, &len);
	*protocol = len > 0 ? data : NULL;
	return len;
}

int
tls_session_export(const struct tls_session *session, const char *label,
		   const uint8_t *context, size_t context_len, uint8_t *out,
		   size_t out_len)
{
	size_t label_len;
	int ret;

	if (label == NULL || out == NULL || out_len == 0 ||
	    out_len > TLS_EXPORT_MAX || (context == NULL && context_len > 0) ||
	    context_len > UINT16_MAX)
		return -EINVAL;
	label_len = strnlen(label, TLS_EXPORT_LABEL_MAX + 1);
	if (label_len > TLS_EXPORT_LABEL_MAX)
		return -EINVAL;
	if (!handshake_done(session))
		return -ENOTCONN;
	ERR_clear_error();
	ret = SSL_export_keying_material(session->ssl, out, out_len, label,
					 label_len, context, context_len, 1);
	ERR_clear_error();
	return ret == 1 ? 0 : -EINVAL;
}
