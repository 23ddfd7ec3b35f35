/*
 * A TCP socket's received data, queued for its owner (rxqueue.c): what
 * lwIP handed up and the owner has not taken yet, oldest first, in the
 * socket's chains of pbufs (sock.rx).  Each piece is kept as lwIP made it
 * or copied into a compact buffer, as rxplan.h says, so that what the
 * queue holds of lwIP's memory follows the bytes queued, which the owner
 * pays for, not the number of segments they came in.
 */
#ifndef SEALNET_TCPIP_RXQUEUE_H
#define SEALNET_TCPIP_RXQUEUE_H

#include <stdint.h>

#include "rxplan.h"
#include "sockets.h"

/* Queues p, which lwIP handed up in order, for s's owner: ERR_OK, the
 * queue taking p (which may be freed at once), or ERR_MEM for lwIP to
 * keep it and offer it again. */
err_t rxq_add(struct sock *s, struct pbuf *p);
/* The first n queued bytes copied to data: how many there were. */
uint32_t rxq_copy(const struct sock *s, uint8_t *data, uint32_t n);
/* The first n queued bytes, handed out, are freed. */
void rxq_drop(struct sock *s, uint32_t n);

/* p, which may be a chain, as rxplan.h weighs it. */
struct rx_piece rxq_piece(const struct pbuf *p);

#endif
