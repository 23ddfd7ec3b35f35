/*
 * The channel's receive path with a hostile peer: the input is everything
 * the peer controls in the shared mapping (its producer index, its
 * consumer index into our ring, the bytes of its ring) plus where our own
 * indices stand.  Whatever it wrote, receive must return a length that
 * fits the buffer and the ring, or an error, and send must not write
 * outside our ring.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "channel.h"
#include "channel_shm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sn_channel_fds fds;
static struct sn_channel ch;
static int attached;

static uint32_t
take_u32(const uint8_t **data, size_t *size)
{
	uint32_t v = 0;

	if (*size >= 4) {
		memcpy(&v, *data, 4);
		*data += 4;
		*size -= 4;
	}
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(8) uint8_t dst[8192];
	struct sn_channel_side_shm *peer;
	uint32_t start, peer_tail, peer_head, cap;
	size_t ring_fill;

	if (!attached) {
		if (sn_channel_create(SN_CHANNEL_MIN_RING, &fds) < 0 ||
		    sn_channel_attach(&ch, &fds, 0, "fuzz") < 0)
			return 0;
		attached = 1;
	}
	memset(ch.shm, 0, ch.map_bytes);
	peer = &ch.shm->side[1];

	/* Our own indices: aligned, as only we write them. */
	start = take_u32(&data, &size) & ~7u;
	ch.head = start;
	ch.tail = start;
	ch.broken = false;
	peer_tail = take_u32(&data, &size);
	peer_head = take_u32(&data, &size);
	cap = take_u32(&data, &size) % sizeof(dst);
	atomic_store(&peer->tail, peer_tail);
	atomic_store(&peer->head, peer_head);
	ring_fill = size < ch.ring_bytes ? size : ch.ring_bytes;
	memcpy(ch.rx_ring, data, ring_fill);

	for (int i = 0; i < 16; i++) {
		ssize_t n = sn_channel_receive(&ch, dst, cap);

		if (n < 0) {
			assert(n == -EAGAIN || n == -EBADMSG || n == -ENOBUFS);
			break;
		}
		assert((size_t)n <= cap && (size_t)n <= ch.max_message);
		/* We never consume more than the peer produced. */
		assert(peer_tail - ch.head <= ch.ring_bytes);
	}

	int rc = sn_channel_send(&ch, data, ring_fill % 600);
	assert(rc == 0 || rc == -EAGAIN || rc == -EPIPE);
	if (rc == 0)
		assert(ch.tail - peer_head <= ch.ring_bytes);
	return 0;
}
