/*
 * The stand-in for a flow's callees: see flow_world.h.
 */
#include <errno.h>
#include <string.h>

#include "flow_world.h"

void
world_init(struct world *w)
{
	static const uint16_t draws[] = {1, 2, 3, 4, 5, 6, 7, 8};

	memset(w, 0, sizeof(*w));
	flow_address_from(&w->dns_server, (const uint8_t[]){10, 0, 0, 3}, 4);
	flow_address_from(&w->resolved, (const uint8_t[]){10, 0, 0, 1}, 4);
	w->udp_port = 40000;
	w->socket = (sn_handle){.slot = 7, .generation = 1, .tag = 0x5eed};
	w->draws = draws;
	w->ndraws = sizeof(draws) / sizeof(draws[0]);
	w->fail_at = -1;
	w->socket_closes_at = -1;
}

static bool
same_rule(const struct world_rule *r, uint8_t protocol, const struct flow *f)
{
	return r->protocol == protocol && r->local_port == f->local_port &&
	       r->remote_port == f->remote_port &&
	       memcmp(&r->remote, &f->remote, sizeof(r->remote)) == 0;
}

static bool
has_rule(const struct world *w, const struct flow *f)
{
	for (unsigned i = 0; i < w->nrules; i++)
		if (same_rule(&w->rules[i], flow_protocol(f), f))
			return true;
	return false;
}

/* A live connection of another's holds the port toward the peer. */
static bool
port_taken(const struct world *w, const struct flow *f)
{
	for (unsigned i = 0; i < w->nrules; i++)
		if (same_rule(&w->rules[i], SN_PROTOCOL_TCP, f) &&
		    w->rules[i].foreign && !w->rules[i].over)
			return true;
	return false;
}

static void
rule_remove(struct world *w, const struct flow *f)
{
	for (unsigned i = 0; i < w->nrules; i++)
		if (same_rule(&w->rules[i], flow_protocol(f), f)) {
			if (w->rules[i].foreign)
				break; /* another's: removing it is wrong */
			w->rules[i] = w->rules[--w->nrules];
			return;
		}
	w->bad_closes++;
}

static void
server_port_remove(struct world *w, uint16_t port)
{
	for (unsigned i = 0; i < w->nserver_ports; i++)
		if (w->server_ports[i] == port) {
			w->server_ports[i] =
			    w->server_ports[--w->nserver_ports];
			return;
		}
	w->bad_closes++;
}

static void
rule_add(struct world *w, const struct flow *f, bool foreign)
{
	if (w->nrules < WORLD_MAX_HOLES)
		w->rules[w->nrules++] = (struct world_rule){
		    .protocol = flow_protocol(f),
		    .local_port = f->local_port,
		    .remote = f->remote,
		    .remote_port = f->remote_port,
		    .foreign = foreign,
		};
}

static void
opened(struct world *w, const struct flow *f, enum flow_do a)
{
	if (a == FLOW_DO_OPEN_DNS_HOLE) {
		w->dns_lookups++;
	} else if (a == FLOW_DO_ADD_RULE) {
		rule_add(w, f, false);
	} else if (a == FLOW_DO_ADD_SERVER_PORT &&
		   w->nserver_ports < WORLD_MAX_HOLES) {
		w->server_ports[w->nserver_ports++] = f->local_port;
	}
}

void
world_apply(struct world *w, const struct flow *f, enum flow_do a,
	    const struct flow_event *ev)
{
	if (w->nactions < WORLD_MAX_ACTIONS)
		w->actions[w->nactions] = a;
	w->nactions++;
	if (a == FLOW_DO_CLOSE_DNS_HOLE) {
		if (w->dns_lookups == 0)
			w->bad_closes++;
		else
			w->dns_lookups--;
	} else if (a == FLOW_DO_REMOVE_RULE) {
		rule_remove(w, f);
	} else if (a == FLOW_DO_WITHDRAW_SERVER_PORT) {
		server_port_remove(w, f->local_port);
	} else if (a == FLOW_DO_ABORT_SOCKET) {
		/* TCPIP aborts what the connect made, or is making. */
		if (w->sockets > 0)
			w->sockets--;
		else
			w->connect_cancelled = true;
	} else if (a == FLOW_DO_CONNECT) {
		if (ev->status == 0 && !w->connect_cancelled)
			w->sockets++;
	} else if (ev->status == 0) {
		opened(w, f, a);
	} else if (a == FLOW_DO_ADD_RULE && ev->status == -EEXIST &&
		   !has_rule(w, f)) {
		rule_add(w, f, true);
	}
}

void
world_as_the_firewall(const struct world *w, const struct flow *f,
		      enum flow_do a, struct flow_event *ev)
{
	if (a == FLOW_DO_ADD_RULE && has_rule(w, f))
		ev->status = -EEXIST;
}

static bool
fails(const struct world *w, unsigned index)
{
	if (w->fail_at < 0)
		return false;
	return w->fail_from_then_on ? index >= (unsigned)w->fail_at
				    : index == (unsigned)w->fail_at;
}

void
world_issue(struct world *w, enum flow_do call)
{
	if (call == FLOW_DO_CONNECT)
		w->connect_cancelled = false;
}

unsigned
world_calls_of(enum flow_do a, enum flow_do calls[2])
{
	if (a == FLOW_DO_ADD_RULE_AND_CONNECT) {
		calls[0] = FLOW_DO_ADD_RULE;
		calls[1] = FLOW_DO_CONNECT;
		return 2;
	}
	if (a == FLOW_DO_PICK_PORT || a == FLOW_DO_WAIT ||
	    a == FLOW_DO_NOTHING || flow_do_answers(a))
		return 0;
	calls[0] = a;
	return 1;
}

