/*
 * The NetAPI compartment: the control plane.  It turns a static capability
 * (already checked by the runtime against what the caller holds) into a
 * socket: resolve the host, pick a random local port, open exactly that
 * hole in the Firewall, and ask TCPIP for the socket on the caller's
 * behalf.  Every failure after the hole was opened closes it again.
 *
 * Nothing here waits: each step is an asynchronous call whose answer
 * drives the next, and the caller's reply is deferred until the end.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("NetAPI");
SEALNET_IMPORT(firewall_rule_add);
SEALNET_IMPORT(firewall_rule_remove);
SEALNET_IMPORT(firewall_server_port_add);
SEALNET_IMPORT(firewall_server_port_remove);
SEALNET_IMPORT(tcpip_socket_connect);
SEALNET_IMPORT(tcpip_socket_listen);
SEALNET_IMPORT(tcpip_address_get);
SEALNET_IMPORT(tcpip_socket_port);
SEALNET_IMPORT(firewall_dns_lookup_begin);
SEALNET_IMPORT(firewall_dns_lookup_end);
SEALNET_IMPORT(dns_resolve);
SEALNET_RESTART(always, 10);

#define MAX_OPS 32
/* No caller may hold more than this many, so none can take them all. */
#define MAX_OPS_PER_CALLER 8
#define STEP_TIMEOUT	   (2000 * SN_MS)
/* TCPIP's answer to a call that makes a socket for the caller always
 * reaches NetAPI, even one made just after the caller's deadline, and is
 * passed on: the socket is the caller's, and only the caller's runtime can
 * close what it never received (sn_peer_on_late_reply). */
#define SOCKET_GRACE (100 * SN_MS)
#define PORT_TRIES   4

struct op {
	bool in_use;
	bool listen;
	bool udp; /* authorising a UDP socket's peer, not connecting */
	sn_handle socket;
	struct sn_deferred reply;
	char owner[SN_PEER_NAME_MAX];
	uint8_t family; /* SN_ADDRESS_FAMILY_* */
	uint8_t addr[16];
	uint16_t remote_port, local_port;
	uint16_t max_connections;
	bool ipv6;
	unsigned tries;
	int failure; /* the error to report once the hole is closed */
	char host[SN_HOST_MAX + 1]; /* empty for a literal address */
	uint8_t dns_server[16];
	uint8_t dns_family;
};

static struct sn_compartment compartment;
static struct sn_peer *firewall, *tcpip, *dns;
static struct op ops[MAX_OPS];

/* Server ports registered with the Firewall, and for whom: they are
 * withdrawn when that compartment dies. */
#define MAX_SERVERS 16
static struct server {
	struct sn_peer *owner;
	uint16_t port;
} servers[MAX_SERVERS];

static uint64_t ops_refused;

static struct op *
op_alloc(struct sn_incoming *in)
{
	unsigned mine = 0;

	for (unsigned i = 0; i < MAX_OPS; i++)
		mine +=
		    ops[i].in_use && strcmp(ops[i].owner, in->peer->name) == 0;
	if (mine >= MAX_OPS_PER_CALLER) {
		if (sn_log_worth(++ops_refused))
			sn_log("%s has %u calls in progress, the most one "
			       "caller may have; refused another (%llu so far)",
			       in->peer->name, mine,
			       (unsigned long long)ops_refused);
		return NULL;
	}
	for (unsigned i = 0; i < MAX_OPS; i++)
		if (!ops[i].in_use) {
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].in_use = true;
			snprintf(ops[i].owner, sizeof(ops[i].owner), "%s",
				 in->peer->name);
			sn_defer(in, &ops[i].reply);
			return &ops[i];
		}
	return NULL;
}

static uint64_t
remaining(const struct op *op)
{
	uint64_t now = sn_now_ns();

	if (op->reply.deadline_ns == 0)
		return STEP_TIMEOUT;
	return op->reply.deadline_ns > now ? op->reply.deadline_ns - now : 1;
}

static void
fail(struct op *op, int rc)
{
	sn_deferred_error(&op->reply, rc);
	op->in_use = false;
}

static uint32_t
endpoint(sn_builder *b, const struct op *op)
{
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(b, ep, op->family);
	sn_endpoint_add_address(b, ep, op->addr,
				op->family == SN_ADDRESS_FAMILY_IPV6 ? 16 : 4);
	sn_endpoint_add_port(b, ep, op->remote_port);
	return ep;
}

