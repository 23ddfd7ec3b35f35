/*
 * A connection's rule and socket, asked for at once (flow.h,
 * ADDING_RULE_AND_CONNECTING): the two answers in either order, each
 * refused, both refused, an abort answered before the connect it undoes,
 * a callee dying between them.  As in flow_test.c, the callees are
 * flow_world.c's stand-ins, which keep the Firewall's rules and TCPIP's
 * sockets: no rule may be left without its socket, nor a socket without
 * its rule.
 */
#include <errno.h>
#include <string.h>

#include "flow.h"
#include "flow_world.h"
#include "harness.h"

static struct world w;
static struct flow f;

#define ACTIONS_WERE(...) WORLD_ACTIONS_WERE(&w, __VA_ARGS__)

static struct flow_target
tcp(const char *host, uint16_t port)
{
	return (struct flow_target){SN_PROTOCOL_TCP, host, strlen(host), port};
}

static struct flow_action
connect_to(const char *host)
{
	struct flow_target t = tcp(host, 7007);

	return world_drive(&w, &f, flow_start_connect(&f, "client", &t, true),
			   FLOW_MAX_STEPS + 1);
}

static bool
answered_once(void)
{
	return world_answered_once(&w, &f);
}

/* The same, but that connection is over and its rule not yet removed:
 * lwIP lets the port go, and the handshake passes on the old rule.  The
 * socket is not kept on a rule TCPIP is about to remove: it is aborted,
 * and another port drawn. */
TEST(a_socket_made_on_a_rule_that_is_not_ours_is_aborted)
{
	world_init(&w);
	w.rules[w.nrules++] =
	    (struct world_rule){.protocol = SN_PROTOCOL_TCP,
				.local_port = NETAPI_EPHEMERAL_FIRST + 1,
				.remote = {.family = SN_ADDRESS_FAMILY_IPV4,
					   .bytes = {10, 0, 0, 1}},
				.remote_port = 7007,
				.foreign = true,
				.over = true};
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_SOCKET);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_ABORT_SOCKET, FLOW_DO_PICK_PORT,
			   FLOW_DO_ADD_RULE, FLOW_DO_CONNECT));
	CHECK_EQ_INT(w.bad_closes, 0);
	CHECK_EQ_INT(w.nrules, 2);
	CHECK_EQ_INT(w.sockets, 1);
	CHECK_EQ_INT(f.socket_port, NETAPI_EPHEMERAL_FIRST + 2);
	CHECK(world_clean_after(&w, &w.answer));
}

/* TCPIP answers before the Firewall: the caller has its socket only
 * once the rule is there too. */
TEST(the_socket_answered_before_the_rule_waits_for_it)
{
	struct flow_target t = tcp("10.0.0.1", 7007);
	struct flow_event rule = {.status = 0, .call = FLOW_DO_ADD_RULE};
	struct flow_event made = {.status = 0,
				  .call = FLOW_DO_CONNECT,
				  .socket = {.slot = 1, .tag = 5},
				  .local_port = 50000};
	struct flow_event draw = {.random = 1};

	flow_start_connect(&f, "c", &t, true);
	CHECK_EQ_INT(flow_step(&f, &draw).what, FLOW_DO_ADD_RULE_AND_CONNECT);
	CHECK_EQ_INT(flow_step(&f, &made).what, FLOW_DO_WAIT);
	CHECK_EQ_INT(flow_step(&f, &rule).what, FLOW_DO_REPLY_SOCKET);
	CHECK_EQ_INT(f.socket.tag, 5);

	world_init(&w);
	w.socket_first = true;
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_SOCKET);
	CHECK(
	    ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_CONNECT, FLOW_DO_ADD_RULE));
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_socket_refused_before_the_rule_is_answered_removes_the_rule)
{
	world_init(&w);
	w.socket_first = true;
	w.fail_at = 1; /* tcpip_socket_connect */
	w.fail_with = -ECONNREFUSED;
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ECONNREFUSED);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_CONNECT, FLOW_DO_ADD_RULE,
			   FLOW_DO_REMOVE_RULE));
	CHECK_EQ_INT(w.nrules, 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(a_rule_refused_after_the_socket_was_made_aborts_it)
{
	world_init(&w);
	w.socket_first = true;
	w.fail_at = 2; /* firewall_rule_add */
	w.fail_with = -ENOSPC;
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ENOSPC);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_CONNECT, FLOW_DO_ADD_RULE,
			   FLOW_DO_ABORT_SOCKET));
	CHECK_EQ_INT(w.sockets, 0);
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

