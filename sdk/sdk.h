/*
 * What the SDK's client functions share: the compartment sealnet_start()
 * booted, and the peer that serves an export.
 */
#ifndef SEALNET_SDK_H
#define SEALNET_SDK_H

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

/* Whether this binary declares SEALNET_IMPORT of the export. */
bool sn_sdk_imports(uint16_t export_id);

/* The identity SEALNET_CONNECTION_IDENTITY gives the capability, or NULL
 * for none. */
const char *sn_sdk_identity_of(const struct sealnet_declaration *capability);

#endif