/* ---- connect: rule, then socket ---- */

static uint8_t
protocol(const struct op *op)
{
	return op->udp ? SN_PROTOCOL_UDP : SN_PROTOCOL_TCP;
}

static void add_rule(struct op *op);

static void
hole_closed(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0)
		sn_log("could not close the firewall hole for %s port %u: %d",
		       op->owner, op->local_port, status);
	if (op->failure == 0)
		add_rule(op); /* the port was taken: another one */
	else
		fail(op, op->failure);
}

static void
close_hole(struct op *op, int failure)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t rule = sn_firewall_rule_start(b);

	op->failure = failure;
	sn_firewall_rule_add_protocol(b, rule, protocol(op));
	sn_firewall_rule_add_local_port(b, rule, op->local_port);
	sn_firewall_rule_add_remote(b, rule, endpoint(b, op));
	if (sn_call_async(firewall, SN_EXPORT_FIREWALL_RULE_REMOVE,
			  SN_BODY_FIREWALL_RULE, rule, STEP_TIMEOUT,
			  hole_closed, op) < 0) {
		sn_log("could not ask to close the firewall hole for %s",
		       op->owner);
		fail(op, failure);
	}
}

static void
socket_made(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;
	sn_socket_created_ref r;
	sn_handle h;

	if (status == -EADDRINUSE && op->tries < PORT_TRIES) {
		/* Someone holds that port: close this hole, try another. */
		close_hole(op, 0);
		return;
	}
	if (status < 0) {
		close_hole(op, status);
		return;
	}
	r = sn_message_body_as_socket_created(*reply);
	sn_socket_created_socket(r, &h);
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_socket_created_start(b);
	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body,
					 sn_socket_created_local_port(r));
	sn_deferred_ok(&op->reply, SN_BODY_SOCKET_CREATED, body);
	op->in_use = false;
}

static void
rule_added(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		fail(op, status);
		return;
	}
	if (op->udp) {
		sn_builder *rb = sn_reply_builder(&compartment);
		uint32_t body = sn_authorised_start(rb);

		sn_authorised_add_remote(rb, body, endpoint(rb, op));
		sn_deferred_ok(&op->reply, SN_BODY_AUTHORISED, body);
		op->in_use = false;
		return;
	}
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t req = sn_socket_connect_start(b);
	sn_socket_connect_add_owner(b, req, op->owner, strlen(op->owner));
	sn_socket_connect_add_protocol(b, req, SN_PROTOCOL_TCP);
	sn_socket_connect_add_remote(b, req, endpoint(b, op));
	sn_socket_connect_add_local_port(b, req, op->local_port);
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_SOCKET_CONNECT,
			  SN_BODY_SOCKET_CONNECT, req,
			  remaining(op) + SOCKET_GRACE, socket_made, op) < 0)
		close_hole(op, -EAGAIN);
}

static void
add_rule(struct op *op)
{
	uint16_t r;

	/* A random ephemeral port, so ports say nothing and cannot be
	 * predicted.  A UDP socket already has its port. */
	if (!op->udp && getrandom(&r, sizeof(r), 0) != sizeof(r)) {
		fail(op, -EIO);
		return;
	}
	if (!op->udp)
		op->local_port = (uint16_t)(49152 + r % 16384);
	op->tries++;
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t rule = sn_firewall_rule_start(b);
	sn_firewall_rule_add_protocol(b, rule, protocol(op));
	sn_firewall_rule_add_local_port(b, rule, op->local_port);
	sn_firewall_rule_add_remote(b, rule, endpoint(b, op));
	if (sn_call_async(firewall, SN_EXPORT_FIREWALL_RULE_ADD,
			  SN_BODY_FIREWALL_RULE, rule, STEP_TIMEOUT, rule_added,
			  op) < 0)
		fail(op, -EAGAIN);
}

/* ---- names: DNS hole open, resolve, DNS hole closed ---- */

static uint32_t
dns_lookup_body(sn_builder *b, const struct op *op)
{
	uint32_t l = sn_dns_lookup_start(b), ep = sn_endpoint_start(b);

	sn_endpoint_add_family(b, ep, op->dns_family);
	sn_endpoint_add_address(b, ep, op->dns_server,
				op->dns_family == SN_ADDRESS_FAMILY_IPV6 ? 16
									 : 4);
	sn_endpoint_add_port(b, ep, 53);
	sn_dns_lookup_add_server(b, l, ep);
	return l;
}

