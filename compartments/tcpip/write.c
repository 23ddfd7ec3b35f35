/*
 * The room is pcb->snd_buf itself: tcp_sndbuf() cuts it to 16 bits when
 * windows are scaled, which would take at most 64 KiB a call out of a
 * buffer of TCP_SND_BUF.  The pieces are whole segments because lwIP
 * starts a segment with each write: a piece that ended inside one would
 * leave a short segment in the middle of the stream, which ends the
 * device's super-frame there (tso.h).
 */
#include "write.h"

uint32_t
write_some(struct tcp_pcb *pcb, const uint8_t *data, uint32_t len,
	   uint32_t max_segments)
{
	uint32_t n = len < pcb->snd_buf ? len : (uint32_t)pcb->snd_buf;
	uint32_t done = 0;
	u16_t mss = tcp_mss(pcb) > 0 ? tcp_mss(pcb) : 1;
	u16_t whole = (u16_t)(0xffffu / mss * mss);

	if (max_segments < n / mss + (n % mss != 0))
		n = max_segments * mss;

	while (done < n) {
		u16_t piece = n - done > whole ? whole : (u16_t)(n - done);

		/* ERR_MEM: lwIP's segment queue is full, though bytes are
		 * free. */
		if (tcp_write(pcb, data + done, piece,
			      TCP_WRITE_FLAG_COPY |
				  (done + piece < n ? TCP_WRITE_FLAG_MORE
						    : 0)) != ERR_OK)
			break;
		done += piece;
	}
	return done;
}
