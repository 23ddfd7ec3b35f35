/*
 * Channels.  Layout of the shared mapping:
 *
 *   header: per side { schema hash, ready } { tail } { head }
 *           { doorbell, sleeping, space_wanted }, dead
 *   ring 0: written by side 0, read by side 1
 *   ring 1: written by side 1, read by side 0
 *
 * A record is an 8-byte header (u32 length, u32 zero) and the message,
 * padded to 8 bytes.  A length of SN_SHM_WRAP means "continue at offset 0".
 * Indices are free-running u32 byte counts; ring sizes are powers of two,
 * so `index & (size - 1)` is the offset and `tail - head` the bytes in use.
 */
#include "channel.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "channel_shm.h"
#include "clock.h"
#include "schema_hash.h"

static const uint8_t our_schema_hash[SN_SHM_HASH_BYTES] =
    SEALNET_SCHEMA_SHA256_BYTES;

static uint32_t
record_bytes(size_t len)
{
	return SN_SHM_RECORD_HEADER + (((uint32_t)len + 7u) & ~7u);
}

static int
futex_wake(_Atomic uint32_t *word)
{
	return (int)syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void
eventfd_ring(int fd)
{
	uint64_t one = 1;

	/* A full counter already wakes the reader: EAGAIN is fine. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

/* Wakes `side` the way it said it sleeps.  Whatever a hostile peer wrote
 * there, we do one harmless thing. */
static void
wake_side(struct sn_channel_shm *shm, unsigned side, int eventfd)
{
	struct sn_channel_side_shm *s = &shm->side[side];

	atomic_fetch_add(&s->doorbell, 1);
	switch (atomic_load(&s->sleeping)) {
	case SN_CHANNEL_AWAKE:
		break;
	case SN_CHANNEL_SLEEP_EVENTFD:
		eventfd_ring(eventfd);
		break;
	default:
		futex_wake(&s->doorbell);
		break;
	}
}

/* ---- the parent's side ---- */

/* The ring size follows from the sealed file size, never from anything
 * written inside the mapping. */
static int
ring_bytes_of(int shm_fd, uint32_t *ring_bytes, size_t *map_bytes)
{
	struct stat st;
	size_t rings;

	if (fstat(shm_fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size <= sizeof(struct sn_channel_shm))
		return -EINVAL;
	rings = ((size_t)st.st_size - sizeof(struct sn_channel_shm)) / 2;
	if (rings < SN_CHANNEL_MIN_RING || rings > SN_CHANNEL_MAX_RING ||
	    (rings & (rings - 1)) != 0 ||
	    sn_channel_map_bytes((uint32_t)rings) != (size_t)st.st_size)
		return -EINVAL;
	*ring_bytes = (uint32_t)rings;
	*map_bytes = (size_t)st.st_size;
	return 0;
}

int
sn_channel_mark_dead(const struct sn_channel_fds *fds)
{
	struct sn_channel_shm *shm;
	uint32_t ring_bytes;
	size_t map_bytes;
	int rc;

	rc = ring_bytes_of(fds->shm, &ring_bytes, &map_bytes);
	if (rc < 0)
		return rc;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED,
		   fds->shm, 0);
	if (shm == MAP_FAILED)
		return -errno;
	atomic_store(&shm->dead, 1);
	for (unsigned s = 0; s < 2; s++) {
		atomic_fetch_add(&shm->side[s].doorbell, 1);
		futex_wake(&shm->side[s].doorbell);
		eventfd_ring(fds->eventfd[s]);
	}
	munmap(shm, sizeof(*shm));
	return 0;
}

/* ---- a compartment's side ---- */

int
sn_channel_attach(struct sn_channel *ch, const struct sn_channel_fds *fds,
		  unsigned side, const char *peer_name)
{
	void *map;
	int rc;

	memset(ch, 0, sizeof(*ch));
	ch->eventfd_self = ch->eventfd_peer = -1;
	if (side > 1 || strlen(peer_name) >= sizeof(ch->peer_name))
		return -EINVAL;
	rc = ring_bytes_of(fds->shm, &ch->ring_bytes, &ch->map_bytes);
	if (rc < 0)
		return rc;
	/* Populated now: a ring's pages are all touched sooner or later,
	 * and a compartment's resident memory should say so from the start
	 * rather than creep up as the indices first go round. */
	map = mmap(NULL, ch->map_bytes, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, fds->shm, 0);
	if (map == MAP_FAILED)
		return -errno;
	ch->shm = map;
	ch->side = side;
	ch->tx_ring = ch->shm->rings + (size_t)side * ch->ring_bytes;
	ch->rx_ring = ch->shm->rings + (size_t)(1 - side) * ch->ring_bytes;
	/* Half a ring, so a message always fits after a wrap marker. */
	ch->max_message = ch->ring_bytes / 2 - SN_SHM_RECORD_HEADER;
	if (ch->max_message > SN_CHANNEL_MAX_MESSAGE)
		ch->max_message = SN_CHANNEL_MAX_MESSAGE;
	ch->eventfd_self = fds->eventfd[side];
	ch->eventfd_peer = fds->eventfd[1 - side];
	strcpy(ch->peer_name, peer_name);
	/* Start from whatever the (fresh) mapping says we consumed and
	 * produced: zero for a new channel. */
	ch->tail = atomic_load(&ch->shm->side[side].tail);
	ch->head = atomic_load(&ch->shm->side[side].head);
	return 0;
}

static void
hex(const uint8_t *bytes, char *out)
{
	for (int i = 0; i < SN_SHM_HASH_BYTES; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
}

static void
describe_mismatch(const struct sn_channel *ch, const uint8_t *theirs, char *err,
		  size_t errlen)
{
	char a[2 * SN_SHM_HASH_BYTES + 1], b[2 * SN_SHM_HASH_BYTES + 1];

	hex(our_schema_hash, a);
	hex(theirs, b);
	snprintf(err, errlen,
		 "schema mismatch with %s: ours is %s, theirs is %s",
		 ch->peer_name, a, b);
}

/*
 * 1 when the peer has announced a hash equal to ours, 0 when it has not
 * announced yet, -EPROTO (and the channel broken) when the hashes differ.
 */
static int
check_peer(struct sn_channel *ch, char *err, size_t errlen)
{
	struct sn_channel_side_shm *peer = &ch->shm->side[1 - ch->side];
	uint8_t theirs[SN_SHM_HASH_BYTES];

	if (ch->peer_checked)
		return 1;
	if (!atomic_load(&peer->ready))
		return 0;
	/* Copy once: the peer may keep rewriting its hash. */
	memcpy(theirs, peer->schema_hash, SN_SHM_HASH_BYTES);
	if (memcmp(theirs, our_schema_hash, SN_SHM_HASH_BYTES) != 0) {
		char text[200];

		describe_mismatch(ch, theirs, err ? err : text,
				  err ? errlen : sizeof(text));
		if (!err)
			sn_log("%s", text);
		ch->broken = true;
		return -EPROTO;
	}
	ch->peer_checked = true;
	return 1;
}

void
sn_channel_announce(struct sn_channel *ch)
{
	struct sn_channel_side_shm *mine = &ch->shm->side[ch->side];

	memcpy(mine->schema_hash, our_schema_hash, SN_SHM_HASH_BYTES);
	atomic_store(&mine->ready, 1);
	wake_side(ch->shm, 1 - ch->side, ch->eventfd_peer);
}

int
sn_channel_open(struct sn_channel *ch, uint64_t deadline_ns, char *err,
		size_t errlen)
{
	struct sn_channel_side_shm *mine = &ch->shm->side[ch->side];
	struct sn_channel_side_shm *peer = &ch->shm->side[1 - ch->side];

	sn_channel_announce(ch);
	for (;;) {
		uint32_t bell = atomic_load(&mine->doorbell);

		if (atomic_load(&ch->shm->dead))
			return -SEALNET_ECOMPARTMENT;
		if (atomic_load(&peer->ready))
			break;
		if (sn_now_ns() >= deadline_ns) {
			snprintf(err, errlen, "%s did not open the channel",
				 ch->peer_name);
			return -ETIMEDOUT;
		}
		struct timespec ts = {0, 1000000};
		atomic_store(&mine->sleeping, SN_CHANNEL_SLEEP_FUTEX);
		if (!atomic_load(&peer->ready))
			syscall(SYS_futex, &mine->doorbell, FUTEX_WAIT, bell,
				&ts, NULL, 0);
		atomic_store(&mine->sleeping, SN_CHANNEL_AWAKE);
	}
	return check_peer(ch, err, errlen) < 0 ? -EPROTO : 0;
}

void
sn_channel_detach(struct sn_channel *ch)
{
	if (ch->shm != NULL)
		munmap(ch->shm, ch->map_bytes);
	ch->shm = NULL;
}

static int
broken(struct sn_channel *ch)
{
	ch->broken = true;
	ch->stats.rejected++;
	return -EBADMSG;
}

/* Bytes free in our ring, or -EBADMSG if the consumer's index is absurd. */
static int64_t
tx_free(struct sn_channel *ch)
{
	uint32_t head = atomic_load_explicit(&ch->shm->side[1 - ch->side].head,
					     memory_order_acquire);
	uint32_t used = ch->tail - head;

	if (used > ch->ring_bytes || (used & 7u) != 0)
		return broken(ch);
	return (int64_t)(ch->ring_bytes - used);
}

/* Bytes a record of len needs at the current tail, wrap included. */
static uint32_t
tx_need(const struct sn_channel *ch, size_t len)
{
	uint32_t pos = ch->tail & (ch->ring_bytes - 1);
	uint32_t need = record_bytes(len);

	return pos + need > ch->ring_bytes ? ch->ring_bytes - pos + need : need;
}

int
sn_channel_send(struct sn_channel *ch, const void *msg, size_t len)
{
	uint32_t pos, need, header[2] = {0, 0};
	int64_t space;

	if (atomic_load(&ch->shm->dead))
		return -SEALNET_ECOMPARTMENT;
	if (ch->broken)
		return -EPIPE;
	if (len > ch->max_message)
		return -EMSGSIZE;
	space = tx_free(ch);
	if (space < 0)
		return -EPIPE;
	need = tx_need(ch, len);
	if (need > space) {
		ch->stats.full++;
		/* The consumer wakes us once it frees space; the loop then
		 * counts the ring as ready (sn_channel_room_came). */
		ch->room_wanted = (uint32_t)len;
		atomic_store(&ch->shm->side[ch->side].space_wanted, 1);
		return -EAGAIN;
	}
	if (ch->room_wanted != 0) {
		ch->room_wanted = 0;
		atomic_store(&ch->shm->side[ch->side].space_wanted, 0);
	}
	pos = ch->tail & (ch->ring_bytes - 1);
	if (pos + record_bytes(len) > ch->ring_bytes) {
		header[0] = SN_SHM_WRAP;
		memcpy(ch->tx_ring + pos, header, sizeof(header));
		pos = 0;
	}
	header[0] = (uint32_t)len;
	memcpy(ch->tx_ring + pos, header, sizeof(header));
	memcpy(ch->tx_ring + pos + SN_SHM_RECORD_HEADER, msg, len);
	ch->tail += need;
	atomic_store_explicit(&ch->shm->side[ch->side].tail, ch->tail,
			      memory_order_release);
	ch->stats.sent++;
	wake_side(ch->shm, 1 - ch->side, ch->eventfd_peer);
	return 0;
}

bool
sn_channel_readable(const struct sn_channel *ch)
{
	return ch->broken || atomic_load(&ch->shm->dead) ||
	       atomic_load_explicit(&ch->shm->side[1 - ch->side].tail,
				    memory_order_acquire) != ch->head;
}

#ifdef SEALNET_TEST_HOOKS
void (*sn_channel_test_after_copy)(struct sn_channel *ch, uint32_t pos,
				   uint32_t len);
#endif

ssize_t
sn_channel_receive(struct sn_channel *ch, void *dst, size_t cap)
{
	struct sn_channel_side_shm *peer = &ch->shm->side[1 - ch->side];
	uint32_t tail, avail, pos, len, need;
	int rc;

	if (ch->broken)
		return -EBADMSG;
	/* One read of the peer's index; everything below uses the copy.  It
	 * comes before the look at `ready`: an honest peer announces before
	 * it produces, so once its tail has moved, its announcement is
	 * visible too. */
	tail = atomic_load_explicit(&peer->tail, memory_order_acquire);
	rc = check_peer(ch, NULL, 0);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (atomic_load(&ch->shm->dead))
			return -SEALNET_ECOMPARTMENT;
		/* Data before the announcement is a ring violation, not
		 * something to wait out: waiting would spin on it. */
		return tail != ch->head ? broken(ch) : -EAGAIN;
	}
	avail = tail - ch->head;
	if (avail == 0)
		return atomic_load(&ch->shm->dead) ? -SEALNET_ECOMPARTMENT
						   : -EAGAIN;
	if (avail > ch->ring_bytes || (avail & 7u) != 0)
		return broken(ch);
	pos = ch->head & (ch->ring_bytes - 1);
	memcpy(&len, ch->rx_ring + pos, sizeof(len));
	if (len == SN_SHM_WRAP) {
		uint32_t skip = ch->ring_bytes - pos;

		if (skip >= avail)
			return broken(ch);
		avail -= skip;
		pos = 0;
		memcpy(&len, ch->rx_ring, sizeof(len));
		need = skip;
	} else {
		need = 0;
	}
	/* len is checked before record_bytes() so the sum cannot wrap. */
	if (len > ch->max_message || record_bytes(len) > avail ||
	    pos + record_bytes(len) > ch->ring_bytes)
		return broken(ch);
	if (len > cap)
		return -ENOBUFS;
	memcpy(dst, ch->rx_ring + pos + SN_SHM_RECORD_HEADER, len);
#ifdef SEALNET_TEST_HOOKS
	if (sn_channel_test_after_copy != NULL)
		sn_channel_test_after_copy(ch, pos + SN_SHM_RECORD_HEADER, len);
#endif
	ch->head += need + record_bytes(len);
	ch->idle_wakes = 0;
	/* Sequentially consistent: the load of space_wanted below must not
	 * move before this store, or a producer going to sleep is missed. */
	atomic_store(&ch->shm->side[ch->side].head, ch->head);
	ch->stats.received++;
	/* A producer blocked on space asked to be told. */
	if (atomic_load(&peer->space_wanted))
		wake_side(ch->shm, 1 - ch->side, ch->eventfd_peer);
	return (ssize_t)len;
}

/* Whether the consumer must wake us when it frees space: a send the
 * loop waits to retry still wants to hear of it. */
static void
space_wanted_done(struct sn_channel *ch)
{
	atomic_store(&ch->shm->side[ch->side].space_wanted,
		     ch->room_wanted != 0);
}

int
sn_channel_wait_writable(struct sn_channel *ch, size_t len,
			 uint64_t deadline_ns)
{
	struct sn_channel_side_shm *mine = &ch->shm->side[ch->side];

	if (len > ch->max_message)
		return -EMSGSIZE;
	for (;;) {
		uint32_t bell = atomic_load(&mine->doorbell);
		int64_t space;

		if (atomic_load(&ch->shm->dead))
			return -SEALNET_ECOMPARTMENT;
		atomic_store(&mine->space_wanted, 1);
		space = tx_free(ch);
		if (space < 0) {
			space_wanted_done(ch);
			return -EPIPE;
		}
		if (tx_need(ch, len) <= space) {
			space_wanted_done(ch);
			return 0;
		}
		uint64_t now = sn_now_ns();
		if (deadline_ns && now >= deadline_ns) {
			space_wanted_done(ch);
			return -ETIMEDOUT;
		}
		/* Bounded sleeps: a deadline of 0 means no deadline. */
		uint64_t wait = deadline_ns ? deadline_ns - now : 100000000u;
		if (wait > 100000000u)
			wait = 100000000u;
		struct timespec ts = {(time_t)(wait / 1000000000u),
				      (long)(wait % 1000000000u)};
		atomic_store(&mine->sleeping, SN_CHANNEL_SLEEP_FUTEX);
		syscall(SYS_futex, &mine->doorbell, FUTEX_WAIT, bell, &ts, NULL,
			0);
		atomic_store(&mine->sleeping, SN_CHANNEL_AWAKE);
	}
}

bool
sn_channel_room_came(struct sn_channel *ch)
{
	uint32_t head, used;

	if (ch->room_wanted == 0)
		return false;
	/* Sequentially consistent, as the consumer's store of its head:
	 * either it sees our space_wanted, or we see its new head. */
	head = atomic_load(&ch->shm->side[1 - ch->side].head);
	used = ch->tail - head;
	/* An absurd index is for the send to find: report it as room. */
	if (used > ch->ring_bytes || (used & 7u) != 0)
		return true;
	return tx_need(ch, ch->room_wanted) <= ch->ring_bytes - used;
}

void
sn_channel_room_taken(struct sn_channel *ch)
{
	if (ch->room_wanted == 0)
		return;
	ch->room_wanted = 0;
	atomic_store(&ch->shm->side[ch->side].space_wanted, 0);
}

bool
sn_channel_woke_idle(struct sn_channel *ch)
{
	if (sn_channel_readable(ch) || sn_channel_room_came(ch))
		return false;
	ch->stats.idle_wakes++;
	if (++ch->idle_wakes < SN_CHANNEL_MAX_IDLE_WAKES)
		return false;
	sn_log("channel to %s: woken %u times in a row with nothing to read; "
	       "treating the ring as broken",
	       ch->peer_name, ch->idle_wakes);
	broken(ch);
	return true;
}

_Atomic uint32_t *
sn_channel_doorbell(struct sn_channel *ch)
{
	return &ch->shm->side[ch->side].doorbell;
}

void
sn_channel_set_sleep(struct sn_channel *ch, enum sn_channel_sleep how)
{
	atomic_store(&ch->shm->side[ch->side].sleeping, how);
	/* The caller's next look at the rings must follow this store. */
	atomic_thread_fence(memory_order_seq_cst);
}
