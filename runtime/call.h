/*
 * Calls between compartments.
 *
 * A compartment is one process running one event loop.  It talks to each
 * other compartment it may call, or that may call it, through one channel;
 * the runtime calls the far end of a channel a peer.  Everything here runs
 * on the loop's thread.
 *
 * Caller side: sn_call() sends a request and runs the loop until the reply
 * arrives, the deadline passes, or the peer dies; requests that arrive
 * meanwhile (callbacks) are served.  sn_call_async() returns at once and
 * reports the outcome to a function.
 *
 * Callee side: a table maps each export the compartment implements to a
 * handler.  A handler answers at once with sn_reply_ok()/sn_reply_error(),
 * or keeps a struct sn_deferred and answers later, when the work it waits
 * for completes.  The runtime has already checked that the peer may call
 * that export, that the message verifies and that its body is the one the
 * export takes.
 */
#ifndef SEALNET_CALL_H
#define SEALNET_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "fb.h"
#include "loop.h"
#include "sealnet/errors.h"
#include "sealnet/start.h"
#include "sealnet_msg.h"

/* The largest message any channel carries. */
#define SN_MAX_MESSAGE SN_CHANNEL_MAX_MESSAGE
/* A peer's calls to us that may be unanswered at once: past this we stop
 * reading its ring, so a flood fills the flooder's own ring.  Waits
 * (sn_defer_wait) are not among them. */
#define SN_MAX_IN_FLIGHT 16u
/* A peer's waits that may be parked at once.  Each is kept in a slot of
 * something the peer holds under a quota (a socket's receive, a session's
 * receive), so the quotas bound them long before this does; past it a
 * wait counts as in flight, and the bound above applies. */
#define SN_MAX_WAITING 4096u
/* Our calls to one peer that may be unanswered at once. */
#define SN_MAX_PENDING	 128u
#define SN_MAX_PEERS	 32u
#define SN_PEER_NAME_MAX 32u
#define SN_EXPORT_WORDS	 2u /* bitmap over export ids < 128 */
/* Exports one compartment may serve. */
#define SN_MAX_HANDLERS 32u

/* Static capabilities a peer holds, as the image grants them. */
#define SN_MAX_HELD_CAPABILITIES 16u
#define SN_HOST_MAX		 253u
/* The longest name of a client identity a connection capability names. */
#define SN_IDENTITY_MAX 32u
/* Compartments one peer may hand its sockets to. */
#define SN_MAX_DELEGATES 4u
/* An MQTT capability's topic filters, publish ones first, each ending in
 * its NUL, at most this many bytes and this many filters in all. */
#define SN_MQTT_FILTER_BYTES 512u
#define SN_MQTT_FILTERS_MAX  16u

enum sn_capability_kind {
	SN_CAPABILITY_CONNECTION = 1,
	SN_CAPABILITY_BIND = 2,
};

struct sn_capability {
	enum sn_capability_kind kind;
	uint8_t protocol; /* SN_PROTOCOL_TCP or _UDP; connections only */
	bool ipv6;	  /* binds only */
	uint16_t port;
	uint16_t max_connections; /* binds only */
	char host[SN_HOST_MAX + 1];
	/* The client identity TLS presents for it; "" for none.
	 * Connections only. */
	char identity[SN_IDENTITY_MAX + 1];
	/* An MQTT capability's grant (the schema's MqttGrant): its protocol
	 * level, or 0 for a capability that names no MQTT broker; whether
	 * the broker is reached without TLS; the filters it may publish to
	 * and subscribe to; the credentials it logs in with ("" for none). */
	uint8_t mqtt_version;
	bool mqtt_plaintext;
	uint8_t mqtt_publish, mqtt_subscribe;
	uint16_t mqtt_filter_bytes;
	char mqtt_filters[SN_MQTT_FILTER_BYTES];
	char mqtt_credentials[SN_IDENTITY_MAX + 1];
};

/* ---- MQTT grants (grant.c) ---- */

/* Appends a filter of 1..SN_MQTT_FILTER_BYTES-1 bytes, without NUL, to
 * the publish or subscribe filters (publish ones before any subscribe
 * one).  0, -EINVAL or -ENOSPC. */
int sn_capability_add_mqtt_filter(struct sn_capability *c, bool publish,
				  const char *filter, size_t len);
