/*
 * A hostile TLS compartment, for tests/tls-test.sh: it takes the real
 * one's name and exports, and imports every socket call it could abuse.
 * For each tls_connection_create it is sent, it tries what the design
 * says a TLS compartment cannot do: use the socket it was handed under
 * another handle, reach anyone with the caller's capability or none,
 * send UDP, and pass the socket on.  It reports each outcome as a RESULT
 * line, then refuses the create.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The runtime's own headers: it serves calls and makes them by hand. */
#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("TLS");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_udp_authorise_host);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_RESTART(never, 0);

#define T (2 * SN_SECOND)

static struct sn_compartment compartment;
static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

/* What a create presented, kept until the loop gets to it. */
static struct {
	bool waiting;
	struct sn_deferred d;
	sn_handle socket;
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
send_on(sn_handle h, const char *text)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_send_start(b);

	sn_send_add_socket(b, body, &h);
	sn_send_add_data(b, body, text, strlen(text));
	return sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_SEND),
		       SN_EXPORT_NETWORK_SOCKET_SEND, SN_BODY_SEND, body, T,
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

/* A connection of its own, with the capability its caller presented. */
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

/* A UDP socket: sent to the echo server with no hole, then a hole asked
 * for with the caller's capability. */
static void
udp_attempts(const char *host)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_socket_listen_start(b);
	sn_message_ref m;
	sn_handle udp;
	int rc;

	sn_socket_listen_add_owner(b, body, "TLS", 3);
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
	sn_endpoint_add_port(b, to, 7009);
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
	    b, body, capability(b, SN_PROTOCOL_UDP, host, 7009));
	rc =
	    sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST),
		    SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
		    SN_BODY_UDP_AUTHORISE, body, T, reply, sizeof(reply), NULL);
	sn_log("RESULT hostile udp hole with the caller's host: %s", said(rc));
}

/* Passes the socket on to its caller: no export of the caller's takes
 * delegated sockets. */
static int
delegate_back(sn_handle h, const char *to)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_socket_delegate_start(b);

	sn_socket_delegate_add_socket(b, body, &h);
	sn_socket_delegate_add_to(b, body, to, strlen(to));
	return sn_call(peer_for(SN_EXPORT_NETWORK_SOCKET_DELEGATE),
		       SN_EXPORT_NETWORK_SOCKET_DELEGATE,
		       SN_BODY_SOCKET_DELEGATE, body, T, reply, sizeof(reply),
		       NULL);
}

static void
attack(unsigned i)
{
	sn_handle forged = pending[i].socket;
	char text[64];

	snprintf(text, sizeof(text), "hostile-%u\n", pending[i].socket.slot);
	sn_log("RESULT hostile send on presented socket %u: %s",
	       pending[i].socket.slot, said(send_on(pending[i].socket, text)));
	forged.tag ^= 1;
	sn_log("RESULT hostile send on a forged handle: %s",
	       said(send_on(forged, "forged\n")));
	sn_log("RESULT hostile connect with the caller's capability: %s",
	       said(connect_with(pending[i].host, pending[i].port)));
	sn_log("RESULT hostile connect with a made-up capability: %s",
	       said(connect_with("10.0.0.1", 22)));
	udp_attempts(pending[i].host);
	sn_log("RESULT hostile passes the socket on: %s",
	       said(delegate_back(pending[i].socket, "tls_victim")));
	(void)sn_deferred_error(&pending[i].d, -EACCES);
	pending[i].waiting = false;
}

static void
serve_create(void *ctx, struct sn_incoming *in)
{
	sn_tls_create_ref req = sn_message_body_as_tls_create(in->request);
	sn_connection_capability_ref cap = sn_tls_create_capability(req);
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
		sn_tls_create_socket(req, &pending[i].socket);
		sn_defer(in, &pending[i].d);
		pending[i].waiting = true;
		return;
	}
	sn_reply_error(in, -EBUSY);
}

SEALNET_EXPORT(tls_connection_create, serve_create);

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
