/*
 * TCPIP's TCP sockets and their exports (tcp.c).
 */
#ifndef SEALNET_TCPIP_TCP_H
#define SEALNET_TCPIP_TCP_H

#include <stdbool.h>

#include "call.h"
#include "sockets.h"

/* After lwip_init(): lwIP's slot for our callbacks on a pcb, a
 * listener's or a closed connection's. */
void tcp_sockets_init(void);

/* A connection's socket is being freed, its pcb detached and about to
 * be closed: what lwIP still holds to send on it stays the owner's to
 * count (segments.h) until acknowledged or the pcb is gone.  false when
 * it cannot be counted, and the pcb must be aborted instead. */
bool tcp_count_what_is_left(const struct sock *s);

/* Answers the receives that data came for since the last call
 * (receive_due): at the end of each batch of frames, and of each turn. */
void tcp_deliver_due(void);

/* TCP's exports (the handler table is in tcpip.c). */
void serve_socket_connect(void *ctx, struct sn_incoming *in);
void serve_socket_listen(void *ctx, struct sn_incoming *in);
void serve_accept(void *ctx, struct sn_incoming *in);
void serve_receive(void *ctx, struct sn_incoming *in);
void serve_send(void *ctx, struct sn_incoming *in);
void serve_close(void *ctx, struct sn_incoming *in);

#endif
