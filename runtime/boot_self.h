/*
 * What the boot message says about the compartment itself rather than
 * its peers: the connection capabilities the image grants it, and the
 * shared time record.  Private to the runtime's boot (boot.c).
 */
#ifndef SEALNET_BOOT_SELF_H
#define SEALNET_BOOT_SELF_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "sealnet_msg.h"

/* A boot message's text into dst: 0, or -EINVAL if it is absent, empty,
 * holds a NUL or does not fit with its terminator. */
int sn_boot_copy_text(char *dst, size_t cap, const char *s, uint32_t len);

/* A connection capability as the boot message states it, an MQTT
 * grant included: 0 or -EINVAL. */
int sn_boot_connection_of(sn_connection_capability_ref r,
			  struct sn_capability *cap);

/* How many descriptors the boot message's time record takes: 0 or 1,
 * the last of the message's. */
unsigned sn_boot_time_record_fds(sn_boot_ref boot);

/* Takes the compartment's own connection capabilities and, if the boot
 * message grants it, the time record from the last of fds (then -1):
 * 0, -EINVAL, or the record's error. */
int sn_boot_take_self(sn_boot_ref boot, int *fds, unsigned nfds);

#endif
