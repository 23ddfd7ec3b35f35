/*
 * The TLS compartment's bounds and timings, in one place.  The engine's
 * own (record sizes, the resumption cache, identities) are in engine.h.
 */
#ifndef SEALNET_TLS_CONST_H
#define SEALNET_TLS_CONST_H

#include "call.h"
#include "engine.h"

/* Sessions the compartment holds at once, for all its callers together;
 * each caller is held to its own tls_sessions quota within this. */
#define TLS_SESSIONS_MAX 128
/* Plaintext a receive hands out at most, and a send takes: what one
 * message carries beside its headers. */
#define TLS_CHUNK_MAX (SN_MAX_MESSAGE - 512)
/* How long a call to TCPIP that no application call waits for may take:
 * ciphertext the engine made on its own (alerts, key updates), or
 * close_notify.  Past it the transport is taken for dead. */
#define TLS_IO_TIMEOUT_NS (30ull * SN_SECOND)
/* How long a close waits for close_notify to leave before the socket is
 * closed anyway, when its caller gave no deadline. */
#define TLS_CLOSE_TIMEOUT_NS (5ull * SN_SECOND)
/* Files the image gives: the trust anchor bundle, and an identity's
 * certificate chain or key.  The system's bundle is about 200 KiB. */
#define TLS_TRUST_ANCHORS_MAX_BYTES (8u << 20)
#define TLS_IDENTITY_FILE_MAX_BYTES (1u << 20)
/* Steps one session may take in one go before it must wait for TCPIP or
 * for its caller: far more than the pump ever needs, a bound on a bug. */
#define TLS_PUMP_STEPS_MAX 64

#endif
