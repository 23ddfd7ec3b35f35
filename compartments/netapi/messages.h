/*
 * What NetAPI's flows send and receive, in the schema's terms: the body
 * of each call an action names, the event each reply makes, and the body
 * of each answer.  No I/O: the builders write into the builder they are
 * given, the readers read a verified message.
 */
#ifndef SEALNET_NETAPI_MESSAGES_H
#define SEALNET_NETAPI_MESSAGES_H

#include <stdint.h>

#include "fb.h"
#include "flow.h"
#include "sealnet_msg.h"

enum netapi_wait {
	/* NetAPI's own business: NETAPI_STEP_TIMEOUT_NS. */
	NETAPI_WAIT_STEP,
	/* What the caller has left. */
	NETAPI_WAIT_CALLER,
	/* The same and NETAPI_SOCKET_GRACE_NS, for a call that makes the
	 * caller a socket. */
	NETAPI_WAIT_CALLER_AND_GRACE,
};

/* The call an action is.  It goes to the compartment the schema names
 * for the export. */
struct netapi_call {
	uint16_t export_id;
	uint8_t body_type;
	enum netapi_wait wait;
	uint32_t (*body)(sn_builder *b, const struct flow *f);
};

/* The call `what` is, or NULL when it is none (a draw, an answer). */
const struct netapi_call *netapi_call_for(enum flow_do what);

/* The outcome of the call `done`, as its flow takes it: the status and,
 * on success, what the reply carries.  reply is a verified message of the
 * export's reply type whenever status is 0. */
struct flow_event netapi_event_of(enum flow_do done, int status,
				  const sn_message_ref *reply);

/* The body of the answer `what` (REPLY_SOCKET, _LISTENER, _AUTHORISED or
 * _ADDRESSES), and its type in *body_type.  REPLY_ADDRESSES passes on the
 * AddressInfo in reply; without one it returns 0. */
uint32_t netapi_answer_body(sn_builder *b, enum flow_do what,
			    const struct flow *f, const sn_message_ref *reply,
			    uint8_t *body_type);

/* A TCP server port, as the Firewall takes it. */
uint32_t netapi_server_port_body(sn_builder *b, uint16_t port, bool ipv6,
				 uint16_t max_connections);

#endif
