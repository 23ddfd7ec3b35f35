/*
 * The NetAPI compartment: the control plane.  It turns a static capability
 * (already checked by the runtime against what the caller holds) into a
 * socket: resolve the host, pick a random local port, open exactly that
 * hole in the Firewall, and ask TCPIP for the socket on the caller's
 * behalf.  Every failure after the hole was opened closes it again.
 *
 * What to do, step by step, is flow.c's: a pure state machine, whose
 * header lists every path.  This file is its shell: a handler starts a
 * flow, run() performs each action the flow returns, and step_done()
 * feeds each call's outcome back.  Nothing here waits: each step is an
 * asynchronous call, and the caller's reply is deferred until the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "boot.h"
#include "dns_cache.h"
#include "flow.h"
#include "late_undos.h"
#include "log.h"
#include "messages.h"
#include "netapi_const.h"
#include "port_draws.h"
#include "sealnet/compartment.h"
#include "servers.h"

SEALNET_COMPARTMENT("NetAPI");
SEALNET_IMPORT(firewall_rule_add);
SEALNET_IMPORT(firewall_rule_remove);
SEALNET_IMPORT(firewall_server_port_add);
SEALNET_IMPORT(firewall_server_port_remove);
SEALNET_IMPORT(tcpip_socket_connect);
SEALNET_IMPORT(tcpip_socket_abort);
SEALNET_IMPORT(tcpip_socket_listen);
SEALNET_IMPORT(tcpip_address_get);
SEALNET_IMPORT(tcpip_socket_port);
SEALNET_IMPORT(firewall_dns_lookup_begin);
SEALNET_IMPORT(firewall_dns_lookup_end);
SEALNET_IMPORT(dns_resolve);
SEALNET_RESTART(always, 10);

_Static_assert(SN_PEER_NAME_MAX <= NETAPI_OWNER_MAX,
	       "a caller's name fits a flow's owner");
_Static_assert(SN_HOST_MAX + 1 <= NETAPI_HOST_MAX,
	       "a capability's host fits a flow's");
_Static_assert(NETAPI_LATE_UNDOS >= SN_MAX_ABANDONED,
	       "every late answer the runtime passes on finds its undo");

struct op;

/* A call in flight for an op: its reply is this action's outcome. */
struct op_call {
	struct op *op;
	bool in_flight;
	enum flow_do doing;
	uint64_t since_ns;
	uint64_t call_id; /* the runtime's, for a late answer */
};

/* One call in progress: the caller's, and the op's own calls in flight,
 * two at most (a connection's rule and its socket, or the socket and its
 * abort). */
struct op {
	bool in_use;
	struct flow flow;
	struct op_call calls[NETAPI_CALLS_AT_ONCE];
	uint64_t started_ns;
	struct sn_deferred reply;
};

static struct sn_compartment compartment;
static struct sn_peer *firewall, *tcpip, *dns;
static struct op ops[NETAPI_MAX_FLOWS];
static struct dns_cache answers;
static struct late_undos late;
static struct port_draws ports;

/* Where a connect's time goes: each step's calls, and whole connects,
 * logged as the count of connects passes powers of two (from 16). */
static struct {
	uint64_t ns[FLOW_DOS], calls[FLOW_DOS];
	uint64_t connects, connect_ns;
} timing;

static void
log_timing(void)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "connect: %.0f us in all",
			 timing.connect_ns / 1e3 / (double)timing.connects);

	for (unsigned d = 0; d < FLOW_DOS && n > 0 && n < (int)sizeof(line);
	     d++)
		if (timing.calls[d] > 0)
			n += snprintf(
			    line + n, sizeof(line) - (size_t)n,
			    "; %s %.0f us x %.2f", flow_do_name(d),
			    timing.ns[d] / 1e3 / (double)timing.calls[d],
			    (double)timing.calls[d] / (double)timing.connects);
	sn_log("%s (means over %llu connects)", line,
	       (unsigned long long)timing.connects);
}

static struct server_ports servers;

/* Events a hostile caller could repeat at will: logged as they pass
 * powers of two. */
