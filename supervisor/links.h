/*
 * Links: one channel for each pair of compartments that an import joins,
 * and nothing else.  A link is open while both ends' incarnations live;
 * when one dies its channels are marked dead at once, and its next
 * incarnation gets fresh ones.  Each compartment learns of its channels
 * in its boot message, and of a peer's fresh channel in a
 * compartment_peer_restarted message, both with the descriptors and the
 * grants of the image (what the peer may call, the capabilities it
 * holds, its quotas).
 */
#ifndef SEALNET_SUPERVISOR_LINKS_H
#define SEALNET_SUPERVISOR_LINKS_H

#include "state.h"

/* Plans the links of the image, none open yet. */
void links_plan(struct supervisor *sv);

/* Opens the links of compartment `self` that are not open; a running
 * peer receives its end at once.  0 or a negative errno. */
int links_open(struct supervisor *sv, unsigned self);

/* Marks the open links of `self` dead, so that its peers stop waiting
 * on it, and closes our copies of them. */
void links_close(struct supervisor *sv, unsigned self);

/* Sends `self` its boot message, with its links.  0 or a negative errno. */
int send_boot(struct supervisor *sv, unsigned self);

#endif
