/*
 * lwIP's platform in the TCPIP compartment (sys_arch.c): its clock, its
 * random numbers and its initial sequence numbers.  What lwIP itself
 * calls is declared in sealnet_lwip_hooks.h; this is what the rest of the
 * compartment calls.
 */
#ifndef SEALNET_TCPIP_SYS_ARCH_H
#define SEALNET_TCPIP_SYS_ARCH_H

#include <stdint.h>

#include "tcpseg.h"

/* Keys the sequence numbers from getrandom() and computes one, so that
 * libcrypto has done what needs a file system before the sandbox has
 * none.  0, or -1 if either failed (the compartment must not start). */
int sealnet_isn_init(void);

/* The SYN lwIP is about to take in was rebuilt by the Firewall from a SYN
 * cookie: the connection it opens, and no other, starts at isn.  An old
 * incarnation of that connection lwIP keeps in TIME_WAIT is ended, so
 * that the SYN opens the new one. */
void sealnet_isn_expect_cookie(const struct tcpseg *syn, uint32_t isn);
/* That SYN has been taken in, or dropped: the instruction is spent. */
void sealnet_isn_forget_cookie(void);

#endif
