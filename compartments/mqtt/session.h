/*
 * The client side of one MQTT connection (3.1.1 or 5.0), as a state
 * machine its caller drives.  Pure: no sockets, no clocks, no allocation
 * after init, no global state.  The caller owns the struct and the memory
 * behind it (sized from the configuration), moves bytes between the
 * machine and its transport (TLS, later), passes the current monotonic
 * time in milliseconds, and takes events one at a time.
 *
 * A turn of the caller's loop:
 *   - mqtt_session_input() the bytes the transport delivered;
 *   - mqtt_session_poll() until it returns 0, acting on each event;
 *   - mqtt_session_tick() when mqtt_session_next_deadline() is reached;
 *   - send what mqtt_session_output() shows, then
 *     mqtt_session_output_done() with the number of bytes the transport
 *     took;
 *   - when a CLOSED event comes: send the output that remains (it may end
 *     with a DISCONNECT), close the transport, and mqtt_session_connect()
 *     again over a new one to resume.
 *
 * What it guarantees:
 *   - QoS 1 outbound is delivered at least once and QoS 2 exactly once
 *     across reconnections that resume the session: unacknowledged
 *     PUBLISHes are sent again with DUP set, PUBRELs again, each in its
 *     original order;
 *   - QoS 2 inbound is delivered once: a packet identifier stays in a
 *     bounded set from its first PUBLISH until PUBREL;
 *   - at most min(our max_inflight, the broker's Receive Maximum) QoS 1
 *     and 2 PUBLISHes await acknowledgement; the rest wait in the queue;
 *   - a PINGREQ when nothing was sent, or nothing received, for a
 *     keep-alive interval (the broker's Server Keep Alive if it sets
 *     one); the connection closes after 1.5 intervals without a byte from
 *     the broker;
 *   - no packet larger than the broker's Maximum Packet Size is sent, and
 *     none larger than input_bytes is accepted;
 *   - subscriptions are kept, and restored when a resumed session finds
 *     that the broker kept none;
 *   - any protocol violation by the broker closes the connection with a
 *     fault (and, in 5.0, a DISCONNECT giving the reason code); the state
 *     kept for resumption is left as it was before that packet.
 *
 * A durable session (config.durable) is one whose caller keeps, outside
 * the session, every QoS 1 and 2 message it has not seen completed, so
 * that a new session can take over should this one be lost with its
 * memory:
 *   - the caller chooses each message's packet identifier (below
 *     MQTT_SESSION_OWN_IDS_FIRST; mqtt_session_publish_id), so a message
 *     given again to a new session goes with the identifier the broker
 *     knows it by;
 *   - a PUBREC is reported (MQTT_EVENT_RECEIVED) and its PUBREL waits for
 *     mqtt_session_release(): until the caller has recorded that the
 *     broker has the message, the broker must not be allowed to forget
 *     its identifier, or the message given again would be a new one;
 *   - messages may be queued while no connection is open; they go when
 *     one is;
 *   - mqtt_session_restore() takes back, before the first connect, what
 *     the caller kept.
 *
 * Not done: Topic Aliases we send (those the broker sends are resolved),
 * enhanced authentication (AUTH), and re-authentication.
 *
 * Error codes:
 *   -EINVAL     a bad configuration, option, topic, filter or QoS
 *   -ENOMEM     (init) the memory given is smaller than
 *               mqtt_session_memory_size()
 *   -ENOTCONN   publish, subscribe, unsubscribe or disconnect without a
 *               connection; input while none is open
 *   -EISCONN    connect while connecting or connected
 *   -ENOBUFS    the outbound queue is full (messages or bytes), or the
 *               tables of requests or subscriptions are
 *   -EMSGSIZE   a packet larger than the broker's Maximum Packet Size or
 *               our output buffer
 *   -EOPNOTSUPP what the broker said it does not offer (QoS above its
 *               maximum, retain, wildcard, shared or identified
 *               subscriptions), or enhanced authentication
 * Events carry a negative errno as their outcome: a reason code's
 * (mqtt_reason_errno), or a fault's (mqtt_fault_errno).
 */
#ifndef SEALNET_MQTT_SESSION_H
#define SEALNET_MQTT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "constants.h"
#include "packet.h"

