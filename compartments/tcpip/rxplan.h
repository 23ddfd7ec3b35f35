/*
 * How received data is held until its owner takes it (rxplan.c): a pure
 * core, without lwIP, that rxqueue.c and udp.c follow.
 *
 * lwIP hands data up in the buffer its frame came in: one of the pool's
 * PBUF_POOL_SIZE buffers, each the size of a full frame, for a frame of
 * one segment or datagram; one of the heap, sized to it, for a larger
 * frame (the device's super-frames).  Kept as they came, what a socket
 * holds is bounded only by its window or queue in payload bytes, which
 * is what its owner is charged: a one-byte segment holds a pool buffer,
 * the floor window alone admits more of them than the pool has, and once
 * the pool is empty every compartment's small frames (ACKs, SYNs, DNS,
 * DHCP) are dropped as they arrive.
 *
 * So a piece is kept only if it is in the heap and mostly payload, which
 * a super-frame is; the pool is for frames on their way in.  Any other
 * piece is copied, into the spare room of the compact buffer at the end
 * of the socket's queue or into a new one of RX_BUFFER bytes, and its own
 * buffer freed.  What a TCP queue holds is then about the bytes queued,
 * at most twice them and one compact buffer whatever the segment sizes
 * (a kept piece may end a compact buffer part filled, and brings at
 * least as many bytes as the buffer could leave empty).  A datagram is
 * charged what it holds, buffer and all.
 */
#ifndef SEALNET_TCPIP_RXPLAN_H
#define SEALNET_TCPIP_RXPLAN_H

#include <stdbool.h>
#include <stdint.h>

/* A compact buffer's room for data. */
#define RX_BUFFER 2048u
/* The least a kept piece brings: as much as a compact buffer it leaves
 * part filled could waste. */
#define RX_KEEP_MIN RX_BUFFER
/* What lwIP's heap spends on a buffer beside its data: the pbuf, the
 * heap's own header and alignment (checked in rxqueue.c). */
#define RX_BUFFER_OVERHEAD 64u
/* A chain's length, which lwIP keeps in 16 bits. */
#define RX_CHAIN_MAX 0xffffu

/* A buffer of received data as lwIP handed it up. */
struct rx_piece {
	uint32_t len;  /* its data */
	uint32_t held; /* the memory its buffer takes, data and all */
	bool heap;     /* a buffer of lwIP's heap, not of its pool */
};

/* Whether the piece is kept as it came, rather than copied. */
bool rx_keeps(const struct rx_piece *piece);

/* The end of a socket's queue. */
struct rx_tail {
	uint32_t room;	     /* left in its compact buffer, 0 if none */
	uint32_t chain_room; /* its last chain may grow by, 0 if none */
};

enum rx_action {
	RX_KEEP,       /* the piece joins the queue as it is */
	RX_NEW_BUFFER, /* a compact buffer joins the queue, empty */
	RX_COPY,       /* `bytes` of the piece go into the compact buffer */
};

struct rx_step {
	enum rx_action action;
	bool new_chain; /* what joins starts a chain of its own */
	uint32_t bytes;
};

/* The next step in queueing a piece whose last `left` bytes (at least
 * one) are not queued yet. */
struct rx_step rx_next_step(const struct rx_piece *piece, uint32_t left,
			    const struct rx_tail *tail);

/* What a datagram of the piece holds once queued, copied or not: its
 * owner's charge. */
uint32_t rx_datagram_held(const struct rx_piece *piece);

#endif
