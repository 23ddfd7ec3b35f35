/*
 * What one TLS session does next, as an explicit state machine.  Pure:
 * no I/O, no runtime calls and no OpenSSL, so every path is tested
 * (tests/pump_test.c) and fuzzed (fuzz/pump.c) alone.  tls.c is the
 * shell: it asks pump_next() for an action, performs it, tells the pump
 * what came of it, and asks again until the answer is PUMP_NOTHING.
 *
 * The pump sees the session's engine through a view the shell fills
 * before each question (struct pump_engine): the engine's state, the
 * ciphertext waiting to go to TCPIP, how much ciphertext the engine
 * would take, and whether it would take plaintext.
 *
 * Each application call that waits is one flag; each call to TCPIP in
 * flight is another.  At most one of each is ever set, so:
 *   - one network_socket_send and one network_socket_receive in flight at
 *     a time, as TCPIP allows per socket;
 *   - the socket is closed exactly once;
 *   - each waiting call is answered exactly once.
 *
 * The actions, in the order pump_next() considers them:
 *
 *   PUMP_FAIL_CREATE    the create waits and the engine failed, or the
 *                       transport ended before the handshake: answer the
 *                       failure (the shell knows why)
 *   PUMP_CLOSE_SOCKET   the socket is open and nothing more can come of
 *                       it: the engine failed, the transport ended, the
 *                       create failed, or close_notify has gone out for a
 *                       close that waits
 *   PUMP_CLOSE_NOTIFY   a close waits on an established session: queue
 *                       close_notify (staged plaintext first)
 *   PUMP_SEND           ciphertext waits, the socket is open and no send
 *                       is in flight: hand it to TCPIP
 *   PUMP_ANSWER_CREATE  the create waits and the handshake is done
 *   PUMP_ANSWER_CLOSE   the close waits and the socket is closed
 *   PUMP_READ           a receive waits on a session past its handshake,
 *                       and the last read did not find the engine empty
 *                       (or the session ended since): read plaintext,
 *                       and answer if there is any, or the session's
 *                       end; else report pump_read_starved()
 *   PUMP_ANSWER_ROOM    a send waits for room, and the engine has it, or
 *                       the session ended: answer "0 taken" (the caller
 *                       sends again) or the end
 *   PUMP_RECEIVE        the create or a starved receive wants ciphertext,
 *                       the engine has room, no receive is in flight, the
 *                       socket is open and the transport has not ended:
 *                       ask TCPIP for at most the engine's room
 *   PUMP_NOTHING        wait for TCPIP's answers or the next call
 *
 * Plaintext goes to the engine only from an application's send on an
 * established session (the engine refuses it before), so nothing the
 * application says reaches a peer whose certificate was not verified.
 */
#ifndef SEALNET_TLS_PUMP_H
#define SEALNET_TLS_PUMP_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

enum pump_do {
	PUMP_NOTHING,
	PUMP_FAIL_CREATE,
	PUMP_CLOSE_SOCKET,
	PUMP_CLOSE_NOTIFY,
	PUMP_SEND,
	PUMP_ANSWER_CREATE,
	PUMP_ANSWER_CLOSE,
	PUMP_READ,
	PUMP_ANSWER_ROOM,
	PUMP_RECEIVE,
};

/* What the engine says, as the shell sees it just before it asks. */
struct pump_engine {
	enum tls_session_state state;
	/* Ciphertext waiting to go: taken from the engine and not yet
	 * accepted by TCPIP, plus what the engine still holds. */
	size_t to_send;
	/* What tls_session_feed would take now. */
	size_t feed_room;
	/* Whether tls_session_write would take plaintext now. */
	bool write_room;
};

struct pump {
	/* Application calls that wait for an answer. */
	bool create_waiting, receive_waiting, send_waiting, close_waiting;
	/* Calls to TCPIP in flight. */
	bool send_in_flight, receive_in_flight;
	/* The last read found no plaintext: more ciphertext is needed. */
	bool receive_starved;
	bool close_notify_queued;
	/* TCPIP said the stream ended, or failed: nothing more comes. */
	bool transport_ended;
	bool socket_closed;
	/* The create was answered with a failure, or the close was
	 * answered: the session goes once its socket is closed. */
	bool create_failed, close_answered;
};

/* A session whose create waits for its handshake. */
void pump_start(struct pump *p);

/* The next action, given the engine's view.  Flags the action as begun
 * (a call in flight, a call answered, the socket closed): the shell
 * must perform it, and report the outcome with the functions below. */
enum pump_do pump_next(struct pump *p, const struct pump_engine *e);

/* A send to TCPIP came back (the shell keeps what it did not take). */
void pump_sent(struct pump *p);
/* A receive from TCPIP came back: data fed to the engine, or the end of
 * the stream or a failure (ended). */
void pump_received(struct pump *p, bool ended);
/* A send to TCPIP failed: the stream is of no more use. */
void pump_transport_failed(struct pump *p);
/* The read of PUMP_READ found no plaintext yet. */
void pump_read_starved(struct pump *p);
/* An application call arrives.  Each is refused by the shell (-EBUSY)
 * while one of its kind waits. */
void pump_wait_receive(struct pump *p);
void pump_wait_send(struct pump *p);
void pump_wait_close(struct pump *p);
/* A waiting receive or send was answered by the shell outside
 * pump_next (its caller gave up, or the session failed). */
void pump_receive_answered(struct pump *p);
void pump_send_answered(struct pump *p);

/* Whether the shell may free the session: its create failed, or its
 * close was answered, and its socket is closed.  Calls still in flight
 * to TCPIP are then answered to nobody. */
bool pump_done(const struct pump *p);

#endif
