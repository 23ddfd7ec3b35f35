/*
 * Each listener's port in the Firewall, opened to new clients while the
 * listener lives and shut once it closes (listeners.c says why TCPIP
 * says so, and not NetAPI).
 */
#ifndef SEALNET_TCPIP_LISTENERS_H
#define SEALNET_TCPIP_LISTENERS_H

#include "sockets.h"

/* s listens, and its caller waits in s->connect_wait: asks the Firewall
 * to let new clients through to s's port, and answers the caller once
 * it has (or fails the listen, freeing s, if it will not).  0, or why it
 * could not ask: then the caller answers and frees s. */
int listener_open(struct sock *s);

/* Ports whose shut word waits to be sent: one for each port a listener
 * closed on while the Firewall could take no word, at most. */
#define LISTENERS_WAITING_SHUT_MAX 64u

/* s, a listener, is being freed: its port lets nobody new in.  Its
 * established connections go on.  If the Firewall cannot take the word
 * now, it is sent by listeners_turn_done(), unless a new listener on the
 * port comes first. */
void listener_closed(const struct sock *s);

/* At the end of each turn: the shut words that wait, in order, while
 * the Firewall takes them. */
void listeners_turn_done(void);

#endif
