/*
 * What the SDK's client functions share: the compartment sealnet_start()
 * booted, and the peer that serves an export.
 */
#ifndef SEALNET_SDK_H
#define SEALNET_SDK_H

#include <sys/types.h>

#include "call.h"
#include "sealnet/compartment.h"

/*
 * The peer serving export_id, into *out, for the API function named
 * `function` (which the log names when it is refused): 0, -ESRCH when no
 * compartment has booted in this process, or -EPERM when this one does
 * not import the export or its image joins it to no compartment serving
 * it.  Refusals are logged, the 1st, 2nd, 4th... of each export.
 */
int sn_sdk_peer(uint16_t export_id, const char *function, struct sn_peer **out);

/* A call of export_id that carries nothing (an Empty body), for the API
 * function named `function`: sn_call's result, the reply in *reply,
 * verified, in reply_buf (which must hold a whole message). */
int sn_sdk_call_empty(uint16_t export_id, const char *function,
		      uint64_t timeout_ns, void *reply_buf, size_t reply_cap,
		      sn_message_ref *reply);

/* What a receive that allocates returns: for n > 0 a malloc'd copy of
 * the n bytes at data in *buf, and n, or -ENOMEM; n <= 0 as it is.  The
 * sockets' and the TLS sessions' receives share it. */
ssize_t sn_sdk_received_copy(ssize_t n, const uint8_t *data, void **buf);

/* Whether this binary declares SEALNET_IMPORT of the export. */
bool sn_sdk_imports(uint16_t export_id);

/* The identity SEALNET_CONNECTION_IDENTITY gives the capability, or NULL
 * for none. */
const char *sn_sdk_identity_of(const struct sealnet_declaration *capability);

/* The MQTT grant of an MQTT capability, read from this binary's own
 * declarations in the order the image reads them, into c: 0, or -ENOENT
 * when d declares no MQTT broker.  *plaintext: the broker is reached
 * without TLS. */
int sn_sdk_mqtt_grant_of(const struct sealnet_declaration *d,
			 struct sn_capability *c);

/* sdk/tls.c, for sdk/mqtt.c: hands session s to the compartment `to`
 * (tls_connection_delegate) and forgets it; *out is the handle `to` uses. */
#include "sealnet/tls.h"
int sn_tls_delegate(uint64_t timeout_ns, sealnet_tls_session s, const char *to,
		    sn_handle *out);

#endif
