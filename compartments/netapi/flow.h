/*
 * What NetAPI does for one call, as an explicit state machine.  Pure: no
 * I/O, no runtime calls, caller-owned state, so every path can be tested
 * and fuzzed alone.  netapi.c is the shell: it starts a flow from a
 * request, performs each action the flow returns (a call to another
 * compartment, a random draw, or the caller's answer) and feeds the
 * outcome back as an event.
 *
 * A flow returns one action at a time and takes one event for it: the
 * outcome of that action, 0 with its result or a negative errno.  A call
 * the shell could not send is an event like any other (-EAGAIN), so the
 * flow decides what a failure to send means too.
 *
 * One action is two calls: ADD_RULE_AND_CONNECT asks the Firewall for
 * the rule and TCPIP for the socket without waiting in between, the rule
 * first (the Firewall holds a SYN that overtakes its rule: see
 * compartments/firewall/held.h).  Each call's outcome is then an event
 * of its own, named by its `call`, in whatever order they come; while
 * one is still awaited the flow may return WAIT, and ABORT_SOCKET may be
 * asked while the connect is still awaited.  If the rule cannot be sent,
 * the shell sends no connect, and feeds the connect's -EAGAIN first.
 *
 * Every path.  Each state waits on one action, named after it with its
 * arguments (the flow's fields, in brackets); then each outcome of that
 * action leads to the next state and its action, or to the answer.
 *
 * start connect
 *     not TCP, bad host   answer -EINVAL
 *     literal host        PICKING_PORT
 *     name, no DNS        answer -EHOSTUNREACH (no DNS compartment)
 *     name                GETTING_DNS_SERVER
 * start udp_authorise
 *     not UDP, bad host   answer -EINVAL
 *     else                GETTING_SOCKET_PORT
 * start listen            ADDING_SERVER_PORT
 * start listen_again      MAKING_LISTENER (the port kept)
 * start host_get          GETTING_ADDRESSES
 * (A bad host is empty, longer than a name may be, or holds a 0 byte.)
 *
 * GETTING_SOCKET_PORT: tcpip_socket_port [owner, socket]
 *     ok(port)            literal host: ADDING_RULE; name: as connect's
 *                         start (no DNS, or GETTING_DNS_SERVER)
 *     error E             answer E (-EPERM: not the caller's socket)
 * GETTING_DNS_SERVER: tcpip_address_get
 *     ok(server)          OPENING_DNS_HOLE
 *     ok(no server)       answer -EHOSTUNREACH
 *     error E             answer E
 * OPENING_DNS_HOLE: firewall_dns_lookup_begin [dns_server]
 *     ok                  RESOLVING
 *     error E             answer E
 * RESOLVING: dns_resolve [host]
 *     ok(address)         CLOSING_DNS_HOLE
 *     ok(no address)      CLOSING_DNS_HOLE_AFTER_FAILURE (-EHOSTUNREACH)
 *     error E             CLOSING_DNS_HOLE_AFTER_FAILURE (E)
 * CLOSING_DNS_HOLE: firewall_dns_lookup_end [dns_server]
 *     any                 connect: PICKING_PORT; udp: ADDING_RULE
 * CLOSING_DNS_HOLE_AFTER_FAILURE: firewall_dns_lookup_end [dns_server]
 *     any                 answer the failure
 * PICKING_PORT: the draw r (port_draws.h), no call
 *     ok(r)               local_port = 49152 + r % 16384; connect:
 *                         ADDING_RULE_AND_CONNECTING; udp: ADDING_RULE
 *     error E             answer E
 * ADDING_RULE: firewall_rule_add [protocol, local_port, remote,
 *              remote_port]                               (udp only)
 *     ok                  CONFIRMING_SOCKET
 *     -EEXIST             answer Authorised (the peer is already this
 *                         socket's; nothing was added)
 *     error E             answer E
 * CONFIRMING_SOCKET: tcpip_socket_port [owner, socket], again: a socket
 *                    closed before the rule landed would leave it to
 *                    the port's next socket (flow.c says why this
 *                    closes that race)
 *     ok(same port)       answer Authorised
 *     ok(another port)    REMOVING_RULE_AFTER_FAILURE (-EPERM)
 *     error E             REMOVING_RULE_AFTER_FAILURE (E)
 * ADDING_RULE_AND_CONNECTING: firewall_rule_add [as above] and
 *              tcpip_socket_connect [owner, remote, remote_port,
 *              local_port], both at once, the rule queued first
 *     each answer is taken as it comes (the event's `call` says whose);
 *     WAIT until the outcome is decided:
 *     rule error E, not -EEXIST, socket not answered yet
 *                         ABORTING_SOCKET (E): without its rule the SYN
 *                         is dropped, and lwIP would retry until the
 *                         caller's deadline
 *     rule -EEXIST, socket not answered yet
 *                         WAIT: another connection's rule may be this
 *                         key's, and an abort could take it (TCPIP says
 *                         -EADDRINUSE at once when lwIP has the port)
 *     rule ok, socket ok(socket, port)
 *                         answer SocketCreated
 *     rule ok, socket -EADDRINUSE
 *                         REMOVING_RULE_TO_RETRY, if fewer than
 *                         NETAPI_PORT_TRIES ports were drawn
 *     rule ok, socket error E
 *                         REMOVING_RULE_AFTER_FAILURE (E)
 *     rule error E, socket ok
 *                         ABORTING_SOCKET (E)
 *     rule -EEXIST, socket error
 *                         PICKING_PORT, if fewer than NETAPI_PORT_TRIES
 *                         ports were drawn (another connection to the
 *                         peer holds the port: its rule is not ours to
 *                         remove); else answer -EEXIST
 *     rule error E, socket error
 *                         answer E
 * ABORTING_SOCKET: tcpip_socket_abort [as the connect], while the
 *                  connect's answer may still be awaited
 *     socket ok after the abort was answered
 *                         ABORTING_SOCKET again (made too late for it)
 *     abort and socket answered
 *                         PICKING_PORT if the rule's error was -EEXIST
 *                         and fewer than NETAPI_PORT_TRIES ports were
 *                         drawn; else answer the rule's error
 * REMOVING_RULE_TO_RETRY: firewall_rule_remove [as added]
 *     any                 PICKING_PORT
 * REMOVING_RULE_AFTER_FAILURE: firewall_rule_remove [as added]
 *     any                 answer the failure
 * ADDING_SERVER_PORT: firewall_server_port_add [local_port, ipv6,
 *                     max_connections]
 *     ok                  MAKING_LISTENER
 *     error E             answer E
 * MAKING_LISTENER: tcpip_socket_listen [owner, local_port, ipv6,
 *                  max_connections]
 *     ok(socket, port)    answer SocketCreated, and local_port is the
 *                         caller's server port from now on
 *     error E             port kept: answer E; else
 *                         WITHDRAWING_SERVER_PORT_AFTER_FAILURE (E)
 * WITHDRAWING_SERVER_PORT_AFTER_FAILURE: firewall_server_port_remove
 *                                        [local_port]
 *     any                 answer the failure
 * GETTING_ADDRESSES: tcpip_address_get
 *     ok                  answer the addresses
 *     error E             answer E
 * ANSWERED
 *     any                 nothing: the caller has its answer
 *
 * So, for every flow:
 *   - it answers its caller exactly once, and after that does nothing;
 *   - it answers a connect with a socket only once both its rule and its
 *     socket were made; a socket made for a rule that was refused is
 *     aborted, and a rule added for a socket that was refused removed,
 *     before it answers or draws another port;
 *   - a DNS hole it opened is closed before it answers, whatever the
 *     lookup gave, and a rule or server port it added is removed with the
 *     arguments it was added with before it answers with an error (the
 *     outcome of a close does not change what comes next: the hole may
 *     be gone or not, and there is nothing better to do);
 *   - a step that failed opened nothing, so nothing is closed for it
 *     (a Firewall opening that timed out and succeeded all the same is
 *     undone by the shell when its answer lands: late_undos.h);
 *   - it takes at most FLOW_MAX_STEPS events.
 */