/* The i-th filter (publish ones first), NUL-terminated, or NULL. */
const char *sn_capability_mqtt_filter(const struct sn_capability *c,
				      unsigned i);
/* c's MQTT grant from a verified MqttGrant table: 0 or -EINVAL. */
int sn_capability_mqtt_read(struct sn_capability *c, sn_mqtt_grant_ref g);
/* An MqttGrant table for c's grant (c->mqtt_version != 0). */
uint32_t sn_capability_mqtt_build(sn_builder *b, const struct sn_capability *c);
/* Whether the grant presented (absent: pos 0) is exactly c's. */
bool sn_capability_mqtt_same(const struct sn_capability *c,
			     sn_mqtt_grant_ref presented);

struct sn_compartment;
struct sn_peer;
struct sn_incoming;

typedef void (*sn_reply_fn)(void *ctx, int status, const sn_message_ref *reply);

/* A successful reply that came after its caller gave up (see
 * sn_peer_on_late_reply). */
typedef void (*sn_late_reply_fn)(struct sn_peer *p, uint16_t export_id,
				 const sn_message_ref *reply);

/* Calls given up on whose answers may still come: enough for a burst of
 * timeouts, each answered within moments of its deadline. */
#define SN_MAX_ABANDONED 32u

struct sn_abandoned_call {
	uint64_t call_id; /* 0: none */
	uint16_t export_id;
};

struct sn_pending_call {
	uint64_t call_id; /* 0: free slot */
	uint16_t export_id;
	int timer;
	/* Synchronous calls copy the reply here; asynchronous ones call done.
	 */
	uint8_t *reply_buf;
	size_t reply_cap;
	size_t reply_len;
	uint32_t reply_pos;
	int status;
	bool complete;
	sn_reply_fn done;
	void *done_ctx;
	struct sn_peer *peer;
};

/* A reply built but not yet accepted by a full ring, queued in order.
 * An unsent reply still counts as in flight, so a peer has at most
 * SN_MAX_IN_FLIGHT + SN_MAX_WAITING of them, and fewer than that unless
 * it stops reading its ring while its waits are answered. */
struct sn_outbox_entry {
	struct sn_outbox_entry *next;
	size_t len;
	_Alignas(8) uint8_t msg[];
};

struct sn_peer_stats {
	uint64_t calls_served;
	uint64_t calls_refused;	       /* export not imported by this peer */
	uint64_t capabilities_refused; /* presented one it does not hold */
	uint64_t messages_rejected;    /* failed verification */
	uint64_t replies_unmatched;    /* reply to no call of ours */
	uint64_t replies_late;	       /* to a call we had given up on */
	uint64_t replies_queued; /* ring was full when a reply was ready */
	uint64_t replies_lost;	 /* our reply reached no one (logged) */
};

/* Resources a compartment holds for a peer, bounded by the peer's quotas
 * in the image. */
enum sn_quota {
	SN_QUOTA_SOCKETS,
	SN_QUOTA_BUFFERED_BYTES,
	SN_QUOTA_TLS_SESSIONS,
	SN_QUOTA_MQTT_CONNECTIONS,
	SN_QUOTA_COUNT
};

struct sn_peer {
	struct sn_channel channel;
	struct sn_compartment *owner;
	char name[SN_PEER_NAME_MAX];
	/* Exports of ours this peer may call: set from the image by whoever
	 * starts the compartment, never from anything the peer sends. */
	uint64_t may_call[SN_EXPORT_WORDS];
	/* Static capabilities the peer holds, likewise from the image.  A
	 * request presenting any other is refused before a handler runs. */
	struct sn_capability held[SN_MAX_HELD_CAPABILITIES];
	unsigned nheld;
	/* Compartments the peer may hand its sockets to, likewise. */
	char delegates_to[SN_MAX_DELEGATES][SN_PEER_NAME_MAX];
	unsigned ndelegates;
	/* What this compartment may hold for the peer, from the image, and
	 * what it holds now. */
	uint64_t quota[SN_QUOTA_COUNT], quota_used[SN_QUOTA_COUNT];
	/* Bumped when the peer dies: a deferred reply for an earlier
	 * incarnation must not reach its successor. */
	uint32_t incarnation;
	bool dead;
	/* A send found the peer dead while code that may hold its state ran
	 * (a handler, a timer, a reply's done function): its death's work,
	 * which frees that state through the death callbacks and resets
	 * the counts below, waits for the end of the turn (sn_peer_died). */
	bool death_seen;
	/* Calls read and not yet answered (or answered into the outbox),
	 * and waits parked by handlers. */
	uint32_t in_flight, waiting;
	uint64_t next_call_id;
	struct sn_pending_call pending[SN_MAX_PENDING];
	struct sn_abandoned_call abandoned[SN_MAX_ABANDONED];
	unsigned next_abandoned;
	sn_late_reply_fn late_reply;
	struct sn_outbox_entry *outbox_head, *outbox_tail;
	uint32_t outbox_count;
	/* A synchronous call whose reply buffer holds a whole message: what
	 * this peer sends is received straight into it while it waits, so
	 * its reply is not copied a second time. */
	struct sn_pending_call *receives_into;
	struct sn_peer_stats stats;
};