/* TCPIP's firewall_port_close: every UDP hole of the port goes, whoever
 * added it. */
static void
udp_socket_close(struct world *w)
{
	w->socket_closed = true;
	for (unsigned i = w->nrules; i-- > 0;)
		if (w->rules[i].protocol == SN_PROTOCOL_UDP &&
		    w->rules[i].local_port == w->udp_port)
			w->rules[i] = w->rules[--w->nrules];
}

struct flow_event
world_respond(struct world *w, const struct flow *f, enum flow_do a)
{
	struct flow_event ev = {.status = 0, .call = a};

	if (w->socket_closes_at >= 0 &&
	    w->nactions == (unsigned)w->socket_closes_at)
		udp_socket_close(w);
	if (fails(w, w->nactions))
		ev.status = w->fail_with;
	else if (a == FLOW_DO_GET_SOCKET_PORT && w->socket_closed)
		ev.status = -EPERM;
	else if (a == FLOW_DO_GET_SOCKET_PORT)
		ev.local_port = w->udp_port;
	else if (a == FLOW_DO_GET_DNS_SERVER)
		ev.address = w->dns_server;
	else if (a == FLOW_DO_RESOLVE)
		ev.address = w->resolved;
	else if (a == FLOW_DO_PICK_PORT)
		ev.random =
		    w->draws_taken < w->ndraws ? w->draws[w->draws_taken++] : 0;
	else if (a == FLOW_DO_CONNECT && w->connect_cancelled)
		ev.status = -ECANCELED;
	else if (a == FLOW_DO_CONNECT &&
		 (w->connects++ < w->ports_in_use || port_taken(w, f)))
		ev.status = -EADDRINUSE;
	world_as_the_firewall(w, f, a, &ev);
	if (ev.status == 0 && (a == FLOW_DO_CONNECT || a == FLOW_DO_LISTEN)) {
		ev.socket = w->socket;
		ev.local_port = f->local_port;
	}
	world_apply(w, f, a, &ev);
	return ev;
}

/* Which call in flight is answered next. */
static unsigned
next_answered(const struct world *w, const enum flow_do *flight, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if ((w->socket_first && flight[i] == FLOW_DO_CONNECT) ||
		    (w->abort_first && flight[i] == FLOW_DO_ABORT_SOCKET))
			return i;
	return 0;
}

struct flow_action
world_drive(struct world *w, struct flow *f, struct flow_action first,
	    unsigned limit)
{
	struct flow_action a = first;
	enum flow_do flight[4];
	unsigned nflight = 0;

	for (unsigned n = 0; !flow_do_answers(a.what) && n < limit; n++) {
		enum flow_do calls[2];
		unsigned k = world_calls_of(a.what, calls), next;
		struct flow_event ev;

		for (unsigned i = 0; i < k && nflight < 4; i++) {
			world_issue(w, calls[i]);
			/* Without its rule the connect cannot be made before
			 * TCPIP takes the abort. */
			for (unsigned j = 0; j < nflight; j++)
				if (calls[i] == FLOW_DO_ABORT_SOCKET &&
				    flight[j] == FLOW_DO_CONNECT)
					w->connect_cancelled = true;
			flight[nflight++] = calls[i];
		}
		if (a.what == FLOW_DO_PICK_PORT) {
			ev = world_respond(w, f, a.what);
		} else if (nflight == 0) {
			break; /* waits on nothing: a bug the test sees */
		} else {
			next = next_answered(w, flight, nflight);
			ev = world_respond(w, f, flight[next]);
			memmove(flight + next, flight + next + 1,
				(--nflight - next) * sizeof(flight[0]));
		}
		a = flow_step(f, &ev);
	}
	if (flow_do_answers(a.what)) {
		w->answers++;
		w->answer = a;
		w->left_in_flight = nflight;
	}
	return a;
}

void
world_keep_server_port(struct world *w, uint16_t port)
{
	w->server_ports[w->nserver_ports++] = port;
	w->server_port_kept = true;
}

bool
world_clean_after(const struct world *w, const struct flow_action *e)
{
	unsigned own = 0, foreign = 0, rules = 0, server_ports = 0;

	for (unsigned i = 0; i < w->nrules; i++) {
		if (w->rules[i].foreign)
			foreign++;
		else
			own++;
	}
	if (e->what == FLOW_DO_REPLY_SOCKET ||
	    e->what == FLOW_DO_REPLY_AUTHORISED)
		rules = 1;
	else if (e->what == FLOW_DO_REPLY_LISTENER)
		server_ports = 1;
	if (w->server_port_kept)
		server_ports = 1;
	/* The peer was the UDP socket's already: its rule stands for the
	 * answer. */
	if (e->what == FLOW_DO_REPLY_AUTHORISED && own == 0 && foreign > 0)
		rules = 0;
	return w->dns_lookups == 0 && w->bad_closes == 0 && own == rules &&
	       w->nserver_ports == server_ports && w->left_in_flight == 0 &&
	       w->sockets == (e->what == FLOW_DO_REPLY_SOCKET ? 1u : 0u);
}

bool
world_actions_were(const struct world *w, const enum flow_do *expected,
		   unsigned n)
{
	return w->nactions == n &&
	       memcmp(w->actions, expected, n * sizeof(*expected)) == 0;
}

bool
world_answered_once(const struct world *w, struct flow *f)
{
	struct flow before = *f;
	struct flow_event late = {.status = 0};

	return w->answers == 1 && f->state == FLOW_ANSWERED &&
	       flow_step(f, &late).what == FLOW_DO_NOTHING &&
	       memcmp(&before, f, sizeof(*f)) == 0;
}
