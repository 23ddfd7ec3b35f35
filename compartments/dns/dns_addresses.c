/* The order of a lookup's addresses: see dns_addresses.h. */
#include "dns_addresses.h"

#include <string.h>

bool
dns_addresses_add(struct dns_addresses *a, const uint8_t *address, size_t len)
{
	unsigned at = a->count;

	if (len != 4 && len != 16)
		return false;
	if (len == 4) {
		/* IPv4 addresses are all at the front: this one goes after
		 * them, ahead of every IPv6 address. */
		for (at = 0; at < a->count && a->len[at] == 4; at++)
			;
		if (at == DNS_MAX_ADDRESSES)
			return false;
		if (a->count == DNS_MAX_ADDRESSES)
			a->count--;
		memmove(a->address[at + 1], a->address[at],
			(a->count - at) * sizeof(a->address[0]));
		memmove(&a->len[at + 1], &a->len[at], a->count - at);
	} else if (a->count == DNS_MAX_ADDRESSES) {
		return false;
	}
	memset(a->address[at], 0, sizeof(a->address[at]));
	memcpy(a->address[at], address, len);
	a->len[at] = (uint8_t)len;
	a->count++;
	return true;
}