static uint64_t ops_refused, sends_failed, answers_failed, closes_failed,
    names_unreachable, openings_given_up, late_openings;

static uint64_t
timeout(const struct op *op, enum netapi_wait wait)
{
	uint64_t now = sn_now_ns(), deadline = op->reply.deadline_ns, left;

	if (wait == NETAPI_WAIT_STEP)
		return NETAPI_STEP_TIMEOUT_NS;
	if (deadline == 0)
		left = NETAPI_STEP_TIMEOUT_NS;
	else
		left = deadline > now ? deadline - now : 1;
	return wait == NETAPI_WAIT_CALLER_AND_GRACE
		   ? left + NETAPI_SOCKET_GRACE_NS
		   : left;
}

static void
count_unanswered(const char *caller, int rc)
{
	/* A caller that died meanwhile is no news. */
	if (rc < 0 && rc != -SEALNET_ECOMPARTMENT &&
	    sn_log_worth(++answers_failed))
		sn_log("could not answer %s: %d (%llu so far)", caller, rc,
		       (unsigned long long)answers_failed);
}

static void
answer(struct op *op, struct flow_action a, const sn_message_ref *reply)
{
	struct sn_peer *caller = op->reply.peer;
	const struct flow *f = &op->flow;
	uint8_t body_type;
	uint32_t body;
	int rc;

	if (a.what == FLOW_DO_REPLY_ERROR) {
		if (a.error == -EHOSTUNREACH && f->host[0] &&
		    sn_log_worth(++names_unreachable))
			sn_log("%s: cannot reach %s: %s (%llu so far)",
			       f->owner, f->host,
			       dns == NULL ? "this image has no DNS compartment"
					   : "no address, or no DNS server yet",
			       (unsigned long long)names_unreachable);
		rc = sn_deferred_error(&op->reply, a.error);
	} else {
		body = netapi_answer_body(sn_reply_builder(&compartment),
					  a.what, f, reply, &body_type);
		rc = body_type == SN_BODY_NONE
			 ? sn_deferred_error(&op->reply, -EPROTO)
			 : sn_deferred_ok(&op->reply, body_type, body);
	}
	op->in_use = false;
	if (f->kind == FLOW_CONNECT && a.what == FLOW_DO_REPLY_SOCKET) {
		timing.connect_ns += sn_now_ns() - op->started_ns;
		if (sn_log_worth(++timing.connects) && timing.connects >= 16)
			log_timing();
	}
	if (a.what == FLOW_DO_REPLY_LISTENER)
		server_port_listening(&servers, caller, f, rc == 0);
	count_unanswered(f->owner, rc);
}

/* ---- performing a flow ---- */

static void step_done(void *ctx, int status, const sn_message_ref *reply);

static unsigned
calls_in_flight(const struct op *op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NETAPI_CALLS_AT_ONCE; i++)
		n += op->calls[i].in_flight;
	return n;
}

/* Sends the call `what` names: 0, or why it could not be sent. */
static int
call(struct op *op, enum flow_do what)
{
	const struct netapi_call *c = netapi_call_for(what);
	struct sn_peer *to =
	    c == NULL ? NULL : sn_export_peer(&compartment, c->export_id);
	struct op_call *slot = NULL;
	sn_builder *b;
	int rc;

	for (unsigned i = 0; i < NETAPI_CALLS_AT_ONCE && slot == NULL; i++)
		if (!op->calls[i].in_flight)
			slot = &op->calls[i];
	if (to == NULL || slot == NULL)
		return -EINVAL;
	b = sn_call_builder(&compartment);
	*slot =
	    (struct op_call){.op = op, .doing = what, .since_ns = sn_now_ns()};
	rc =
	    sn_call_async(to, c->export_id, c->body_type, c->body(b, &op->flow),
			  timeout(op, c->wait), step_done, slot);
	slot->in_flight = rc == 0;
	if (rc == 0)
		slot->call_id = sn_peer_last_call_id(to);
	return rc;
}

static void
count_unsent(const struct op *op, enum flow_do what, int rc)
{
	if (sn_log_worth(++sends_failed))
		sn_log("%s: could not ask for %s: %d (%llu so far)",
		       op->flow.owner, flow_do_name(what), rc,
		       (unsigned long long)sends_failed);
}

