/*
 * What NetAPI's flows put on the wire and take from it: each call's body
 * read back through the verifier, each reply turned into the event its
 * flow takes, and the caller's answers.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "messages.h"

static _Alignas(8) uint8_t buf[4096];
static sn_builder b;
static uint32_t msg;
static sn_message_ref m;

static const uint8_t server4[4] = {10, 0, 0, 1};
static const uint8_t dns4[4] = {10, 0, 0, 3};

static void
begin(void)
{
	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
}

/* Finishes the message around body and verifies it: 0 or why not. */
static int
finish(uint8_t call_type, uint16_t export_id, uint8_t body_type, uint32_t body)
{
	sn_verify_error err;
	size_t len;

	sn_message_add_call_id(&b, msg, 1);
	sn_message_add_call_type(&b, msg, call_type);
	sn_message_add_export(&b, msg, export_id);
	sn_message_add_body(&b, msg, body_type, body);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOSPC;
	return sn_message_verify(buf, len, &m, &err);
}

/* The request action `what` of flow f makes, verified. */
static int
request(enum flow_do what, const struct flow *f)
{
	const struct netapi_call *c = netapi_call_for(what);

	if (c == NULL)
		return -ENOENT;
	begin();
	return finish(SN_CALL_TYPE_REQUEST, c->export_id, c->body_type,
		      c->body(&b, f));
}

static void
connecting_flow(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = FLOW_CONNECT;
	strcpy(f->owner, "client");
	flow_address_from(&f->remote, server4, 4);
	flow_address_from(&f->dns_server, dns4, 4);
	f->remote_port = 7007;
	f->local_port = 50123;
}

TEST(every_call_has_the_body_its_export_takes)
{
	for (int what = 0; what < FLOW_DOS; what++) {
		const struct netapi_call *c = netapi_call_for(what);
		/* ADD_RULE_AND_CONNECT is two calls, each of its own. */
		bool is_call = !flow_do_answers(what) &&
			       what != FLOW_DO_PICK_PORT &&
			       what != FLOW_DO_ADD_RULE_AND_CONNECT &&
			       what != FLOW_DO_WAIT && what != FLOW_DO_NOTHING;

		CHECK_EQ_INT(c != NULL, is_call);
		if (c != NULL)
			CHECK_EQ_INT(
			    c->body_type,
			    sn_export_info_get(c->export_id)->request_body);
	}
}

/* CHERIoT's NetAPI passed the remote port where the local port belongs
 * when it removed a rule after a failed connect. */
TEST(a_rule_is_removed_with_its_local_port)
{
	struct flow f;
	sn_firewall_rule_ref r;
	sn_endpoint_ref remote;
	uint32_t len;

	connecting_flow(&f);
	CHECK_EQ_INT(request(FLOW_DO_REMOVE_RULE, &f), 0);
	CHECK_EQ_INT(sn_message_export(m), SN_EXPORT_FIREWALL_RULE_REMOVE);
	r = sn_message_body_as_firewall_rule(m);
	remote = sn_firewall_rule_remote(r);
	CHECK_EQ_INT(sn_firewall_rule_protocol(r), SN_PROTOCOL_TCP);
	CHECK_EQ_INT(sn_firewall_rule_local_port(r), 50123);
	CHECK_EQ_INT(sn_endpoint_port(remote), 7007);
	CHECK(memcmp(sn_endpoint_address(remote, &len), server4, 4) == 0);
	CHECK_EQ_INT(len, 4);
	CHECK_EQ_INT(sn_endpoint_family(remote), SN_ADDRESS_FAMILY_IPV4);
}

/* The abort names the connection exactly as the connect asked for it:
 * TCPIP finds it by these alone. */
TEST(an_abort_names_the_connect_it_undoes)
{
	struct flow f;
	sn_socket_connect_ref r;
	sn_endpoint_ref remote;
	uint32_t len;
	const char *owner;

	connecting_flow(&f);
	CHECK_EQ_INT(request(FLOW_DO_ABORT_SOCKET, &f), 0);
	CHECK_EQ_INT(sn_message_export(m), SN_EXPORT_TCPIP_SOCKET_ABORT);
	r = sn_message_body_as_socket_connect(m);
	remote = sn_socket_connect_remote(r);
	owner = sn_socket_connect_owner(r, &len);
	CHECK(len == 6 && memcmp(owner, "client", 6) == 0);
	CHECK_EQ_INT(sn_socket_connect_local_port(r), 50123);
	CHECK_EQ_INT(sn_endpoint_port(remote), 7007);
	CHECK(memcmp(sn_endpoint_address(remote, &len), server4, 4) == 0);
}

