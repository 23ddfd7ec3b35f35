/*
 * NetAPI's flows in the schema's terms: see messages.h.
 */
#include <errno.h>
#include <string.h>

#include "messages.h"

/* ---- request bodies, from the flow's fields ---- */

static uint32_t
endpoint(sn_builder *b, const struct flow_address *a, uint16_t port)
{
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(b, ep, a->family);
	sn_endpoint_add_address(b, ep, a->bytes, flow_address_len(a));
	sn_endpoint_add_port(b, ep, port);
	return ep;
}

static uint32_t
empty_body(sn_builder *b, const struct flow *f)
{
	return sn_empty_start(b);
}

static uint32_t
socket_of_body(sn_builder *b, const struct flow *f)
{
	uint32_t q = sn_socket_of_start(b);

	sn_socket_of_add_owner(b, q, f->owner, strlen(f->owner));
	sn_socket_of_add_socket(b, q, &f->socket);
	return q;
}

static uint32_t
dns_lookup_body(sn_builder *b, const struct flow *f)
{
	uint32_t l = sn_dns_lookup_start(b);

	sn_dns_lookup_add_server(b, l,
				 endpoint(b, &f->dns_server, NETAPI_DNS_PORT));
	return l;
}

static uint32_t
resolve_body(sn_builder *b, const struct flow *f)
{
	uint32_t r = sn_resolve_start(b);

	sn_resolve_add_host(b, r, f->host, strlen(f->host));
	return r;
}

static uint32_t
rule_body(sn_builder *b, const struct flow *f)
{
	uint32_t rule = sn_firewall_rule_start(b);

	sn_firewall_rule_add_protocol(b, rule, flow_protocol(f));
	sn_firewall_rule_add_local_port(b, rule, f->local_port);
	sn_firewall_rule_add_remote(b, rule,
				    endpoint(b, &f->remote, f->remote_port));
	return rule;
}

static uint32_t
socket_connect_body(sn_builder *b, const struct flow *f)
{
	uint32_t req = sn_socket_connect_start(b);

	sn_socket_connect_add_owner(b, req, f->owner, strlen(f->owner));
	sn_socket_connect_add_protocol(b, req, SN_PROTOCOL_TCP);
	sn_socket_connect_add_remote(b, req,
				     endpoint(b, &f->remote, f->remote_port));
	sn_socket_connect_add_local_port(b, req, f->local_port);
	return req;
}

uint32_t
netapi_server_port_body(sn_builder *b, uint16_t port, bool ipv6,
			uint16_t max_connections)
{
	uint32_t sp = sn_server_port_start(b);

	sn_server_port_add_protocol(b, sp, SN_PROTOCOL_TCP);
	sn_server_port_add_port(b, sp, port);
	sn_server_port_add_ipv6(b, sp, ipv6);
	sn_server_port_add_max_connections(b, sp, max_connections);
	return sp;
}

static uint32_t
server_port_body(sn_builder *b, const struct flow *f)
{
	return netapi_server_port_body(b, f->local_port, f->ipv6,
				       f->max_connections);
}

static uint32_t
socket_listen_body(sn_builder *b, const struct flow *f)
{
	uint32_t req = sn_socket_listen_start(b);

	sn_socket_listen_add_owner(b, req, f->owner, strlen(f->owner));
	sn_socket_listen_add_port(b, req, f->local_port);
	sn_socket_listen_add_ipv6(b, req, f->ipv6);
	sn_socket_listen_add_max_connections(b, req, f->max_connections);
	return req;
}

/* ---- each action that is a call: to whom, with what, for how long ---- */

static const struct netapi_call calls[FLOW_DOS] = {
    [FLOW_DO_GET_SOCKET_PORT] = {SN_EXPORT_TCPIP_SOCKET_PORT, SN_BODY_SOCKET_OF,
				 NETAPI_WAIT_CALLER, socket_of_body},
    [FLOW_DO_GET_DNS_SERVER] = {SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_EMPTY,
				NETAPI_WAIT_STEP, empty_body},
    [FLOW_DO_OPEN_DNS_HOLE] = {SN_EXPORT_FIREWALL_DNS_LOOKUP_BEGIN,
			       SN_BODY_DNS_LOOKUP, NETAPI_WAIT_STEP,
			       dns_lookup_body},
    [FLOW_DO_RESOLVE] = {SN_EXPORT_DNS_RESOLVE, SN_BODY_RESOLVE,
			 NETAPI_WAIT_CALLER, resolve_body},
    [FLOW_DO_CLOSE_DNS_HOLE] = {SN_EXPORT_FIREWALL_DNS_LOOKUP_END,
				SN_BODY_DNS_LOOKUP, NETAPI_WAIT_STEP,
				dns_lookup_body},
    [FLOW_DO_ADD_RULE] = {SN_EXPORT_FIREWALL_RULE_ADD, SN_BODY_FIREWALL_RULE,
			  NETAPI_WAIT_STEP, rule_body},
    [FLOW_DO_CONNECT] = {SN_EXPORT_TCPIP_SOCKET_CONNECT, SN_BODY_SOCKET_CONNECT,
			 NETAPI_WAIT_CALLER_AND_GRACE, socket_connect_body},
    /* Ours to undo: whatever the caller's deadline, it is asked. */
    [FLOW_DO_ABORT_SOCKET] = {SN_EXPORT_TCPIP_SOCKET_ABORT,
			      SN_BODY_SOCKET_CONNECT, NETAPI_WAIT_STEP,
			      socket_connect_body},
    [FLOW_DO_REMOVE_RULE] = {SN_EXPORT_FIREWALL_RULE_REMOVE,
			     SN_BODY_FIREWALL_RULE, NETAPI_WAIT_STEP,
			     rule_body},
    [FLOW_DO_ADD_SERVER_PORT] = {SN_EXPORT_FIREWALL_SERVER_PORT_ADD,
				 SN_BODY_SERVER_PORT, NETAPI_WAIT_STEP,
				 server_port_body},
    [FLOW_DO_LISTEN] = {SN_EXPORT_TCPIP_SOCKET_LISTEN, SN_BODY_SOCKET_LISTEN,
			NETAPI_WAIT_CALLER_AND_GRACE, socket_listen_body},
    [FLOW_DO_WITHDRAW_SERVER_PORT] = {SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE,
				      SN_BODY_SERVER_PORT, NETAPI_WAIT_STEP,
				      server_port_body},
    [FLOW_DO_GET_ADDRESSES] = {SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_EMPTY,
			       NETAPI_WAIT_CALLER, empty_body},
};