#ifndef SEALNET_NETAPI_FLOW_H
#define SEALNET_NETAPI_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netapi_const.h"
#include "sealnet_msg.h"

enum flow_kind {
	FLOW_CONNECT,
	FLOW_UDP_AUTHORISE,
	FLOW_LISTEN,
	FLOW_HOST_GET,
};

enum flow_state {
	FLOW_GETTING_SOCKET_PORT,
	FLOW_GETTING_DNS_SERVER,
	FLOW_OPENING_DNS_HOLE,
	FLOW_RESOLVING,
	FLOW_CLOSING_DNS_HOLE,
	FLOW_CLOSING_DNS_HOLE_AFTER_FAILURE,
	FLOW_PICKING_PORT,
	FLOW_ADDING_RULE,
	FLOW_CONFIRMING_SOCKET,
	FLOW_ADDING_RULE_AND_CONNECTING,
	FLOW_ABORTING_SOCKET,
	FLOW_REMOVING_RULE_TO_RETRY,
	FLOW_REMOVING_RULE_AFTER_FAILURE,
	FLOW_ADDING_SERVER_PORT,
	FLOW_MAKING_LISTENER,
	FLOW_WITHDRAWING_SERVER_PORT_AFTER_FAILURE,
	FLOW_GETTING_ADDRESSES,
	FLOW_ANSWERED,
	FLOW_STATES
};

