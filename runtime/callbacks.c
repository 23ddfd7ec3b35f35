/* Callbacks a compartment registers, and the runtime's calls to them. */
#include "callbacks.h"

#include <errno.h>

/* Registrations fill a table from the front and are never removed, so
 * the first empty slot ends the list. */
static int
register_peer_callback(struct sn_peer_callback *table, sn_peer_event_fn fn,
		       void *ctx)
{
	if (fn == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < SN_MAX_CALLBACKS; i++) {
		if (table[i].fn == NULL) {
			table[i] = (struct sn_peer_callback){fn, ctx};
			return 0;
		}
		if (table[i].fn == fn && table[i].ctx == ctx)
			return -EEXIST;
	}
	return -ENOSPC;
}

int
sn_compartment_on_peer_died(struct sn_compartment *c, sn_peer_event_fn fn,
			    void *ctx)
{
	return register_peer_callback(c->on_peer_died, fn, ctx);
}

int
sn_compartment_on_peer_restarted(struct sn_compartment *c, sn_peer_event_fn fn,
				 void *ctx)
{
	return register_peer_callback(c->on_peer_restarted, fn, ctx);
}

int
sn_compartment_on_turn_done(struct sn_compartment *c, sn_turn_done_fn fn,
			    void *ctx)
{
	if (fn == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < SN_MAX_CALLBACKS; i++) {
		struct sn_turn_callback *t = &c->on_turn_done[i];

		if (t->fn == NULL) {
			*t = (struct sn_turn_callback){fn, ctx};
			return 0;
		}
		if (t->fn == fn && t->ctx == ctx)
			return -EEXIST;
	}
	return -ENOSPC;
}

static void
run_peer_callbacks(const struct sn_peer_callback *table, struct sn_peer *p)
{
	for (unsigned i = 0; i < SN_MAX_CALLBACKS && table[i].fn != NULL; i++)
		table[i].fn(table[i].ctx, p);
}

void
sn_callbacks_peer_died(struct sn_compartment *c, struct sn_peer *p)
{
	run_peer_callbacks(c->on_peer_died, p);
}

void
sn_callbacks_peer_restarted(struct sn_compartment *c, struct sn_peer *p)
{
	run_peer_callbacks(c->on_peer_restarted, p);
}

void
sn_callbacks_turn_done(struct sn_compartment *c)
{
	for (unsigned i = 0; i < SN_MAX_CALLBACKS && c->on_turn_done[i].fn; i++)
		c->on_turn_done[i].fn(c->on_turn_done[i].ctx);
}
