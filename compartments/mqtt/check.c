/*
 * Which server a delegated TLS session talks to, checked before CONNECT
 * goes out over it.  The application that hands us a session also
 * presents the MQTT capability whose broker the CONNECT, and the
 * credentials in it, are for; nothing ties the two together but what
 * TLS recorded when it made the session: the host and port of the
 * capability it was made with, which the certificate was verified
 * against.  Without asking TLS, an application that may reach some
 * other server over TLS could have us send that server the password of
 * a broker it may use but never sees.  TLS cannot refuse the delegation
 * instead: one application may hold two brokers, and hand the first's
 * session with the second's capability.
 *
 * TLS is asked (tls_connection_peer) without the loop waiting for it;
 * the transport is held, unused, until the answer comes.  A plaintext
 * socket carries no such record and is used as handed over.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "boot.h"
#include "connection.h"
#include "log.h"

static struct {
	uint64_t refused;
} stats;

/* TLS keeps host names in lower case, and DNS names compare without
 * case, so the capability's may differ from it in case alone. */
static bool
same_broker(const struct conn *c, const char *host, uint32_t len, uint16_t port)
{
	return len == strlen(c->cap.host) && memchr(host, 0, len) == NULL &&
	       strncasecmp(host, c->cap.host, len) == 0 && port == c->cap.port;
}

static void
on_peer(void *ctx, int status, const sn_message_ref *reply)
{
	struct conn *c = conn_from_ticket(ctx);
	sn_tls_peer_ref peer;
	const char *host;
	uint32_t len = 0;

	if (c == NULL || !c->checking)
		return;
	if (status < 0) {
		conn_check_done(c, status);
		return;
	}
	peer = sn_message_body_as_tls_peer(*reply);
	host = sn_tls_peer_host(peer, &len);
	if (host == NULL)
		host = "", len = 0;
	if (!same_broker(c, host, len, sn_tls_peer_port(peer))) {
		if (sn_log_worth(++stats.refused))
			sn_log("refused %s's connect to %s:%u over a TLS "
			       "session made for %.*s:%u; the session is "
			       "closed (%llu so far)",
			       c->owner->name, c->cap.host, c->cap.port,
			       (int)(len < SN_HOST_MAX ? len : SN_HOST_MAX),
			       host, sn_tls_peer_port(peer),
			       (unsigned long long)stats.refused);
		conn_check_done(c, -EPERM);
		return;
	}
	conn_check_done(c, 0);
}

int
conn_check_and_start(struct conn *c, sn_handle transport)
{
	struct sn_peer *tls;
	sn_builder *b;
	uint32_t body;
	int rc;

	if (c->cap.mqtt_plaintext)
		return conn_start(c, transport);
	/* Held, so that whatever ends the connection meanwhile closes it;
	 * and the owner is asked for no other. */
	c->transport = transport;
	c->have_transport = true;
	c->transport_asked = true;
	tls = sn_export_peer(&compartment, SN_EXPORT_TLS_CONNECTION_PEER);
	if (tls == NULL)
		return -EPERM;
	b = sn_call_builder(&compartment);
	body = sn_session_reference_start(b);
	sn_session_reference_add_session(b, body, &c->transport);
	rc = sn_call_async(tls, SN_EXPORT_TLS_CONNECTION_PEER,
			   SN_BODY_SESSION_REFERENCE, body,
			   MQTT_PEER_CHECK_TIMEOUT_NS, on_peer, conn_ticket(c));
	if (rc < 0)
		return rc;
	c->checking = true;
	return 0;
}

void
conn_check_done(struct conn *c, int rc)
{
	bool reconnect = c->reconnect_waiting;

	c->checking = false;
	c->reconnect_waiting = false;
	if (rc == 0)
		rc = conn_start(c, c->transport);
	/* On a refusal the session's close goes to TLS before the answer
	 * to its owner, whose next session then finds it gone from its
	 * quota. */
	if (reconnect) {
		if (rc < 0) {
			conn_back_off(c);
			(void)sn_deferred_error(&c->reconnect_wait, rc);
		} else {
			(void)sn_deferred_ok(
			    &c->reconnect_wait, SN_BODY_EMPTY,
			    sn_empty_start(sn_reply_builder(&compartment)));
		}
		conn_run(c);
		return;
	}
	if (rc < 0) {
		/* The first connection: its caller learns why, and nobody
		 * else knows of it.  Its close, if one is made, answers
		 * nobody. */
		(void)transport_close(c);
		if (c->connect_waiting)
			(void)sn_deferred_error(&c->connect_wait, rc);
		c->connect_waiting = false;
		conn_free(c);
		return;
	}
	conn_run(c);
}
