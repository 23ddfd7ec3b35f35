/*
 * NetAPI's flows, every path: connect by name and by literal, listen, UDP
 * authorisation and host_get, each step failing in turn.  The callees are
 * flow_world.c's stand-ins, which keep the Firewall's holes as the
 * Firewall would, so each test can say what a user would check: which
 * calls were made, what the caller was told, and that no hole was left.
 */
#include <errno.h>
#include <string.h>

#include "flow.h"
#include "flow_world.h"
#include "harness.h"

static struct world w;
static struct flow f;

static const uint8_t server4[4] = {10, 0, 0, 1};
static const uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 1};
static const sn_handle udp_socket = {.slot = 3, .generation = 9, .tag = 77};

static struct flow_target
tcp(const char *host, uint16_t port)
{
	return (struct flow_target){SN_PROTOCOL_TCP, host, strlen(host), port};
}

static struct flow_target
udp(const char *host, uint16_t port)
{
	return (struct flow_target){SN_PROTOCOL_UDP, host, strlen(host), port};
}

static struct flow_action
connect_to(const char *host, bool resolver)
{
	struct flow_target t = tcp(host, 7007);

	return world_drive(&w, &f,
			   flow_start_connect(&f, "client", &t, resolver),
			   FLOW_MAX_STEPS + 1);
}

static struct flow_action
authorise(const char *host)
{
	struct flow_target t = udp(host, 7009);

	return world_drive(
	    &w, &f,
	    flow_start_udp_authorise(&f, "client", &t, &udp_socket, true),
	    FLOW_MAX_STEPS + 1);
}

static struct flow_action
listen_on(uint16_t port)
{
	return world_drive(&w, &f,
			   flow_start_listen(&f, "server", port, 4, false),
			   FLOW_MAX_STEPS + 1);
}

#define ACTIONS_WERE(...) WORLD_ACTIONS_WERE(&w, __VA_ARGS__)

static bool
answered_once(void)
{
	return world_answered_once(&w, &f);
}

TEST(connect_by_name_resolves_then_opens_one_rule)
{
	world_init(&w);
	CHECK_EQ_INT(connect_to("echo.test", true).what, FLOW_DO_REPLY_SOCKET);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_DNS_SERVER, FLOW_DO_OPEN_DNS_HOLE,
			   FLOW_DO_RESOLVE, FLOW_DO_CLOSE_DNS_HOLE,
			   FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE,
			   FLOW_DO_CONNECT));
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
	/* The rule is for the resolved address, the capability's port and
	 * the port drawn. */
	CHECK_EQ_INT(w.rules[0].protocol, SN_PROTOCOL_TCP);
	CHECK(memcmp(w.rules[0].remote.bytes, server4, 4) == 0);
	CHECK_EQ_INT(w.rules[0].remote_port, 7007);
	CHECK_EQ_INT(w.rules[0].local_port, NETAPI_EPHEMERAL_FIRST + 1);
	CHECK_EQ_INT(strcmp(f.host, "echo.test"), 0);
	CHECK_EQ_INT(f.dns_server.bytes[3], 3);
	CHECK_EQ_INT(f.socket.tag, w.socket.tag);
	CHECK_EQ_INT(f.socket_port, NETAPI_EPHEMERAL_FIRST + 1);
}

TEST(a_drawn_port_is_always_ephemeral)
{
	static const uint16_t top[] = {65535};

	world_init(&w);
	w.draws = top;
	w.ndraws = 1;
	CHECK_EQ_INT(connect_to("10.0.0.1", false).what, FLOW_DO_REPLY_SOCKET);
	CHECK_EQ_INT(w.rules[0].local_port,
		     NETAPI_EPHEMERAL_FIRST + 65535 % NETAPI_EPHEMERAL_COUNT);
	CHECK(w.rules[0].local_port >= NETAPI_EPHEMERAL_FIRST);
}