/* The rule, then the socket, without waiting in between: the rule's
 * message is in the Firewall's ring before the connect is in TCPIP's, so
 * before the SYN can be (compartments/firewall/held.h).  A call that
 * could not be sent is fed back as -EAGAIN; without the rule, no connect
 * is sent.  Returns the flow's next action. */
static struct flow_action
add_rule_and_connect(struct op *op)
{
	struct flow_event not_sent = {.status = -EAGAIN,
				      .call = FLOW_DO_CONNECT};
	struct flow_action a;
	int rc = call(op, FLOW_DO_ADD_RULE);

	if (rc == 0) {
		rc = call(op, FLOW_DO_CONNECT);
		if (rc == 0)
			return (struct flow_action){.what = FLOW_DO_WAIT};
		count_unsent(op, FLOW_DO_CONNECT, rc);
		return flow_step(&op->flow, &not_sent);
	}
	count_unsent(op, FLOW_DO_ADD_RULE, rc);
	a = flow_step(&op->flow, &not_sent);
	if (a.what != FLOW_DO_WAIT)
		return a;
	not_sent.call = FLOW_DO_ADD_RULE;
	return flow_step(&op->flow, &not_sent);
}

/* Performs actions until one waits for a reply or answers the caller.
 * Bounded: the flow takes at most FLOW_MAX_STEPS events.  reply is the
 * message whose outcome produced `a`, if any. */
static void
run(struct op *op, struct flow_action a, const sn_message_ref *reply)
{
	while (!flow_do_answers(a.what)) {
		struct flow_event ev = {.status = 0, .call = a.what};
		int rc;

		if (a.what == FLOW_DO_WAIT && calls_in_flight(op) > 0)
			return;
		if (a.what == FLOW_DO_NOTHING || a.what == FLOW_DO_WAIT) {
			/* A bug: no answer could ever come. */
			sn_log("%s: a flow %s", op->flow.owner,
			       a.what == FLOW_DO_WAIT ? "waits on no call"
						      : "answered twice");
			if (calls_in_flight(op) == 0) {
				a = (struct flow_action){FLOW_DO_REPLY_ERROR,
							 -EPROTO};
				break;
			}
			return;
		}
		if (a.what == FLOW_DO_PICK_PORT) {
			uint16_t r;

			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				ev.status = -EIO;
			else
				ev.random = port_draws_take(&ports, r);
		} else if (a.what == FLOW_DO_ADD_RULE_AND_CONNECT) {
			a = add_rule_and_connect(op);
			reply = NULL;
			continue;
		} else if ((rc = call(op, a.what)) == 0) {
			return;
		} else {
			count_unsent(op, a.what, rc);
			ev.status = -EAGAIN;
		}
		reply = NULL;
		a = flow_step(&op->flow, &ev);
	}
	if (calls_in_flight(op) > 0) {
		/* Its answer would come to an op that is no longer its own. */
		sn_log("%s: a flow answered with %u calls in flight",
		       op->flow.owner, calls_in_flight(op));
		return;
	}
	answer(op, a, reply);
}

static bool
closes_a_hole(enum flow_do what)
{
	return what == FLOW_DO_CLOSE_DNS_HOLE || what == FLOW_DO_REMOVE_RULE ||
	       what == FLOW_DO_WITHDRAW_SERVER_PORT ||
	       what == FLOW_DO_ABORT_SOCKET;
}

