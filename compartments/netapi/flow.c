/*
 * NetAPI's flows: see flow.h for every path.  Each state has one function
 * that takes the outcome of its action and returns the next one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "flow.h"

static struct flow_action
go(struct flow *f, enum flow_state next, enum flow_do what)
{
	f->state = next;
	return (struct flow_action){.what = what};
}

static struct flow_action
answer(struct flow *f, enum flow_do what)
{
	f->state = FLOW_ANSWERED;
	return (struct flow_action){.what = what};
}

static struct flow_action
answer_error(struct flow *f, int error)
{
	f->state = FLOW_ANSWERED;
	return (struct flow_action){.what = FLOW_DO_REPLY_ERROR,
				    .error = error};
}

/* Something is open: close it, then tell the caller `failure`. */
static struct flow_action
close_then_fail(struct flow *f, enum flow_state closing, enum flow_do what,
		int failure)
{
	f->failure = failure;
	return go(f, closing, what);
}

static bool
by_name(const struct flow *f)
{
	return f->host[0] != 0;
}

int
flow_address_from(struct flow_address *out, const uint8_t *bytes, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (bytes == NULL || (len != 4 && len != 16))
		return -EINVAL;
	memcpy(out->bytes, bytes, len);
	out->family =
	    len == 4 ? SN_ADDRESS_FAMILY_IPV4 : SN_ADDRESS_FAMILY_IPV6;
	return 0;
}

size_t
flow_address_len(const struct flow_address *a)
{
	return a->family == SN_ADDRESS_FAMILY_IPV4   ? 4
	       : a->family == SN_ADDRESS_FAMILY_IPV6 ? 16
						     : 0;
}

uint8_t
flow_protocol(const struct flow *f)
{
	return f->kind == FLOW_UDP_AUTHORISE ? SN_PROTOCOL_UDP
					     : SN_PROTOCOL_TCP;
}

bool
flow_do_answers(enum flow_do what)
{
	return what >= FLOW_DO_REPLY_SOCKET && what <= FLOW_DO_REPLY_ERROR;
}

/* A positive status is no errno: the shell never feeds one, but a flow
 * must not pass it on as an answer. */
static int
outcome(const struct flow_event *ev)
{
	return ev->status > 0 ? -EPROTO : ev->status;
}

static int
take_owner(struct flow *f, enum flow_kind kind, const char *owner)
{
	size_t len = owner == NULL ? sizeof(f->owner) : strlen(owner);

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->state = FLOW_ANSWERED; /* until a start succeeds */
	if (len == 0 || len >= sizeof(f->owner))
		return -EINVAL;
	memcpy(f->owner, owner, len + 1);
	return 0;
}

/* The capability's host, as a literal address or as a name to resolve,
 * and its port.  A host with a 0 byte in it would be resolved as a name
 * other than the one the image grants. */
static int
take_target(struct flow *f, const struct flow_target *t, uint8_t protocol)
{
	char text[NETAPI_HOST_MAX];

	if (t->protocol != protocol || t->host == NULL || t->host_len == 0 ||
	    t->host_len >= sizeof(text) ||
	    memchr(t->host, 0, t->host_len) != NULL)
		return -EINVAL;
	memcpy(text, t->host, t->host_len);
	text[t->host_len] = 0;
	f->remote_port = t->port;
	if (inet_pton(AF_INET, text, f->remote.bytes) == 1) {
		f->remote.family = SN_ADDRESS_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, f->remote.bytes) == 1) {
		f->remote.family = SN_ADDRESS_FAMILY_IPV6;
		return 0;
	}
	memcpy(f->host, text, t->host_len + 1);
	return 0;
}

/* The remote address is known: a connection draws its port first, a UDP
 * socket has one. */
static struct flow_action
to_rule(struct flow *f)
{
	if (f->kind == FLOW_CONNECT)
		return go(f, FLOW_PICKING_PORT, FLOW_DO_PICK_PORT);
	return go(f, FLOW_ADDING_RULE, FLOW_DO_ADD_RULE);
}

/* A name is resolved first; a literal goes straight to the rule. */
static struct flow_action
reach(struct flow *f)
{
	if (!by_name(f))
		return to_rule(f);
	if (!f->resolver)
		return answer_error(f, -EHOSTUNREACH);
	return go(f, FLOW_GETTING_DNS_SERVER, FLOW_DO_GET_DNS_SERVER);
}

