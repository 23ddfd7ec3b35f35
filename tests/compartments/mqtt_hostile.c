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
#include <stdio.h>
#include <string.h>

/* The runtime's own headers: it serves calls and makes them by hand. */
#include "boot.h"
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

#define T (2 * SN_SECOND)

static struct sn_compartment compartment;
static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

/* What a connect presented, kept until the loop gets to it. */
static struct {
	bool waiting;
	struct sn_deferred d;
	sn_handle session;
	char host[SN_HOST_MAX + 1];
	uint16_t port;
} pending[4];

static const char *
said(int rc)
{
	return rc == 0 ? "ok" : strerror(-rc);
}

static struct sn_peer *
peer_for(uint16_t export_id)
{
	return sn_export_peer(&compartment, export_id);
}

static int
tls_send_on(sn_handle h, const char *text)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_tls_send_start(b);

	sn_tls_send_add_session(b, body, &h);
	sn_tls_send_add_data(b, body, text, strlen(text));
	return sn_call(peer_for(SN_EXPORT_TLS_CONNECTION_SEND),
		       SN_EXPORT_TLS_CONNECTION_SEND, SN_BODY_TLS_SEND, body, T,
		       reply, sizeof(reply), NULL);
}

static uint32_t
capability(sn_builder *b, uint8_t protocol, const char *host, uint16_t port)
{
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, protocol);
	sn_connection_capability_add_host(b, cap, host, strlen(host));
	sn_connection_capability_add_port(b, cap, port);
	return cap;
}

static int
connect_with(const char *host, uint16_t port)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_connect_start(b);

	sn_connect_add_capability(b, body,
				  capability(b, SN_PROTOCOL_TCP, host, port));
	return sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP),
		       SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP, SN_BODY_CONNECT,
		       body, T, reply, sizeof(reply), NULL);
}

/* A TLS session of its own, to the caller's broker, over the session
 * handle it was given posing as a socket. */
static int
tls_create_with(const char *host, uint16_t port, sn_handle socket)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_tls_create_start(b);

	sn_tls_create_add_capability(
	    b, body, capability(b, SN_PROTOCOL_TCP, host, port));
	sn_tls_create_add_socket(b, body, &socket);
	return sn_call(peer_for(SN_EXPORT_TLS_CONNECTION_CREATE),
		       SN_EXPORT_TLS_CONNECTION_CREATE, SN_BODY_TLS_CREATE,
		       body, T, reply, sizeof(reply), NULL);
}

/* A UDP socket: sent to the broker's address with no hole, then a hole
 * asked for with the caller's host. */
static void
udp_attempts(const char *host)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_socket_listen_start(b);
	sn_message_ref m;
	sn_handle udp;
	int rc;

	sn_socket_listen_add_owner(b, body, "MQTT", 4);
	rc = sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_UDP),
		     SN_EXPORT_NETWORK_SOCKET_UDP, SN_BODY_SOCKET_LISTEN, body,
		     T, reply, sizeof(reply), &m);
	if (rc < 0) {
		sn_log("RESULT hostile udp socket: %s", said(rc));
		return;
	}
	sn_socket_created_socket(sn_message_body_as_socket_created(m), &udp);
	b = sn_call_builder(&compartment);
	body = sn_send_start(b);
	uint32_t to = sn_endpoint_start(b);
	sn_endpoint_add_family(b, to, SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, to, (const uint8_t[]){10, 0, 0, 1}, 4);
	sn_endpoint_add_port(b, to, 1883);
	sn_send_add_socket(b, body, &udp);
	sn_send_add_data(b, body, "hostile-udp", 11);
	sn_send_add_to(b, body, to);
	rc = sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_SEND_TO),
		     SN_EXPORT_NETWORK_SOCKET_SEND_TO, SN_BODY_SEND, body, T,
		     reply, sizeof(reply), NULL);
	sn_log("RESULT hostile udp send_to without a hole: %s", said(rc));
	b = sn_call_builder(&compartment);
	body = sn_udp_authorise_start(b);
	sn_udp_authorise_add_socket(b, body, &udp);
	sn_udp_authorise_add_capability(
	    b, body, capability(b, SN_PROTOCOL_UDP, host, 1883));
	rc =
	    sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST),
		    SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
		    SN_BODY_UDP_AUTHORISE, body, T, reply, sizeof(reply), NULL);
	sn_log("RESULT hostile udp hole with the caller's host: %s", said(rc));
}

/* Passes the session on to its caller. */
static int
delegate_back(sn_handle h, const char *to)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_session_delegate_start(b);

	sn_session_delegate_add_session(b, body, &h);
	sn_session_delegate_add_to(b, body, to, strlen(to));
	return sn_call(peer_for(SN_EXPORT_TLS_CONNECTION_DELEGATE),
		       SN_EXPORT_TLS_CONNECTION_DELEGATE,
		       SN_BODY_SESSION_DELEGATE, body, T, reply, sizeof(reply),
		       NULL);
}

static void
attack(unsigned i)
{
	sn_handle forged = pending[i].session;

	forged.tag ^= 1;
	sn_log("RESULT hostile send on a forged session handle: %s",
	       said(tls_send_on(forged, "forged\n")));
	sn_log("RESULT hostile connect with the caller's capability: %s",
	       said(connect_with(pending[i].host, pending[i].port)));
	sn_log("RESULT hostile connect to the plain port: %s",
	       said(connect_with(pending[i].host, 1883)));
	sn_log("RESULT hostile TLS session of its own: %s",
	       said(tls_create_with(pending[i].host, pending[i].port,
				    pending[i].session)));
	udp_attempts(pending[i].host);
	sn_log("RESULT hostile passes the session on: %s",
	       said(delegate_back(pending[i].session, "mqtt_demo")));
	/* Last, what it was handed: that much it may use. */
	sn_log("RESULT hostile send on the presented session: %s",
	       said(tls_send_on(pending[i].session, "hostile\n")));
	(void)sn_deferred_error(&pending[i].d, -EACCES);
	pending[i].waiting = false;
}

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_connect_ref req = sn_message_body_as_mqtt_connect(in->request);
	sn_connection_capability_ref cap = sn_mqtt_connect_capability(req);
	uint32_t len;
	const char *host = sn_connection_capability_host(cap, &len);

	for (unsigned i = 0; i < 4; i++) {
		if (pending[i].waiting)
			continue;
		if (len >= sizeof(pending[i].host))
			break;
		memcpy(pending[i].host, host, len);
		pending[i].host[len] = 0;
		pending[i].port = sn_connection_capability_port(cap);
		sn_mqtt_connect_transport(req, &pending[i].session);
		sn_defer(in, &pending[i].d);
		pending[i].waiting = true;
		return;
	}
	sn_reply_error(in, -EBUSY);
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
	for (;;) {
		if (sn_compartment_serve_step(&compartment) < 0)
			return 1;
		for (unsigned i = 0; i < 4; i++)
			if (pending[i].waiting)
				attack(i);
	}
}