/* What the shell does next; one per state that waits, then the answers. */
enum flow_do {
	FLOW_DO_GET_SOCKET_PORT,
	FLOW_DO_GET_DNS_SERVER,
	FLOW_DO_OPEN_DNS_HOLE,
	FLOW_DO_RESOLVE,
	FLOW_DO_CLOSE_DNS_HOLE,
	FLOW_DO_PICK_PORT,
	FLOW_DO_ADD_RULE,
	/* Two calls, ADD_RULE then CONNECT; each answered as itself. */
	FLOW_DO_ADD_RULE_AND_CONNECT,
	FLOW_DO_CONNECT,
	FLOW_DO_ABORT_SOCKET,
	FLOW_DO_REMOVE_RULE,
	FLOW_DO_ADD_SERVER_PORT,
	FLOW_DO_LISTEN,
	FLOW_DO_WITHDRAW_SERVER_PORT,
	FLOW_DO_GET_ADDRESSES,
	/* The answers: each ends the flow.  REPLY_LISTENER is REPLY_SOCKET
	 * for a listening socket, whose server port is the caller's from
	 * now on (withdrawn when it dies).  REPLY_ADDRESSES passes on the
	 * AddressInfo of the event just fed, which the shell still holds. */
	FLOW_DO_REPLY_SOCKET,
	FLOW_DO_REPLY_LISTENER,
	FLOW_DO_REPLY_AUTHORISED,
	FLOW_DO_REPLY_ADDRESSES,
	FLOW_DO_REPLY_ERROR,
	/* Nothing to do until a call still in flight is answered. */
	FLOW_DO_WAIT,
	/* Fed an event after answering: a bug in the shell. */
	FLOW_DO_NOTHING,
	FLOW_DOS
};

/* The most events one flow takes: socket port, DNS server, open, resolve,
 * close, then per port tried a draw, a rule, a socket, and a removal or
 * up to two aborts (a UDP authorisation: one rule, the socket again and
 * a removal). */
#define FLOW_MAX_STEPS (5u + 5u * NETAPI_PORT_TRIES)

struct flow_action {
	enum flow_do what;
	int error; /* FLOW_DO_REPLY_ERROR only: a negative errno */
};

/* family is SN_ADDRESS_FAMILY_NONE when there is no usable address. */
struct flow_address {
	uint8_t family;
	uint8_t bytes[16];
};

