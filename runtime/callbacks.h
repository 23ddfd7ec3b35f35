/*
 * The runtime's side of the callbacks a compartment registers with
 * sn_compartment_on_*() (call.h): each runs the registered functions in
 * order, then the field of the same name that NetAPI and TCPIP still set.
 */
#ifndef SEALNET_CALLBACKS_H
#define SEALNET_CALLBACKS_H

#include "call.h"

void sn_callbacks_peer_died(struct sn_compartment *c, struct sn_peer *p);
void sn_callbacks_peer_restarted(struct sn_compartment *c, struct sn_peer *p);
void sn_callbacks_turn_done(struct sn_compartment *c);

#endif
