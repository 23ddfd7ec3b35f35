/*
 * The MQTT compartment's connections (connection.c, check.c,
 * transport.c, events.c): each one a durable session (session.h) driven
 * over a transport its owner delegated to us, a TLS session or, for a
 * broker its capability declares plaintext, a TCP socket.  We hold no
 * capability and open no connection: when a transport ends, the
 * connection waits, backing off, until the owner's mqtt_run is told a
 * new one is wanted and the owner hands one over (mqtt_reconnect).
 *
 * A connection's life, one state at a time:
 *
 *   CONNECTING  a transport, CONNECT written, CONNACK awaited
 *   UP          connected
 *   WAITING     no transport: at retry_ms the owner is asked for one
 *   CLOSING     the owner disconnected: DISCONNECT goes out, what the
 *               broker still sends is read and dropped until it closes
 *               (or MQTT_CLOSE_LINGER_MS), then the transport closes and
 *               the connection is freed
 *
 * Everything the broker sends becomes an event in the connection's inbox
 * (inbox.h) for the owner's mqtt_run.  mqtt.c serves the exports.
 */
#ifndef SEALNET_MQTT_CONNECTION_H
#define SEALNET_MQTT_CONNECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "handle.h"
#include "inbox.h"
#include "mqtt_const.h"
#include "session.h"

enum conn_state {
	CONN_FREE,
	CONN_CONNECTING,
	CONN_UP,
	CONN_WAITING,
	CONN_CLOSING,
};

struct conn {
	enum conn_state state;
	/* Changes with each transport, so that an answer to a call made on
	 * an earlier one is dropped. */
	uint32_t use;
	struct sn_handle_id id;
	struct sn_peer *owner;
	uint32_t owner_identity;
	/* The capability presented at connect: broker, filters, level. */
	struct sn_capability cap;
	/* The transport: a TLS session, or a TCP socket (plaintext). */
	bool have_transport;
	sn_handle transport;
	bool send_in_flight, receive_in_flight;
	uint32_t sending; /* bytes of the session's output handed over */
	/* Output waits until then, or the owner's next call. */
	uint64_t hold_output_until_ns;
	/* Bytes received that the session has not taken yet. */
	uint8_t rx[MQTT_IO_CHUNK];
	uint32_t rx_start, rx_len;
	/* What each CONNECT carries. */
	struct mqtt_connect_options options;
	char client_id[MQTT_CLIENT_ID_MAX];
	uint8_t will[MQTT_WILL_MAX];
	/* CLOSING: when we stop waiting for the broker to close first. */
	uint64_t closing_until_ms;
	/* Reconnection. */
	unsigned attempts;
	uint64_t retry_ms;
	bool transport_asked;
	/* The transport is held, unused, until TLS has said that its
	 * session was made for this capability's broker (check.c); a
	 * reconnect that gave it waits meanwhile. */
	bool checking, reconnect_waiting;
	struct sn_deferred reconnect_wait;
	/* Calls that wait. */
	bool connect_waiting, run_waiting, disconnect_waiting;
	struct sn_deferred connect_wait, run_wait, disconnect_wait;
	uint64_t run_seen;
	struct {
		bool waiting;
		uint32_t token;
		struct sn_deferred wait;
	} requests[MQTT_REQUESTS];
	int timer;
	struct mqtt_session session;
	struct inbox inbox;
};

extern struct sn_compartment compartment;

void connections_init(void);
/* A free connection for owner, within its quota: or NULL and why in *rc
 * (-EDQUOT, -ENOSPC, -EIO). */
struct conn *conn_alloc(struct sn_peer *owner, int *rc);
/* The connection h names, if p owns it; else NULL (logged, counted).
 * A call of the owner's ends the connection's hold on its output. */
struct conn *conn_lookup(struct sn_peer *p, sn_handle h);
/* Lets everything go: the transport (without DISCONNECT), the quota,
 * the handle, the slot; calls that wait are answered -ENOTCONN. */
void conn_free(struct conn *c);
/* The session, at the level the capability names: 0 or -EINVAL. */
int conn_session_init(struct conn *c);
/* The transport ended: it is closed, and the next attempt is due after
 * a back-off with jitter. */
void conn_back_off(struct conn *c);
/* Starts the session over the transport given: CONNECT written. */
int conn_start(struct conn *c, sn_handle transport);
/* Moves bytes and events until the connection must wait; arms its
 * timer.  The connection may be freed on return. */
void conn_run(struct conn *c);
/* The transport failed or ended: the session closes, and reconnects. */
void conn_transport_lost(struct conn *c, int error);
/* The owner could not make the transport it was asked for. */
void conn_transport_failed(struct conn *c, int error);
/* Every connection of a compartment that died goes; a transport
 * compartment's death ends the transports it carried. */
void connections_peer_died(struct sn_peer *p);

/* What an answer to a call on the transport carries back to find its
 * connection (the slot, and the transport the call was made on), and the
 * connection it finds: NULL once the transport was replaced or the
 * connection freed. */
void *conn_ticket(const struct conn *c);
struct conn *conn_from_ticket(void *ctx);

/* check.c: what a transport must be before CONNECT, with the
 * capability's credentials, goes out over it. */
/* Starts the session over the transport given, once TLS has said its
 * session was made for the capability's broker (a plaintext socket is
 * started at once): 0 (c->checking while TLS is asked), or a negative
 * errno, the transport then closed or left to the caller's clean-up. */
int conn_check_and_start(struct conn *c, sn_handle transport);
/* The check's end, whatever ended it: 0 for a session made for the
 * broker, else why not.  A connect refused frees the connection; a
 * reconnect refused backs off.  The connection may be freed on return. */
void conn_check_done(struct conn *c, int rc);

/* transport.c: the calls on the delegated transport. */
/* The compartment serving the transport's export (TLS's, or TCPIP's for
 * a plaintext broker). */
struct sn_peer *transport_peer(const struct conn *c, uint16_t tls_export,
			       uint16_t tcp_export);
/* Hands the session's output over: 0 or a negative errno. */
int transport_send(struct conn *c);
/* Asks for what the broker sent: 0 or a negative errno. */
int transport_receive(struct conn *c);
/* Closes the transport, best effort (one we cannot close goes when its
 * owner does): the close call's ticket, or 0 when none was made. */
uintptr_t transport_close(struct conn *c);
/* Closes, best effort, a transport handed over with a connect refused
 * before it had a connection (over quota, a malformed capability). */
void transport_close_unused(sn_handle transport, bool plaintext,
			    const char *owner);
/* Keeps a waiting disconnect to be answered when the close call `closed`
 * is: true, or false if it must be answered now. */
bool transport_close_answers(uintptr_t closed, const struct sn_deferred *d);
void transport_answer_disconnect(struct sn_deferred *d);

/* The owner was just handed messages: what the connection would send
 * now (their acknowledgements) waits for the owner's next call, or
 * MQTT_ACK_HOLD_NS, so that an answer goes out with it. */
void conn_hold_output(struct conn *c);

/* events.c: the session's events, the inbox and the waiting calls. */
/* Takes every event the session has while the inbox has room. */
void conn_take_events(struct conn *c);
/* Answers a waiting mqtt_run if it has something to say; or at once
 * with nothing if `now` (its deadline is near). */
void conn_answer_run(struct conn *c, bool now);
/* The owner took the events up to seen: held PUBRELs go. */
void conn_events_taken(struct conn *c, uint64_t seen);
/* A request slot for a SUBSCRIBE or UNSUBSCRIBE: its index, or -1. */
int conn_request_slot(struct conn *c);

#endif