TEST(connect_to_an_ipv4_literal_needs_no_dns)
{
	world_init(&w);
	/* No DNS compartment: a literal does not need one. */
	CHECK_EQ_INT(connect_to("10.0.0.1", false).what, FLOW_DO_REPLY_SOCKET);
	CHECK(
	    ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT));
	CHECK_EQ_INT(f.remote.family, SN_ADDRESS_FAMILY_IPV4);
	CHECK(memcmp(f.remote.bytes, server4, 4) == 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(connect_to_an_ipv6_literal)
{
	world_init(&w);
	CHECK_EQ_INT(connect_to("2001:db8::1", true).what,
		     FLOW_DO_REPLY_SOCKET);
	CHECK(
	    ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT));
	CHECK_EQ_INT(w.rules[0].remote.family, SN_ADDRESS_FAMILY_IPV6);
	CHECK(memcmp(w.rules[0].remote.bytes, server6, 16) == 0);
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(connect_by_name_to_an_ipv6_address)
{
	world_init(&w);
	flow_address_from(&w.resolved, server6, 16);
	CHECK_EQ_INT(connect_to("six.test", true).what, FLOW_DO_REPLY_SOCKET);
	CHECK_EQ_INT(w.rules[0].remote.family, SN_ADDRESS_FAMILY_IPV6);
	CHECK(memcmp(w.rules[0].remote.bytes, server6, 16) == 0);
}

TEST(a_failed_lookup_still_closes_the_dns_hole)
{
	world_init(&w);
	w.fail_at = 2; /* dns_resolve */
	w.fail_with = -ETIMEDOUT;
	CHECK_EQ_INT(connect_to("slow.test", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ETIMEDOUT);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_DNS_SERVER, FLOW_DO_OPEN_DNS_HOLE,
			   FLOW_DO_RESOLVE, FLOW_DO_CLOSE_DNS_HOLE));
	CHECK_EQ_INT(w.dns_lookups, 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_name_without_an_address_closes_the_hole_and_is_unreachable)
{
	world_init(&w);
	w.resolved.family = SN_ADDRESS_FAMILY_NONE;
	CHECK_EQ_INT(connect_to("empty.test", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EHOSTUNREACH);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_DNS_SERVER, FLOW_DO_OPEN_DNS_HOLE,
			   FLOW_DO_RESOLVE, FLOW_DO_CLOSE_DNS_HOLE));
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(no_dns_server_yet_opens_nothing)
{
	world_init(&w);
	w.dns_server.family = SN_ADDRESS_FAMILY_NONE;
	CHECK_EQ_INT(connect_to("echo.test", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EHOSTUNREACH);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_DNS_SERVER));
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_name_without_a_dns_compartment_is_unreachable_at_once)
{
	world_init(&w);
	CHECK_EQ_INT(connect_to("echo.test", false).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EHOSTUNREACH);
	CHECK_EQ_INT(w.nactions, 0);
	CHECK(answered_once());
}

TEST(a_refused_rule_answers_its_error_and_makes_no_socket)
{
	world_init(&w);
	w.fail_at = 1; /* firewall_rule_add */
	w.fail_with = -ENOSPC;
	CHECK_EQ_INT(connect_to("10.0.0.1", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ENOSPC);
	/* The socket asked for with the rule is aborted before the answer:
	 * TCPIP answers its connect -ECANCELED. */
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_ABORT_SOCKET));
	CHECK_EQ_INT(w.sockets, 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_refused_socket_removes_the_rule_it_added)
{
	world_init(&w);
	w.fail_at = 6; /* tcpip_socket_connect */
	w.fail_with = -ECONNREFUSED;
	CHECK_EQ_INT(connect_to("echo.test", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ECONNREFUSED);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_DNS_SERVER, FLOW_DO_OPEN_DNS_HOLE,
			   FLOW_DO_RESOLVE, FLOW_DO_CLOSE_DNS_HOLE,
			   FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_REMOVE_RULE));
	/* Removed with the local port it was added with, not the remote
	 * port: the world counts a removal that matches nothing. */
	CHECK_EQ_INT(w.bad_closes, 0);
	CHECK_EQ_INT(w.nrules, 0);
	CHECK_EQ_INT(f.local_port, NETAPI_EPHEMERAL_FIRST + 1);
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_port_in_use_is_retried_with_another)
{
	world_init(&w);
	w.ports_in_use = 2;
	CHECK_EQ_INT(connect_to("10.0.0.1", true).what, FLOW_DO_REPLY_SOCKET);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_REMOVE_RULE, FLOW_DO_PICK_PORT,
			   FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_REMOVE_RULE, FLOW_DO_PICK_PORT,
			   FLOW_DO_ADD_RULE, FLOW_DO_CONNECT));
	/* Only the third port's rule is left, and the caller has it. */
	CHECK_EQ_INT(w.nrules, 1);
	CHECK_EQ_INT(w.rules[0].local_port, NETAPI_EPHEMERAL_FIRST + 3);
	CHECK_EQ_INT(f.socket_port, NETAPI_EPHEMERAL_FIRST + 3);
	CHECK(world_clean_after(&w, &w.answer));
}

