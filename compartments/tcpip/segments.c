#include "segments.h"

#include <errno.h>

#include "lwip/priv/tcp_priv.h"

#include "tcpip.h"

/* Owners with segments queued, and how many: a compartment has one peer
 * slot at most, so the table never fills. */
static struct {
	const struct sn_peer *owner;
	uint32_t segments;
	bool waiting;
	/* Sends that found the owner at its share, while it had a slot. */
	uint64_t waits;
} owners[SN_MAX_PEERS];

/* The owner's slot, a free one taken for it if it has none; or -1. */
static int
slot_of(const struct sn_peer *owner, bool take)
{
	int free_slot = -1;

	for (unsigned i = 0; i < SN_MAX_PEERS; i++) {
		if (owners[i].owner == owner)
			return (int)i;
		if (owners[i].owner == NULL && free_slot < 0)
			free_slot = (int)i;
	}
	if (take && free_slot >= 0) {
		owners[free_slot].owner = owner;
		owners[free_slot].segments = 0;
		owners[free_slot].waiting = false;
		owners[free_slot].waits = 0;
	}
	return take ? free_slot : -1;
}

/* Closed connections' queues, each counted to the owner of the socket
 * it was: at most one for each pcb lwIP has. */
struct segments_left {
	const struct sn_peer *owner; /* NULL: a free record */
	struct tcp_pcb *pcb;
	uint32_t segments;
	u32_t data_end; /* the sequence number after its last byte */
};
static struct segments_left left_records[MEMP_NUM_TCP_PCB];

/* A count of owner's (a socket's or a closed pcb's) becomes now, and
 * the owner's total with it. */
static uint32_t
count_set(const struct sn_peer *owner, uint32_t *counted, uint32_t now)
{
	/* A free slot's owner is NULL: a socket owned by no one (none is
	 * handed out so) is not counted. */
	int i = owner ? slot_of(owner, now > 0) : -1;
	uint32_t total;

	if (i < 0) {
		*counted = 0;
		return 0;
	}
	total = owners[i].segments - *counted + now;
	owners[i].segments = total;
	/* A slot goes with the owner's last segment; whoever waited is
	 * retried from its own socket's acknowledgement. */
	if (total == 0 && !owners[i].waiting)
		owners[i].owner = NULL;
	*counted = now;
	return total;
}

uint32_t
segments_recount(struct sock *s)
{
	return count_set(s->owner_peer, &s->segments,
			 s->pcb != NULL && s->state != SOCK_LISTENING
			     ? tcp_sndqueuelen(s->pcb)
			     : 0);
}

uint32_t
segments_owner_room(const struct sock *s)
{
	int i = s->owner_peer ? slot_of(s->owner_peer, false) : -1;

	if (i < 0)
		return OWNER_SEGMENTS_MAX;
	return owners[i].segments < OWNER_SEGMENTS_MAX
		   ? OWNER_SEGMENTS_MAX - owners[i].segments
		   : 0;
}

void
segments_forget(struct sock *s)
{
	if (s->segments > 0)
		(void)count_set(s->owner_peer, &s->segments, 0);
}

uint64_t
segments_owner_waits(const struct sock *s)
{
	int i = s->owner_peer ? slot_of(s->owner_peer, true) : -1;

	if (i < 0)
		return 0;
	owners[i].waiting = true;
	return ++owners[i].waits;
}

bool
segments_owner_freed(const struct sn_peer *owner)
{
	int i = owner ? slot_of(owner, false) : -1;

	if (i < 0 || !owners[i].waiting ||
	    owners[i].segments >= OWNER_SEGMENTS_MAX)
		return false;
	owners[i].waiting = false;
	if (owners[i].segments == 0)
		owners[i].owner = NULL;
	return true;
}

int
segments_leave(const struct sn_peer *owner, struct tcp_pcb *pcb,
	       struct segments_left **left)
{
	*left = NULL;
	if (owner == NULL || tcp_sndqueuelen(pcb) == 0)
		return 0;
	for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++)
		if (left_records[i].owner == NULL) {
			struct segments_left *l = &left_records[i];

			*l = (struct segments_left){.owner = owner,
						    .pcb = pcb,
						    .data_end = pcb->snd_lbb};
			(void)count_set(owner, &l->segments,
					tcp_sndqueuelen(pcb));
			*left = l;
			return 0;
		}
	return -ENOSPC;
}

const struct sn_peer *
segments_left_owner(const struct segments_left *left)
{
	return left->owner;
}

/*
 * The record ends with the acknowledgement of the last byte written, not
 * with the pcb's last segment.  The FIN tcp_close queues on its own
 * (nothing was left unsent to carry it) holds no data, so lwIP reports
 * no acknowledgement of it, and a peer that acknowledges the data and
 * the FIN apart would leave it counted until the end of TIME_WAIT, two
 * minutes on: an owner closing a few connections a second would stop at
 * its share.  The last byte's acknowledgement frees a segment with data,
 * which lwIP always reports.  Up to then the FIN counts with the rest;
 * after, it is left uncounted, as a connection closed with nothing
 * queued leaves its own.
 */
uint32_t
segments_left_recount(struct segments_left *left)
{
	uint32_t now = TCP_SEQ_GEQ(left->pcb->lastack, left->data_end)
			   ? 0
			   : tcp_sndqueuelen(left->pcb);

	if (now == 0) {
		segments_left_gone(left);
		return 0;
	}
	(void)count_set(left->owner, &left->segments, now);
	return now;
}

void
segments_left_gone(struct segments_left *left)
{
	(void)count_set(left->owner, &left->segments, 0);
	*left = (struct segments_left){0};
}
