/*
 * The shared time record in a running image (runtime/time_record.h): the
 * supervisor makes it before the first start and owns it for the whole
 * run, so it outlives every incarnation of the SNTP compartment.
 */
#ifndef SEALNET_SUPERVISOR_TIME_SHARE_H
#define SEALNET_SUPERVISOR_TIME_SHARE_H

#include "state.h"

/*
 * Makes the record if the image has an SNTP compartment: a memfd of one
 * page, sealed so that nobody can shrink or grow it, mapped here, and a
 * second, read-only descriptor of it for the readers.  0, or a negative
 * errno after saying why.
 */
int time_share_prepare(struct supervisor *sv);

/* The descriptor compartment `self` is to get with its boot message, and
 * its access (SN_TIME_RECORD_ACCESS_*); -1 and _NONE when it gets none. */
int time_share_fd(const struct supervisor *sv, unsigned self, uint8_t *access);

/* Compartment `self` died: if it was the record's writer, the record
 * says it is no longer being updated. */
void time_share_writer_died(struct supervisor *sv, unsigned self);

void time_share_release(struct supervisor *sv);

#endif
