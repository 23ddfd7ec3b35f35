/*
 * Big-endian (network order) integers in byte buffers, as the wire's
 * headers carry them.  Each reads or writes exactly the bytes its name
 * says at p; the caller has checked that they are there.
 */
#ifndef SEALNET_NET_BYTES_H
#define SEALNET_NET_BYTES_H

#include <stdint.h>

static inline uint16_t
read_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
read_be32(const uint8_t *p)
{
	return (uint32_t)read_be16(p) << 16 | read_be16(p + 2);
}

static inline uint64_t
read_be64(const uint8_t *p)
{
	return (uint64_t)read_be32(p) << 32 | read_be32(p + 4);
}

static inline void
write_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
write_be32(uint8_t *p, uint32_t v)
{
	write_be16(p, (uint16_t)(v >> 16));
	write_be16(p + 2, (uint16_t)v);
}

static inline void
write_be64(uint8_t *p, uint64_t v)
{
	write_be32(p, (uint32_t)(v >> 32));
	write_be32(p + 4, (uint32_t)v);
}

#endif