/* The rule of a live connection to the same peer on the port drawn:
 * another port is drawn, and that rule stays. */
TEST(a_port_whose_rule_another_connection_holds_is_left_to_it)
{
	world_init(&w);
	w.rules[w.nrules++] =
	    (struct world_rule){.protocol = SN_PROTOCOL_TCP,
				.local_port = NETAPI_EPHEMERAL_FIRST + 1,
				.remote = {.family = SN_ADDRESS_FAMILY_IPV4,
					   .bytes = {10, 0, 0, 1}},
				.remote_port = 7007,
				.foreign = true};
	CHECK_EQ_INT(connect_to("10.0.0.1", true).what, FLOW_DO_REPLY_SOCKET);
	/* Its rule is there (-EEXIST) and lwIP has the port (-EADDRINUSE):
	 * nothing of this try to undo, and nothing aborted. */
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE,
			   FLOW_DO_CONNECT));
	CHECK_EQ_INT(w.bad_closes, 0);
	CHECK_EQ_INT(w.nrules, 2);
	CHECK_EQ_INT(w.rules[0].local_port, NETAPI_EPHEMERAL_FIRST + 1);
	CHECK_EQ_INT(f.socket_port, NETAPI_EPHEMERAL_FIRST + 2);
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_port_in_use_is_given_up_after_the_last_try)
{
	world_init(&w);
	w.ports_in_use = 100;
	CHECK_EQ_INT(connect_to("10.0.0.1", true).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EADDRINUSE);
	CHECK_EQ_INT(w.connects, NETAPI_PORT_TRIES);
	CHECK_EQ_INT(w.nactions, 4 * NETAPI_PORT_TRIES);
	CHECK_EQ_INT(w.actions[w.nactions - 1], FLOW_DO_REMOVE_RULE);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(listen_adds_a_server_port_then_the_socket)
{
	world_init(&w);
	CHECK_EQ_INT(listen_on(80).what, FLOW_DO_REPLY_LISTENER);
	CHECK(ACTIONS_WERE(FLOW_DO_ADD_SERVER_PORT, FLOW_DO_LISTEN));
	CHECK_EQ_INT(w.server_ports[0], 80);
	CHECK_EQ_INT(f.max_connections, 4);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_failed_listen_withdraws_the_server_port)
{
	world_init(&w);
	w.fail_at = 1; /* tcpip_socket_listen */
	w.fail_with = -ENOMEM;
	CHECK_EQ_INT(listen_on(80).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ENOMEM);
	CHECK(ACTIONS_WERE(FLOW_DO_ADD_SERVER_PORT, FLOW_DO_LISTEN,
			   FLOW_DO_WITHDRAW_SERVER_PORT));
	CHECK_EQ_INT(w.nserver_ports, 0);
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_refused_server_port_withdraws_nothing)
{
	world_init(&w);
	w.fail_at = 0;
	w.fail_with = -EADDRINUSE;
	CHECK_EQ_INT(listen_on(80).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EADDRINUSE);
	/* Withdrawing it would take another compartment's port. */
	CHECK(ACTIONS_WERE(FLOW_DO_ADD_SERVER_PORT));
}

/* The owner's listener closed, its server port still open: listening
 * again asks TCPIP only, and its refusal (the old listener still open)
 * must not withdraw the port that listener still uses. */
static struct flow_action
listen_again_on(uint16_t port)
{
	world_keep_server_port(&w, port);
	return world_drive(
	    &w, &f, flow_start_listen_again(&f, "server", port, 4, false),
	    FLOW_MAX_STEPS + 1);
}

TEST(listening_again_on_a_kept_port_never_withdraws_it)
{
	world_init(&w);
	CHECK_EQ_INT(listen_again_on(80).what, FLOW_DO_REPLY_LISTENER);
	CHECK(ACTIONS_WERE(FLOW_DO_LISTEN));
	CHECK(f.port_kept);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));

	world_init(&w);
	w.fail_at = 0; /* tcpip_socket_listen */
	w.fail_with = -EADDRINUSE;
	CHECK_EQ_INT(listen_again_on(80).what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EADDRINUSE);
	CHECK(ACTIONS_WERE(FLOW_DO_LISTEN));
	CHECK(answered_once());
	/* The port is still there: the open listener's. */
	CHECK(world_clean_after(&w, &w.answer));
	/* A bad owner is refused before anything is asked. */
	CHECK_EQ_INT(flow_start_listen_again(&f, "", 80, 4, false).what,
		     FLOW_DO_REPLY_ERROR);
}

