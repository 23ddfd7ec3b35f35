/*
 * Local ports for connections: random within the ephemeral range, but
 * never one of the last NETAPI_RECENT_PORTS drawn.  Pure: no I/O, no
 * allocation, the randomness given, the state the caller's.
 *
 * Why: TCPIP's lwIP keeps each connection it closed first in TIME_WAIT,
 * up to its whole pcb pool (MEMP_NUM_TCP_PCB, 1,100), and refuses to bind
 * a port any of them holds.  A uniform draw over 16,384 ports then meets
 * such a port about once in fifteen connects while connections come and
 * go, and each costs a rule removed and another port tried; four in a
 * row fail the connect with -EADDRINUSE.  Those pcbs belong to the most
 * recent connections, whose ports this keeps out of the draw.
 *
 * port_draws_take(d, r) gives r % NETAPI_EPHEMERAL_COUNT if that port is
 * not among the recent ones, else the next one above it that is not
 * (wrapping at the top of the range), and makes it the most recent.  The
 * port is NETAPI_EPHEMERAL_FIRST plus the result.  Uniform r gives a
 * port nobody can predict (RFC 6056's aim) from 14,336 or more; a port
 * just above a run of recent ones is a little more likely, and runs are
 * short while an eighth of the range is recent.
 */
#ifndef SEALNET_NETAPI_PORT_DRAWS_H
#define SEALNET_NETAPI_PORT_DRAWS_H

#include <stdint.h>

#include "netapi_const.h"

struct port_draws {
	/* Offsets drawn, the oldest at `next` once `count` is full. */
	uint16_t recent[NETAPI_RECENT_PORTS];
	unsigned next, count;
	/* Bit k: offset k is in `recent`. */
	uint64_t taken[NETAPI_EPHEMERAL_COUNT / 64];
};

void port_draws_init(struct port_draws *d);
/* An offset into the ephemeral range, in [0, NETAPI_EPHEMERAL_COUNT). */
uint16_t port_draws_take(struct port_draws *d, uint16_t random);

#endif