struct flow_action
flow_known_address(struct flow *f, const struct flow_address *a)
{
	if (f->kind != FLOW_CONNECT || f->state != FLOW_GETTING_DNS_SERVER ||
	    f->steps != 0)
		return (struct flow_action){.what = FLOW_DO_NOTHING};
	if (flow_address_len(a) == 0)
		return go(f, FLOW_GETTING_DNS_SERVER, FLOW_DO_GET_DNS_SERVER);
	f->remote = *a;
	return to_rule(f);
}

struct flow_action
flow_start_connect(struct flow *f, const char *owner,
		   const struct flow_target *t, bool resolver)
{
	int rc = take_owner(f, FLOW_CONNECT, owner);

	if (rc == 0)
		rc = take_target(f, t, SN_PROTOCOL_TCP);
	if (rc < 0)
		return answer_error(f, rc);
	f->resolver = resolver;
	return reach(f);
}

struct flow_action
flow_start_udp_authorise(struct flow *f, const char *owner,
			 const struct flow_target *t, const sn_handle *socket,
			 bool resolver)
{
	int rc = take_owner(f, FLOW_UDP_AUTHORISE, owner);

	if (rc == 0)
		rc = take_target(f, t, SN_PROTOCOL_UDP);
	if (rc < 0)
		return answer_error(f, rc);
	f->resolver = resolver;
	f->socket = *socket;
	/* The socket must be the caller's: TCPIP checks, and names its
	 * port. */
	return go(f, FLOW_GETTING_SOCKET_PORT, FLOW_DO_GET_SOCKET_PORT);
}

struct flow_action
flow_start_listen(struct flow *f, const char *owner, uint16_t port,
		  uint16_t max_connections, bool ipv6)
{
	int rc = take_owner(f, FLOW_LISTEN, owner);

	if (rc < 0)
		return answer_error(f, rc);
	f->local_port = port;
	f->max_connections = max_connections;
	f->ipv6 = ipv6;
	return go(f, FLOW_ADDING_SERVER_PORT, FLOW_DO_ADD_SERVER_PORT);
}

struct flow_action
flow_start_listen_again(struct flow *f, const char *owner, uint16_t port,
			uint16_t max_connections, bool ipv6)
{
	struct flow_action a =
	    flow_start_listen(f, owner, port, max_connections, ipv6);

	if (a.what != FLOW_DO_ADD_SERVER_PORT)
		return a;
	f->port_kept = true;
	return go(f, FLOW_MAKING_LISTENER, FLOW_DO_LISTEN);
}

struct flow_action
flow_start_host_get(struct flow *f, const char *owner)
{
	int rc = take_owner(f, FLOW_HOST_GET, owner);

	if (rc < 0)
		return answer_error(f, rc);
	return go(f, FLOW_GETTING_ADDRESSES, FLOW_DO_GET_ADDRESSES);
}

/* ---- one function per state: the outcome of its action in, the next
 * action out ---- */

typedef struct flow_action (*flow_after_fn)(struct flow *f, int status,
					    const struct flow_event *ev);

static struct flow_action
after_socket_port(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	f->local_port = ev->local_port;
	return reach(f);
}

static struct flow_action
after_dns_server(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	if (flow_address_len(&ev->address) == 0)
		return answer_error(f, -EHOSTUNREACH); /* none known yet */
	f->dns_server = ev->address;
	return go(f, FLOW_OPENING_DNS_HOLE, FLOW_DO_OPEN_DNS_HOLE);
}

static struct flow_action
after_dns_hole_opened(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	return go(f, FLOW_RESOLVING, FLOW_DO_RESOLVE);
}

/* The hole closes whatever the answer was. */
static struct flow_action
after_resolve(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return close_then_fail(f, FLOW_CLOSING_DNS_HOLE_AFTER_FAILURE,
				       FLOW_DO_CLOSE_DNS_HOLE, status);
	if (flow_address_len(&ev->address) == 0)
		return close_then_fail(f, FLOW_CLOSING_DNS_HOLE_AFTER_FAILURE,
				       FLOW_DO_CLOSE_DNS_HOLE, -EHOSTUNREACH);
	f->remote = ev->address;
	return go(f, FLOW_CLOSING_DNS_HOLE, FLOW_DO_CLOSE_DNS_HOLE);
}

static struct flow_action
after_dns_hole_closed(struct flow *f, int status, const struct flow_event *ev)
{
	return to_rule(f);
}

/* Whatever closed, or failed to, the caller learns why it all began. */
static struct flow_action
after_closed_on_failure(struct flow *f, int status, const struct flow_event *ev)
{
	return answer_error(f, f->failure);
}