TEST(udp_authorises_the_sockets_own_port)
{
	world_init(&w);
	CHECK_EQ_INT(authorise("10.0.0.1").what, FLOW_DO_REPLY_AUTHORISED);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_SOCKET_PORT, FLOW_DO_ADD_RULE,
			   FLOW_DO_GET_SOCKET_PORT));
	CHECK_EQ_INT(w.rules[0].protocol, SN_PROTOCOL_UDP);
	CHECK_EQ_INT(w.rules[0].local_port, 40000);
	CHECK_EQ_INT(w.rules[0].remote_port, 7009);
	CHECK_EQ_INT(f.socket.tag, udp_socket.tag);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

/* The socket has that peer already: the Firewall's -EEXIST is its
 * answer, and the rule is not added again nor removed. */
TEST(udp_a_peer_authorised_twice_is_authorised_once)
{
	world_init(&w);
	CHECK_EQ_INT(authorise("10.0.0.1").what, FLOW_DO_REPLY_AUTHORISED);
	world_init(&w);
	w.rules[w.nrules++] = (struct world_rule){.protocol = SN_PROTOCOL_UDP,
						  .local_port = 40000,
						  .remote = f.remote,
						  .remote_port = 7009,
						  .foreign = true};
	CHECK_EQ_INT(authorise("10.0.0.1").what, FLOW_DO_REPLY_AUTHORISED);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_SOCKET_PORT, FLOW_DO_ADD_RULE));
	CHECK_EQ_INT(w.nrules, 1);
	CHECK_EQ_INT(w.bad_closes, 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(udp_by_name_resolves_with_the_hole_open_only_meanwhile)
{
	world_init(&w);
	CHECK_EQ_INT(authorise("echo.test").what, FLOW_DO_REPLY_AUTHORISED);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_SOCKET_PORT, FLOW_DO_GET_DNS_SERVER,
			   FLOW_DO_OPEN_DNS_HOLE, FLOW_DO_RESOLVE,
			   FLOW_DO_CLOSE_DNS_HOLE, FLOW_DO_ADD_RULE,
			   FLOW_DO_GET_SOCKET_PORT));
	CHECK(memcmp(w.rules[0].remote.bytes, server4, 4) == 0);
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(udp_with_a_socket_not_the_callers_is_refused)
{
	world_init(&w);
	w.fail_at = 0;
	w.fail_with = -EPERM;
	CHECK_EQ_INT(authorise("echo.test").what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EPERM);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_SOCKET_PORT));
	CHECK(world_clean_after(&w, &w.answer));
}

/* The socket closes, and TCPIP closes its port's holes, while the peer
 * is resolved or its rule is on its way: the rule that lands after is
 * nobody's, and the next socket on the port would inherit the peer. */
TEST(udp_a_socket_closed_before_its_rule_landed_keeps_none)
{
	static const int closes_at[] = {3, 4, 5};

	for (unsigned i = 0; i < 3; i++) {
		world_init(&w);
		w.socket_closes_at = closes_at[i];
		CHECK_EQ_INT(authorise("echo.test").what, FLOW_DO_REPLY_ERROR);
		CHECK_EQ_INT(w.answer.error, -EPERM);
		CHECK(ACTIONS_WERE(
		    FLOW_DO_GET_SOCKET_PORT, FLOW_DO_GET_DNS_SERVER,
		    FLOW_DO_OPEN_DNS_HOLE, FLOW_DO_RESOLVE,
		    FLOW_DO_CLOSE_DNS_HOLE, FLOW_DO_ADD_RULE,
		    FLOW_DO_GET_SOCKET_PORT, FLOW_DO_REMOVE_RULE));
		CHECK_EQ_INT(w.nrules, 0);
		CHECK(answered_once());
		CHECK(world_clean_after(&w, &w.answer));
	}
	world_init(&w);
	w.socket_closes_at = 1;
	CHECK_EQ_INT(authorise("10.0.0.1").what, FLOW_DO_REPLY_ERROR);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_SOCKET_PORT, FLOW_DO_ADD_RULE,
			   FLOW_DO_GET_SOCKET_PORT, FLOW_DO_REMOVE_RULE));
	CHECK_EQ_INT(w.nrules, 0);
	CHECK(world_clean_after(&w, &w.answer));
}