static void
dns_hole_closed(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0)
		sn_log("could not close the DNS hole: %d", status);
	if (op->failure < 0)
		fail(op, op->failure);
	else
		add_rule(op);
}

static void
resolved(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	op->failure = status;
	if (status == 0) {
		sn_resolved_ref r = sn_message_body_as_resolved(*reply);
		/* The first address; IPv4 first, as DNS lists them. */
		sn_endpoint_ref e = sn_resolved_addresses_at(r, 0);
		uint32_t len;
		const uint8_t *a = e.pos ? sn_endpoint_address(e, &len) : NULL;

		if (a == NULL || (len != 4 && len != 16)) {
			op->failure = -EHOSTUNREACH;
		} else {
			memcpy(op->addr, a, len);
			op->family = len == 4 ? SN_ADDRESS_FAMILY_IPV4
					      : SN_ADDRESS_FAMILY_IPV6;
		}
	}
	/* The hole closes whatever the answer was. */
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = dns_lookup_body(b, op);
	if (sn_call_async(firewall, SN_EXPORT_FIREWALL_DNS_LOOKUP_END,
			  SN_BODY_DNS_LOOKUP, body, STEP_TIMEOUT,
			  dns_hole_closed, op) < 0)
		dns_hole_closed(op, -EAGAIN, NULL);
}

static void
dns_hole_open(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		fail(op, status);
		return;
	}
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t req = sn_resolve_start(b);
	sn_resolve_add_host(b, req, op->host, strlen(op->host));
	if (sn_call_async(dns, SN_EXPORT_DNS_RESOLVE, SN_BODY_RESOLVE, req,
			  remaining(op), resolved, op) < 0)
		resolved(op, -EAGAIN, NULL);
}

static void
got_dns_server(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;
	sn_address_info_ref info;
	uint32_t len;
	const uint8_t *a = NULL;

	if (status == 0) {
		info = sn_message_body_as_address_info(*reply);
		if (sn_address_info_dns_servers_count(info) > 0)
			a = sn_endpoint_address(
			    sn_address_info_dns_servers_at(info, 0), &len);
	}
	if (a == NULL || (len != 4 && len != 16)) {
		sn_log("%s: cannot resolve %s: no DNS server yet", op->owner,
		       op->host);
		fail(op, status < 0 ? status : -EHOSTUNREACH);
		return;
	}
	memcpy(op->dns_server, a, len);
	op->dns_family =
	    len == 4 ? SN_ADDRESS_FAMILY_IPV4 : SN_ADDRESS_FAMILY_IPV6;
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = dns_lookup_body(b, op);
	if (sn_call_async(firewall, SN_EXPORT_FIREWALL_DNS_LOOKUP_BEGIN,
			  SN_BODY_DNS_LOOKUP, body, STEP_TIMEOUT, dns_hole_open,
			  op) < 0)
		fail(op, -EAGAIN);
}

static void
resolve_then_connect(struct op *op)
{
	if (dns == NULL) {
		sn_log("%s: cannot resolve %s: this image has no DNS "
		       "compartment",
		       op->owner, op->host);
		fail(op, -EHOSTUNREACH);
		return;
	}
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_EMPTY,
			  sn_empty_start(sn_call_builder(&compartment)),
			  STEP_TIMEOUT, got_dns_server, op) < 0)
		fail(op, -EAGAIN);
}

static int
parse_literal(const char *host, uint32_t len, struct op *op)
{
	char text[SN_HOST_MAX + 1];

	if (len >= sizeof(text))
		return -EINVAL;
	memcpy(text, host, len);
	text[len] = 0;
	if (inet_pton(AF_INET, text, op->addr) == 1) {
		op->family = SN_ADDRESS_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, op->addr) == 1) {
		op->family = SN_ADDRESS_FAMILY_IPV6;
		return 0;
	}
	return -EHOSTUNREACH;
}

/* The capability's host and port, copied: the request is gone once the
 * handler returns.  On failure the caller has been answered. */
