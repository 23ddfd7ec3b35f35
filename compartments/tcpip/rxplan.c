#include "rxplan.h"

/* A kept piece's buffer is at most an eighth more than its data: a
 * super-frame's headers, not a retransmission lwIP cut to its last few
 * new bytes. */
bool
rx_keeps(const struct rx_piece *piece)
{
	return piece->heap && piece->len >= RX_KEEP_MIN &&
	       piece->held >= piece->len &&
	       piece->held - piece->len <= piece->len / 8;
}

static uint32_t
least(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

struct rx_step
rx_next_step(const struct rx_piece *piece, uint32_t left,
	     const struct rx_tail *tail)
{
	uint32_t fits = least(tail->room, tail->chain_room);

	/* A piece partly copied is copied to its end. */
	if (left == piece->len && rx_keeps(piece))
		return (struct rx_step){RX_KEEP, piece->len > tail->chain_room,
					piece->len};
	if (fits > 0)
		return (struct rx_step){RX_COPY, false, least(left, fits)};
	/* A full chain leaves what room its compact buffer has: one
	 * buffer's worth per 64 KiB queued at most. */
	return (struct rx_step){RX_NEW_BUFFER, tail->chain_room == 0,
				RX_BUFFER};
}

uint32_t
rx_datagram_held(const struct rx_piece *piece)
{
	return rx_keeps(piece) ? piece->held : piece->len + RX_BUFFER_OVERHEAD;
}
