/*
 * A TCP socket's receive queue (rxqueue.c) on lwIP's own pbufs, its pool
 * and its heap: pieces come as lwIP hands them up, headers already taken
 * off, and the owner reads or does not.
 */
#include <string.h>

#include "harness.h"
#include "rxplan.h"
#include "rxqueue.h"
#include "window.h"

#include "lwip/mem.h"
#include "lwip/memp.h"

/* Ethernet, IPv4 and TCP headers, as a frame of one segment carries. */
#define HEADERS 54u

static struct sock sock;

static void
fresh(void)
{
	for (unsigned i = 0; i < sock.nrx; i++)
		pbuf_free(sock.rx[i]);
	memset(&sock, 0, sizeof(sock));
	sock.state = SOCK_OPEN;
}

/* The byte at offset i of the stream. */
static uint8_t
stream_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* A segment of len bytes of the stream from offset `at`, as receive_one
 * and lwIP's input make it: one pool buffer for a frame that fits one,
 * one heap buffer for a larger one (a super-frame); NULL when lwIP has
 * no memory left for the frame, which is then dropped. */
static struct pbuf *
segment(uint32_t at, uint16_t len)
{
	uint32_t frame = HEADERS + len;
	struct pbuf *p =
	    pbuf_alloc(PBUF_RAW, (u16_t)frame,
		       frame <= PBUF_POOL_BUFSIZE ? PBUF_POOL : PBUF_RAM);

	if (p == NULL)
		return NULL;
	if (pbuf_remove_header(p, HEADERS) != 0) {
		pbuf_free(p);
		return NULL;
	}
	for (uint16_t i = 0; i < len; i++)
		((uint8_t *)p->payload)[i] = stream_byte(at + i);
	return p;
}

/* How many pool buffers a new frame could still have. */
static unsigned
pool_free(void)
{
	struct pbuf *held[PBUF_POOL_SIZE];
	unsigned n = 0;

	while (n < PBUF_POOL_SIZE &&
	       (held[n] = pbuf_alloc(PBUF_RAW, 60, PBUF_POOL)) != NULL)
		n++;
	for (unsigned i = 0; i < n; i++)
		pbuf_free(held[i]);
	return n;
}

/* Buffers the queue holds, and of them those from the pool. */
static unsigned
queued_buffers(unsigned *pooled)
{
	unsigned n = 0;

	*pooled = 0;
	for (unsigned i = 0; i < sock.nrx; i++)
		for (struct pbuf *q = sock.rx[i]; q != NULL; q = q->next) {
			n++;
			if (pbuf_match_allocsrc(q, PBUF_POOL))
				(*pooled)++;
		}
	return n;
}

