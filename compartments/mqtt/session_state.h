/*
 * What the session's files share behind session.h: the tables carved
 * from the caller's memory, a few small steps on them, and what one file
 * asks of another.  For the session's own files; callers use session.h.
 *
 *   session.c               memory, packet identifiers, the output and
 *                           its pump, input and events
 *   session_connection.c    CONNECT and CONNACK, keep-alive, closing
 *   session_outbound.c      our messages: the queue, the window, their
 *                           acknowledgements
 *   session_inbound.c       the broker's messages: topic aliases, QoS 2
 *   session_subscriptions.c subscriptions, requests, their restoration
 *   session_check.c         the invariants
 */
#ifndef SEALNET_MQTT_SESSION_STATE_H
#define SEALNET_MQTT_SESSION_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"
#include "session.h"

/* ---- the tables ---- */

enum out_state {
	OUT_QUEUED,	   /* to be sent (with DUP if sent_before) */
	OUT_AWAIT_PUBACK,  /* QoS 1, sent */
	OUT_AWAIT_PUBREC,  /* QoS 2, sent */
	OUT_PUBREL_QUEUED, /* QoS 2, PUBREC came: PUBREL to be sent */
	OUT_AWAIT_PUBCOMP, /* QoS 2, PUBREL sent */
	OUT_PUBREC_HELD,   /* QoS 2, durable: PUBREC came and was reported */
	OUT_REPORT,	   /* finished: to be reported, then dropped */
};

struct mqtt_out_message {
	uint32_t token;
	uint32_t offset; /* the encoded PUBLISH, in msg_pool */
	uint32_t length; /* 0 once PUBREC came */
	int32_t result;	 /* OUT_REPORT's outcome */
	uint16_t packet_id;
	uint8_t qos;
	uint8_t state;
	uint8_t reason_code;
	bool sent_before;
};

struct mqtt_pending_ack {
	uint8_t type;
	uint8_t reason_code;
	uint16_t packet_id;
};

struct mqtt_subscription_entry {
	uint32_t offset; /* the filter, in sub_pool */
	uint32_t subscription_id;
	uint16_t length;
	uint8_t options;
};

enum request_kind { REQ_SUBSCRIBE, REQ_UNSUBSCRIBE, REQ_RESTORE };

struct mqtt_request {
	uint32_t token;
	uint32_t offset; /* the encoded packet, in req_pool */
	uint32_t length;
	/* Room held in the subscription table for this SUBSCRIBE's filters
	 * until its SUBACK says which to keep. */
	uint32_t reserved_bytes;
	uint16_t reserved_count;
	uint16_t packet_id;
	uint8_t kind;
	bool sent;
};

/* ---- small steps ---- */

static inline uint64_t
later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t
sooner(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t
add_ms(uint64_t t, uint64_t d)
{
	return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

static inline void
see_time(struct mqtt_session *s, uint64_t now)
{
	/* A clock that steps back is held where it was. */
	s->now = later(s->now, now);
}

static inline bool
id_used(const struct mqtt_session *s, uint16_t id)
{
	return (s->ids_in_use[id / 64] >> (id % 64)) & 1u;
}

/* Removes len bytes at off from a pool filled to *used. */
static inline void
pool_cut(uint8_t *pool, uint32_t *used, uint32_t off, uint32_t len)
{
	memmove(pool + off, pool + off + len, *used - off - len);
	*used -= len;
}

/* ---- session.c ---- */

uint32_t session_new_token(struct mqtt_session *s);
void session_id_set(struct mqtt_session *s, uint16_t id, bool used);
/* A packet identifier no message or request of ours holds; 0 if none. */
uint16_t session_id_alloc(struct mqtt_session *s);
/* Writes p into the output, keeping the DISCONNECT reserve unless this
 * is the DISCONNECT.  0, -ENOBUFS when it does not fit yet, or the
 * codec's refusal (-EMSGSIZE: larger than the broker takes). */
int session_emit(struct mqtt_session *s, const struct mqtt_packet *p);
/* Copies an encoded packet into the output, keeping the reserve. */
int session_emit_bytes(struct mqtt_session *s, const uint8_t *bytes,
		       uint32_t len);
void session_write_disconnect(struct mqtt_session *s, uint8_t reason_code);
/* Sends whatever waits and fits, in order: acknowledgements, a PINGREQ,
 * requests, then messages. */
void session_pump(struct mqtt_session *s);
/* Queues an acknowledgement; the caller has made sure of the room. */
void session_push_ack(struct mqtt_session *s, enum mqtt_packet_type type,
		      uint16_t id);

/* ---- session_connection.c ---- */

/* Ends the connection with a CLOSED event (and, in 5.0, a DISCONNECT
 * when the fault has a reason code to tell the broker). */
void session_close(struct mqtt_session *s, enum mqtt_fault fault, int error,
		   uint8_t reason_code, const struct mqtt_properties *props);
/* Closes for a rule the packet broke; returns 0 (no event of its own:
 * the CLOSED event follows). */
int session_violation(struct mqtt_session *s, enum mqtt_fault f);
/* The handlers of the broker's packets return 1 with an event in *ev,
 * or 0 without one. */
int session_on_connack(struct mqtt_session *s, const struct mqtt_packet *p,
		       struct mqtt_event *ev);

/* ---- session_outbound.c ---- */

bool session_counts_inflight(uint8_t state);
/* Finishes message i: it is reported by the next poll. */
void session_msg_finish(struct mqtt_session *s, uint32_t i, int result,
			uint8_t reason);
/* Sends what the queue may send now, in order; false when the output is
 * full. */
bool session_pump_messages(struct mqtt_session *s);
/* PUBACK, PUBREC and PUBCOMP. */
int session_on_publish_ack(struct mqtt_session *s, const struct mqtt_packet *p,
			   struct mqtt_event *ev);
/* The next finished message to report, if any. */
int session_report(struct mqtt_session *s, struct mqtt_event *ev);

/* ---- session_inbound.c ---- */

int session_on_publish(struct mqtt_session *s, const struct mqtt_packet *p,
		       struct mqtt_event *ev);
int session_on_pubrel(struct mqtt_session *s, const struct mqtt_packet *p);

/* ---- session_subscriptions.c ---- */

struct mqtt_bytes session_sub_filter(const struct mqtt_session *s, uint32_t i);
int session_sub_find(const struct mqtt_session *s, struct mqtt_bytes filter);
void session_req_remove(struct mqtt_session *s, uint32_t i);
/* Queues a SUBSCRIBE for each kept filter, as room allows. */
void session_restore_subscriptions(struct mqtt_session *s);
/* SUBACK and UNSUBACK. */
int session_on_suback(struct mqtt_session *s, const struct mqtt_packet *p,
		      struct mqtt_event *ev);

#endif
