/*
 * The replies fuzz/compartment_calls.c gives to the calls a compartment
 * under fuzzing makes.  A script, the bytes of the fuzz input after the
 * message, chooses each: an error, or a valid reply of the export's body
 * type, built with the codec from the script's next bytes and from what
 * the compartment has shown in its requests (its handles, the datagrams
 * it sent), so call chains run through their success paths as well as
 * their failures.  Without a script, or once it is spent, every call
 * fails with -EIO.
 */
#ifndef SEALNET_FUZZ_CALL_REPLIES_H
#define SEALNET_FUZZ_CALL_REPLIES_H

#include <stddef.h>
#include <stdint.h>

#include "sealnet_msg.h"

/* Checks the reply builders against the schema: 0, or -EPROTO when one
 * builds a body its export does not reply with. */
int call_replies_check(void);

/* Starts an input: its script (NULL, 0 for none); forgets what earlier
 * inputs showed. */
void call_replies_reset(const uint8_t *script, size_t len);

/* Takes note of what a request shows: handles, a datagram sent. */
void call_replies_observe(const sn_message_ref *request);

/* Builds the reply to the call call_id of export_id into out: its
 * length, or 0 if not even an error fits. */
size_t call_replies_build(uint64_t call_id, uint16_t export_id, uint8_t *out,
			  size_t cap);

#endif
