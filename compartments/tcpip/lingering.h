/*
 * Closed connections lwIP still works on (lingering.c), each counted to
 * the owner whose socket quota the socket was charged to when it closed.
 *
 * A socket's quota comes back when its owner closes it, but lwIP keeps
 * the connection until the peer has acknowledged what was left and its
 * FIN: 78-93 s in FIN-WAIT-1 for a peer that stops answering (orphans.c),
 * 20 s in FIN-WAIT-2 for one that never closes its side.  All that time
 * it holds one of lwIP's pcbs and its Firewall rule.  Uncounted, an owner
 * closing and connecting again to a server of its own that goes silent
 * needs a single socket of quota to take every pcb (lwIP never kills one
 * in FIN-WAIT-1 to make room) or every Firewall rule, and then nobody's
 * connects or SYNs get through.
 *
 * A connection stops counting when lwIP is done with it: when it leaves
 * lwIP's active list for TIME-WAIT (the peer has acknowledged everything;
 * lwIP kills TIME-WAIT pcbs first when it needs one, and the Firewall
 * rule goes on the next tick) or lwIP frees it (the last ACK, a reset,
 * an abort).  The owner is its peer, not one incarnation of it: a
 * compartment that restarts finds its predecessor's closed connections
 * still counted, as segments.h does for their segments.
 */
#ifndef SEALNET_TCPIP_LINGERING_H
#define SEALNET_TCPIP_LINGERING_H

#include <stdbool.h>

#include "call.h"

#include "lwip/tcp.h"

/* After lwip_init(): lwIP's slot for the callback when it frees a pcb. */
void lingering_init(void);

/* pcb, detached from its socket, is about to be closed: it counts to
 * owner until lwIP is done with it, even if that is within tcp_close.
 * 0; or -ENOSPC when no record is free, and the caller must abort the
 * pcb (it cannot happen: there is a record for each of lwIP's pcbs). */
int lingering_begin(const struct sn_peer *owner, struct tcp_pcb *pcb);

/* Whether owner has at least n closed connections lwIP still works on.
 * Each one's state is read now, so none counts a moment longer than
 * lwIP works on it. */
bool lingering_at_least(const struct sn_peer *owner, unsigned n);

#endif