static struct flow_action
after_port_picked(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	f->local_port = (uint16_t)(NETAPI_EPHEMERAL_FIRST +
				   ev->random % NETAPI_EPHEMERAL_COUNT);
	f->tries++;
	if (f->kind == FLOW_UDP_AUTHORISE)
		return go(f, FLOW_ADDING_RULE, FLOW_DO_ADD_RULE);
	f->awaiting_rule = f->awaiting_socket = true;
	f->awaiting_abort = false;
	f->rule_status = f->socket_status = 0;
	return go(f, FLOW_ADDING_RULE_AND_CONNECTING,
		  FLOW_DO_ADD_RULE_AND_CONNECT);
}

/* UDP only: a connection's rule goes with its socket (below).  -EEXIST:
 * the Firewall has that very rule, so the peer is this socket's already,
 * and nothing was added that could outlive it.
 *
 * A rule added is kept only if TCPIP still has the socket afterwards.
 * The socket may close while the name is resolved or the rule is on its
 * way, and TCPIP's firewall_port_close for it may reach the Firewall
 * before the rule does: the rule would then belong to no socket, and the
 * next one bound to the port would inherit the peer.  Asking again after
 * the Firewall answered leaves no interleaving with a rule behind:
 *   - the Firewall added the rule before it answered, so before TCPIP is
 *     asked again;
 *   - if TCPIP still has the socket on that port, its close comes after
 *     that, and so does the firewall_port_close TCPIP sends for it (and
 *     sends again until the Firewall has served it): the Firewall serves
 *     it after the rule was added, and it takes the rule;
 *   - otherwise (closed, another socket's handle or port, or no answer)
 *     the flow removes the rule itself before it answers the error.
 * A rule_add answered too late for the flow is undone where its answer
 * lands (netapi.c). */
static struct flow_action
after_rule_added(struct flow *f, int status, const struct flow_event *ev)
{
	if (status == -EEXIST)
		return answer(f, FLOW_DO_REPLY_AUTHORISED);
	if (status < 0)
		return answer_error(f, status);
	return go(f, FLOW_CONFIRMING_SOCKET, FLOW_DO_GET_SOCKET_PORT);
}

static struct flow_action
after_socket_confirmed(struct flow *f, int status, const struct flow_event *ev)
{
	if (status == 0 && ev->local_port != f->local_port)
		status = -EPERM; /* the handle names a socket not authorised */
	if (status < 0)
		return close_then_fail(f, FLOW_REMOVING_RULE_AFTER_FAILURE,
				       FLOW_DO_REMOVE_RULE, status);
	return answer(f, FLOW_DO_REPLY_AUTHORISED);
}

static bool
can_retry(const struct flow *f)
{
	return f->tries < NETAPI_PORT_TRIES;
}

/* The socket is to go: made, or being made for a rule that was refused.
 * The rule's refusal is what the caller will be told, or, for -EEXIST,
 * the reason to draw another port once the socket is gone. */
static struct flow_action
abort_socket(struct flow *f)
{
	f->awaiting_abort = true;
	f->failure = f->rule_status;
	return go(f, FLOW_ABORTING_SOCKET, FLOW_DO_ABORT_SOCKET);
}

/* Takes the answer of the call ev names, if it is one awaited: false for
 * any other (a bug in the shell), which changes nothing. */
static bool
take_answer(struct flow *f, int status, const struct flow_event *ev)
{
	if (ev->call == FLOW_DO_ADD_RULE && f->awaiting_rule) {
		f->awaiting_rule = false;
		f->rule_status = status;
		return true;
	}
	if (ev->call == FLOW_DO_CONNECT && f->awaiting_socket) {
		f->awaiting_socket = false;
		f->socket_status = status;
		if (status == 0) {
			f->socket = ev->socket;
			f->socket_port = ev->local_port;
		}
		return true;
	}
	if (ev->call == FLOW_DO_ABORT_SOCKET && f->awaiting_abort) {
		f->awaiting_abort = false;
		return true;
	}
	return false;
}

static struct flow_action
wait_more(struct flow *f)
{
	return (struct flow_action){.what = FLOW_DO_WAIT};
}

