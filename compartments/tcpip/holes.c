/*
 * The Firewall's holes that TCPIP must have closed: see holes.h.
 */
#include "holes.h"

#include <errno.h>
#include <string.h>

/* An id is a slot and that slot's generation, so that it fits a
 * callback's context pointer and an old answer never names a new hole. */
#define SLOT_BITS 11u
#define SLOT_MASK ((1u << SLOT_BITS) - 1u)
_Static_assert(HOLES_MAX <= (1u << SLOT_BITS), "a slot fits an id");

static uint32_t
id_of(const struct holes *t, const struct hole *h)
{
	uint32_t slot = (uint32_t)(h - t->slot);

	return (h->generation << SLOT_BITS) | slot;
}

/* Only what names the hole: a UDP hole is a whole port. */
static bool
normalise(const struct hole_key *in, struct hole_key *out)
{
	memset(out, 0, sizeof(*out));
	if (in->local_port == 0)
		return false;
	out->protocol = in->protocol;
	out->local_port = in->local_port;
	if (in->protocol == HOLE_UDP)
		return true;
	if (in->protocol != HOLE_TCP || in->remote_port == 0)
		return false;
	out->ipv6 = in->ipv6;
	out->remote_port = in->remote_port;
	memcpy(out->remote, in->remote, in->ipv6 ? 16 : 4);
	return true;
}

static bool
same_key(const struct hole_key *a, const struct hole_key *b)
{
	return a->protocol == b->protocol && a->local_port == b->local_port &&
	       a->ipv6 == b->ipv6 && a->remote_port == b->remote_port &&
	       memcmp(a->remote, b->remote, sizeof(a->remote)) == 0;
}

static void
set_state(struct holes *t, struct hole *h, enum hole_state s)
{
	unsigned slot = (unsigned)(h - t->slot);

	t->count[h->state]--;
	t->count[s]++;
	h->state = s;
	if (s != HOLE_FREE && slot >= t->top)
		t->top = slot + 1;
	while (t->top > 0 && t->slot[t->top - 1].state == HOLE_FREE)
		t->top--;
}

/* The first hole with this key in one of the states in `mask` (a bit
 * per state), other than `except`. */
static struct hole *
find(struct holes *t, const struct hole_key *key, unsigned mask,
     const struct hole *except)
{
	for (unsigned i = 0; i < t->top; i++) {
		struct hole *h = &t->slot[i];

		if (h != except && (mask & (1u << h->state)) &&
		    same_key(&h->key, key))
			return h;
	}
	return NULL;
}

static struct hole *
free_slot(struct holes *t)
{
	for (unsigned i = 0; i < HOLES_MAX && t->count[HOLE_FREE] > 0; i++)
		if (t->slot[i].state == HOLE_FREE)
			return &t->slot[i];
	return NULL;
}

#define IN(s)	 (1u << (s))
#define NOT_FREE (IN(HOLE_HELD) | IN(HOLE_CLOSABLE) | IN(HOLE_ASKED))

void
holes_init(struct holes *t)
{
	memset(t, 0, sizeof(*t));
	t->count[HOLE_FREE] = HOLES_MAX;
}

unsigned
holes_used(const struct holes *t)
{
	return HOLES_MAX - t->count[HOLE_FREE];
}

bool
holes_want_sweep(const struct holes *t)
{
	return holes_used(t) >= HOLES_SWEEP_AT;
}

int
holes_hold(struct holes *t, const struct hole_key *key)
{
	struct hole_key k;
	struct hole *h;

	if (!normalise(key, &k))
		return -EINVAL;
	if (k.protocol == HOLE_UDP) {
		/* The port's rules from an earlier socket must be gone
		 * before a new socket may have the port. */
		if (find(t, &k, NOT_FREE, NULL) != NULL)
			return -EADDRINUSE;
	} else {
		/* A connection lwIP made again, before the sweep saw the
		 * first one end, uses the same rule. */
		h = find(t, &k, IN(HOLE_HELD) | IN(HOLE_CLOSABLE), NULL);
		if (h != NULL) {
			if (h->state == HOLE_CLOSABLE)
				set_state(t, h, HOLE_HELD);
			return 0;
		}
	}
	h = free_slot(t);
	if (h == NULL) {
		t->stats.refused_full++;
		return -ENOSPC;
	}
	h->key = k;
	h->generation = (h->generation + 1) & (UINT32_MAX >> SLOT_BITS);
	set_state(t, h, HOLE_HELD);
	t->stats.held++;
	return 0;
}

int
holes_release_port(struct holes *t, uint16_t port)
{
	struct hole_key k = {.protocol = HOLE_UDP, .local_port = port};
	struct hole *h = find(t, &k, IN(HOLE_HELD), NULL);

	if (h == NULL)
		return -ENOENT;
	set_state(t, h, HOLE_CLOSABLE);
	return 0;
}

unsigned
holes_sweep(struct holes *t, holes_in_use_fn in_use, void *ctx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->top && t->count[HOLE_HELD] > 0; i++) {
		struct hole *h = &t->slot[i];

		if (h->state == HOLE_HELD && h->key.protocol == HOLE_TCP &&
		    !in_use(ctx, &h->key)) {
			set_state(t, h, HOLE_CLOSABLE);
			n++;
		}
	}
	return n;
}

int
holes_next_closable(struct holes *t, struct hole_key *key, uint32_t *id)
{
	for (unsigned i = 0; i < t->top && t->count[HOLE_CLOSABLE] > 0; i++) {
		struct hole *h = &t->slot[i];

		if (h->state == HOLE_CLOSABLE) {
			set_state(t, h, HOLE_ASKED);
			t->stats.asked++;
			*key = h->key;
			*id = id_of(t, h);
			return 0;
		}
	}
	return -ENOENT;
}

static void
forget(struct holes *t, struct hole *h)
{
	set_state(t, h, HOLE_FREE);
}

int
holes_answered(struct holes *t, uint32_t id, int status)
{
	uint32_t slot = id & SLOT_MASK;
	struct hole *h = slot < HOLES_MAX ? &t->slot[slot] : NULL;

	if (h == NULL || h->state != HOLE_ASKED || id_of(t, h) != id) {
		t->stats.stale_answers++;
		return -ENOENT;
	}
	switch (status) {
	case 0:
		t->stats.closed++;
		break;
	case -ENOENT:
		t->stats.already_gone++;
		break;
	case -ENOTRECOVERABLE:
		t->stats.firewall_gone++;
		break;
	case -ETIMEDOUT:
	case -EAGAIN:
	case -EBUSY:
		/* Another hole with this key is held by a new connection, or
		 * will be asked for itself: asking again for this one would
		 * close that connection's hole, or ask twice. */
		if (find(t, &h->key, NOT_FREE, h) == NULL) {
			t->stats.retried++;
			set_state(t, h, HOLE_CLOSABLE);
			return 1;
		}
		t->stats.taken_over++;
		break;
	default:
		t->stats.refused_close++;
		break;
	}
	forget(t, h);
	return 0;
}
