/*
 * A connection whose owner has closed it is lwIP's alone until it has
 * delivered what was left.  When the peer stops answering, this gives it
 * up sooner than lwIP would, so that its Firewall rule and its place
 * under a server port's limit come back (docs/network.md, TCPIP).
 */
#ifndef SEALNET_TCPIP_ORPHANS_H
#define SEALNET_TCPIP_ORPHANS_H

/* Aborts each connection its owner closed whose peer has not answered
 * ORPHAN_MAXRTX retransmissions in a row; on lwIP's tick. */
void orphans_give_up_silent(void);

#endif