/* What a handler receives.  The request is valid only until the handler
 * returns; to answer later, take a struct sn_deferred with sn_defer(). */
struct sn_incoming {
	struct sn_peer *peer;
	uint64_t call_id;
	uint64_t deadline_ns;
	uint16_t export_id;
	sn_message_ref request;
	bool answered;
	/* A notice (sn_notify): its answers go nowhere, so a handler of a
	 * one-way export never makes one. */
	bool notice;
};

struct sn_deferred {
	struct sn_peer *peer;
	uint32_t incarnation;
	uint64_t call_id;
	uint64_t deadline_ns;
	uint16_t export_id;
	bool waiting; /* taken by sn_defer_wait, and counted as a wait */
};

/*
 * Builds a reply body.  The builder already holds the reply's Message
 * table; the function starts the body table in it and returns its
 * position, or 0 if it failed (the builder's sticky error says why).
 */
typedef uint32_t (*sn_body_fn)(sn_builder *b, void *ctx);

struct sn_handler {
	uint16_t export_id;
	void (*serve)(void *ctx, struct sn_incoming *in);
};

/* Takes n of q for p: 0, or -EDQUOT (and nothing taken) past its quota. */
int sn_quota_take(struct sn_peer *p, enum sn_quota q, uint64_t n);
/* Takes as much of n as q has left for p: how much that was. */
uint64_t sn_quota_take_up_to(struct sn_peer *p, enum sn_quota q, uint64_t n);
void sn_quota_give(struct sn_peer *p, enum sn_quota q, uint64_t n);

/*
 * What the runtime calls when a peer dies, when a dead peer's successor
 * has joined, and after each turn of the loop.  Each event keeps up to
 * SN_MAX_CALLBACKS functions, registered with sn_compartment_on_*() and
 * called in the order they were registered, each with its own ctx.
 */
#define SN_MAX_CALLBACKS SEALNET_MAX_CALLBACKS

/* For what the peer owned here (sockets), or what belonged to its
 * predecessor (a Firewall's rules for TCPIP). */
typedef void (*sn_peer_event_fn)(void *ctx, struct sn_peer *p);
/* The place to send what a turn gathered (frames). */
typedef void (*sn_turn_done_fn)(void *ctx);

struct sn_peer_callback {
	sn_peer_event_fn fn;
	void *ctx;
};

struct sn_turn_callback {
	sn_turn_done_fn fn;
	void *ctx;
};

struct sn_compartment {
	const char *name;
	struct sn_loop loop;
	struct sn_peer *peers[SN_MAX_PEERS];
	unsigned npeers;
	const struct sn_handler *handlers;
	unsigned nhandlers;
	void *ctx;
	/* Private copies of received messages are verified here. */
	_Alignas(8) uint8_t rx[SN_MAX_MESSAGE];
	/* Replies and requests are built here, one at a time. */
	_Alignas(8) uint8_t tx[SN_MAX_MESSAGE];
	sn_builder tx_builder;
	uint32_t tx_message;
	/* Peers whose outbox holds replies a full ring did not take. */
	unsigned peers_with_outbox;
	struct sn_peer_callback on_peer_died[SN_MAX_CALLBACKS];
	struct sn_peer_callback on_peer_restarted[SN_MAX_CALLBACKS];
	struct sn_turn_callback on_turn_done[SN_MAX_CALLBACKS];
};