const struct netapi_call *
netapi_call_for(enum flow_do what)
{
	if ((unsigned)what >= FLOW_DOS ||
	    calls[what].export_id == SN_EXPORT_NONE)
		return NULL;
	return &calls[what];
}

/* ---- outcomes, as the flow takes them ---- */

static struct flow_address
address_of(sn_endpoint_ref e)
{
	struct flow_address a;
	uint32_t len = 0;
	const uint8_t *bytes = e.pos ? sn_endpoint_address(e, &len) : NULL;

	/* Absent, or neither 4 nor 16 bytes: no address, and the flow
	 * says what that means. */
	if (flow_address_from(&a, bytes, len) < 0)
		a.family = SN_ADDRESS_FAMILY_NONE;
	return a;
}

struct flow_event
netapi_event_of(enum flow_do done, int status, const sn_message_ref *reply)
{
	struct flow_event ev = {.status = status, .call = done};

	if (status != 0 || reply == NULL)
		return ev;
	if (done == FLOW_DO_GET_DNS_SERVER) {
		ev.address = address_of(sn_address_info_dns_servers_at(
		    sn_message_body_as_address_info(*reply), 0));
	} else if (done == FLOW_DO_RESOLVE) {
		/* The first address; IPv4 first, as DNS lists them. */
		ev.address = address_of(sn_resolved_addresses_at(
		    sn_message_body_as_resolved(*reply), 0));
	} else if (done == FLOW_DO_CONNECT || done == FLOW_DO_LISTEN ||
		   done == FLOW_DO_GET_SOCKET_PORT) {
		sn_socket_created_ref r =
		    sn_message_body_as_socket_created(*reply);

		/* Required: a verified reply has one. */
		if (!sn_socket_created_socket(r, &ev.socket))
			ev.status = -EPROTO;
		ev.local_port = sn_socket_created_local_port(r);
	}
	return ev;
}

/* ---- the caller's answer ---- */

static uint32_t
copy_endpoint(sn_builder *b, sn_endpoint_ref e)
{
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(e, &len);
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(b, ep, sn_endpoint_family(e));
	sn_endpoint_add_address(b, ep, a, len);
	return ep;
}

/* TCPIP's addresses and DNS servers, passed on. */
static uint32_t
addresses_body(sn_builder *b, const sn_message_ref *reply)
{
	sn_address_info_ref in = sn_message_body_as_address_info(*reply);
	uint32_t n = sn_address_info_addresses_count(in);
	uint32_t info = sn_address_info_start(b);
	uint32_t vec = sn_address_info_start_addresses(b, info, n);

	for (uint32_t i = 0; i < n; i++)
		sn_builder_set_table_at(
		    b, vec, i,
		    copy_endpoint(b, sn_address_info_addresses_at(in, i)));
	n = sn_address_info_dns_servers_count(in);
	vec = sn_address_info_start_dns_servers(b, info, n);
	for (uint32_t i = 0; i < n; i++)
		sn_builder_set_table_at(
		    b, vec, i,
		    copy_endpoint(b, sn_address_info_dns_servers_at(in, i)));
	return info;
}

uint32_t
netapi_answer_body(sn_builder *b, enum flow_do what, const struct flow *f,
		   const sn_message_ref *reply, uint8_t *body_type)
{
	uint32_t body = 0;

	*body_type = SN_BODY_NONE;
	if (what == FLOW_DO_REPLY_SOCKET || what == FLOW_DO_REPLY_LISTENER) {
		*body_type = SN_BODY_SOCKET_CREATED;
		body = sn_socket_created_start(b);
		sn_socket_created_add_socket(b, body, &f->socket);
		sn_socket_created_add_local_port(b, body, f->socket_port);
	} else if (what == FLOW_DO_REPLY_AUTHORISED) {
		*body_type = SN_BODY_AUTHORISED;
		body = sn_authorised_start(b);
		sn_authorised_add_remote(
		    b, body, endpoint(b, &f->remote, f->remote_port));
	} else if (what == FLOW_DO_REPLY_ADDRESSES && reply != NULL) {
		*body_type = SN_BODY_ADDRESS_INFO;
		body = addresses_body(b, reply);
	}
	return body;
}