static struct flow_action
after_rule_or_socket(struct flow *f, int status, const struct flow_event *ev)
{
	if (!take_answer(f, status, ev))
		return wait_more(f);
	/* Refused, but for -EEXIST: no rule of this key, so no connection
	 * of this key either, and the socket being made is ours alone.  Its
	 * SYN would be dropped, and lwIP would try again until the caller's
	 * deadline: it goes now.  For -EEXIST, another connection's rule
	 * may be this key's, and TCPIP answers at once (-EADDRINUSE, lwIP
	 * has the port) unless that connection is over, so the answer is
	 * waited for: an abort now could take the other connection. */
	if (f->awaiting_socket) {
		if (!f->awaiting_rule && f->rule_status < 0 &&
		    f->rule_status != -EEXIST)
			return abort_socket(f);
		return wait_more(f);
	}
	if (f->awaiting_rule)
		return wait_more(f);
	if (f->rule_status == 0 && f->socket_status == 0)
		return answer(f, FLOW_DO_REPLY_SOCKET);
	if (f->rule_status == 0) {
		/* Someone holds that port: close this hole, try another. */
		if (f->socket_status == -EADDRINUSE && can_retry(f))
			return go(f, FLOW_REMOVING_RULE_TO_RETRY,
				  FLOW_DO_REMOVE_RULE);
		return close_then_fail(f, FLOW_REMOVING_RULE_AFTER_FAILURE,
				       FLOW_DO_REMOVE_RULE, f->socket_status);
	}
	if (f->socket_status == 0)
		return abort_socket(f);
	/* Neither made: nothing to undo.  -EEXIST: another connection to
	 * the peer holds the port, whose rule is not ours to remove. */
	if (f->rule_status == -EEXIST && can_retry(f))
		return go(f, FLOW_PICKING_PORT, FLOW_DO_PICK_PORT);
	return answer_error(f, f->rule_status);
}

static struct flow_action
after_socket_aborted(struct flow *f, int status, const struct flow_event *ev)
{
	if (!take_answer(f, status, ev))
		return wait_more(f);
	/* Made after the abort was answered (the abort timed out, or TCPIP
	 * had not taken the connect yet): it goes too. */
	if (ev->call == FLOW_DO_CONNECT && status == 0 && !f->awaiting_abort)
		return abort_socket(f);
	if (f->awaiting_socket || f->awaiting_abort)
		return wait_more(f);
	if (f->failure == -EEXIST && can_retry(f))
		return go(f, FLOW_PICKING_PORT, FLOW_DO_PICK_PORT);
	return answer_error(f, f->failure);
}

static struct flow_action
after_rule_removed_to_retry(struct flow *f, int status,
			    const struct flow_event *ev)
{
	return go(f, FLOW_PICKING_PORT, FLOW_DO_PICK_PORT);
}

static struct flow_action
after_server_port_added(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	return go(f, FLOW_MAKING_LISTENER, FLOW_DO_LISTEN);
}

static struct flow_action
after_listener_made(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0 && f->port_kept)
		return answer_error(f, status);
	if (status < 0)
		return close_then_fail(
		    f, FLOW_WITHDRAWING_SERVER_PORT_AFTER_FAILURE,
		    FLOW_DO_WITHDRAW_SERVER_PORT, status);
	f->socket = ev->socket;
	f->socket_port = ev->local_port;
	return answer(f, FLOW_DO_REPLY_LISTENER);
}

static struct flow_action
after_addresses(struct flow *f, int status, const struct flow_event *ev)
{
	if (status < 0)
		return answer_error(f, status);
	return answer(f, FLOW_DO_REPLY_ADDRESSES);
}

static const flow_after_fn after[FLOW_STATES] = {
    [FLOW_GETTING_SOCKET_PORT] = after_socket_port,
    [FLOW_GETTING_DNS_SERVER] = after_dns_server,
    [FLOW_OPENING_DNS_HOLE] = after_dns_hole_opened,
    [FLOW_RESOLVING] = after_resolve,
    [FLOW_CLOSING_DNS_HOLE] = after_dns_hole_closed,
    [FLOW_CLOSING_DNS_HOLE_AFTER_FAILURE] = after_closed_on_failure,
    [FLOW_PICKING_PORT] = after_port_picked,
    [FLOW_ADDING_RULE] = after_rule_added,
    [FLOW_CONFIRMING_SOCKET] = after_socket_confirmed,
    [FLOW_ADDING_RULE_AND_CONNECTING] = after_rule_or_socket,
    [FLOW_ABORTING_SOCKET] = after_socket_aborted,
    [FLOW_REMOVING_RULE_TO_RETRY] = after_rule_removed_to_retry,
    [FLOW_REMOVING_RULE_AFTER_FAILURE] = after_closed_on_failure,
    [FLOW_ADDING_SERVER_PORT] = after_server_port_added,
    [FLOW_MAKING_LISTENER] = after_listener_made,
    [FLOW_WITHDRAWING_SERVER_PORT_AFTER_FAILURE] = after_closed_on_failure,
    [FLOW_GETTING_ADDRESSES] = after_addresses,
    [FLOW_ANSWERED] = NULL,
};

