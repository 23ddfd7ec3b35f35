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

/*
 * Files a compartment's fuzz target hands it at boot, as the supervisor
 * hands the TLS compartment the image's trust anchors and identities:
 * fuzz_boot_files, if the target defines it (beside the compartment's
 * code, in FUZZ_SRCS_NAME_calls), fills up to max and says how many.
 */
struct fuzz_boot_file {
	const char *name;
	const uint8_t *data;
	size_t len;
	uint8_t sha256[32];
};
unsigned fuzz_boot_files(struct fuzz_boot_file *out, unsigned max)
    __attribute__((weak));

/*
 * Connection capabilities the compartment holds itself, as the image
 * grants the SNTP compartment its time servers: fuzz_boot_connections,
 * if the target defines it, fills up to max and says how many.
 */
struct fuzz_connection {
	uint8_t protocol;
	const char *host;
	uint16_t port;
};
unsigned fuzz_boot_connections(struct fuzz_connection *out, unsigned max)
    __attribute__((weak));

/* Called before each input, if the target defines it: a target whose
 * compartment waits seconds before it tries again lets each input try. */
void fuzz_input_begins(void) __attribute__((weak));

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