static void
step_done(void *ctx, int status, const sn_message_ref *reply)
{
	struct op_call *slot = ctx;
	struct op *op = slot->op;
	enum flow_do doing = slot->doing;
	struct flow_event ev = netapi_event_of(doing, status, reply);

	if (!slot->in_flight || !op->in_use)
		return; /* cannot be: the runtime answers a call once */
	slot->in_flight = false;
	/* The flow takes it as having opened nothing; if the Firewall did
	 * open it after all, its late answer says so (firewall_late). */
	if (status == -ETIMEDOUT &&
	    late_undos_keep(&late, slot->call_id, doing, &op->flow) &&
	    sn_log_worth(++openings_given_up))
		sn_log("%s: %s timed out; it is undone if it lands after all "
		       "(%llu so far)",
		       op->flow.owner, flow_do_name(doing),
		       (unsigned long long)openings_given_up);
	if (op->flow.kind == FLOW_CONNECT) {
		timing.ns[doing] += sn_now_ns() - slot->since_ns;
		timing.calls[doing]++;
	}
	/* The address the flow takes, kept as long as DNS says it holds. */
	if (doing == FLOW_DO_RESOLVE && ev.status == 0)
		dns_cache_put(&answers, op->flow.host, &ev.address,
			      sn_resolved_ttl_seconds(
				  sn_message_body_as_resolved(*reply)),
			      sn_now_ns());
	/* -ENOENT: TCPIP had no such connection left (it failed). */
	if (status < 0 && closes_a_hole(doing) &&
	    !(doing == FLOW_DO_ABORT_SOCKET && status == -ENOENT) &&
	    sn_log_worth(++closes_failed))
		sn_log("%s: %s failed (%d): %s (%llu so far)", op->flow.owner,
		       flow_do_name(doing), status,
		       doing == FLOW_DO_ABORT_SOCKET
			   ? "TCPIP may keep that socket"
			   : "the Firewall may keep that hole",
		       (unsigned long long)closes_failed);
	run(op, flow_step(&op->flow, &ev), status == 0 ? reply : NULL);
}

/* ---- Firewall answers that came after the flow gave up ---- */

static void
count_late_failure(enum flow_do undo, int rc)
{
	if (sn_log_worth(++closes_failed))
		sn_log("%s, for a late opening, failed (%d): the Firewall may "
		       "keep that hole (%llu so far)",
		       flow_do_name(undo), rc,
		       (unsigned long long)closes_failed);
}

static void
late_undone(void *ctx, int status, const sn_message_ref *reply)
{
	if (status < 0)
		count_late_failure((enum flow_do)(uintptr_t)ctx, status);
}

/* What the Firewall opened for a flow that had moved on as if it had not:
 * closed again, with the arguments it was opened with. */
static void
firewall_late(struct sn_peer *p, uint16_t export_id,
	      const sn_message_ref *reply)
{
	struct late_undo u;
	const struct netapi_call *c;
	int rc;

	if (!late_undos_take(&late, sn_message_call_id(*reply), &u))
		return;
	c = netapi_call_for(u.undo);
	rc =
	    c == NULL
		? -EINVAL
		: sn_call_async(p, c->export_id, c->body_type,
				c->body(sn_call_builder(&compartment), &u.flow),
				NETAPI_STEP_TIMEOUT_NS, late_undone,
				(void *)(uintptr_t)u.undo);
	if (rc < 0)
		count_late_failure(u.undo, rc);
	else if (sn_log_worth(++late_openings))
		sn_log("undoing %llu Firewall openings answered too late",
		       (unsigned long long)late_openings);
}

static struct op *
op_claim(struct sn_incoming *in)
{
	unsigned mine = 0;

	for (unsigned i = 0; i < NETAPI_MAX_FLOWS; i++)
		mine += ops[i].in_use &&
			strcmp(ops[i].flow.owner, in->peer->name) == 0;
	if (mine >= NETAPI_MAX_FLOWS_PER_CALLER) {
		if (sn_log_worth(++ops_refused))
			sn_log("%s has %u calls in progress, the most one "
			       "caller may have; refused another (%llu so far)",
			       in->peer->name, mine,
			       (unsigned long long)ops_refused);
		return NULL;
	}
	for (unsigned i = 0; i < NETAPI_MAX_FLOWS; i++)
		if (!ops[i].in_use) {
			ops[i].in_use = true;
			sn_defer(in, &ops[i].reply);
			return &ops[i];
		}
	return NULL;
}

/* A flow just started on the handler's stack: answered already (a
 * capability of the wrong kind), or given a place and run. */
