/*
 * The addresses a lookup's answers gave, in the order they are handed to
 * NetAPI: every IPv4 address before every IPv6 one, whichever answer came
 * first.  NetAPI connects to the first address alone and keeps it for the
 * answer's TTL, and IPv4 is what the resolver prefers throughout (an A
 * answer with addresses is given without waiting for AAAA): an IPv6
 * address first would send every connect to a name with both over IPv6,
 * and on a network without IPv6 routes fail them all until the cached
 * answer expires.  Pure, so the order is tested alone.
 */
#ifndef SEALNET_DNS_ADDRESSES_H
#define SEALNET_DNS_ADDRESSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_ADDRESSES 8

struct dns_addresses {
	uint8_t address[DNS_MAX_ADDRESSES][16];
	uint8_t len[DNS_MAX_ADDRESSES]; /* 4: IPv4; 16: IPv6 */
	unsigned count;
};

/* Adds an address of len bytes (4 or 16), after those of its family.  An
 * IPv4 address that finds the list full takes the last IPv6 address's
 * place.  Returns whether it was kept. */
bool dns_addresses_add(struct dns_addresses *a, const uint8_t *address,
		       size_t len);

#endif
