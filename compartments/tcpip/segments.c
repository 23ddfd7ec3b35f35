#include "segments.h"

#include "tcpip.h"

/* Owners with segments queued, and how many: a compartment has one peer
 * slot at most, so the table never fills. */
static struct {
	const struct sn_peer *owner;
	uint32_t segments;
	bool waiting;
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
	}
	return take ? free_slot : -1;
}

/* s's count becomes now, and its owner's with it. */
static uint32_t
set_count(struct sock *s, uint32_t now)
{
	/* A free slot's owner is NULL: a socket owned by no one (none is
	 * handed out so) is not counted. */
	int i = s->owner_peer ? slot_of(s->owner_peer, now > 0) : -1;
	uint32_t total;

	if (i < 0) {
		s->segments = 0;
		return 0;
	}
	total = owners[i].segments - s->segments + now;
	owners[i].segments = total;
	/* A slot goes with the owner's last segment; whoever waited is
	 * retried from its own socket's acknowledgement. */
	if (total == 0 && !owners[i].waiting)
		owners[i].owner = NULL;
	s->segments = now;
	return total;
}

uint32_t
segments_recount(struct sock *s)
{
	return set_count(s, s->pcb != NULL && s->state != SOCK_LISTENING
				? tcp_sndqueuelen(s->pcb)
				: 0);
}

bool
segments_owner_may_send(const struct sock *s)
{
	int i = s->owner_peer ? slot_of(s->owner_peer, false) : -1;

	return i < 0 || owners[i].segments < OWNER_SEGMENTS_MAX;
}

void
segments_forget(struct sock *s)
{
	if (s->segments > 0)
		(void)set_count(s, 0);
}

void
segments_owner_waits(const struct sock *s)
{
	int i = s->owner_peer ? slot_of(s->owner_peer, true) : -1;

	if (i >= 0)
		owners[i].waiting = true;
}

bool
segments_owner_freed(const struct sock *s)
{
	int i = s->owner_peer ? slot_of(s->owner_peer, false) : -1;

	if (i < 0 || !owners[i].waiting ||
	    owners[i].segments >= OWNER_SEGMENTS_MAX)
		return false;
	owners[i].waiting = false;
	if (owners[i].segments == 0)
		owners[i].owner = NULL;
	return true;
}
