/*
 * A callback of a lookup that is over must not find the lookup that took
 * its slot since: its retry timer would then drive that lookup (send on
 * its socket before it has one, end it early), and its late socket would
 * be kept by nobody and never closed.
 */
#include "dns_ticket.h"
#include "harness.h"

#define SLOTS 16

TEST(live_lookup_found)
{
	uint32_t tickets[SLOTS] = {0};

	tickets[5] = dns_ticket_next(0);
	CHECK_EQ_INT(
	    dns_ticket_slot(dns_ticket_context(5, tickets[5]), tickets, SLOTS),
	    5);
}

TEST(reused_slot_not_taken_for_old_lookup)
{
	uint32_t tickets[SLOTS] = {0};
	uint32_t last = 0;

	tickets[3] = last = dns_ticket_next(last);
	void *old = dns_ticket_context(3, tickets[3]);

	/* The lookup ends, and the next one takes the same slot. */
	tickets[3] = last = dns_ticket_next(last);
	CHECK_EQ_INT(dns_ticket_slot(old, tickets, SLOTS), -1);
	CHECK_EQ_INT(
	    dns_ticket_slot(dns_ticket_context(3, tickets[3]), tickets, SLOTS),
	    3);
}

TEST(freed_slot_not_found)
{
	uint32_t tickets[SLOTS] = {0};

	tickets[0] = dns_ticket_next(0);
	void *old = dns_ticket_context(0, tickets[0]);

	tickets[0] = 0;
	CHECK_EQ_INT(dns_ticket_slot(old, tickets, SLOTS), -1);
	/* A context of ticket 0 is no lookup's, even on a free slot. */
	CHECK_EQ_INT(dns_ticket_slot(dns_ticket_context(0, 0), tickets, SLOTS),
		     -1);
}

TEST(slot_out_of_range_not_found)
{
	uint32_t tickets[SLOTS] = {0};

	CHECK_EQ_INT(
	    dns_ticket_slot(dns_ticket_context(SLOTS, 1), tickets, SLOTS), -1);
}

TEST(tickets_never_zero_and_differ)
{
	CHECK(dns_ticket_next(0) != 0);
	CHECK(dns_ticket_next(DNS_TICKET_MAX) != 0);
	CHECK(dns_ticket_next(DNS_TICKET_MAX) != DNS_TICKET_MAX);
	CHECK(dns_ticket_next(7) != 7);
}

TEST(largest_ticket_and_slot_survive_the_context)
{
	uint32_t tickets[DNS_TICKET_SLOTS_MAX] = {0};
	unsigned last = DNS_TICKET_SLOTS_MAX - 1;

	tickets[last] = DNS_TICKET_MAX;
	CHECK_EQ_INT(dns_ticket_slot(dns_ticket_context(last, DNS_TICKET_MAX),
				     tickets, DNS_TICKET_SLOTS_MAX),
		     last);
	tickets[last] = DNS_TICKET_MAX - 1;
	CHECK_EQ_INT(dns_ticket_slot(dns_ticket_context(last, DNS_TICKET_MAX),
				     tickets, DNS_TICKET_SLOTS_MAX),
		     -1);
}

int
main(void)
{
	RUN(live_lookup_found);
	RUN(reused_slot_not_taken_for_old_lookup);
	RUN(freed_slot_not_found);
	RUN(slot_out_of_range_not_found);
	RUN(tickets_never_zero_and_differ);
	RUN(largest_ticket_and_slot_survive_the_context);
	HARNESS_EXIT();
}
