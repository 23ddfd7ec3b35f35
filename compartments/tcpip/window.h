/*
 * Each TCP connection's receive window, and what pays for it (window.c).
 *
 * An owner's buffered_bytes quota bounds what TCPIP holds or has offered
 * to take for it: the bytes queued for it and the windows its connections
 * offer their peers.  What those bytes hold of lwIP's memory follows the
 * bytes, not the segments they came in: small pieces are copied out of
 * lwIP's pool into compact buffers (rxplan.h), so a queue holds at most a
 * little over twice its bytes.  Every connection has a window of
 * WINDOW_FLOOR, which its socket pays for; above that, up to lwIP's whole
 * window, the window is charged to the owner's quota when the connection
 * opens and again each time the owner takes data, so far as the quota has
 * room.  lwIP trims whatever arrives beyond the window, so nothing that
 * arrives is ever refused for want of quota.  (Refusing it had lwIP drop every
 * segment after it, and the sender's retransmission timer cut a transfer
 * to a hundredth of its speed.)
 */
#ifndef SEALNET_TCPIP_WINDOW_H
#define SEALNET_TCPIP_WINDOW_H

#include <stdint.h>

#include "sockets.h"

/* Four segments: enough for a window update to go at a quarter of it,
 * one segment at a time, past lwIP's silly-window avoidance. */
#define WINDOW_FLOOR (4u * TCP_MSS)

/* On a connection just opened (connected or accepted): its window is cut
 * to what its floor and the owner's quota pay for. */
void window_open(struct sock *s);

/* n bytes handed to the owner: their room offered to the peer again,
 * with more if the window is short of lwIP's whole one and the quota has
 * room, and a window update sent when the window grew by a quarter. */
void window_reopen(struct sock *s, uint32_t n);

/* Before lwIP closes the connection: the window lwIP sees is made whole
 * again, but for data still unread.  lwIP answers a close with a reset
 * when its window is short of whole, which must mean unread data, not a
 * window the quota kept small. */
void window_close(struct sock *s);

#endif