/* Closed once the rule is confirmed, the socket takes the rule with it:
 * TCPIP's close comes after the Firewall added it. */
TEST(udp_a_socket_closed_after_it_was_confirmed_takes_its_rule)
{
	world_init(&w);
	CHECK_EQ_INT(authorise("10.0.0.1").what, FLOW_DO_REPLY_AUTHORISED);
	CHECK_EQ_INT(w.nrules, 1);
	w.socket_closes_at = (int)w.nactions;
	world_respond(&w, &f, FLOW_DO_GET_SOCKET_PORT);
	CHECK_EQ_INT(w.nrules, 0);
}

TEST(a_capability_of_the_wrong_kind_or_shape_is_refused_at_once)
{
	struct flow_target t = udp("echo.test", 7);
	struct flow_target nul = {SN_PROTOCOL_TCP, "a\0b", 3, 7};
	struct flow_target empty = tcp("", 7);
	char long_host[NETAPI_HOST_MAX + 1];

	CHECK_EQ_INT(flow_start_connect(&f, "c", &t, true).error, -EINVAL);
	t = tcp("echo.test", 7);
	CHECK_EQ_INT(
	    flow_start_udp_authorise(&f, "c", &t, &udp_socket, true).error,
	    -EINVAL);
	CHECK_EQ_INT(flow_start_connect(&f, "c", &nul, true).error, -EINVAL);
	CHECK_EQ_INT(flow_start_connect(&f, "c", &empty, true).error, -EINVAL);
	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[sizeof(long_host) - 1] = 0;
	t = tcp(long_host, 7);
	CHECK_EQ_INT(flow_start_connect(&f, "c", &t, true).error, -EINVAL);
	/* The longest name the image allows is taken. */
	t.host_len = NETAPI_HOST_MAX - 1;
	CHECK_EQ_INT(flow_start_connect(&f, "c", &t, true).what,
		     FLOW_DO_GET_DNS_SERVER);
	CHECK_EQ_INT(strlen(f.host), NETAPI_HOST_MAX - 1);
}

TEST(host_get_passes_on_the_addresses_or_the_error)
{
	world_init(&w);
	CHECK_EQ_INT(
	    world_drive(&w, &f, flow_start_host_get(&f, "app"), 4).what,
	    FLOW_DO_REPLY_ADDRESSES);
	CHECK(ACTIONS_WERE(FLOW_DO_GET_ADDRESSES));
	world_init(&w);
	w.fail_at = 0;
	w.fail_with = -ENOTRECOVERABLE;
	CHECK_EQ_INT(
	    world_drive(&w, &f, flow_start_host_get(&f, "app"), 4).error,
	    -ENOTRECOVERABLE);
	CHECK(answered_once());
}

