/*
 * A hostile TLS compartment, for tests/tls-test.sh: it takes the real
 * one's name and exports, and imports every socket call it could abuse.
 * For each tls_connection_create it is sent, it tries what the design
 * says a TLS compartment cannot do: use the socket it was handed under
 * another handle, reach anyone with the caller's capability or none,
 * send UDP, and pass the socket on.  It reports each outcome as a RESULT
 * line, then refuses the create.
 */
#include <stdio.h>
#include <string.h>

/* The runtime's own headers: it serves calls and makes them by hand. */
#include "boot.h"
#include "hostile_probes.h"
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

static struct sn_compartment compartment;

/* What a create presented (its socket), kept until the loop gets to it. */
static struct hostile_presented pending[HOSTILE_PRESENTED_MAX];

static int
send_on(sn_handle h, const char *text)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_send_start(b);

	sn_send_add_socket(b, body, &h);
	sn_send_add_data(b, body, text, strlen(text));
	return hostile_call(&compartment, SN_EXPORT_NETWORK_SOCKET_SEND,
			    SN_BODY_SEND, body, NULL);
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
	return hostile_call(&compartment, SN_EXPORT_NETWORK_SOCKET_DELEGATE,
			    SN_BODY_SOCKET_DELEGATE, body, NULL);
}

static void
attack(struct hostile_presented *p)
{
	sn_handle forged = p->handle;
	char text[64];

	snprintf(text, sizeof(text), "hostile-%u\n", p->handle.slot);
	sn_log("RESULT hostile send on presented socket %u: %s", p->handle.slot,
	       hostile_said(send_on(p->handle, text)));
	forged.tag ^= 1;
	sn_log("RESULT hostile send on a forged handle: %s",
	       hostile_said(send_on(forged, "forged\n")));
	sn_log("RESULT hostile connect with the caller's capability: %s",
	       hostile_said(hostile_connect_with(&compartment, p->host, p->port,
						 HOSTILE_TIMEOUT)));
	sn_log("RESULT hostile connect with a made-up capability: %s",
	       hostile_said(hostile_connect_with(&compartment, "10.0.0.1", 22,
						 HOSTILE_TIMEOUT)));
	hostile_udp_attempts(&compartment, "TLS", p->host, 7009);
	sn_log("RESULT hostile passes the socket on: %s",
	       hostile_said(delegate_back(p->handle, "tls_victim")));
}

static void
serve_create(void *ctx, struct sn_incoming *in)
{
	sn_tls_create_ref req = sn_message_body_as_tls_create(in->request);
	sn_handle socket = {0};

	sn_tls_create_socket(req, &socket);
	hostile_keep(pending, in, sn_tls_create_capability(req), &socket);
}

SEALNET_EXPORT(tls_connection_create, serve_create);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return hostile_serve(&compartment, pending, attack) < 0;
}