TEST(a_udp_rule_is_a_udp_rule)
{
	struct flow f;

	connecting_flow(&f);
	f.kind = FLOW_UDP_AUTHORISE;
	CHECK_EQ_INT(request(FLOW_DO_ADD_RULE, &f), 0);
	CHECK_EQ_INT(
	    sn_firewall_rule_protocol(sn_message_body_as_firewall_rule(m)),
	    SN_PROTOCOL_UDP);
}

TEST(the_dns_hole_is_for_the_servers_port_53)
{
	struct flow f;
	sn_endpoint_ref server;
	uint32_t len;

	connecting_flow(&f);
	CHECK_EQ_INT(request(FLOW_DO_CLOSE_DNS_HOLE, &f), 0);
	server = sn_dns_lookup_server(sn_message_body_as_dns_lookup(m));
	CHECK_EQ_INT(sn_endpoint_port(server), 53);
	CHECK(memcmp(sn_endpoint_address(server, &len), dns4, 4) == 0);
}

TEST(the_socket_is_asked_for_the_caller_on_the_drawn_port)
{
	struct flow f;
	sn_socket_connect_ref c;
	uint32_t len;
	const char *owner;

	connecting_flow(&f);
	CHECK_EQ_INT(request(FLOW_DO_CONNECT, &f), 0);
	c = sn_message_body_as_socket_connect(m);
	owner = sn_socket_connect_owner(c, &len);
	CHECK(len == 6 && memcmp(owner, "client", 6) == 0);
	CHECK_EQ_INT(sn_socket_connect_local_port(c), 50123);
	CHECK_EQ_INT(sn_endpoint_port(sn_socket_connect_remote(c)), 7007);
}

/* A reply from the export `export_id` carrying endpoints of the given
 * address lengths, as a Resolved or an AddressInfo's DNS servers. */
static int
endpoints_reply(uint16_t export_id, const uint32_t *lens, uint32_t n)
{
	static const uint8_t bytes[17] = {10, 0,  0,  9,  5,  6,  7,  8, 9,
					  10, 11, 12, 13, 14, 15, 16, 17};
	bool resolved = export_id == SN_EXPORT_DNS_RESOLVE;
	uint32_t body, vec;

	begin();
	body = resolved ? sn_resolved_start(&b) : sn_address_info_start(&b);
	vec = resolved ? sn_resolved_start_addresses(&b, body, n)
		       : sn_address_info_start_dns_servers(&b, body, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ep = sn_endpoint_start(&b);

		sn_endpoint_add_address(&b, ep, bytes, lens[i]);
		sn_builder_set_table_at(&b, vec, i, ep);
	}
	return finish(SN_CALL_TYPE_REPLY, export_id,
		      resolved ? SN_BODY_RESOLVED : SN_BODY_ADDRESS_INFO, body);
}

TEST(the_first_address_of_an_answer_is_taken_if_it_is_one)
{
	struct flow_event ev;

	CHECK_EQ_INT(endpoints_reply(SN_EXPORT_DNS_RESOLVE,
				     (const uint32_t[]){4, 16}, 2),
		     0);
	ev = netapi_event_of(FLOW_DO_RESOLVE, 0, &m);
	CHECK_EQ_INT(ev.address.family, SN_ADDRESS_FAMILY_IPV4);
	CHECK_EQ_INT(ev.address.bytes[3], 9);
	CHECK_EQ_INT(
	    endpoints_reply(SN_EXPORT_DNS_RESOLVE, (const uint32_t[]){16}, 1),
	    0);
	CHECK_EQ_INT(netapi_event_of(FLOW_DO_RESOLVE, 0, &m).address.family,
		     SN_ADDRESS_FAMILY_IPV6);
	/* Five bytes are no address, and neither is none. */
	CHECK_EQ_INT(
	    endpoints_reply(SN_EXPORT_DNS_RESOLVE, (const uint32_t[]){5}, 1),
	    0);
	CHECK_EQ_INT(netapi_event_of(FLOW_DO_RESOLVE, 0, &m).address.family,
		     SN_ADDRESS_FAMILY_NONE);
	CHECK_EQ_INT(endpoints_reply(SN_EXPORT_DNS_RESOLVE, NULL, 0), 0);
	CHECK_EQ_INT(netapi_event_of(FLOW_DO_RESOLVE, 0, &m).address.family,
		     SN_ADDRESS_FAMILY_NONE);
	CHECK_EQ_INT(endpoints_reply(SN_EXPORT_TCPIP_ADDRESS_GET,
				     (const uint32_t[]){17, 4}, 2),
		     0);
	CHECK_EQ_INT(
	    netapi_event_of(FLOW_DO_GET_DNS_SERVER, 0, &m).address.family,
	    SN_ADDRESS_FAMILY_NONE);
	CHECK_EQ_INT(netapi_event_of(FLOW_DO_GET_DNS_SERVER, -EIO, NULL).status,
		     -EIO);
}

