#include "rxqueue.h"

#include <string.h>

#include "log.h"
#include "lwip/mem.h"

/* mem.c's header is 16 bytes with our MEM_SIZE; a block is rounded up to
 * MEM_ALIGNMENT. */
_Static_assert(LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf)) + 16 + MEM_ALIGNMENT <=
		   RX_BUFFER_OVERHEAD,
	       "RX_BUFFER_OVERHEAD covers what a heap buffer spends");
_Static_assert(RX_BUFFER <= RX_CHAIN_MAX, "a compact buffer fits a chain");

/* A pool buffer takes a whole frame's room whatever it holds, and is
 * never kept (rxplan.h): only a heap buffer's size matters, from its
 * pbuf to the end of its data, which lwIP trims to the end of the IP
 * packet. */
struct rx_piece
rxq_piece(const struct pbuf *p)
{
	struct rx_piece piece = {p->tot_len, 0, p->next == NULL};

	for (const struct pbuf *q = p; q != NULL; q = q->next) {
		bool heap = pbuf_match_allocsrc(q, PBUF_RAM) &&
			    (q->flags & PBUF_FLAG_IS_CUSTOM) == 0;

		piece.heap = piece.heap && heap;
		piece.held += heap ? (uint32_t)((const uint8_t *)q->payload +
						q->len - (const uint8_t *)q)
				   : LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf)) +
					 PBUF_POOL_BUFSIZE;
	}
	return piece;
}

static struct rx_tail
tail_of(const struct sock *s)
{
	struct rx_tail tail = {0, 0};

	if (s->rx_tail != NULL)
		tail.room = (uint32_t)(s->rx_tail_end -
				       ((uint8_t *)s->rx_tail->payload +
					s->rx_tail->len));
	if (s->nrx > 0)
		tail.chain_room = RX_CHAIN_MAX - s->rx[s->nrx - 1]->tot_len;
	return tail;
}

/* q, alone, joins the end of the queue. */
static void
append(struct sock *s, struct pbuf *q, bool new_chain)
{
	s->rx_tail = NULL;
	if (!new_chain) {
		pbuf_cat(s->rx[s->nrx - 1], q);
	} else if (s->nrx < RX_CHAINS) {
		s->rx[s->nrx++] = q;
	} else {
		/* rxq_add made sure of room: the owner's receive fails on
		 * the count short of the queue. */
		sn_log("a socket's queue had no chain left for %u bytes",
		       q->len);
		pbuf_free(q);
	}
}

/* An empty compact buffer at the end of the queue: false if lwIP's heap
 * has no room for one. */
static bool
new_buffer(struct sock *s, bool new_chain)
{
	struct pbuf *b = pbuf_alloc(PBUF_RAW, RX_BUFFER, PBUF_RAM);

	if (b == NULL)
		return false;
	s->rx_tail_end = (uint8_t *)b->payload + RX_BUFFER;
	b->len = b->tot_len = 0;
	append(s, b, new_chain);
	s->rx_tail = b;
	return true;
}

/* n bytes of q from offset into the compact buffer at the end of the
 * queue, and into the length of every pbuf of the chain before it. */
static void
copy_to_tail(struct sock *s, const struct pbuf *q, uint32_t offset, uint32_t n)
{
	memcpy((uint8_t *)s->rx_tail->payload + s->rx_tail->len,
	       (const uint8_t *)q->payload + offset, n);
	s->rx_tail->len = (u16_t)(s->rx_tail->len + n);
	for (struct pbuf *c = s->rx[s->nrx - 1]; c != NULL; c = c->next)
		c->tot_len = (u16_t)(c->tot_len + n);
}

/* q, alone, queued as rxplan.h says: kept, or copied and freed.  With no
 * room in the heap for a copy, what is left of q is kept as it is: the
 * data was acknowledged, and only the pool goes short for a while. */
static void
queue_piece(struct sock *s, struct pbuf *q)
{
	struct rx_piece piece = rxq_piece(q);
	uint32_t done = 0;

	while (done < piece.len) {
		struct rx_tail tail = tail_of(s);
		struct rx_step step =
		    rx_next_step(&piece, piece.len - done, &tail);

		if (step.action == RX_COPY) {
			copy_to_tail(s, q, done, step.bytes);
			done += step.bytes;
		} else if (step.action == RX_KEEP ||
			   !new_buffer(s, step.new_chain)) {
			if (pbuf_remove_header(q, done) != 0)
				sn_log("could not take %u copied bytes off a "
				       "received piece",
				       done);
			append(s, q, q->len > tail.chain_room);
			return;
		}
	}
	pbuf_free(q);
}

/* What arrives is within the window, which the owner's quota paid for
 * (window.h).  p is queued a pbuf at a time: lwIP may have joined small
 * out-of-order segments to it.  Its bytes need at most one chain more,
 * since p's length fits in one. */
err_t
rxq_add(struct sock *s, struct pbuf *p)
{
	uint32_t len = p->tot_len;

	if (s->nrx == RX_CHAINS && tail_of(s).chain_room < len) {
		/* Cannot happen within the window; lwIP keeps it if so. */
		return ERR_MEM;
	}
	while (p != NULL) {
		struct pbuf *q = p;

		/* q's reference to the rest becomes ours. */
		p = q->next;
		q->next = NULL;
		q->tot_len = q->len;
		queue_piece(s, q);
	}
	s->buffered += len;
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

/* The compact buffer is the queue's last pbuf: it goes only with all of
 * the queue. */
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
	if (s->nrx == 0)
		s->rx_tail = NULL;
}
