#include "window.h"

#include "tcpip.h"

/* The window's size: the floor and what the quota paid for. */
static uint32_t
window_size(const struct sock *s)
{
	return WINDOW_FLOOR + s->window_paid;
}

void
window_open(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	/* lwIP's whole window: smaller if the peer cannot scale it. */
	uint32_t full = TCP_WND_MAX(pcb), size;

	s->window_paid = (uint32_t)sn_quota_take_up_to(
	    s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
	    full > WINDOW_FLOOR ? full - WINDOW_FLOOR : 0);
	size = window_size(s);
	if (size >= full)
		return;
	/* Nothing has arrived yet: lwIP takes data from the handshake's
	 * last segment only after the connection is handed to us. */
	if (pcb->rcv_wnd > size)
		pcb->rcv_wnd = (tcpwnd_size_t)size;
	if (pcb->rcv_ann_wnd > size)
		pcb->rcv_ann_wnd = (tcpwnd_size_t)size;
}

void
window_reopen(struct sock *s, uint32_t n)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t full, more = 0, open, grown;

	if (pcb == NULL)
		return;
	full = TCP_WND_MAX(pcb);
	if (window_size(s) < full) {
		more = (uint32_t)sn_quota_take_up_to(s->owner_peer,
						     SN_QUOTA_BUFFERED_BYTES,
						     full - window_size(s));
		s->window_paid += more;
	}
	/* tcp_recved takes 16 bits at a time. */
	for (open = n + more; open > 0;) {
		u16_t piece = open > 0xffff ? 0xffff : (u16_t)open;

		tcp_recved(pcb, piece);
		open -= piece;
	}
	/* lwIP sends an update of its own once the window's right edge has
	 * moved by a quarter of its whole window since it last said where
	 * it is; a smaller window needs one at a quarter of its own, or a
	 * peer that filled it waits for its persist timer.  An update
	 * tcp_output cannot send now stays due for lwIP's timer. */
	grown = pcb->rcv_nxt + pcb->rcv_wnd - pcb->rcv_ann_right_edge;
	if (grown < 0x80000000u && grown >= window_size(s) / 4 &&
	    grown < TCP_WND_UPDATE_THRESHOLD) {
		tcp_set_flags(pcb, TF_ACK_NOW);
		(void)tcp_output(pcb);
	}
}

void
window_close(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t full, whole;

	/* Only an open connection's window was cut (window_open). */
	if (pcb == NULL || s->state != SOCK_OPEN)
		return;
	full = TCP_WND_MAX(pcb);
	whole = pcb->rcv_wnd + (full - window_size(s));
	pcb->rcv_wnd = (tcpwnd_size_t)(whole > full ? full : whole);
}
