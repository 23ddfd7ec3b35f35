/*
 * The application beside tls_hostile in tests/tls-test.sh.  It makes two
 * sockets to the echo server, delegates one to "TLS" as
 * tls_connection_create does, and presents each to TLS in a create: the
 * delegated one, and, as a careless application might, its own other
 * socket.  It also tries to delegate a socket to a compartment the image
 * does not let it, and checks that the socket it delegated is no longer
 * its own while the other still is.
 */
#include <errno.h>
#include <string.h>

/* The runtime's own headers: the creates are made by hand, to present
 * a socket the SDK would never present. */
#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "sealnet/network.h"
#include "sealnet/start.h"

SEALNET_COMPARTMENT("tls_victim");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_CONNECTION_CAPABILITY(echo, SEALNET_TCP, "echo.test", 7007);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_RESTART(never, 0);

#define T (5 * SN_SECOND)

static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

static const char *
said(int rc)
{
	return rc == 0 ? "ok" : strerror(-rc);
}

static int
delegate(sealnet_socket s, const char *to, sn_handle *out)
{
	struct sn_compartment *c = sn_compartment_self();
	struct sn_peer *tcpip =
	    sn_export_peer(c, SN_EXPORT_NETWORK_SOCKET_DELEGATE);
	sn_handle h = {s.slot, s.generation, s.tag};
	sn_builder *b = sn_call_builder(c);
	uint32_t body = sn_socket_delegate_start(b);
	sn_message_ref m;
	int rc;

	sn_socket_delegate_add_socket(b, body, &h);
	sn_socket_delegate_add_to(b, body, to, strlen(to));
	rc =
	    sn_call(tcpip, SN_EXPORT_NETWORK_SOCKET_DELEGATE,
		    SN_BODY_SOCKET_DELEGATE, body, T, reply, sizeof(reply), &m);
	if (rc == 0 && out != NULL)
		sn_socket_created_socket(sn_message_body_as_socket_created(m),
					 out);
	return rc;
}

static int
create(sn_handle socket)
{
	struct sn_compartment *c = sn_compartment_self();
	struct sn_peer *tls =
	    sn_export_peer(c, SN_EXPORT_TLS_CONNECTION_CREATE);
	sn_builder *b = sn_call_builder(c);
	uint32_t body = sn_tls_create_start(b);
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, SN_PROTOCOL_TCP);
	sn_connection_capability_add_host(b, cap, "echo.test", 9);
	sn_connection_capability_add_port(b, cap, 7007);
	sn_tls_create_add_capability(b, body, cap);
	sn_tls_create_add_socket(b, body, &socket);
	return sn_call(tls, SN_EXPORT_TLS_CONNECTION_CREATE, SN_BODY_TLS_CREATE,
		       body, 20 * SN_SECOND, reply, sizeof(reply), NULL);
}

int
main(void)
{
	sealnet_socket a, b;
	sn_handle delegated, own;

	if (sealnet_start() < 0 || network_start(30 * SN_SECOND) < 0 ||
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &a) < 0 ||
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(echo), &b) < 0) {
		sn_log("RESULT victim: no sockets");
		return 1;
	}
	sn_log("RESULT victim delegates to NetAPI: %s",
	       said(delegate(b, "NetAPI", NULL)));
	sn_log("RESULT victim delegates to TLS: %s",
	       said(delegate(a, "TLS", &delegated)));
	sn_log("RESULT victim create with the delegated socket %u: %s",
	       delegated.slot, said(create(delegated)));
	own = (sn_handle){b.slot, b.generation, b.tag};
	sn_log("RESULT victim create with its own socket %u: %s", own.slot,
	       said(create(own)));
	ssize_t old = network_socket_send(T, a, "victim-a\n", 9);
	ssize_t kept = network_socket_send(T, b, "victim-b\n", 9);
	sn_log("RESULT victim after delegating: its old handle %s, its other "
	       "socket %s",
	       old < 0 ? strerror((int)-old) : "still works",
	       kept == 9 ? "works" : strerror((int)-kept));
	sn_log("RESULT victim done");
	return 0;
}
