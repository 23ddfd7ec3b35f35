/* Local ports for connections: see port_draws.h. */
#include "port_draws.h"

#include <stdbool.h>
#include <string.h>

_Static_assert(NETAPI_EPHEMERAL_COUNT % 64 == 0,
	       "the taken bits fill whole words");
_Static_assert(NETAPI_RECENT_PORTS < NETAPI_EPHEMERAL_COUNT,
	       "some port is always free to draw");
_Static_assert(NETAPI_EPHEMERAL_COUNT <= 65536u, "an offset fits in 16 bits");

void
port_draws_init(struct port_draws *d)
{
	memset(d, 0, sizeof(*d));
}

static bool
is_taken(const struct port_draws *d, unsigned k)
{
	return (d->taken[k / 64] >> (k % 64)) & 1u;
}

static void
set_taken(struct port_draws *d, unsigned k, bool on)
{
	uint64_t bit = (uint64_t)1 << (k % 64);

	if (on)
		d->taken[k / 64] |= bit;
	else
		d->taken[k / 64] &= ~bit;
}

uint16_t
port_draws_take(struct port_draws *d, uint16_t random)
{
	unsigned k = random % NETAPI_EPHEMERAL_COUNT;

	/* Ends: fewer than NETAPI_EPHEMERAL_COUNT offsets are taken. */
	while (is_taken(d, k))
		k = (k + 1) % NETAPI_EPHEMERAL_COUNT;
	if (d->count == NETAPI_RECENT_PORTS)
		set_taken(d, d->recent[d->next], false);
	else
		d->count++;
	d->recent[d->next] = (uint16_t)k;
	d->next = (d->next + 1) % NETAPI_RECENT_PORTS;
	set_taken(d, k, true);
	return (uint16_t)k;
}
