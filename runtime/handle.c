#include "handle.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void
sn_handle_table_init(struct sn_handle_table *t, struct sn_handle_entry *entries,
		     uint32_t n)
{
	memset(entries, 0, sizeof(entries[0]) * n);
	*t = (struct sn_handle_table){.entries = entries, .capacity = n};
}

int
sn_handle_alloc(struct sn_handle_table *t, uint32_t owner, void *object,
		struct sn_handle_id *out)
{
	for (uint32_t i = 0; i < t->capacity; i++) {
		struct sn_handle_entry *e = &t->entries[i];
		uint64_t tag;

		if (e->in_use)
			continue;
		if (getrandom(&tag, sizeof(tag), 0) != sizeof(tag))
			return -EIO;
		e->tag = tag;
		e->generation++;
		e->owner = owner;
		e->object = object;
		e->in_use = true;
		t->in_use++;
		*out = (struct sn_handle_id){i, e->generation, tag};
		return 0;
	}
	return -ENOMEM;
}

/* Compares without an early exit, so timing does not tell how much of a
 * guessed tag was right. */
static bool
same_tag(uint64_t a, uint64_t b)
{
	volatile uint64_t diff = a ^ b;

	return diff == 0;
}

static struct sn_handle_entry *
find(struct sn_handle_table *t, uint32_t owner, const struct sn_handle_id *h)
{
	struct sn_handle_entry *e;

	if (h->slot >= t->capacity)
		goto refuse;
	e = &t->entries[h->slot];
	if (!e->in_use || e->generation != h->generation || e->owner != owner ||
	    !same_tag(e->tag, h->tag))
		goto refuse;
	return e;
refuse:
	t->refused++;
	return NULL;
}

int
sn_handle_lookup(struct sn_handle_table *t, uint32_t owner,
		 const struct sn_handle_id *h, void **object)
{
	struct sn_handle_entry *e = find(t, owner, h);

	if (e == NULL)
		return -EPERM;
	*object = e->object;
	return 0;
}

int
sn_handle_release(struct sn_handle_table *t, uint32_t owner,
		  const struct sn_handle_id *h, void **object)
{
	struct sn_handle_entry *e = find(t, owner, h);

	if (e == NULL)
		return -EPERM;
	if (object != NULL)
		*object = e->object;
	e->in_use = false;
	e->object = NULL;
	e->tag = 0;
	t->in_use--;
	return 0;
}
