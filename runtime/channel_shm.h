/*
 * The layout of a channel's shared mapping.  Private to the runtime, its
 * tests and its fuzz target: compartments see only channel.h.
 */
#ifndef SEALNET_CHANNEL_SHM_H
#define SEALNET_CHANNEL_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SN_SHM_CACHELINE     64
#define SN_SHM_RECORD_HEADER 8u
#define SN_SHM_WRAP	     UINT32_MAX
#define SN_SHM_HASH_BYTES    32

struct sn_channel_side_shm {
	_Alignas(SN_SHM_CACHELINE) _Atomic uint32_t ready;
	uint8_t schema_hash[SN_SHM_HASH_BYTES];
	/* Producer index of this side's ring. */
	_Alignas(SN_SHM_CACHELINE) _Atomic uint32_t tail;
	/* Consumer index into the peer's ring. */
	_Alignas(SN_SHM_CACHELINE) _Atomic uint32_t head;
	/* Bumped by the peer; this side sleeps on it. */
	_Alignas(SN_SHM_CACHELINE) _Atomic uint32_t doorbell;
	_Atomic uint32_t sleeping;
	/* Set while this side waits for space in its own ring. */
	_Atomic uint32_t space_wanted;
};

struct sn_channel_shm {
	struct sn_channel_side_shm side[2];
	_Alignas(SN_SHM_CACHELINE) _Atomic uint32_t dead;
	_Alignas(SN_SHM_CACHELINE) uint8_t rings[];
};

/* The size of the mapping for rings of ring_bytes each. */
static inline size_t
sn_channel_map_bytes(uint32_t ring_bytes)
{
	return sizeof(struct sn_channel_shm) + 2 * (size_t)ring_bytes;
}

#endif