int sn_compartment_init(struct sn_compartment *c, const char *name,
			const struct sn_handler *handlers, unsigned nhandlers,
			void *ctx);

/*
 * Registers fn(ctx, peer) for when a peer dies (sn_peer_died: its calls
 * in flight have already failed).  It runs from the loop, never inside a
 * handler, a timer or a reply's done function, even when one of those is
 * what found the peer dead: what it frees is never in use.  Or fn(ctx,
 * peer) for when its successor
 * has joined, or fn(ctx) for the end of each turn of the loop.  After
 * sn_compartment_init() or sn_compartment_boot(), which clear them.
 * Returns 0, -EINVAL for a null fn, -EEXIST if fn is registered with
 * that ctx already, or -ENOSPC past SN_MAX_CALLBACKS.
 */
int sn_compartment_on_peer_died(struct sn_compartment *c, sn_peer_event_fn fn,
				void *ctx);
int sn_compartment_on_peer_restarted(struct sn_compartment *c,
				     sn_peer_event_fn fn, void *ctx);
int sn_compartment_on_turn_done(struct sn_compartment *c, sn_turn_done_fn fn,
				void *ctx);

/*
 * Joins the channel `fds` (side `side`, made by the parent) to the
 * compartment as a peer named `peer_name`, and performs the schema
 * handshake.  On -EPROTO, err holds both schema hashes.
 */
int sn_compartment_add_peer(struct sn_compartment *c, struct sn_peer *p,
			    const struct sn_channel_fds *fds, unsigned side,
			    const char *peer_name, uint64_t deadline_ns,
			    char *err, size_t errlen);

/* Who the peer is, as a handle owner: which peer, and which incarnation
 * of it, so a successor does not inherit its predecessor's handles. */
uint32_t sn_peer_identity(const struct sn_peer *p);

/* Allows the peer to call export_id on us. */
void sn_peer_allow(struct sn_peer *p, uint16_t export_id);

/* Records that the peer holds cap.  -ENOSPC past SN_MAX_HELD_CAPABILITIES,
 * -EINVAL for a malformed one. */
int sn_peer_grant(struct sn_peer *p, const struct sn_capability *cap);

/* Records that the peer may hand its sockets to the compartment `name`.
 * -ENOSPC past SN_MAX_DELEGATES, -EINVAL for a bad name. */
int sn_peer_allow_delegation(struct sn_peer *p, const char *name);
/* Whether the image lets the peer hand its sockets to `name`. */
bool sn_peer_may_delegate_to(const struct sn_peer *p, const char *name);

/* Joins a channel like sn_compartment_add_peer, without waiting for the
 * peer: its schema hash is checked before its first message is read. */
int sn_compartment_attach_peer(struct sn_compartment *c, struct sn_peer *p,
			       const struct sn_channel_fds *fds, unsigned side,
			       const char *peer_name);

/* Replaces a dead peer's channel with the one its successor was given. */
int sn_peer_reattach(struct sn_peer *p, const struct sn_channel_fds *fds,
		     unsigned side);

/* Serves calls until sn_loop_stop(&c->loop). */
int sn_compartment_serve(struct sn_compartment *c);

/* One turn of sn_compartment_serve(): waits for work, does it, returns. */
int sn_compartment_serve_step(struct sn_compartment *c);
/* The same, waiting no later than deadline_ns (0: no limit). */
int sn_compartment_serve_step_until(struct sn_compartment *c,
				    uint64_t deadline_ns);
/* A turn that serves only what is ready now and never waits; returns how
 * much ran.  For fuzz targets, which turn the loop once per input. */
int sn_compartment_serve_ready(struct sn_compartment *c);

/*
 * Calls export_id on the peer and waits for the reply until timeout_ns
 * from now.  body_type and body are the request body, built by the caller
 * with sn_call_builder(); the reply is copied into reply_buf and *reply
 * refers to it.  Returns the reply's status (0 or a negative errno), or:
 *   -ETIMEDOUT            the deadline passed, the peer's ring full all along
 *                         included (nothing was sent then)
 *   -SEALNET_ECOMPARTMENT the peer is or became dead, or broke its ring
 *   -EBUSY                SN_MAX_PENDING calls to the peer are unanswered
 *   -EMSGSIZE             the request outgrew a message, or the reply
 *                         reply_cap
 *   -EINVAL               the request body was built wrongly
 *   -ECANCELED            the loop was stopped (the supervisor is gone)
 *
 * Not from a handler: while sn_call waits, the loop reads every peer's
 * messages into the buffer the handler's request lives in, so the
 * request would be another message's bytes afterwards.  A handler calls
 * with sn_call_async and answers later (sn_defer).
 */