/* The queue reads as the stream from offset `at`, n bytes of it. */
static int
reads_as_stream(uint32_t at, uint32_t n)
{
	static uint8_t got[2 * TCP_WND];

	if (n > sizeof(got) || rxq_copy(&sock, got, n) != n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (got[i] != stream_byte(at + i))
			return 0;
	return 1;
}

/*
 * A hostile owner's server sends one byte per segment to a connection
 * whose owner never reads: its window, the floor, which no quota pays
 * for, takes WINDOW_FLOOR of them, more than lwIP has pool buffers.
 * Each frame still finds one, and the queue holds no more than a few
 * compact buffers for the bytes.
 */
TEST(one_byte_segments_for_an_owner_that_never_reads_leave_the_pool)
{
	unsigned pooled, buffers;

	fresh();
	for (uint32_t i = 0; i < WINDOW_FLOOR; i++) {
		struct pbuf *p = segment(i, 1);

		CHECK(p != NULL);
		CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	}
	CHECK_EQ_INT(sock.buffered, WINDOW_FLOOR);
	CHECK_EQ_INT(pool_free(), PBUF_POOL_SIZE);
	buffers = queued_buffers(&pooled);
	CHECK_EQ_INT(pooled, 0);
	CHECK(buffers <= WINDOW_FLOOR / 512 + 1);
	CHECK(reads_as_stream(0, WINDOW_FLOOR));
}

/* The bulk path: a super-frame joins the queue as it came, not copied. */
TEST(a_super_frame_is_queued_as_it_came)
{
	struct pbuf *small, *big;

	fresh();
	small = segment(0, 100);
	big = segment(100, 60000);
	CHECK(small != NULL && big != NULL);
	CHECK_EQ_INT(rxq_add(&sock, small), ERR_OK);
	CHECK_EQ_INT(rxq_add(&sock, big), ERR_OK);
	CHECK(sock.rx[0] == big || sock.rx[0]->next == big);
	CHECK(reads_as_stream(0, 60100));
}

/* lwIP hands up a segment and the out-of-order ones it completes as one
 * chain: the small ones in it leave the pool too. */
TEST(a_chain_of_small_segments_leaves_the_pool)
{
	struct pbuf *p;
	unsigned pooled;

	fresh();
	p = segment(0, 1000);
	CHECK(p != NULL);
	for (uint32_t i = 0; i < 300; i++) {
		struct pbuf *q = segment(1000 + i, 1);

		CHECK(q != NULL);
		pbuf_cat(p, q);
	}
	CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	CHECK_EQ_INT(sock.buffered, 1300);
	(void)queued_buffers(&pooled);
	CHECK_EQ_INT(pooled, 0);
	CHECK(reads_as_stream(0, 1300));
}

/* Small and large pieces in turn, read a little at a time: the owner
 * gets the stream in order, past chains of 64 KiB, and once all is
 * read nothing is left held. */
TEST(mixed_pieces_read_in_parts_keep_the_stream)
{
	static const uint16_t sizes[] = {1,   60000, 3, 1460, 40000, 1,
					 700, 65000, 2, 9000, 1,     1};
	uint32_t at = 0, read = 0;

	fresh();
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]);
		     i++) {
			struct pbuf *p = segment(at, sizes[i]);

			CHECK(p != NULL);
			CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
			at += sizes[i];
		}
		CHECK_EQ_INT(sock.buffered, at - read);
		/* Part of what is queued, ending inside a piece. */
		CHECK(reads_as_stream(read, sock.buffered));
		rxq_drop(&sock, sock.buffered / 3 + 1);
		read = at - sock.buffered;
		CHECK(reads_as_stream(read, sock.buffered));
	}
	rxq_drop(&sock, sock.buffered);
	CHECK_EQ_INT(sock.nrx, 0);
	/* The queue starts again from nothing. */
	for (unsigned i = 0; i < 3; i++) {
		struct pbuf *p = segment(at + i, 1);

		CHECK(p != NULL);
		CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	}
	CHECK(reads_as_stream(at, 3));
	fresh();
	CHECK_EQ_INT(pool_free(), PBUF_POOL_SIZE);
}

/* The worst order for compact buffers: each small piece starts one, and
 * the large piece after it, kept, leaves it all but empty.  The queue
 * still holds little more than twice its bytes, each piece counted as
 * the test made it and each buffer it did not make as a compact one. */
TEST(memory_follows_the_bytes_whatever_the_order)
{
	static struct pbuf *made[200];
	uint32_t at = 0, held = 0;
	unsigned n = 0, pooled;

	fresh();
	while (n < sizeof(made) / sizeof(made[0])) {
		uint16_t len = n % 2 ? RX_KEEP_MIN : 1;

		made[n] = segment(at, len);
		CHECK(made[n] != NULL);
		CHECK_EQ_INT(rxq_add(&sock, made[n++]), ERR_OK);
		at += len;
	}
	for (unsigned i = 0; i < sock.nrx; i++)
		for (struct pbuf *q = sock.rx[i]; q != NULL; q = q->next) {
			unsigned j = 0;

			while (j < n && made[j] != q)
				j++;
			held += j < n ? LWIP_MEM_ALIGN_SIZE(sizeof(*q)) +
					    HEADERS + q->len
				      : RX_BUFFER + RX_BUFFER_OVERHEAD;
		}
	(void)queued_buffers(&pooled);
	CHECK_EQ_INT(pooled, 0);
	CHECK(held <= sock.buffered / 4 * 9 + RX_BUFFER + RX_BUFFER_OVERHEAD);
	CHECK(reads_as_stream(0, at));
}

