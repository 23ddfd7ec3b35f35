/*
 * The TLS compartment's sessions (session.c): the table, each session's
 * engine state and buffers, and the shell that performs what its pump
 * (pump.h) decides, through TCPIP's socket calls on the socket the
 * application delegated.  tls.c serves the exports and calls in here.
 */
#ifndef SEALNET_TLS_SESSION_H
#define SEALNET_TLS_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "engine.h"
#include "handle.h"
#include "pump.h"
#include "tls_const.h"

struct session {
	bool in_use;
	/* Changes with each use of the slot, so that TCPIP's answer to a
	 * call made for an earlier session is dropped. */
	uint32_t use;
	struct sn_handle_id id;
	struct sn_peer *owner;
	uint32_t owner_identity;
	/* Whoever the handle is issued to: the owner, or the compartment
	 * the owner delegated the session to (tls_connection_delegate).
	 * Quotas and tickets stay the owner's. */
	struct sn_peer *user;
	uint32_t user_identity;
	/* The socket the owner delegated to us, as TCPIP named it to us. */
	sn_handle socket;
	struct tls_session engine;
	struct pump pump;
	/* Why the stream ended, when TCPIP said more than "it ended":
	 * -EPERM (not a socket delegated to us), -ETIMEDOUT, ... */
	int transport_error;
	struct sn_deferred create_wait, receive_wait, send_wait, close_wait;
	uint32_t receive_max;
	uint64_t created_ns;
	/* Ciphertext taken from the engine that TCPIP has not taken yet. */
	uint8_t tx[TLS_CIPHERTEXT_BUFFERED_MAX];
	size_t tx_len;
	/* Plaintext that sends with SEALNET_TLS_SEND_NO_FLUSH held back to
	 * fill a record. */
	uint8_t staged[TLS_PLAINTEXT_RECORD_MAX];
	size_t staged_len;
};

extern struct sn_compartment compartment;
extern struct tls_engine engine;

void sessions_init(void);

/* A free session for owner, within its tls_sessions quota: the slot and
 * its handle, or NULL and why in *rc (-EDQUOT, -ENOSPC, -EIO). */
struct session *session_alloc(struct sn_peer *owner, int *rc);
/* The session `h` names, if the caller `p` owns it; else NULL (-EPERM),
 * counted and logged. */
struct session *session_lookup(struct sn_peer *p, sn_handle h);
/* Lets the quota and the handle go, and the slot; calls still parked on
 * it, whoever made them, are answered -EPIPE. */
void session_free(struct session *s);
/* The handle moves to `to`: the user's stops working, and *out is the
 * one `to` uses from now on.  0, or -EIO (no randomness: the session is
 * freed). */
int session_delegate(struct session *s, struct sn_peer *to, sn_handle *out);

/* Runs the session's pump until it waits: every action it asks for is
 * performed.  The session may be freed on return (check in_use). */
void session_run(struct session *s);

/* The code a call on the session gets once it cannot go on: the
 * transport's error, the engine's, or SEALNET_TLS_EPEER_RESET. */
int session_failure(const struct session *s);

/* Asks TCPIP to close a socket delegated to us, answered to nobody. */
void session_close_socket(sn_handle socket);

/* Hands held-back plaintext to the engine, as much as it takes. */
void session_flush_staged(struct session *s);

/* Every session of a compartment that died goes, those it owns and
 * those delegated to it; its tickets too. */
void sessions_owner_died(struct sn_peer *p);

/* The time certificates are checked at, in Unix seconds: see
 * verify_time.c. */
int64_t tls_verification_time(void);

#endif
