/*
 * Channels: shared-memory message rings between exactly two compartments.
 *
 * The parent makes a channel (sn_channel_create) and hands its descriptors
 * to both ends, telling each which side it is and who the peer is.  Each
 * side produces into its own ring and consumes from the peer's.
 *
 * Everything in the shared mapping may be written by a hostile peer at any
 * moment.  The authoritative copies of our own indices are private; the
 * peer's indices are read once, checked, and never trusted beyond that.  A
 * received message is copied out into the caller's private buffer before
 * it is returned, so the peer cannot change it between check and use.
 */
#ifndef SEALNET_CHANNEL_H
#define SEALNET_CHANNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sealnet/errors.h"

/* Descriptors of one channel, as the parent made them. */
struct sn_channel_fds {
	int shm;
	int eventfd[2]; /* eventfd[s] wakes side s when it sleeps in poll */
};

/* The largest message any channel carries, whatever its ring size: a
 * receiver's private buffer is this big, so a longer record can only be
 * a broken peer.  Room for a 64 KiB TCP segment from the device's
 * offloads with its envelope, and for a send or receive of more than
 * lwIP's 64 KiB in one call. */
#define SN_CHANNEL_MAX_MESSAGE (128u * 1024u)
#define SN_CHANNEL_MIN_RING    4096u
#define SN_CHANNEL_MAX_RING    (16u * 1024u * 1024u)

/* How a side sleeps, as it publishes it for the peer. */
enum sn_channel_sleep {
	SN_CHANNEL_AWAKE = 0,
	SN_CHANNEL_SLEEP_FUTEX = 1,
	SN_CHANNEL_SLEEP_EVENTFD = 2,
};

/* Wake-ups in a row, with nothing to read in between, past which the
 * peer is taken to be ringing us for the sake of it.  Honest races cost a
 * handful; each wake-up costs the reader a system call. */
#define SN_CHANNEL_MAX_IDLE_WAKES 4096u

struct sn_channel_stats {
	uint64_t sent;
	uint64_t received;
	uint64_t rejected;   /* impossible indices or lengths from the peer */
	uint64_t full;	     /* sends refused for lack of space */
	uint64_t idle_wakes; /* the peer woke us and there was nothing */
};

struct sn_channel_shm;

struct sn_channel {
	struct sn_channel_shm *shm;
	size_t map_bytes;
	uint8_t *tx_ring, *rx_ring;
	uint32_t ring_bytes;
	uint32_t max_message;
	unsigned side;
	/* Private and authoritative: what we produced and consumed. */
	uint32_t tail;
	uint32_t head;
	int eventfd_self, eventfd_peer;
	bool broken;
	/* Wake-ups from this peer since its last message. */
	uint32_t idle_wakes;
	/* The length of a send refused for want of space, whose retry
	 * waits for the consumer to wake us; 0 when none waits. */
	uint32_t room_wanted;
	/* The peer's schema hash has been read and matched ours. */
	bool peer_checked;
	char peer_name[32];
	struct sn_channel_stats stats;
};

/* ---- the parent's side ---- */

/* ring_bytes: a power of two from SN_CHANNEL_MIN_RING to MAX_RING. */
int sn_channel_create(uint32_t ring_bytes, struct sn_channel_fds *out);
void sn_channel_fds_close(struct sn_channel_fds *fds);
/* Marks the channel dead (one end's process died) and wakes both ends. */
int sn_channel_mark_dead(const struct sn_channel_fds *fds);

/* ---- a compartment's side ---- */

int sn_channel_attach(struct sn_channel *ch, const struct sn_channel_fds *fds,
		      unsigned side, const char *peer_name);
/*
 * Publishes our schema hash and returns at once.  The peer's hash is
 * checked before the first message is read from it: until the peer has
 * announced, receive returns -EAGAIN; if the hashes differ, -EPROTO.
 * Compartments use this, so that no event loop waits on a peer.
 */
void sn_channel_announce(struct sn_channel *ch);
/*
 * Announces, then waits until deadline_ns (CLOCK_MONOTONIC) for the peer's
 * hash.  Different hashes: -EPROTO, and err names both.
 */
int sn_channel_open(struct sn_channel *ch, uint64_t deadline_ns, char *err,
		    size_t errlen);
void sn_channel_detach(struct sn_channel *ch);

/*
 * 0 when queued; -EAGAIN when the ring lacks space (nothing written: the
 * consumer is asked to wake us once it has freed some, and
 * sn_channel_room_came says when the message would fit);
 * -EMSGSIZE past max_message; -EPIPE once the channel is broken;
 * -SEALNET_ECOMPARTMENT once it is dead.
 */
int sn_channel_send(struct sn_channel *ch, const void *msg, size_t len);

/*
 * Copies one message into dst and releases its ring space.  Returns its
 * length; -EAGAIN when there is none; -ENOBUFS when cap is too small;
 * -EBADMSG when the peer wrote something impossible (the channel is then
 * broken); -EPROTO when the peer's schema differs (likewise broken);
 * -SEALNET_ECOMPARTMENT when the channel is dead and drained.
 */
ssize_t sn_channel_receive(struct sn_channel *ch, void *dst, size_t cap);

#ifdef SEALNET_TEST_HOOKS
/* Test builds only: called by receive just after it copied the record at
 * rx_ring[pos], len bytes, where a peer's write would land between the
 * copy and the caller's verification. */
extern void (*sn_channel_test_after_copy)(struct sn_channel *ch, uint32_t pos,
					  uint32_t len);
#endif

/* True when receive would not return -EAGAIN: data, breakage or death. */
bool sn_channel_readable(const struct sn_channel *ch);

/* After a send refused with -EAGAIN: whether the message it refused
 * would fit now.  The loop treats such a channel as ready. */
bool sn_channel_room_came(struct sn_channel *ch);
/* The loop has reported the room: no more wake-ups for it until a send
 * is refused again. */
void sn_channel_room_taken(struct sn_channel *ch);

/* Spins, then sleeps, until len bytes fit, the deadline, or death. */
int sn_channel_wait_writable(struct sn_channel *ch, size_t len,
			     uint64_t deadline_ns);

/* ---- for the event loop ---- */

/*
 * The loop was woken through this channel: counts the wake-up if there is
 * nothing to read, and breaks the channel (returning true) once the peer
 * has woken us SN_CHANNEL_MAX_IDLE_WAKES times in a row for nothing.
 */
bool sn_channel_woke_idle(struct sn_channel *ch);

/* The futex word the peer bumps whenever it produces or frees space. */
_Atomic uint32_t *sn_channel_doorbell(struct sn_channel *ch);
/* Publishes how we sleep; the peer wakes us that way. */
void sn_channel_set_sleep(struct sn_channel *ch, enum sn_channel_sleep how);

#endif
