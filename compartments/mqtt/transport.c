/*
 * The calls a connection makes on the transport its owner delegated to
 * us, and nothing else: TLS's send, receive and close on a session, or,
 * for a plaintext broker, TCPIP's on a socket.  Each answer finds its
 * connection by the ticket it carries (connection.c), and one for a
 * transport since replaced is dropped.
 */
#include <errno.h>
#include <string.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "connection.h"
#include "log.h"

static struct {
	uint64_t protocol_violations;
} stats;

static bool
plaintext(const struct conn *c)
{
	return c->cap.mqtt_plaintext;
}

struct sn_peer *
transport_peer(const struct conn *c, uint16_t tls_export, uint16_t tcp_export)
{
	return sn_export_peer(&compartment,
			      plaintext(c) ? tcp_export : tls_export);
}

/* Disconnects whose answer waits for the transport's close: once TLS
 * (or TCPIP) has sent what it held and closed, the broker has the
 * DISCONNECT, and the caller may exit without it being lost.  Kept
 * apart from the connection, which is freed meanwhile; `ticket` names
 * the close call that answers it. */
static struct {
	bool waiting;
	uintptr_t ticket;
	struct sn_deferred wait;
} closing[MQTT_CONNECTIONS_MAX];

void
transport_answer_disconnect(struct sn_deferred *d)
{
	(void)sn_deferred_ok(d, SN_BODY_EMPTY,
			     sn_empty_start(sn_reply_builder(&compartment)));
}

static void
on_closed(void *ctx, int status, const sn_message_ref *reply)
{
	uintptr_t t = (uintptr_t)ctx;
	unsigned slot = (unsigned)(t & 0xff);

	if (slot < MQTT_CONNECTIONS_MAX && closing[slot].waiting &&
	    closing[slot].ticket == t) {
		closing[slot].waiting = false;
		transport_answer_disconnect(&closing[slot].wait);
	}
}

bool
transport_close_answers(uintptr_t closed, const struct sn_deferred *d)
{
	unsigned slot = (unsigned)(closed & 0xff);

	if (closed == 0 || slot >= MQTT_CONNECTIONS_MAX ||
	    closing[slot].waiting)
		return false;
	closing[slot].waiting = true;
	closing[slot].ticket = closed;
	closing[slot].wait = *d;
	return true;
}

/* The close call on a transport handle: 0, or a negative errno. */
static int
close_call(sn_handle *transport, bool plain, void *ticket)
{
	struct sn_peer *p = sn_export_peer(
	    &compartment, plain ? SN_EXPORT_NETWORK_SOCKET_CLOSE
				: SN_EXPORT_TLS_CONNECTION_CLOSE);
	sn_builder *b;
	uint32_t body;

	if (p == NULL || p->dead)
		return -EPIPE;
	b = sn_call_builder(&compartment);
	if (plain) {
		body = sn_socket_reference_start(b);
		sn_socket_reference_add_socket(b, body, transport);
		return sn_call_async(p, SN_EXPORT_NETWORK_SOCKET_CLOSE,
				     SN_BODY_SOCKET_REFERENCE, body, SN_SECOND,
				     on_closed, ticket);
	}
	body = sn_session_reference_start(b);
	sn_session_reference_add_session(b, body, transport);
	return sn_call_async(p, SN_EXPORT_TLS_CONNECTION_CLOSE,
			     SN_BODY_SESSION_REFERENCE, body, SN_SECOND,
			     on_closed, ticket);
}

uintptr_t
transport_close(struct conn *c)
{
	int rc;

	if (!c->have_transport)
		return 0;
	c->have_transport = false;
	c->use++;
	c->send_in_flight = c->receive_in_flight = false;
	c->rx_len = c->rx_start = c->sending = 0;
	rc = close_call(&c->transport, plaintext(c), conn_ticket(c));
	if (rc == -EPIPE)
		return 0;
	if (rc < 0) {
		sn_log("could not close a transport of %s; it goes when %s "
		       "does",
		       c->owner->name, c->owner->name);
		return 0;
	}
	return (uintptr_t)conn_ticket(c);
}

void
transport_close_unused(sn_handle transport, bool plain, const char *owner)
{
	/* Ticket 0 names no connection and no waiting disconnect. */
	if (close_call(&transport, plain, NULL) < 0)
		sn_log("could not close a transport of %s; it goes when %s "
		       "does",
		       owner, owner);
}