/* The outcome of the action just taken. */
struct flow_event {
	int status; /* 0, or a negative errno; a positive one is -EPROTO */
	/* The call this answers, where two are in flight at once (ADD_RULE,
	 * CONNECT, ABORT_SOCKET); ignored elsewhere. */
	enum flow_do call;
	/* On success, what the step gave, where it gives anything:
	 * GET_DNS_SERVER the first DNS server, RESOLVE the first address. */
	struct flow_address address;
	/* PICK_PORT: the draw. */
	uint16_t random;
	/* CONNECT and LISTEN: the socket made; GET_SOCKET_PORT: its port. */
	sn_handle socket;
	uint16_t local_port;
};

/* A connection capability as the caller presented it. */
struct flow_target {
	uint8_t protocol; /* SN_PROTOCOL_* */
	const char *host;
	size_t host_len;
	uint16_t port;
};

struct flow {
	enum flow_kind kind;
	enum flow_state state;
	char owner[NETAPI_OWNER_MAX];
	/* Empty when the host is a literal address. */
	char host[NETAPI_HOST_MAX];
	bool resolver; /* the image has a DNS compartment */
	struct flow_address remote;
	uint16_t remote_port;
	uint16_t local_port;
	struct flow_address dns_server;
	/* The UDP socket presented, or the socket made and its port as
	 * TCPIP gave it. */
	sn_handle socket;
	uint16_t socket_port;
	bool ipv6;
	uint16_t max_connections;
	/* A listen on a server port the owner already has in the Firewall
	 * (flow_start_listen_again): the flow never withdraws it. */
	bool port_kept;
	unsigned tries; /* ports tried */
	/* ADDING_RULE_AND_CONNECTING and ABORTING_SOCKET: the calls still
	 * in flight, and how the rule and the socket went. */
	bool awaiting_rule, awaiting_socket, awaiting_abort;
	int rule_status, socket_status;
	int failure;	/* what the caller will be told, once closed */
	unsigned steps; /* events taken */
};

/* Each fills *f and returns its first action.  owner is the caller's
 * name; resolver says whether names can be resolved at all. */
struct flow_action flow_start_connect(struct flow *f, const char *owner,
				      const struct flow_target *t,
				      bool resolver);
struct flow_action flow_start_udp_authorise(struct flow *f, const char *owner,
					    const struct flow_target *t,
					    const sn_handle *socket,
					    bool resolver);
struct flow_action flow_start_listen(struct flow *f, const char *owner,
				     uint16_t port, uint16_t max_connections,
				     bool ipv6);
/* A listen on the owner's own server port, open in the Firewall since an
 * earlier listen whose socket the owner has closed: it goes straight to
 * MAKING_LISTENER, and if TCPIP refuses (the old listener is still
 * open: -EADDRINUSE), answers the error and leaves the port as it was. */
struct flow_action flow_start_listen_again(struct flow *f, const char *owner,
					   uint16_t port,
					   uint16_t max_connections, bool ipv6);
struct flow_action flow_start_host_get(struct flow *f, const char *owner);

/* A connect by name whose address is already known (NetAPI's cache of
 * DNS answers): called right after flow_start_connect returned
 * GET_DNS_SERVER, it takes the address and goes on as for a literal
 * (PICKING_PORT); for no address the flow is unchanged and its first
 * action is returned again; called at any other time, NOTHING. */
struct flow_action flow_known_address(struct flow *f,
				      const struct flow_address *a);

/* Feeds the outcome of the last action; returns the next. */
struct flow_action flow_step(struct flow *f, const struct flow_event *ev);

/* Whether the action answers the caller, and so ends the flow. */
bool flow_do_answers(enum flow_do what);

/* The protocol of the flow's rule: SN_PROTOCOL_TCP or _UDP. */
uint8_t flow_protocol(const struct flow *f);

/* 4 bytes make an IPv4 address, 16 an IPv6 one; -EINVAL (and family
 * NONE) for any other length. */
int flow_address_from(struct flow_address *out, const uint8_t *bytes,
		      size_t len);
/* How many bytes of f's address are used: 4, 16, or 0 for none. */
size_t flow_address_len(const struct flow_address *a);

const char *flow_state_name(enum flow_state s);
const char *flow_do_name(enum flow_do what);

#endif