int sn_call(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
	    uint32_t body, uint64_t timeout_ns, uint8_t *reply_buf,
	    size_t reply_cap, sn_message_ref *reply);

/*
 * The builder a request body goes into: it already holds the request's
 * Message table.  Valid until the next call or reply.
 */
sn_builder *sn_call_builder(struct sn_compartment *c);

/*
 * Sends a request and returns at once; done runs later with the status
 * and, on success, the reply (valid only during done).  Returns 0, or a
 * negative errno if the request could not be sent (done will not run).
 */
int sn_call_async(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
		  uint32_t body, uint64_t timeout_ns, sn_reply_fn done,
		  void *done_ctx);

/*
 * Sends a notice: a request for a one-way export (the schema's
 * sealnet_one_way), which gets no reply and so never wakes us.  Returns
 * 0 once the peer's ring holds it; -EAGAIN when the ring lacks room
 * (nothing sent: keep it, stop making more, and send it again at the end
 * of a turn; the turn comes when the peer has taken enough to make
 * room); -SEALNET_ECOMPARTMENT when the peer is or became dead; -EMSGSIZE
 * or -EINVAL as sn_call.  A notice is not counted in flight at either
 * end: the peer serves it when it reads it, and its ring is the bound.
 */
int sn_notify(struct sn_peer *p, uint16_t export_id, uint8_t body_type,
	      uint32_t body);

/*
 * A callee may finish a call just as its caller's deadline passes; the
 * caller has returned -ETIMEDOUT, but whatever the callee made for it (a
 * socket, a session) exists.  fn receives each such successful reply, so
 * the caller can release what nobody will use.  Without it they are
 * counted and dropped.
 */
void sn_peer_on_late_reply(struct sn_peer *p, sn_late_reply_fn fn);
/* The id of the last call sent to p, right after sn_call_async returned
 * 0: a late reply to it carries the same (sn_message_call_id), for a
 * caller whose replies say nothing of what was asked (an Empty one) and
 * who must undo what that call did. */
uint64_t sn_peer_last_call_id(const struct sn_peer *p);

/* The builder for a reply body to `in`, already holding the reply. */
sn_builder *sn_reply_builder(struct sn_compartment *c);

/*
 * Answer a call: 0, or why the reply reached no one (the caller died or
 * broke its ring, or a full ring's queue had no memory).  Such a loss is
 * counted (stats.replies_lost) and logged by the runtime, and there is
 * nothing else to do about it: a handler may ignore the result.
 */
int sn_reply_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body);
int sn_reply_error(struct sn_incoming *in, int negative_errno);

/* Keeps what is needed to answer `in` after the handler returns. */
void sn_defer(struct sn_incoming *in, struct sn_deferred *out);
/*
 * As sn_defer, for a call that waits on the network or on another
 * compartment for as long as it takes (a receive, an accept, a connect):
 * it stops counting toward the peer's SN_MAX_IN_FLIGHT, so a peer that
 * keeps a receive waiting on each of its sockets can still make other
 * calls.  Only for an answer kept in a slot of something the peer holds
 * under a quota, one call per slot, so that the quota bounds the waits.
 */
void sn_defer_wait(struct sn_incoming *in, struct sn_deferred *out);
/* As sn_reply_ok, later; -SEALNET_ECOMPARTMENT (nothing sent, nothing
 * logged) when the caller's incarnation has gone since, which a handler
 * holding something for that caller uses to take it back. */
int sn_deferred_ok(struct sn_deferred *d, uint8_t body_type, uint32_t body);
int sn_deferred_error(struct sn_deferred *d, int negative_errno);

/*
 * Tells the runtime that the peer has died (the parent marked its channel
 * dead): calls in flight to it fail with -SEALNET_ECOMPARTMENT, and
 * deferred replies to it are dropped.
 */
void sn_peer_died(struct sn_peer *p);

#endif