/* The bounds, chosen by the caller; each table lives in its memory. */
struct mqtt_session_config {
	enum mqtt_version version;
	/* The largest packet accepted; 5.0 announces it as Maximum Packet
	 * Size.  Also the input buffer. */
	uint32_t input_bytes;
	/* The output buffer, which also bounds the largest packet sent. */
	uint32_t output_bytes;
	/* Our own bound on QoS 1 and 2 PUBLISHes awaiting acknowledgement. */
	uint16_t max_inflight;
	/* Outbound messages held from publish until acknowledged (QoS 1
	 * and 2) or written out (QoS 0), and their encoded bytes. */
	uint16_t queue_messages;
	uint32_t queue_bytes;
	/* QoS 2 packet identifiers awaiting PUBREL; 5.0 announces it as
	 * Receive Maximum. */
	uint16_t inbound_qos2;
	/* Acknowledgements waiting for output space: input stops being
	 * processed while they fill it. */
	uint16_t ack_queue;
	/* Topic Aliases the broker may set (5.0 Topic Alias Maximum), and
	 * the longest topic one may stand for, either way. */
	uint16_t topic_aliases;
	uint16_t alias_topic_bytes;
	/* Topic Aliases we may set: the first topics published on a
	 * connection, as many as this and the broker's Topic Alias Maximum
	 * allow, each up to alias_topic_bytes, then go by alias alone. */
	uint16_t out_topic_aliases;
	/* Filters kept to restore, and their bytes. */
	uint16_t subscriptions;
	uint32_t subscription_bytes;
	/* SUBSCRIBE and UNSUBSCRIBE requests awaiting acknowledgement, and
	 * their encoded bytes. */
	uint16_t requests;
	uint32_t request_bytes;
	/* The caller keeps what it has not seen completed: see above. */
	bool durable;
};

enum mqtt_session_state {
	MQTT_SESSION_IDLE,	 /* no connection; connect() may be called */
	MQTT_SESSION_CONNECTING, /* CONNECT written, CONNACK awaited */
	MQTT_SESSION_CONNECTED,
};

struct mqtt_connect_options {
	/* Client identifier, Clean Start, keep-alive (seconds), Will, user
	 * name and password, as the CONNECT packet carries them. */
	struct mqtt_connect packet;
	/* 5.0 CONNECT properties: Session Expiry Interval, Request Response
	 * or Problem Information, User Properties.  Receive Maximum,
	 * Maximum Packet Size and Topic Alias Maximum come from the
	 * configuration; Authentication Method is refused. */
	struct mqtt_properties props;
	/* How long to wait for CONNACK; 0 for the default. */
	uint32_t connect_timeout_ms;
};

enum mqtt_event_type {
	MQTT_EVENT_NONE = 0,
	/* CONNACK accepted the connection: session_present, props. */
	MQTT_EVENT_CONNECTED,
	/* The connection ended: error (0 after our own disconnect), fault,
	 * reason_code and props (the broker's CONNACK or DISCONNECT). */
	MQTT_EVENT_CLOSED,
	/* An application message: message (topic resolved from its alias),
	 * props. */
	MQTT_EVENT_MESSAGE,
	/* A QoS 1 or 2 publish completed: token, error, reason_code. */
	MQTT_EVENT_PUBLISHED,
	/* SUBACK: token (0 for a subscription restored by the session),
	 * reason_codes (one per filter), error (the first failure's). */
	MQTT_EVENT_SUBSCRIBED,
	/* UNSUBACK: token, reason_codes (5.0), error. */
	MQTT_EVENT_UNSUBSCRIBED,
	/* A durable session's QoS 2 message reached the broker (PUBREC):
	 * token, packet_id.  Its PUBREL waits for mqtt_session_release(). */
	MQTT_EVENT_RECEIVED,
};

/*
 * One event.  Its views point into the session's memory and stay valid
 * until the next call that changes the session (anything but the const
 * queries).
 */
struct mqtt_event {
	enum mqtt_event_type type;
	int error;
	enum mqtt_fault fault;
	uint8_t reason_code;
	bool session_present;
	uint32_t token;
	/* PUBLISHED and RECEIVED: the message's packet identifier (0 for
	 * QoS 0); MESSAGE: the broker's. */
	uint16_t packet_id;
	struct mqtt_publish message;
	struct mqtt_bytes reason_codes;
	struct mqtt_properties props;
};

/* The tables, each carved from the caller's memory. */
struct mqtt_out_message;
struct mqtt_pending_ack;
struct mqtt_subscription_entry;
struct mqtt_request;

