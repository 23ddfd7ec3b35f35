/*
 * A stand-in for the compartments a NetAPI flow calls, for the tests and
 * the fuzz target: it answers each action as it is told, keeps the
 * Firewall's holes as the Firewall would (the DNS hole's count of
 * lookups, the rules, the server ports), and records every action and
 * the caller's answers.
 */
#ifndef SEALNET_NETAPI_FLOW_WORLD_H
#define SEALNET_NETAPI_FLOW_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define WORLD_MAX_ACTIONS 64
#define WORLD_MAX_HOLES	  8

struct world_rule {
	uint8_t protocol;
	uint16_t local_port;
	struct flow_address remote;
	uint16_t remote_port;
	/* There before the flow: another connection's, or the UDP socket's
	 * from an earlier authorisation.  Never the flow's to remove. */
	bool foreign;
	/* A foreign rule whose connection is over: lwIP has let its port
	 * go, and TCPIP has not yet asked for the rule's removal. */
	bool over;
};

struct world {
	/* What the other compartments answer. */
	struct flow_address dns_server; /* family NONE: not known yet */
	struct flow_address resolved;	/* family NONE: no address */
	uint16_t udp_port;		/* the UDP socket's */
	/* The UDP socket closes just before the call with this index (0
	 * first) is answered, -1 never: TCPIP no longer names its port, and
	 * asks the Firewall to close every hole of the port at once. */
	int socket_closes_at;
	sn_handle socket;      /* what TCPIP makes */
	const uint16_t *draws; /* each PICK_PORT takes the next */
	unsigned ndraws;
	unsigned ports_in_use; /* the first this many connects */
	/* The call with this index (0 first) fails with fail_with; with
	 * fail_from_then_on, so does every call after it. */
	int fail_at;
	int fail_with;
	bool fail_from_then_on;
	/* With a connection's rule and socket both asked for, TCPIP answers
	 * first; with an abort and its connect both in flight, the abort
	 * is answered first (as when the connect's answer is late). */
	bool socket_first, abort_first;

	/* What happened. */
	enum flow_do actions[WORLD_MAX_ACTIONS];
	unsigned nactions;
	unsigned draws_taken, connects;
	unsigned dns_lookups;
	struct world_rule rules[WORLD_MAX_HOLES];
	unsigned nrules;
	/* Sockets TCPIP made and nobody aborted; whether an abort took the
	 * connect in flight, which TCPIP then answers -ECANCELED. */
	unsigned sockets;
	bool connect_cancelled;
	bool socket_closed;
	uint16_t server_ports[WORLD_MAX_HOLES];
	unsigned nserver_ports;
	/* The caller's server port, registered before the flow began (a
	 * listen again): it must be there whatever the answer. */
	bool server_port_kept;
	/* A close that matched nothing open: closing the wrong hole. */
	unsigned bad_closes;
	unsigned answers;
	struct flow_action answer;
	/* Calls still in flight when the flow answered: an answer would
	 * come to nobody. */
	unsigned left_in_flight;
};

/* A world where everything succeeds: DNS server 10.0.0.3, names resolve
 * to 10.0.0.1, the UDP socket has port 40000. */
void world_init(struct world *w);

/* Records action a of flow f and what it did, given its outcome ev: an
 * opening that succeeded opens its hole; a closing closes its hole
 * whatever its outcome (the flow has done its part), and one that
 * matches no open hole, or a foreign rule, is counted in bad_closes.  A
 * rule answered -EEXIST is there, as the Firewall says: if the world
 * did not have it, it does now, as a foreign rule. */
void world_apply(struct world *w, const struct flow *f, enum flow_do a,
		 const struct flow_event *ev);

/* A call the flow just sent (no answer yet). */
void world_issue(struct world *w, enum flow_do call);

/* The calls an action sends: none for a draw, an answer or WAIT, two for
 * ADD_RULE_AND_CONNECT.  Returns how many were written to calls. */
unsigned world_calls_of(enum flow_do a, enum flow_do calls[2]);

/* Makes ev what the Firewall answers to action a whatever else it was
 * told to answer: a rule it holds already is refused with -EEXIST. */
void world_as_the_firewall(const struct world *w, const struct flow *f,
			   enum flow_do a, struct flow_event *ev);

/* The event the world gives for action a of flow f, applied. */
struct flow_event world_respond(struct world *w, const struct flow *f,
				enum flow_do a);

/* Performs actions from `first` until the flow answers or has taken
 * limit events, answering the calls in flight in the order they were
 * sent but for socket_first and abort_first; records the answer.
 * Returns the last action. */
struct flow_action world_drive(struct world *w, struct flow *f,
			       struct flow_action first, unsigned limit);

/* Whether the action ends in the world's state unchanged: nothing open
 * that an answer e should have closed.  On an error answer, no hole of
 * the flow's own at all; on a success, the DNS hole shut and the one
 * rule or server port the answer stands for: for a UDP authorisation,
 * that may be a foreign rule the peer had already.  Foreign rules stay
 * whatever the answer.  A socket answer has one socket; any other none. */
/* Registers port as the caller's server port before a listen again. */
void world_keep_server_port(struct world *w, uint16_t port);
bool world_clean_after(const struct world *w, const struct flow_action *e);

/* Whether the calls answered were exactly these, in this order. */
bool world_actions_were(const struct world *w, const enum flow_do *expected,
			unsigned n);
#define WORLD_ACTIONS_WERE(w, ...)                                             \
	world_actions_were((w), (const enum flow_do[]){__VA_ARGS__},           \
			   sizeof((const enum flow_do[]){__VA_ARGS__}) /       \
			       sizeof(enum flow_do))

/* Answered once, and nothing after that: a further event changes
 * nothing. */
bool world_answered_once(const struct world *w, struct flow *f);

#endif
