/*
 * Closed connections lwIP still works on, counted to their owners
 * (lingering.h).
 */
#include "lingering.h"

#include <errno.h>

/* At most one record for each of lwIP's pcbs: a pcb's record goes when
 * lwIP frees it, before the pcb can be made again. */
struct lingering {
	const struct sn_peer *owner; /* NULL: a free record */
	struct tcp_pcb *pcb;
};
static struct lingering records[MEMP_NUM_TCP_PCB];
/* Records in use, whoever owns them: an owner far from its bound is
 * told so without reading the table. */
static unsigned used;
static u8_t ext_arg;

static void
record_end(struct lingering *l)
{
	*l = (struct lingering){0};
	used--;
}

/* Every pcb lwIP frees passes here; one closed while counted carries its
 * record, and one that reached TIME_WAIT first carries none. */
static void
on_destroyed(u8_t id, void *data)
{
	(void)id;
	if (data != NULL)
		record_end(data);
}

static const struct tcp_ext_arg_callbacks callbacks = {.destroy = on_destroyed};

void
lingering_init(void)
{
	ext_arg = tcp_ext_arg_alloc_id();
}

int
lingering_begin(const struct sn_peer *owner, struct tcp_pcb *pcb)
{
	if (owner == NULL)
		return 0;
	for (unsigned i = 0; i < MEMP_NUM_TCP_PCB; i++)
		if (records[i].owner == NULL) {
			records[i] = (struct lingering){owner, pcb};
			used++;
			tcp_ext_arg_set(pcb, ext_arg, &records[i]);
			tcp_ext_arg_set_callbacks(pcb, ext_arg, &callbacks);
			return 0;
		}
	return -ENOSPC;
}

/* TIME_WAIT is off lwIP's active list: everything was acknowledged, and
 * lwIP takes such a pcb back first when it needs one.  CLOSED is a pcb
 * about to be freed. */
static bool
lwip_done_with(const struct tcp_pcb *pcb)
{
	return pcb->state == TIME_WAIT || pcb->state == CLOSED;
}

bool
lingering_at_least(const struct sn_peer *owner, unsigned n)
{
	unsigned found = 0;

	if (used < n)
		return false;
	for (unsigned i = 0; i < MEMP_NUM_TCP_PCB && found < n; i++) {
		struct lingering *l = &records[i];

		if (l->owner == NULL)
			continue;
		if (lwip_done_with(l->pcb)) {
			/* Its destroy callback must not end the next record
			 * this slot holds. */
			tcp_ext_arg_set(l->pcb, ext_arg, NULL);
			record_end(l);
		} else if (l->owner == owner)
			found++;
	}
	return found >= n;
}
