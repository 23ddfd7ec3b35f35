/*
 * TCP sends: lwIP's send buffer and the owner's share of its segments
 * (segments.h), and sends that wait for room.
 */
#ifndef SEALNET_TCPIP_SEND_H
#define SEALNET_TCPIP_SEND_H

#include "sockets.h"

/* Answers s's waiting send, if any, once there is room for it again: on
 * an acknowledgement, and every second (lwIP's poll). */
void send_room_back(struct sock *s);

#endif
