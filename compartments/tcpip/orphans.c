/*
 * Connections nobody owns any more: closed by their owner while lwIP still
 * had data or a FIN to deliver, and given up once their peer has stopped
 * answering (orphans.h).
 */
#include "orphans.h"

#include <stdbool.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "log.h"

/*
 * A connection its owner closed while lwIP still had data or a FIN to
 * deliver is given up after this many retransmissions in a row with no
 * answer, not after lwIP's TCP_MAXRTX for every connection (12: 39
 * minutes, from a first timeout of 2.5-3 s doubled up to 128 times).
 * Until then it holds its Firewall rule, and a server connection its
 * place under the port's limit, though nobody will ever read it: a peer
 * that vanished, or an address a forged SYN cookie let in, held that
 * place all that time.  Five take 78-93 s, about as long as Linux gives a
 * closed connection (tcp_orphan_retries); a peer that answers resets the
 * count.
 */
#define ORPHAN_MAXRTX 5

static unsigned long long given_up;
static u32_t swept_at;

void
orphans_give_up_silent(void)
{
	struct tcp_pcb *p;

	/* A silent peer's retransmission count grows only in lwIP's slow
	 * timer, which also advances tcp_ticks (a fast retransmit answers
	 * a peer's duplicate acknowledgements): one sweep after each of
	 * its runs, not one on each of the fifty ticks between them. */
	if (tcp_ticks == swept_at)
		return;
	swept_at = tcp_ticks;
again:
	for (p = tcp_active_pcbs; p != NULL; p = p->next) {
		/* TCPIP never half-closes: in these states, its owner has
		 * closed the socket and lwIP waits for the peer to
		 * acknowledge what is left. */
		bool orphan = p->state == FIN_WAIT_1 || p->state == CLOSING ||
			      p->state == LAST_ACK;

		if (orphan && p->nrtx >= ORPHAN_MAXRTX) {
			/* The reset frees the rule at once; the abort frees
			 * the pcb, and changes the list. */
			tcp_abort(p);
			if (sn_log_worth(++given_up))
				sn_log("gave up %llu closed connections whose "
				       "peer stopped answering",
				       given_up);
			goto again;
		}
	}
}
