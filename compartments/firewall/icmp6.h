/*
 * The ICMPv6 the link itself needs, which no rule opens: neighbour
 * discovery and multicast listener discovery (filter.h lists what
 * passes).  Pure, like the filter (filter.c) that asks.
 */
#ifndef SEALNET_FIREWALL_ICMP6_H
#define SEALNET_FIREWALL_ICMP6_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

/* IPv6's next header for a hop-by-hop options header. */
#define ICMP6_NEXT_HOP_BY_HOP 0u

/* An ICMPv6 message that is not an error, of at least 8 bytes at l4, in
 * a packet with hop limit hop. */
enum filter_verdict icmp6_link(enum filter_direction dir, const uint8_t *l4,
			       uint8_t hop);

/* An IPv6 payload of plen bytes at p, behind a header whose next header
 * is ICMP6_NEXT_HOP_BY_HOP, in a packet with hop limit hop. */
enum filter_verdict icmp6_hop_by_hop(enum filter_direction dir,
				     const uint8_t *p, size_t plen,
				     uint8_t hop);

#endif