static int
target(struct op *op, sn_connection_capability_ref cap)
{
	uint32_t len;
	const char *host = sn_connection_capability_host(cap, &len);
	int rc;

	op->remote_port = sn_connection_capability_port(cap);
	rc = parse_literal(host, len, op);
	if (rc == -EINVAL) {
		fail(op, rc);
		return rc;
	}
	if (rc < 0) {
		memcpy(op->host, host, len);
		op->host[len] = 0;
	}
	return 0;
}

/* A name is resolved first; then the Firewall rule. */
static void
reach(struct op *op)
{
	if (op->host[0])
		resolve_then_connect(op);
	else
		add_rule(op);
}

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	sn_connection_capability_ref cap =
	    sn_connect_capability(sn_message_body_as_connect(in->request));
	struct op *op;

	if (sn_connection_capability_protocol(cap) != SN_PROTOCOL_TCP) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	op = op_alloc(in);
	if (op == NULL) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	if (target(op, cap) == 0)
		reach(op);
}

/* ---- UDP: the socket's port, the name, then a rule ---- */

static void
udp_port_known(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		fail(op, status);
		return;
	}
	op->local_port = sn_socket_created_local_port(
	    sn_message_body_as_socket_created(*reply));
	reach(op);
}

static void
serve_udp_authorise(void *ctx, struct sn_incoming *in)
{
	sn_udp_authorise_ref req =
	    sn_message_body_as_udp_authorise(in->request);
	sn_connection_capability_ref cap = sn_udp_authorise_capability(req);
	struct op *op;

	if (sn_connection_capability_protocol(cap) != SN_PROTOCOL_UDP) {
		sn_reply_error(in, -EINVAL);
		return;
	}
	op = op_alloc(in);
	if (op == NULL) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	op->udp = true;
	if (target(op, cap) < 0)
		return;
	sn_udp_authorise_socket(req, &op->socket);
	/* The socket must be the caller's: TCPIP checks, and names its
	 * port. */
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t q = sn_socket_of_start(b);
	sn_socket_of_add_owner(b, q, op->owner, strlen(op->owner));
	sn_socket_of_add_socket(b, q, &op->socket);
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_SOCKET_PORT, SN_BODY_SOCKET_OF,
			  q, remaining(op), udp_port_known, op) < 0)
		fail(op, -EAGAIN);
}

/* ---- listen: server port, then socket ---- */

static void
server_port_removed(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	fail(op, op->failure);
}

static void
listening(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		sn_builder *b = sn_call_builder(&compartment);
		uint32_t sp = sn_server_port_start(b);
		sn_server_port_add_protocol(b, sp, SN_PROTOCOL_TCP);
		sn_server_port_add_port(b, sp, op->local_port);
		op->failure = status;
		if (sn_call_async(firewall,
				  SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE,
				  SN_BODY_SERVER_PORT, sp, STEP_TIMEOUT,
				  server_port_removed, op) < 0)
			fail(op, status);
		return;
	}
	for (unsigned i = 0; i < MAX_SERVERS; i++)
		if (servers[i].owner == NULL) {
			servers[i].owner = op->reply.peer;
			servers[i].port = op->local_port;
			break;
		}
	socket_made(ctx, status, reply);
}

static void
server_port_added(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		fail(op, status);
		return;
	}
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t req = sn_socket_listen_start(b);
	sn_socket_listen_add_owner(b, req, op->owner, strlen(op->owner));
	sn_socket_listen_add_port(b, req, op->local_port);
	sn_socket_listen_add_ipv6(b, req, op->ipv6);
	sn_socket_listen_add_max_connections(b, req, op->max_connections);
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_SOCKET_LISTEN,
			  SN_BODY_SOCKET_LISTEN, req,
			  remaining(op) + SOCKET_GRACE, listening, op) < 0)
		listening(op, -EAGAIN, NULL);
}

static void
serve_listen(void *ctx, struct sn_incoming *in)
{
	sn_bind_capability_ref cap =
	    sn_listen_capability(sn_message_body_as_listen(in->request));
	struct op *op = op_alloc(in);

	if (op == NULL) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	op->listen = true;
	op->local_port = sn_bind_capability_port(cap);
	op->max_connections = sn_bind_capability_max_connections(cap);
	op->ipv6 = sn_bind_capability_ipv6(cap);
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t sp = sn_server_port_start(b);
	sn_server_port_add_protocol(b, sp, SN_PROTOCOL_TCP);
	sn_server_port_add_port(b, sp, op->local_port);
	sn_server_port_add_ipv6(b, sp, op->ipv6);
	sn_server_port_add_max_connections(b, sp, op->max_connections);
	if (sn_call_async(firewall, SN_EXPORT_FIREWALL_SERVER_PORT_ADD,
			  SN_BODY_SERVER_PORT, sp, STEP_TIMEOUT,
			  server_port_added, op) < 0)
		fail(op, -EAGAIN);
}

