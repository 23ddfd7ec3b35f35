#include "rxqueue.h"

#include <string.h>

/* What arrives is within the window, which the owner's quota paid for
 * (window.h). */
err_t
rxq_add(struct sock *s, struct pbuf *p)
{
	if (s->nrx > 0 && s->rx[s->nrx - 1]->tot_len + p->tot_len <= 0xffff) {
		pbuf_cat(s->rx[s->nrx - 1], p);
	} else if (s->nrx < RX_CHAINS) {
		s->rx[s->nrx++] = p;
	} else {
		/* Cannot happen within the window; lwIP keeps it if so. */
		return ERR_MEM;
	}
	s->buffered += p->tot_len;
	return ERR_OK;
}

/* The bytes asked for may span chains. */
uint32_t
rxq_copy(const struct sock *s, uint8_t *data, uint32_t n)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < s->nrx && off < n; i++) {
		u16_t take = s->rx[i]->tot_len < n - off ? s->rx[i]->tot_len
							 : (u16_t)(n - off);
		u16_t copied = pbuf_copy_partial(s->rx[i], data + off, take, 0);

		off += copied;
		if (copied != take)
			break;
	}
	return off;
}

void
rxq_drop(struct sock *s, uint32_t n)
{
	uint32_t left = n;

	s->buffered -= n;
	while (left > 0) {
		u16_t take =
		    s->rx[0]->tot_len < left ? s->rx[0]->tot_len : (u16_t)left;

		left -= take;
		s->rx[0] = pbuf_free_header(s->rx[0], take);
		if (s->rx[0] == NULL)
			memmove(&s->rx[0], &s->rx[1],
				--s->nrx * sizeof(s->rx[0]));
	}
}
