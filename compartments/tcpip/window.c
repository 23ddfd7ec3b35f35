#include "window.h"

#include "tcpip.h"

void
window_open(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	/* lwIP's whole window: smaller if the peer cannot scale it. */
	uint32_t full = TCP_WND_MAX(pcb);

	s->window_paid = (uint32_t)sn_quota_take_up_to(
	    s->owner_peer, SN_QUOTA_BUFFERED_BYTES,
	    full > WINDOW_FLOOR ? full - WINDOW_FLOOR : 0);
	s->window = WINDOW_FLOOR + s->window_paid;
	if (s->window >= full) {
		s->window = full;
		return;
	}
	/* Nothing has arrived yet: lwIP takes data from the handshake's
	 * last segment only after the connection is handed to us. */
	if (pcb->rcv_wnd > s->window)
		pcb->rcv_wnd = (tcpwnd_size_t)s->window;
	if (pcb->rcv_ann_wnd > s->window)
		pcb->rcv_ann_wnd = (tcpwnd_size_t)s->window;
}

void
window_reopen(struct sock *s, uint32_t n)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t full, more = 0, open, grown;

	if (pcb == NULL)
		return;
	full = TCP_WND_MAX(pcb);
	if (s->window < full) {
		more = (uint32_t)sn_quota_take_up_to(
		    s->owner_peer, SN_QUOTA_BUFFERED_BYTES, full - s->window);
		s->window += more;
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
	if (grown < 0x80000000u && grown >= s->window / 4 &&
	    grown < TCP_WND_UPDATE_THRESHOLD) {
		tcp_set_flags(pcb, TF_ACK_NOW);
		(void)tcp_output(pcb);
	}
}

void
window_close(struct sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t full;

	/* Not opened: lwIP's window is whole. */
	if (pcb == NULL || s->window == 0)
		return;
	full = TCP_WND_MAX(pcb);
	pcb->rcv_wnd = (tcpwnd_size_t)(pcb->rcv_wnd + (full - s->window) > full
					   ? full
					   : pcb->rcv_wnd + (full - s->window));
}
