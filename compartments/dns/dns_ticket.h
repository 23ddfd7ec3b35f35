/*
 * Which lookup a callback belongs to.  A lookup's calls, and its retry
 * timer, can outlive it: a reply that comes after the lookup ended, or a
 * timer that fires as it ends.  Its slot may by then hold another lookup,
 * which that callback must not take for its own.  So every lookup gets a
 * ticket, never 0 and never the one its slot had before, and each
 * callback's context carries the slot and the ticket; a callback whose
 * slot no longer holds that ticket is for a lookup that is over.
 * Pure: the caller keeps the tickets, one per slot, 0 for a free slot.
 */
#ifndef SEALNET_DNS_TICKET_H
#define SEALNET_DNS_TICKET_H

#include <stdint.h>

/* Both fit in a 32-bit pointer: a context is slot + ticket * SLOTS_MAX. */
#define DNS_TICKET_SLOTS_MAX 256u
#define DNS_TICKET_MAX	     0xffffffu

/* The ticket after last: 1 to DNS_TICKET_MAX, round again after that.
 * A slot's lookups are far fewer apart than that, and a callback lives
 * seconds, so a ticket met again is never one still in flight. */
uint32_t dns_ticket_next(uint32_t last);

/* The context for a callback of the lookup in slot holding ticket. */
void *dns_ticket_context(unsigned slot, uint32_t ticket);

/* The slot ctx names if it still holds the ticket ctx was made with
 * (tickets[slot], of nslots); -1 if that lookup is over. */
int dns_ticket_slot(const void *ctx, const uint32_t *tickets, unsigned nslots);

#endif
