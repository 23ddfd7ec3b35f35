/*
 * For compartments that call TCPIP's socket exports, through the network
 * API or directly.
 */
#ifndef SEALNET_SOCKETS_H
#define SEALNET_SOCKETS_H

#include "call.h"

/* A late-reply handler (sn_peer_on_late_reply) for calls that create
 * sockets: a socket made for a call that had already timed out is closed,
 * since its owner never learnt of it and it would hold the quota. */
void sn_release_late_socket(struct sn_peer *from, uint16_t export_id,
			    const sn_message_ref *reply);

#endif
