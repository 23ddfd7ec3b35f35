/*
 * What the engine's files share behind engine.h:
 *
 *   engine.c          sessions: host and ALPN checks, feed, take, write,
 *                     read, close, and what a finished handshake tells
 *   engine_context.c  the context: protocol settings, trust anchors,
 *                     client identities
 *   engine_cache.c    the resumption cache and the tickets it offers
 *   engine_errors.c   what a failed OpenSSL call means, as SEALNET_TLS_E*
 */
#ifndef SEALNET_TLS_ENGINE_INTERNAL_H
#define SEALNET_TLS_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"

/* A session's peer_alert before the peer has sent any. */
#define NO_ALERT (-1)

/* ---- engine_context.c ---- */

/* The index of the engine's identity of that name, or -1. */
int engine_find_identity(const struct tls_engine *engine, const char *name);

/* ---- engine_cache.c ---- */

void engine_cache_clear(struct tls_cache_entry *e);
int engine_on_new_session(struct ssl_st *ssl, struct ssl_session_st *ticket);
/* Sets the cached ticket for the session's key, if any, on its SSL; 0 or
 * -ENOMEM. */
int engine_offer_ticket(struct tls_session *s);

/* ---- engine_errors.c ---- */

void engine_fail(struct tls_session *s, int code);
/* Acts on an OpenSSL call's result `ret`; true if the call may be retried
 * once more ciphertext has arrived. */
bool engine_handle_result(struct tls_session *s, int ret);
/* The code a refused feed, write or read returns in each final state. */
ssize_t engine_refusal(const struct tls_session *s);

#endif
