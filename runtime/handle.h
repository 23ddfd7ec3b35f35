/*
 * Handles: references to a compartment's dynamic objects (sockets, TLS
 * sessions, MQTT connections) that other compartments hold but cannot
 * forge, reuse after release, or use on another's behalf.
 *
 * A handle is {slot, generation, tag}.  The generation changes every time
 * a slot is reused; the tag is 64 random bits drawn when the handle is
 * issued, so a handle from an earlier run of the compartment, or a guess,
 * does not match.  Every use names the owner, the identity the runtime
 * knows from the channel, and the owner must match too.
 */
#ifndef SEALNET_HANDLE_H
#define SEALNET_HANDLE_H

#include <stdbool.h>
#include <stdint.h>

struct sn_handle_id {
	uint32_t slot;
	uint32_t generation;
	uint64_t tag;
};

struct sn_handle_entry {
	uint64_t tag;
	uint32_t generation;
	uint32_t owner;
	void *object;
	bool in_use;
};

struct sn_handle_table {
	struct sn_handle_entry *entries;
	uint32_t capacity;
	uint32_t in_use;
	uint64_t refused;
};

/* entries: caller-owned storage for n handles. */
void sn_handle_table_init(struct sn_handle_table *t,
			  struct sn_handle_entry *entries, uint32_t n);
/* 0, -ENOMEM when every slot is taken, or -EIO without randomness. */
int sn_handle_alloc(struct sn_handle_table *t, uint32_t owner, void *object,
		    struct sn_handle_id *out);
/* 0 and *object, or -EPERM (counted) for any mismatch. */
int sn_handle_lookup(struct sn_handle_table *t, uint32_t owner,
		     const struct sn_handle_id *h, void **object);
/* Looks the handle up as above, then frees its slot. */
int sn_handle_release(struct sn_handle_table *t, uint32_t owner,
		      const struct sn_handle_id *h, void **object);

#endif
