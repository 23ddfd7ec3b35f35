/*
 * DNS answers NetAPI keeps for connects by name, within their TTL: a
 * connect to a name answered a moment ago goes straight to its port and
 * rule, without asking TCPIP for the DNS server, opening the DNS hole,
 * resolving and closing it again (four calls in a row, one of them a
 * round trip on the network).  Pure: no I/O, caller-owned, the clock
 * given.
 *
 * What it keeps is only what the DNS compartment answered, the first
 * address as a lookup would give it; an answer is kept no longer than its
 * shortest-lived record says, nor than DNS_CACHE_MAX_TTL_S, and one with
 * TTL 0 not at all.  When the table is full the entry used least lately
 * goes.
 */
#ifndef SEALNET_NETAPI_DNS_CACHE_H
#define SEALNET_NETAPI_DNS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "netapi_const.h"

struct dns_cache_entry {
	char host[NETAPI_HOST_MAX]; /* "" for a free entry */
	struct flow_address address;
	uint64_t expires_ns, used_ns;
};

struct dns_cache {
	struct dns_cache_entry e[DNS_CACHE_ENTRIES];
	uint64_t hits, misses;
};

void dns_cache_init(struct dns_cache *c);
/* Keeps host's address for ttl_s seconds from now_ns (bounded). */
void dns_cache_put(struct dns_cache *c, const char *host,
		   const struct flow_address *a, uint32_t ttl_s,
		   uint64_t now_ns);
/* host's address, if an answer for it is still good at now_ns. */
bool dns_cache_get(struct dns_cache *c, const char *host, uint64_t now_ns,
		   struct flow_address *out);

#endif