static void
on_sent(void *ctx, int status, const sn_message_ref *reply)
{
	struct conn *c = conn_from_ticket(ctx);
	uint32_t taken;

	if (c == NULL)
		return;
	c->send_in_flight = false;
	if (status < 0) {
		conn_transport_lost(c, status);
		return;
	}
	taken = sn_sent_bytes(sn_message_body_as_sent(*reply));
	SEALNET_HOP("mqtt.tls.sent", taken);
	if (taken > c->sending) {
		if (sn_log_worth(++stats.protocol_violations))
			sn_log("the transport took more than was sent");
		conn_transport_lost(c, -EPROTO);
		return;
	}
	(void)mqtt_session_output_done(&c->session, sn_now_ns() / SN_MS, taken);
	c->sending = 0;
	conn_run(c);
}

int
transport_send(struct conn *c)
{
	struct sn_peer *p = transport_peer(c, SN_EXPORT_TLS_CONNECTION_SEND,
					   SN_EXPORT_NETWORK_SOCKET_SEND);
	const uint8_t *data;
	size_t len = mqtt_session_output(&c->session, &data);
	sn_builder *b;
	uint32_t body;

	if (p == NULL)
		return -EPERM;
	if (len > MQTT_IO_CHUNK)
		len = MQTT_IO_CHUNK;
	b = sn_call_builder(&compartment);
	if (plaintext(c)) {
		body = sn_send_start(b);
		sn_send_add_socket(b, body, &c->transport);
		sn_send_add_data(b, body, data, (uint32_t)len);
	} else {
		body = sn_tls_send_start(b);
		sn_tls_send_add_session(b, body, &c->transport);
		sn_tls_send_add_data(b, body, data, (uint32_t)len);
	}
	SEALNET_HOP("mqtt.tls.send", len);
	c->sending = (uint32_t)len;
	c->send_in_flight = true;
	return sn_call_async(p,
			     plaintext(c) ? SN_EXPORT_NETWORK_SOCKET_SEND
					  : SN_EXPORT_TLS_CONNECTION_SEND,
			     plaintext(c) ? SN_BODY_SEND : SN_BODY_TLS_SEND,
			     body, MQTT_SEND_TIMEOUT_NS, on_sent,
			     conn_ticket(c));
}

static void
on_received(void *ctx, int status, const sn_message_ref *reply)
{
	struct conn *c = conn_from_ticket(ctx);
	const uint8_t *data;
	uint32_t len = 0;

	if (c == NULL)
		return;
	c->receive_in_flight = false;
	if (status == -ETIMEDOUT) {
		conn_run(c);
		return;
	}
	if (status < 0) {
		conn_transport_lost(c, status);
		return;
	}
	data = sn_received_data(sn_message_body_as_received(*reply), &len);
	if (c->state == CONN_CLOSING) {
		/* Read only so that the broker can close first: dropped. */
		conn_run(c);
		return;
	}
	if (len > sizeof(c->rx)) {
		if (sn_log_worth(++stats.protocol_violations))
			sn_log("the transport gave more than was asked for");
		conn_transport_lost(c, -EPROTO);
		return;
	}
	SEALNET_HOP("mqtt.tls.received", len);
	memcpy(c->rx, data, len);
	c->rx_start = 0;
	c->rx_len = len;
	conn_run(c);
}

int
transport_receive(struct conn *c)
{
	struct sn_peer *p = transport_peer(c, SN_EXPORT_TLS_CONNECTION_RECEIVE,
					   SN_EXPORT_NETWORK_SOCKET_RECEIVE);
	sn_builder *b;
	uint32_t body;

	if (p == NULL)
		return -EPERM;
	b = sn_call_builder(&compartment);
	if (plaintext(c)) {
		body = sn_receive_start(b);
		sn_receive_add_socket(b, body, &c->transport);
		sn_receive_add_max_bytes(b, body, sizeof(c->rx));
	} else {
		body = sn_tls_receive_start(b);
		sn_tls_receive_add_session(b, body, &c->transport);
		sn_tls_receive_add_max_bytes(b, body, sizeof(c->rx));
	}
	c->receive_in_flight = true;
	return sn_call_async(
	    p,
	    plaintext(c) ? SN_EXPORT_NETWORK_SOCKET_RECEIVE
			 : SN_EXPORT_TLS_CONNECTION_RECEIVE,
	    plaintext(c) ? SN_BODY_RECEIVE : SN_BODY_TLS_RECEIVE, body,
	    MQTT_RECEIVE_WAIT_NS, on_received, conn_ticket(c));
}