struct flow_action
flow_step(struct flow *f, const struct flow_event *ev)
{
	if ((unsigned)f->state >= FLOW_STATES || after[f->state] == NULL)
		return (struct flow_action){.what = FLOW_DO_NOTHING};
	f->steps++;
	return after[f->state](f, outcome(ev), ev);
}

static const char *const state_names[FLOW_STATES] = {
    [FLOW_GETTING_SOCKET_PORT] = "getting the socket's port",
    [FLOW_GETTING_DNS_SERVER] = "getting the DNS server",
    [FLOW_OPENING_DNS_HOLE] = "opening the DNS hole",
    [FLOW_RESOLVING] = "resolving",
    [FLOW_CLOSING_DNS_HOLE] = "closing the DNS hole",
    [FLOW_CLOSING_DNS_HOLE_AFTER_FAILURE] =
	"closing the DNS hole after a failure",
    [FLOW_PICKING_PORT] = "picking a port",
    [FLOW_ADDING_RULE] = "adding the rule",
    [FLOW_CONFIRMING_SOCKET] = "confirming the socket after its rule",
    [FLOW_ADDING_RULE_AND_CONNECTING] = "adding the rule and connecting",
    [FLOW_ABORTING_SOCKET] = "aborting the socket",
    [FLOW_REMOVING_RULE_TO_RETRY] = "removing the rule to try another port",
    [FLOW_REMOVING_RULE_AFTER_FAILURE] = "removing the rule after a failure",
    [FLOW_ADDING_SERVER_PORT] = "adding the server port",
    [FLOW_MAKING_LISTENER] = "making the listening socket",
    [FLOW_WITHDRAWING_SERVER_PORT_AFTER_FAILURE] =
	"withdrawing the server port after a failure",
    [FLOW_GETTING_ADDRESSES] = "getting the addresses",
    [FLOW_ANSWERED] = "answered",
};

const char *
flow_state_name(enum flow_state s)
{
	return (unsigned)s < FLOW_STATES ? state_names[s] : "(no such state)";
}

static const char *const do_names[FLOW_DOS] = {
    [FLOW_DO_GET_SOCKET_PORT] = "tcpip_socket_port",
    [FLOW_DO_GET_DNS_SERVER] = "tcpip_address_get (DNS server)",
    [FLOW_DO_OPEN_DNS_HOLE] = "firewall_dns_lookup_begin",
    [FLOW_DO_RESOLVE] = "dns_resolve",
    [FLOW_DO_CLOSE_DNS_HOLE] = "firewall_dns_lookup_end",
    [FLOW_DO_PICK_PORT] = "pick a port",
    [FLOW_DO_ADD_RULE] = "firewall_rule_add",
    [FLOW_DO_ADD_RULE_AND_CONNECT] =
	"firewall_rule_add and tcpip_socket_connect",
    [FLOW_DO_CONNECT] = "tcpip_socket_connect",
    [FLOW_DO_ABORT_SOCKET] = "tcpip_socket_abort",
    [FLOW_DO_REMOVE_RULE] = "firewall_rule_remove",
    [FLOW_DO_ADD_SERVER_PORT] = "firewall_server_port_add",
    [FLOW_DO_LISTEN] = "tcpip_socket_listen",
    [FLOW_DO_WITHDRAW_SERVER_PORT] = "firewall_server_port_remove",
    [FLOW_DO_GET_ADDRESSES] = "tcpip_address_get",
    [FLOW_DO_REPLY_SOCKET] = "answer with the socket",
    [FLOW_DO_REPLY_LISTENER] = "answer with the listening socket",
    [FLOW_DO_REPLY_AUTHORISED] = "answer with the peer's address",
    [FLOW_DO_REPLY_ADDRESSES] = "answer with the addresses",
    [FLOW_DO_REPLY_ERROR] = "answer with an error",
    [FLOW_DO_WAIT] = "wait for the other answer",
    [FLOW_DO_NOTHING] = "nothing",
};

const char *
flow_do_name(enum flow_do what)
{
	return (unsigned)what < FLOW_DOS ? do_names[what] : "(no such action)";
}
