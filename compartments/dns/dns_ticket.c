/* Which lookup a callback belongs to: see dns_ticket.h. */
#include "dns_ticket.h"

uint32_t
dns_ticket_next(uint32_t last)
{
	return last >= DNS_TICKET_MAX ? 1 : last + 1;
}

void *
dns_ticket_context(unsigned slot, uint32_t ticket)
{
	return (void *)((uintptr_t)ticket * DNS_TICKET_SLOTS_MAX + slot);
}

int
dns_ticket_slot(const void *ctx, const uint32_t *tickets, unsigned nslots)
{
	uintptr_t v = (uintptr_t)ctx;
	unsigned slot = (unsigned)(v % DNS_TICKET_SLOTS_MAX);
	uint32_t ticket = (uint32_t)(v / DNS_TICKET_SLOTS_MAX);

	if (slot >= nslots || ticket == 0 || tickets[slot] != ticket)
		return -1;
	return (int)slot;
}
