/*
 * A TCP socket's received data, queued for its owner (rxqueue.c): what
 * lwIP handed up and the owner has not taken yet, oldest first, in the
 * socket's chains of pbufs (sock.rx).
 */
#ifndef SEALNET_TCPIP_RXQUEUE_H
#define SEALNET_TCPIP_RXQUEUE_H

#include <stdint.h>

#include "sockets.h"

/* Queues p, which lwIP handed up in order, for s's owner: ERR_OK, the
 * queue taking p, or ERR_MEM for lwIP to keep it and offer it again. */
err_t rxq_add(struct sock *s, struct pbuf *p);
/* The first n queued bytes copied to data: how many there were. */
uint32_t rxq_copy(const struct sock *s, uint8_t *data, uint32_t n);
/* The first n queued bytes, handed out, are freed. */
void rxq_drop(struct sock *s, uint32_t n);

#endif