TEST(a_socket_made_is_passed_on_with_its_port)
{
	sn_handle h = {.slot = 4, .generation = 2, .tag = 0xabcdef};
	struct flow f;
	struct flow_event ev;
	uint8_t type;
	uint32_t body;

	begin();
	body = sn_socket_created_start(&b);
	sn_socket_created_add_socket(&b, body, &h);
	sn_socket_created_add_local_port(&b, body, 50123);
	CHECK_EQ_INT(finish(SN_CALL_TYPE_REPLY, SN_EXPORT_TCPIP_SOCKET_CONNECT,
			    SN_BODY_SOCKET_CREATED, body),
		     0);
	ev = netapi_event_of(FLOW_DO_CONNECT, 0, &m);
	CHECK_EQ_INT(ev.status, 0);
	CHECK_EQ_INT(ev.socket.tag, h.tag);
	CHECK_EQ_INT(ev.local_port, 50123);

	connecting_flow(&f);
	f.socket = ev.socket;
	f.socket_port = ev.local_port;
	begin();
	body = netapi_answer_body(&b, FLOW_DO_REPLY_SOCKET, &f, NULL, &type);
	CHECK_EQ_INT(type, SN_BODY_SOCKET_CREATED);
	CHECK_EQ_INT(finish(SN_CALL_TYPE_REPLY,
			    SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP, type, body),
		     0);
	sn_socket_created_ref r = sn_message_body_as_socket_created(m);
	CHECK(sn_socket_created_socket(r, &h) && h.tag == 0xabcdef);
	CHECK_EQ_INT(sn_socket_created_local_port(r), 50123);
}

TEST(an_authorised_peer_is_told_with_its_port)
{
	struct flow f;
	uint8_t type;
	uint32_t body, len;
	sn_endpoint_ref remote;

	connecting_flow(&f);
	begin();
	body =
	    netapi_answer_body(&b, FLOW_DO_REPLY_AUTHORISED, &f, NULL, &type);
	CHECK_EQ_INT(finish(SN_CALL_TYPE_REPLY,
			    SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST, type,
			    body),
		     0);
	remote = sn_authorised_remote(sn_message_body_as_authorised(m));
	CHECK_EQ_INT(sn_endpoint_port(remote), 7007);
	CHECK(memcmp(sn_endpoint_address(remote, &len), server4, 4) == 0);
}

TEST(the_addresses_are_passed_on_whole)
{
	static _Alignas(8) uint8_t copy[sizeof(buf)];
	sn_message_ref tcpip_reply;
	struct flow f;
	uint8_t type;
	uint32_t body;

	CHECK_EQ_INT(endpoints_reply(SN_EXPORT_TCPIP_ADDRESS_GET,
				     (const uint32_t[]){4, 16, 4}, 3),
		     0);
	memcpy(copy, buf, sizeof(buf));
	tcpip_reply = (sn_message_ref){copy, m.len, m.pos};
	connecting_flow(&f);
	begin();
	body = netapi_answer_body(&b, FLOW_DO_REPLY_ADDRESSES, &f, &tcpip_reply,
				  &type);
	CHECK_EQ_INT(
	    finish(SN_CALL_TYPE_REPLY, SN_EXPORT_NETWORK_HOST_GET, type, body),
	    0);
	sn_address_info_ref info = sn_message_body_as_address_info(m);
	CHECK_EQ_INT(sn_address_info_dns_servers_count(info), 3);
	CHECK_EQ_INT(sn_address_info_addresses_count(info), 0);
	/* Without TCPIP's reply there is nothing to pass on. */
	begin();
	CHECK_EQ_INT(
	    netapi_answer_body(&b, FLOW_DO_REPLY_ADDRESSES, &f, NULL, &type),
	    0);
	CHECK_EQ_INT(type, SN_BODY_NONE);
}

int
main(void)
{
	RUN(every_call_has_the_body_its_export_takes);
	RUN(a_rule_is_removed_with_its_local_port);
	RUN(an_abort_names_the_connect_it_undoes);
	RUN(a_udp_rule_is_a_udp_rule);
	RUN(the_dns_hole_is_for_the_servers_port_53);
	RUN(the_socket_is_asked_for_the_caller_on_the_drawn_port);
	RUN(the_first_address_of_an_answer_is_taken_if_it_is_one);
	RUN(a_socket_made_is_passed_on_with_its_port);
	RUN(an_authorised_peer_is_told_with_its_port);
	RUN(the_addresses_are_passed_on_whole);
	HARNESS_EXIT();
}