/* Blocks that take lwIP's heap until not one byte more fits. */
static unsigned
fill_heap(void **blocks, unsigned max)
{
	unsigned n = 0;

	for (mem_size_t size = 1u << 20; size > 0; size /= 2)
		while (n < max && (blocks[n] = mem_malloc(size)) != NULL)
			n++;
	return n;
}

/* With no heap left for a compact buffer, the rest of a piece is kept as
 * lwIP made it: the stream is whole, and the pool short one buffer. */
TEST(with_no_heap_left_a_piece_is_kept_as_it_came)
{
	static void *blocks[1024];
	unsigned nblocks;
	struct pbuf *p;

	fresh();
	p = segment(0, 1400);
	CHECK(p != NULL);
	CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	nblocks = fill_heap(blocks, sizeof(blocks) / sizeof(blocks[0]));
	p = segment(1400, 1400);
	CHECK(p != NULL);
	CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	for (unsigned i = 0; i < nblocks; i++)
		mem_free(blocks[i]);
	CHECK_EQ_INT(sock.buffered, 2800);
	CHECK(reads_as_stream(0, 2800));
	CHECK_EQ_INT(pool_free(), PBUF_POOL_SIZE - 1);
	/* Small pieces after it go into a compact buffer again. */
	p = segment(2800, 1);
	CHECK(p != NULL);
	CHECK_EQ_INT(rxq_add(&sock, p), ERR_OK);
	CHECK(reads_as_stream(0, 2801));
	CHECK_EQ_INT(pool_free(), PBUF_POOL_SIZE - 1);
}

/* udp.c's weighing of a datagram: an empty one in a pool buffer is
 * charged a buffer of its own, and copied into one of that size; a
 * super-frame's is kept and charged its buffer; a reassembled chain is
 * copied whole. */
TEST(a_datagram_is_weighed_by_its_buffer)
{
	struct pbuf *empty, *copy, *big, *chain;
	struct rx_piece piece;

	fresh();
	empty = segment(0, 0);
	CHECK(empty != NULL);
	piece = rxq_piece(empty);
	CHECK(!piece.heap);
	CHECK_EQ_INT(rx_datagram_held(&piece), RX_BUFFER_OVERHEAD);
	copy = pbuf_clone(PBUF_RAW, PBUF_RAM, empty);
	pbuf_free(empty);
	CHECK(copy != NULL);
	CHECK_EQ_INT(copy->tot_len, 0);
	pbuf_free(copy);
	CHECK_EQ_INT(pool_free(), PBUF_POOL_SIZE);

	big = segment(0, 30000);
	CHECK(big != NULL);
	piece = rxq_piece(big);
	CHECK(rx_keeps(&piece));
	CHECK(rx_datagram_held(&piece) >= 30000 + HEADERS);
	chain = segment(30000, 100);
	CHECK(chain != NULL);
	pbuf_cat(big, chain);
	piece = rxq_piece(big);
	CHECK(!rx_keeps(&piece));
	CHECK_EQ_INT(rx_datagram_held(&piece), 30100 + RX_BUFFER_OVERHEAD);
	pbuf_free(big);
}

int
main(void)
{
	mem_init();
	memp_init();
	RUN(one_byte_segments_for_an_owner_that_never_reads_leave_the_pool);
	RUN(a_super_frame_is_queued_as_it_came);
	RUN(a_chain_of_small_segments_leaves_the_pool);
	RUN(mixed_pieces_read_in_parts_keep_the_stream);
	RUN(memory_follows_the_bytes_whatever_the_order);
	RUN(with_no_heap_left_a_piece_is_kept_as_it_came);
	RUN(a_datagram_is_weighed_by_its_buffer);
	fresh();
	HARNESS_EXIT();
}