struct mqtt_session {
	struct mqtt_session_config cfg;
	struct mqtt_codec codec;
	enum mqtt_session_state state;
	uint64_t now;

	/* Bytes from the broker: [in_start, in_end); the first in_held of
	 * them are a packet the last event points into. */
	uint8_t *in;
	uint32_t in_start, in_end, in_held;
	/* Bytes for the broker: [out_start, out_end). */
	uint8_t *out;
	uint32_t out_start, out_end;

	/* Outbound messages in the order they were published (PUBREL ones
	 * in the order their PUBREC came), their bytes in msg_pool. */
	struct mqtt_out_message *msgs;
	uint32_t msg_count;
	uint8_t *msg_pool;
	uint32_t msg_pool_used;
	uint32_t inflight;

	uint16_t *qos2_ids;
	uint32_t qos2_count;

	struct mqtt_pending_ack *acks;
	uint32_t ack_head, ack_count;

	uint16_t *alias_len;
	uint8_t *alias_topics;
	/* Ours on this connection: out_alias_count of them set, of at most
	 * out_alias_limit (0 until the CONNACK allows some).  publishes_out
	 * counts the PUBLISH packets written on it; out_alias_used holds its
	 * value when each alias's topic last went out. */
	uint16_t *out_alias_len;
	uint8_t *out_alias_topics;
	uint32_t *out_alias_used;
	uint16_t out_alias_count, out_alias_limit;
	uint32_t publishes_out;

	struct mqtt_subscription_entry *subs;
	uint32_t sub_count;
	uint8_t *sub_pool;
	uint32_t sub_pool_used;
	uint32_t reserved_subs, reserved_sub_bytes;
	uint32_t restore_next;
	bool restoring;

	struct mqtt_request *reqs;
	uint32_t req_count;
	uint8_t *req_pool;
	uint32_t req_pool_used;

	uint64_t *ids_in_use;
	uint32_t ids_held;
	uint16_t next_packet_id;
	uint32_t next_token;

	/* This connection. */
	bool clean_start;
	uint16_t keep_alive_s;
	uint16_t broker_receive_maximum;
	uint8_t broker_maximum_qos;
	bool broker_retain, broker_wildcard, broker_subscription_ids,
	    broker_shared;
	uint64_t connack_deadline;
	uint64_t last_rx, last_tx, ping_sent_at;
	bool ping_wanted;

	/* The CLOSED event, until polled. */
	bool closed_pending;
	struct mqtt_event closed;
};

/* Memory needed for cfg, or 0 if cfg is out of bounds. */
size_t mqtt_session_memory_size(const struct mqtt_session_config *cfg);

/* 0, -EINVAL (cfg out of bounds) or -ENOMEM (mem too small).  mem must
 * stay valid, and untouched by the caller, as long as s is used. */
int mqtt_session_init(struct mqtt_session *s,
		      const struct mqtt_session_config *cfg, void *mem,
		      size_t len);

/* Starts a connection: the CONNECT is in the output.  0, -EISCONN,
 * -EINVAL, -EOPNOTSUPP or -EMSGSIZE. */
int mqtt_session_connect(struct mqtt_session *s, uint64_t now_ms,
			 const struct mqtt_connect_options *o);

/* Takes bytes from the broker: how many fit (0 when the buffer holds a
 * whole packet not yet polled), or -ENOTCONN. */
ssize_t mqtt_session_input(struct mqtt_session *s, uint64_t now_ms,
			   const uint8_t *data, size_t len);

/* The next event: 1 and *ev filled, or 0 when there is none yet. */
int mqtt_session_poll(struct mqtt_session *s, struct mqtt_event *ev);

/* Acts on the time: keep-alive, and the deadlines for CONNACK and the
 * broker's silence.  Returns mqtt_session_next_deadline(). */
uint64_t mqtt_session_tick(struct mqtt_session *s, uint64_t now_ms);
/* When tick must next be called; UINT64_MAX for never.  It may move
 * after any other call. */
uint64_t mqtt_session_next_deadline(const struct mqtt_session *s);

/* The bytes waiting to be sent, and how many were. */
size_t mqtt_session_output(const struct mqtt_session *s, const uint8_t **data);
/* 0, or -EINVAL if n exceeds what mqtt_session_output showed. */
int mqtt_session_output_done(struct mqtt_session *s, uint64_t now_ms, size_t n);

