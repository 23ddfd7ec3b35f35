/*
 * What the TCPIP compartment's modules share: the compartment itself, its
 * one import, and the answers to calls.
 *
 *   tcpip.c           declarations, handler table, main, the tick
 *   port/sys_arch.c   lwIP's clock, random numbers, sequence numbers
 *   netif.c           the Ethernet driver: frames to and from the Firewall,
 *                     addresses
 *   sockets.c         the socket table: handles, owners, quotas
 *   receive.c         a socket's waiting receive, TCP's or UDP's
 *   tcp.c             TCP sockets: lwIP's callbacks, the exports
 *   rxqueue.c         a TCP socket's received data, queued for its owner
 *   rxplan.c          which received pieces are kept, which copied: a
 *                     pure core
 *   listeners.c       opens a listener's port in the Firewall to new
 *                     clients, and shuts it when the listener closes
 *   send.c            TCP's send export, and sends waiting for room
 *   write.c           data into lwIP's send buffer, in whole segments
 *   segments.c        each owner's share of lwIP's send segments
 *   lingering.c       counts closed connections lwIP still works on
 *                     to their owners' socket quota
 *   orphans.c         gives up closed connections whose peer stopped
 *                     answering
 *   window.c          each connection's receive window, paid by its owner
 *   udp.c             UDP sockets and their exports
 *   firewall_holes.c  asks the Firewall to close the holes holes.c says
 *                     are done with
 *   holes.c           which holes those are: a pure core
 *
 * One rule keeps the single reply buffer safe: lwIP may emit frames (and
 * so build a call to the Firewall) inside any lwIP function, so a reply
 * is built only after the lwIP work for it is done.
 */
#ifndef SEALNET_TCPIP_TCPIP_H
#define SEALNET_TCPIP_TCPIP_H

#include "call.h"

extern struct sn_compartment compartment;
extern struct sn_peer *firewall;

/*
 * Answers to calls.  An answer that cannot be sent has no caller to read
 * it: the caller died (or restarted: its successor must not see it).  It
 * is counted and logged here; a caller that hands over a resource with
 * its answer (a socket) must take it back when the answer fails, since
 * nobody else will ever name it.  Each returns what the runtime did.
 */
int answer_ok(struct sn_incoming *in, uint8_t body_type, uint32_t body);
int answer_error(struct sn_incoming *in, int negative_errno);
int answer_later_ok(struct sn_deferred *d, uint8_t body_type, uint32_t body);
int answer_later_error(struct sn_deferred *d, int negative_errno);
/* The empty body an answer without content carries. */
int answer_empty(struct sn_incoming *in);

/* The loop's table of timers was full when `what` needed one: counted
 * and logged.  The caller does without, and says how. */
void tcpip_timer_refused(const char *what);

#endif
