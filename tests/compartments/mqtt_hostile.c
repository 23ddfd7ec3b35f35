/*
 * A hostile MQTT compartment, for tests/mqtt-test.sh: it takes the real
 * one's name and its mqtt_connect, and imports every socket and TLS call
 * it could abuse.  For each mqtt_connect it is sent, it tries what the
 * design says an MQTT compartment cannot do: use the TLS session it was
 * handed under a forged handle, reach the broker (or anyone) with the
 * caller's capability or one it makes up, make a TLS session of its
 * own, send UDP, and pass the session on.  It reports each outcome as a
 * RESULT line, then refuses the connect.
 */
#include <errno.h>
#include <string.h>

/* The runtime's own headers: it serves calls and makes them by hand. */
#include "boot.h"
#include "hostile_probes.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("MQTT");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_udp_authorise_host);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_delegate);
SEALNET_IMPORT(tls_connection_close);
SEALNET_RESTART(never, 0);

static struct sn_compartment compartment;

/* What a connect presented (its TLS session), kept until the loop gets
 * to it. */
static struct hostile_presented pending[HOSTILE_PRESENTED_MAX];

static int
tls_send_on(sn_handle h, const char *text)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_tls_send_start(b);

	sn_tls_send_add_session(b, body, &h);
	sn_tls_send_add_data(b, body, text, strlen(text));
	return hostile_call(&compartment, SN_EXPORT_TLS_CONNECTION_SEND,
			    SN_BODY_TLS_SEND, body, NULL);
}

/* A TLS session of its own, to the caller's broker, over the session
 * handle it was given posing as a socket. */
static int
tls_create_with(const char *host, uint16_t port, sn_handle socket)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_tls_create_start(b);

	sn_tls_create_add_capability(
	    b, body, hostile_capability(b, SN_PROTOCOL_TCP, host, port));
	sn_tls_create_add_socket(b, body, &socket);
	return hostile_call(&compartment, SN_EXPORT_TLS_CONNECTION_CREATE,
			    SN_BODY_TLS_CREATE, body, NULL);
}

/* Passes the session on to its caller. */
static int
delegate_back(sn_handle h, const char *to)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_session_delegate_start(b);

	sn_session_delegate_add_session(b, body, &h);
	sn_session_delegate_add_to(b, body, to, strlen(to));
	return hostile_call(&compartment, SN_EXPORT_TLS_CONNECTION_DELEGATE,
			    SN_BODY_SESSION_DELEGATE, body, NULL);
}

/* When the receive parked on the presented session was made. */
static uint64_t parked_at_ns;

static void
on_parked_answer(void *ctx, int status, const sn_message_ref *reply)
{
	sn_log("RESULT hostile receive parked on the session: %s after %llu "
	       "ms",
	       hostile_said(status),
	       (unsigned long long)((sn_now_ns() - parked_at_ns) / SN_MS));
}

/* A receive left waiting on the session: the broker sends nothing before
 * a CONNECT, so only the session's end answers it, which its owner's
 * exit after the refusal brings. */
static void
park_receive(sn_handle h)
{
	struct sn_peer *tls =
	    sn_export_peer(&compartment, SN_EXPORT_TLS_CONNECTION_RECEIVE);
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_tls_receive_start(b);
	int rc;

	sn_tls_receive_add_session(b, body, &h);
	parked_at_ns = sn_now_ns();
	rc = tls == NULL
		 ? -EPERM
		 : sn_call_async(tls, SN_EXPORT_TLS_CONNECTION_RECEIVE,
				 SN_BODY_TLS_RECEIVE, body, 20 * SN_SECOND,
				 on_parked_answer, NULL);
	if (rc < 0)
		sn_log("RESULT hostile receive parked on the session: %s",
		       hostile_said(rc));
}

static void
attack(struct hostile_presented *p)
{
	sn_handle forged = p->handle;

	forged.tag ^= 1;
	sn_log("RESULT hostile send on a forged session handle: %s",
	       hostile_said(tls_send_on(forged, "forged\n")));
	sn_log("RESULT hostile connect with the caller's capability: %s",
	       hostile_said(hostile_connect_with(&compartment, p->host, p->port,
						 HOSTILE_TIMEOUT)));
	sn_log("RESULT hostile connect to the plain port: %s",
	       hostile_said(hostile_connect_with(&compartment, p->host, 1883,
						 HOSTILE_TIMEOUT)));
	sn_log("RESULT hostile TLS session of its own: %s",
	       hostile_said(tls_create_with(p->host, p->port, p->handle)));
	hostile_udp_attempts(&compartment, "MQTT", p->host, 1883);
	sn_log("RESULT hostile passes the session on: %s",
	       hostile_said(delegate_back(p->handle, "mqtt_demo")));
	/* Last, what it was handed: that much it may use.  The start of a
	 * CONNECT whose rest never comes, which the broker waits for rather
	 * than closing: the session lives on until its owner goes. */
	sn_log("RESULT hostile send on the presented session: %s",
	       hostile_said(tls_send_on(p->handle, "\x10")));
	park_receive(p->handle);
}

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_connect_ref req = sn_message_body_as_mqtt_connect(in->request);
	sn_handle session = {0};

	sn_mqtt_connect_transport(req, &session);
	hostile_keep(pending, in, sn_mqtt_connect_capability(req), &session);
}

/* The rest of MQTT's exports, so that an application links to it. */
static void
serve_refuse(void *ctx, struct sn_incoming *in)
{
	sn_reply_error(in, -EACCES);
}

SEALNET_EXPORT(mqtt_connect, serve_connect);
SEALNET_EXPORT(mqtt_reconnect, serve_refuse);
SEALNET_EXPORT(mqtt_publish, serve_refuse);
SEALNET_EXPORT(mqtt_subscribe, serve_refuse);
SEALNET_EXPORT(mqtt_unsubscribe, serve_refuse);
SEALNET_EXPORT(mqtt_run, serve_refuse);
SEALNET_EXPORT(mqtt_disconnect, serve_refuse);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return hostile_serve(&compartment, pending, attack) < 0;
}