/*
 * Queues an application message; props may be NULL (5.0 PUBLISH
 * properties, without Topic Alias or Subscription Identifier).  QoS 1
 * and 2 report completion with a PUBLISHED event carrying *token; QoS 0
 * is done once written out.  0, -ENOTCONN, -EINVAL, -EOPNOTSUPP,
 * -EMSGSIZE or -ENOBUFS.
 */
int mqtt_session_publish(struct mqtt_session *s, const struct mqtt_publish *m,
			 const struct mqtt_properties *props, uint32_t *token);

/*
 * A durable session's publish, with the caller's packet identifier for
 * QoS 1 and 2 (1 to MQTT_SESSION_OWN_IDS_FIRST - 1; 0 for QoS 0).  Also
 * while no connection is open.  0, -EINVAL, -EBUSY (the identifier is in
 * use), -EOPNOTSUPP, -EMSGSIZE or -ENOBUFS.
 */
int mqtt_session_publish_id(struct mqtt_session *s,
			    const struct mqtt_publish *m,
			    const struct mqtt_properties *props,
			    uint16_t packet_id, uint32_t *token);

/* What the queue of messages to send has room for now. */
struct mqtt_session_room {
	uint32_t messages, bytes;
	/* At most this much of the queue per QoS 0 message besides its
	 * topic and payload; packets larger than packet_max are refused. */
	uint32_t qos0_overhead, packet_max;
};
void mqtt_session_room(const struct mqtt_session *s,
		       struct mqtt_session_room *out);

/* A durable session's QoS 2 message whose RECEIVED event the caller has
 * recorded: its PUBREL may go.  0, or -ENOENT. */
int mqtt_session_release(struct mqtt_session *s, uint16_t packet_id);

/*
 * Takes back, into a durable session with no connection open, a QoS 1
 * or 2 message a lost session held: sent again with DUP set on the next
 * connection, or, `released` (its PUBREC was recorded), only its PUBREL.
 * 0, -EINVAL, -EISCONN, -EBUSY, -EMSGSIZE or -ENOBUFS.
 */
int mqtt_session_restore(struct mqtt_session *s, const struct mqtt_publish *m,
			 uint16_t packet_id, bool released, uint32_t *token);
/* Takes back a subscription to restore if the broker kept no session.
 * 0, -EINVAL or -ENOBUFS. */
int mqtt_session_restore_subscription(struct mqtt_session *s,
				      const struct mqtt_subscription *sub);

/* One SUBSCRIBE of n filters; subscription_id 0 for none (5.0 only).
 * 0, -ENOTCONN, -EINVAL, -EOPNOTSUPP, -EMSGSIZE or -ENOBUFS. */
int mqtt_session_subscribe(struct mqtt_session *s,
			   const struct mqtt_subscription *list, size_t n,
			   uint32_t subscription_id, uint32_t *token);
/* One UNSUBSCRIBE of n filters.  0, -ENOTCONN, -EINVAL, -EMSGSIZE or
 * -ENOBUFS. */
int mqtt_session_unsubscribe(struct mqtt_session *s,
			     const struct mqtt_bytes *filters, size_t n,
			     uint32_t *token);

/* Writes a DISCONNECT (5.0: reason 0, or 0x04 to have the broker
 * publish the Will) and closes; a CLOSED event with error 0 follows.
 * The session is kept for the next connect.  0, -ENOTCONN or -EINVAL. */
int mqtt_session_disconnect(struct mqtt_session *s, uint8_t reason_code);

/* The caller's transport ended: closes with MQTT_FAULT_TRANSPORT_CLOSED
 * (if open) and drops the output. */
void mqtt_session_transport_closed(struct mqtt_session *s);

enum mqtt_session_state mqtt_session_state(const struct mqtt_session *s);

/* Messages held (sent or not) and those awaiting acknowledgement. */
uint32_t mqtt_session_queued(const struct mqtt_session *s);
uint32_t mqtt_session_inflight(const struct mqtt_session *s);
/* The subscriptions kept, one by one: 1 and the filter, or 0 past the
 * end. */
int mqtt_session_subscription(const struct mqtt_session *s, uint32_t i,
			      struct mqtt_subscription *out);

/* Checks every invariant of the state: 0, or -EFAULT.  For tests and
 * fuzzing. */
int mqtt_session_check(const struct mqtt_session *s);

#endif