static void
begin(struct sn_incoming *in, const struct flow *f, struct flow_action first)
{
	struct op *op;
	int rc;

	if (first.what == FLOW_DO_REPLY_ERROR) {
		rc = sn_reply_error(in, first.error);
	} else if ((op = op_claim(in)) == NULL) {
		rc = sn_reply_error(in, -EAGAIN);
	} else {
		op->flow = *f;
		memset(op->calls, 0, sizeof(op->calls));
		op->started_ns = sn_now_ns();
		run(op, first, NULL);
		return;
	}
	count_unanswered(in->peer->name, rc);
}

/* ---- the exports ---- */

static struct flow_target
target_of(sn_connection_capability_ref cap)
{
	struct flow_target t = {.protocol =
				    sn_connection_capability_protocol(cap),
				.port = sn_connection_capability_port(cap)};
	uint32_t len = 0;

	t.host = sn_connection_capability_host(cap, &len);
	t.host_len = len;
	return t;
}

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	struct flow_target t = target_of(
	    sn_connect_capability(sn_message_body_as_connect(in->request)));
	struct flow f;
	struct flow_action first =
	    flow_start_connect(&f, in->peer->name, &t, dns != NULL);
	struct flow_address known;

	if (first.what == FLOW_DO_GET_DNS_SERVER &&
	    dns_cache_get(&answers, f.host, sn_now_ns(), &known))
		first = flow_known_address(&f, &known);
	begin(in, &f, first);
}

static void
serve_udp_authorise(void *ctx, struct sn_incoming *in)
{
	sn_udp_authorise_ref req =
	    sn_message_body_as_udp_authorise(in->request);
	struct flow_target t = target_of(sn_udp_authorise_capability(req));
	sn_handle socket;
	struct flow f;

	/* Required: a verified request has one. */
	if (!sn_udp_authorise_socket(req, &socket)) {
		begin(in, &f,
		      (struct flow_action){FLOW_DO_REPLY_ERROR, -EINVAL});
		return;
	}
	begin(in, &f,
	      flow_start_udp_authorise(&f, in->peer->name, &t, &socket,
				       dns != NULL));
}

static void
serve_listen(void *ctx, struct sn_incoming *in)
{
	sn_bind_capability_ref cap =
	    sn_listen_capability(sn_message_body_as_listen(in->request));
	uint16_t port = sn_bind_capability_port(cap);
	uint16_t max = sn_bind_capability_max_connections(cap);
	bool ipv6 = sn_bind_capability_ipv6(cap);
	struct flow f;

	/* A listener closed leaves its port open until the owner dies: the
	 * owner may listen on it again, and TCPIP refuses while the old one
	 * is still open. */
	begin(in, &f,
	      server_port_kept(&servers, in->peer, port, max, ipv6)
		  ? flow_start_listen_again(&f, in->peer->name, port, max, ipv6)
		  : flow_start_listen(&f, in->peer->name, port, max, ipv6));
}

static void
serve_host_get(void *ctx, struct sn_incoming *in)
{
	struct flow f;

	begin(in, &f, flow_start_host_get(&f, in->peer->name));
}

static void
peer_died(void *ctx, struct sn_peer *p)
{
	server_ports_owner_died(&servers, p);
}

/* A new TCPIP has no listening sockets, and the Firewall forgot every
 * server port with the old one. */
static void
peer_restarted(void *ctx, struct sn_peer *p)
{
	if (p == tcpip)
		server_ports_forget(&servers);
	/* A new Firewall has none of the old one's holes to undo. */
	if (p == firewall)
		late_undos_init(&late);
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
	if (sn_compartment_on_peer_died(&compartment, peer_died, NULL) < 0 ||
	    sn_compartment_on_peer_restarted(&compartment, peer_restarted,
					     NULL) < 0)
		return 1;
	/* Optional: without it, only literal addresses can be reached. */
	dns = sn_export_peer(&compartment, SN_EXPORT_DNS_RESOLVE);
	if (firewall == NULL || tcpip == NULL)
		return 1;
	server_ports_init(&servers, &compartment, firewall);
	late_undos_init(&late);
	sn_peer_on_late_reply(firewall, firewall_late);
	port_draws_init(&ports);
	return sn_compartment_run(&compartment) < 0;
}