TEST(a_positive_status_is_no_success)
{
	struct flow_target t = tcp("10.0.0.1", 7);
	struct flow_event odd = {.status = 1};
	struct flow_action a;

	flow_start_connect(&f, "c", &t, true);
	a = flow_step(&f, &odd); /* the draw */
	CHECK_EQ_INT(a.what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(a.error, -EPROTO);
}

/* Every call of each path fails in turn, once, then from there on: the
 * caller is answered exactly once, with the error of the first call that
 * failed, unless only a closing failed (the caller then has what it
 * asked for); no hole is left behind; the steps stay bounded. */
enum scenario { BY_NAME, BY_LITERAL, UDP_BY_NAME, UDP_LITERAL, LISTEN, ADDR };

static struct flow_action
start(enum scenario s)
{
	struct flow_target t = tcp(s == BY_NAME ? "echo.test" : "10.0.0.1", 7);
	struct flow_target u =
	    udp(s == UDP_BY_NAME ? "echo.test" : "10.0.0.1", 7);

	switch (s) {
	case BY_NAME:
	case BY_LITERAL:
		return flow_start_connect(&f, "c", &t, true);
	case UDP_BY_NAME:
	case UDP_LITERAL:
		return flow_start_udp_authorise(&f, "c", &u, &udp_socket, true);
	case LISTEN:
		return flow_start_listen(&f, "c", 80, 4, true);
	case ADDR:
		break;
	}
	return flow_start_host_get(&f, "c");
}

static bool
is_close(enum flow_do a)
{
	return a == FLOW_DO_CLOSE_DNS_HOLE || a == FLOW_DO_REMOVE_RULE ||
	       a == FLOW_DO_WITHDRAW_SERVER_PORT || a == FLOW_DO_ABORT_SOCKET;
}

TEST(every_step_failing_in_turn_leaves_no_hole)
{
	static const int errors[] = {-EIO,    -ETIMEDOUT, -ENOTRECOVERABLE,
				     -EAGAIN, -ENOMEM,	  -EPERM};

	for (int s = BY_NAME; s <= ADDR; s++) {
		unsigned steps_ok;

		world_init(&w);
		world_drive(&w, &f, start((enum scenario)s), FLOW_MAX_STEPS);
		steps_ok = w.nactions;
		CHECK(w.answers == 1 && w.answer.what != FLOW_DO_REPLY_ERROR);
		for (unsigned k = 0; k < steps_ok * 2; k++) {
			int e = errors[k % 6];
			enum flow_do failed;

			world_init(&w);
			w.fail_at = (int)(k % steps_ok);
			w.fail_with = e;
			w.fail_from_then_on = k >= steps_ok;
			world_drive(&w, &f, start((enum scenario)s),
				    FLOW_MAX_STEPS + 1);
			failed = w.actions[w.fail_at];
			CHECK(answered_once());
			CHECK(f.steps <= FLOW_MAX_STEPS);
			CHECK(world_clean_after(&w, &w.answer));
			if (is_close(failed) && !w.fail_from_then_on) {
				CHECK(w.answer.what != FLOW_DO_REPLY_ERROR);
				continue;
			}
			CHECK_EQ_INT(w.answer.what, FLOW_DO_REPLY_ERROR);
			CHECK_EQ_INT(w.answer.error, e);
		}
	}
}

int
main(void)
{
	RUN(connect_by_name_resolves_then_opens_one_rule);
	RUN(a_drawn_port_is_always_ephemeral);
	RUN(connect_to_an_ipv4_literal_needs_no_dns);
	RUN(connect_to_an_ipv6_literal);
	RUN(connect_by_name_to_an_ipv6_address);
	RUN(a_failed_lookup_still_closes_the_dns_hole);
	RUN(a_name_without_an_address_closes_the_hole_and_is_unreachable);
	RUN(no_dns_server_yet_opens_nothing);
	RUN(a_name_without_a_dns_compartment_is_unreachable_at_once);
	RUN(a_refused_rule_answers_its_error_and_makes_no_socket);
	RUN(a_refused_socket_removes_the_rule_it_added);
	RUN(a_port_in_use_is_retried_with_another);
	RUN(a_port_whose_rule_another_connection_holds_is_left_to_it);
	RUN(a_port_in_use_is_given_up_after_the_last_try);
	RUN(listen_adds_a_server_port_then_the_socket);
	RUN(a_failed_listen_withdraws_the_server_port);
	RUN(listening_again_on_a_kept_port_never_withdraws_it);
	RUN(a_refused_server_port_withdraws_nothing);
	RUN(udp_authorises_the_sockets_own_port);
	RUN(udp_a_peer_authorised_twice_is_authorised_once);
	RUN(udp_by_name_resolves_with_the_hole_open_only_meanwhile);
	RUN(udp_with_a_socket_not_the_callers_is_refused);
	RUN(udp_a_socket_closed_before_its_rule_landed_keeps_none);
	RUN(udp_a_socket_closed_after_it_was_confirmed_takes_its_rule);
	RUN(a_capability_of_the_wrong_kind_or_shape_is_refused_at_once);
	RUN(host_get_passes_on_the_addresses_or_the_error);
	RUN(a_positive_status_is_no_success);
	RUN(every_step_failing_in_turn_leaves_no_hole);
	HARNESS_EXIT();
}
