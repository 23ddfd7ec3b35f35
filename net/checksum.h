/*
 * The Internet checksum of RFC 1071, over bytes in network order.  A
 * sum is added up over as many pieces as it takes (a pseudo-header, a
 * header, a payload), then folded once.  It stays below 2^32 for any
 * frame the device carries: 32 Ki 16-bit words at most.
 */
#ifndef SEALNET_NET_CHECKSUM_H
#define SEALNET_NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

/* sum plus the len bytes at p, an odd last byte padded with a zero. */
static inline uint32_t
checksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += read_be16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* The one's complement sum in 16 bits; a checksum field holds its
 * complement. */
static inline uint16_t
checksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
