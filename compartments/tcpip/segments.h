/*
 * Each owner's share of lwIP's TCP segments (segments.c).
 *
 * lwIP takes every segment it queues to send, on every connection, from
 * one pool of MEMP_NUM_TCP_SEG.  A connection may queue TCP_SND_QUEUELEN
 * of them, and with Nagle's algorithm off every send is a segment of its
 * own: an application sending one byte at a time on three connections
 * to a peer that acknowledges slowly could take the whole pool.  Then
 * every other application's sends stall (nothing of theirs is in
 * flight, so no acknowledgement comes to retry them) and their connects
 * fail with -ENOMEM: a SYN is a segment too.
 *
 * So the segments queued on the connections of one owner (the
 * compartment whose quotas a socket is charged to) are counted, and an
 * owner at OWNER_SEGMENTS_MAX has its sends wait, as for a full send
 * buffer, until acknowledgements bring it under.  The count is lwIP's
 * own figure (tcp_sndqueuelen) for each connection, taken again after
 * every write, acknowledgement and end, so it cannot drift.  Segments a
 * closed socket leaves in lwIP (sent, not yet acknowledged) are no
 * longer counted; lwIP's retransmission limit ends them.
 */
#ifndef SEALNET_TCPIP_SEGMENTS_H
#define SEALNET_TCPIP_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sockets.h"

/* One connection's whole queue, so a bulk transfer is never held back;
 * five owners at the bound leave a sixth of the pool to the others. */
#define OWNER_SEGMENTS_MAX ((uint32_t)TCP_SND_QUEUELEN + 50u)
_Static_assert(5u * OWNER_SEGMENTS_MAX < MEMP_NUM_TCP_SEG,
	       "five owners at their bound must leave segments to others");

/* Takes s's queue length again (0 once its pcb is gone), and returns its
 * owner's total. */
uint32_t segments_recount(struct sock *s);

/* Whether s's owner may queue more: under its bound. */
bool segments_owner_may_send(const struct sock *s);

/* Before s is freed: its segments leave its owner's count. */
void segments_forget(struct sock *s);

/* A send of s's owner waits for its count to fall under the bound. */
void segments_owner_waits(const struct sock *s);

/* True once, when s's owner had a send waiting and is under its bound
 * again: its other sockets' waiting sends are to be retried. */
bool segments_owner_freed(const struct sock *s);

#endif
