/*
 * TCPIP's TCP sockets and their exports (tcp.c).
 */
#ifndef SEALNET_TCPIP_TCP_H
#define SEALNET_TCPIP_TCP_H

#include "call.h"

/* After lwip_init(): lwIP's slot for our callbacks on listeners. */
void tcp_sockets_init(void);

/* TCP's exports (the handler table is in tcpip.c). */
void serve_socket_connect(void *ctx, struct sn_incoming *in);
void serve_socket_listen(void *ctx, struct sn_incoming *in);
void serve_accept(void *ctx, struct sn_incoming *in);
void serve_receive(void *ctx, struct sn_incoming *in);
void serve_send(void *ctx, struct sn_incoming *in);
void serve_close(void *ctx, struct sn_incoming *in);

#endif
