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
 * every write, acknowledgement and end, so it cannot drift.
 *
 * A closed connection's segments stay in lwIP, to be sent and
 * retransmitted until acknowledged or lwIP gives up, minutes later: they
 * stay its owner's too (segments_leave), or an owner whose peer never
 * acknowledges could take a connection's queue, close, and take another,
 * until the pool is gone.  They stay until the last byte written is
 * acknowledged: the FIN after it may be acknowledged with no word from
 * lwIP (segments.c, segments_left_recount).
 *
 * An owner is its peer, not one incarnation of it: a compartment that
 * restarts finds its predecessor's closed connections still counted:
 * otherwise one that crashed on purpose would take a fresh share each
 * time.
 */
#ifndef SEALNET_TCPIP_SEGMENTS_H
#define SEALNET_TCPIP_SEGMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sockets.h"

/* One connection's whole send buffer in full segments, so a bulk
 * transfer is never held back; five owners at the bound leave a sixth of
 * the pool to the others, and their data, in full segments, leaves lwIP's
 * heap room for the frames that arrive. */
#define OWNER_SEGMENTS_MAX ((uint32_t)(TCP_SND_BUF / TCP_MSS) + 50u)
_Static_assert(5u * OWNER_SEGMENTS_MAX < MEMP_NUM_TCP_SEG,
	       "five owners at their bound must leave segments to others");
_Static_assert(5ull * OWNER_SEGMENTS_MAX * TCP_MSS < MEM_SIZE,
	       "five owners' data at their bound must leave lwIP's heap room");

/* Takes s's queue length again (0 once its pcb is gone), and returns its
 * owner's total. */
uint32_t segments_recount(struct sock *s);

/* How many more segments s's owner may queue: 0 at its bound. */
uint32_t segments_owner_room(const struct sock *s);

/* Before s is freed: its segments leave its owner's count. */
void segments_forget(struct sock *s);

/* A send of s's owner waits for its count to fall under the bound.
 * Returns how many of its sends have waited so, since it last had
 * nothing queued: 1 for the first. */
uint64_t segments_owner_waits(const struct sock *s);

/* True once, when owner had a send waiting and is under its bound
 * again: its sockets' waiting sends are to be retried. */
bool segments_owner_freed(const struct sn_peer *owner);

/* What a closed connection's pcb still holds to send, counted to the
 * owner of the socket it was. */
struct segments_left;

/* pcb is closing: with segments queued, *left is a record that counts
 * them to owner from now on, to be given to segments_left_recount and
 * segments_left_gone; without (or with no owner), *left is NULL.  0;
 * or -ENOSPC when no record is free, and the caller must abort the pcb
 * (it cannot happen: there is a record for each of lwIP's pcbs). */
int segments_leave(const struct sn_peer *owner, struct tcp_pcb *pcb,
		   struct segments_left **left);

/* The record's owner, for retrying its sends once freed. */
const struct sn_peer *segments_left_owner(const struct segments_left *left);

/* Takes the closed pcb's queue length again, 0 once all its data is
 * acknowledged; at 0 the record is freed and 0 returned: the caller
 * stops asking. */
uint32_t segments_left_recount(struct segments_left *left);

/* lwIP freed the pcb, and its segments with it: the record goes. */
void segments_left_gone(struct segments_left *left);

#endif