TEST(both_refused_undo_nothing_and_answer_the_rules_error)
{
	world_init(&w);
	w.socket_first = true;
	w.fail_at = 1;
	w.fail_with = -EPERM;
	w.fail_from_then_on = true;
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -EPERM);
	CHECK(
	    ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_CONNECT, FLOW_DO_ADD_RULE));
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

/* The rule's answer times out while the connect is in flight; the abort
 * is answered (or gives up) before the connect's late answer, which
 * brings a socket: that socket is aborted too. */
TEST(a_socket_made_after_its_abort_was_answered_is_aborted_again)
{
	struct flow_target t = tcp("10.0.0.1", 7007);
	struct flow_event draw = {.random = 1};
	struct flow_event rule = {.status = -ETIMEDOUT,
				  .call = FLOW_DO_ADD_RULE};
	struct flow_event aborted = {.status = -ETIMEDOUT,
				     .call = FLOW_DO_ABORT_SOCKET};
	struct flow_event made = {.status = 0, .call = FLOW_DO_CONNECT};
	struct flow_event stray = {.status = 0, .call = FLOW_DO_REMOVE_RULE};

	flow_start_connect(&f, "c", &t, true);
	CHECK_EQ_INT(flow_step(&f, &draw).what, FLOW_DO_ADD_RULE_AND_CONNECT);
	CHECK_EQ_INT(flow_step(&f, &rule).what, FLOW_DO_ABORT_SOCKET);
	/* An answer to no call in flight is a bug in the shell: ignored. */
	CHECK_EQ_INT(flow_step(&f, &stray).what, FLOW_DO_WAIT);
	CHECK_EQ_INT(flow_step(&f, &aborted).what, FLOW_DO_WAIT);
	CHECK_EQ_INT(flow_step(&f, &made).what, FLOW_DO_ABORT_SOCKET);
	aborted.status = 0;
	struct flow_action a = flow_step(&f, &aborted);
	CHECK_EQ_INT(a.what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(a.error, -ETIMEDOUT);
	CHECK(f.steps <= FLOW_MAX_STEPS);

	/* The same through the world, the abort answered first. */
	world_init(&w);
	w.abort_first = true;
	w.fail_at = 1; /* firewall_rule_add */
	w.fail_with = -ETIMEDOUT;
	CHECK_EQ_INT(connect_to("10.0.0.1").what, FLOW_DO_REPLY_ERROR);
	CHECK_EQ_INT(w.answer.error, -ETIMEDOUT);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE,
			   FLOW_DO_ABORT_SOCKET, FLOW_DO_CONNECT));
	CHECK(answered_once());
	CHECK(world_clean_after(&w, &w.answer));
}

/* A callee dies between the two answers: its calls fail with
 * -SEALNET_ECOMPARTMENT (ENOTRECOVERABLE), and what the other made is
 * undone. */
TEST(a_callee_dying_between_the_answers_leaves_nothing_open)
{
	/* TCPIP dies: the rule added goes. */
	world_init(&w);
	w.fail_at = 2; /* tcpip_socket_connect */
	w.fail_with = -ENOTRECOVERABLE;
	CHECK_EQ_INT(connect_to("10.0.0.1").error, -ENOTRECOVERABLE);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_ADD_RULE, FLOW_DO_CONNECT,
			   FLOW_DO_REMOVE_RULE));
	CHECK(world_clean_after(&w, &w.answer));
	/* The Firewall dies after TCPIP made the socket: it is aborted. */
	world_init(&w);
	w.socket_first = true;
	w.fail_at = 2; /* firewall_rule_add */
	w.fail_with = -ENOTRECOVERABLE;
	CHECK_EQ_INT(connect_to("10.0.0.1").error, -ENOTRECOVERABLE);
	CHECK(ACTIONS_WERE(FLOW_DO_PICK_PORT, FLOW_DO_CONNECT, FLOW_DO_ADD_RULE,
			   FLOW_DO_ABORT_SOCKET));
	CHECK_EQ_INT(w.sockets, 0);
	CHECK(world_clean_after(&w, &w.answer));
}

int
main(void)
{
	RUN(a_socket_made_on_a_rule_that_is_not_ours_is_aborted);
	RUN(the_socket_answered_before_the_rule_waits_for_it);
	RUN(a_socket_refused_before_the_rule_is_answered_removes_the_rule);
	RUN(a_rule_refused_after_the_socket_was_made_aborts_it);
	RUN(both_refused_undo_nothing_and_answer_the_rules_error);
	RUN(a_socket_made_after_its_abort_was_answered_is_aborted_again);
	RUN(a_callee_dying_between_the_answers_leaves_nothing_open);
	HARNESS_EXIT();
}
