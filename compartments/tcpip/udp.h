/*
 * TCPIP's UDP sockets and their exports (udp.c).
 */
#ifndef SEALNET_TCPIP_UDP_H
#define SEALNET_TCPIP_UDP_H

#include "call.h"
#include "sockets.h"

/* What a UDP socket holds goes: its datagrams, its pcb, and its port's
 * holes in the Firewall (asked to close at once).  For sock_free. */
void udp_socket_close(struct sock *s);

/* UDP's exports (the handler table is in tcpip.c). */
void serve_udp(void *ctx, struct sn_incoming *in);
void serve_socket_port(void *ctx, struct sn_incoming *in);
void serve_send_to(void *ctx, struct sn_incoming *in);
void serve_receive_from(void *ctx, struct sn_incoming *in);

#endif