/* ---- addresses ---- */

static void
addresses(void *ctx, int status, const sn_message_ref *reply)
{
	struct op *op = ctx;

	if (status < 0) {
		fail(op, status);
		return;
	}
	sn_address_info_ref in = sn_message_body_as_address_info(*reply);
	uint32_t n = sn_address_info_addresses_count(in);
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t info = sn_address_info_start(b);
	uint32_t vec = sn_address_info_start_addresses(b, info, n);

	for (uint32_t i = 0; i < n; i++) {
		sn_endpoint_ref e = sn_address_info_addresses_at(in, i);
		uint32_t len;
		const uint8_t *a = sn_endpoint_address(e, &len);
		uint32_t ep = sn_endpoint_start(b);

		sn_endpoint_add_family(b, ep, sn_endpoint_family(e));
		sn_endpoint_add_address(b, ep, a, len);
		sn_builder_set_table_at(b, vec, i, ep);
	}
	n = sn_address_info_dns_servers_count(in);
	vec = sn_address_info_start_dns_servers(b, info, n);
	for (uint32_t i = 0; i < n; i++) {
		sn_endpoint_ref e = sn_address_info_dns_servers_at(in, i);
		uint32_t len;
		const uint8_t *a = sn_endpoint_address(e, &len);
		uint32_t ep = sn_endpoint_start(b);

		sn_endpoint_add_family(b, ep, sn_endpoint_family(e));
		sn_endpoint_add_address(b, ep, a, len);
		sn_builder_set_table_at(b, vec, i, ep);
	}
	sn_deferred_ok(&op->reply, SN_BODY_ADDRESS_INFO, info);
	op->in_use = false;
}

static void
serve_host_get(void *ctx, struct sn_incoming *in)
{
	struct op *op = op_alloc(in);

	if (op == NULL) {
		sn_reply_error(in, -EAGAIN);
		return;
	}
	if (sn_call_async(tcpip, SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_EMPTY,
			  sn_empty_start(sn_call_builder(&compartment)),
			  remaining(op), addresses, op) < 0)
		fail(op, -EAGAIN);
}

static void
server_port_withdrawn(void *ctx, int status, const sn_message_ref *reply)
{
}

static void
peer_died(void *ctx, struct sn_peer *p)
{
	for (unsigned i = 0; i < MAX_SERVERS; i++) {
		if (servers[i].owner != p)
			continue;
		sn_builder *b = sn_call_builder(&compartment);
		uint32_t sp = sn_server_port_start(b);
		sn_server_port_add_protocol(b, sp, SN_PROTOCOL_TCP);
		sn_server_port_add_port(b, sp, servers[i].port);
		sn_call_async(firewall, SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE,
			      SN_BODY_SERVER_PORT, sp, STEP_TIMEOUT,
			      server_port_withdrawn, NULL);
		servers[i].owner = NULL;
	}
}

/* A new TCPIP has no listening sockets, and the Firewall forgot every
 * server port with the old one. */
static void
peer_restarted(void *ctx, struct sn_peer *p)
{
	if (p == tcpip)
		memset(servers, 0, sizeof(servers));
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(network_socket_connect_tcp, serve_connect);
SEALNET_EXPORT(network_socket_listen_tcp, serve_listen);
SEALNET_EXPORT(network_host_get, serve_host_get);
SEALNET_EXPORT(network_socket_udp_authorise_host, serve_udp_authorise);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	firewall = sn_export_peer(&compartment, SN_EXPORT_FIREWALL_RULE_ADD);
	tcpip = sn_export_peer(&compartment, SN_EXPORT_TCPIP_SOCKET_CONNECT);
	compartment.peer_died = peer_died;
	compartment.peer_restarted = peer_restarted;
	/* Optional: without it, only literal addresses can be reached. */
	dns = sn_export_peer(&compartment, SN_EXPORT_DNS_RESOLVE);
	if (firewall == NULL || tcpip == NULL)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
