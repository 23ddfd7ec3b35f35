/* The shared time record: its seqlock, its checks, and its mapping. */
#include "time_record.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "sealnet_msg.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
	       "the record's atomics work across processes only lock-free");

static const struct sn_time_record *shared;
static struct sn_time_record *writable;

void
sn_time_record_write(struct sn_time_record *r, const struct sn_time_payload *p)
{
	uint64_t words[SN_TIME_PAYLOAD_WORDS];
	/* Odd while we write; a writer that died part way left it odd
	 * already, and this update completes it. */
	uint32_t seq =
	    atomic_load_explicit(&r->sequence, memory_order_relaxed) | 1u;

	memcpy(words, p, sizeof(words));
	atomic_store_explicit(&r->sequence, seq, memory_order_relaxed);
	/* The odd sequence is seen before any word of the new payload. */
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < SN_TIME_PAYLOAD_WORDS; i++)
		atomic_store_explicit(&r->payload[i], words[i],
				      memory_order_relaxed);
	atomic_store_explicit(&r->sequence, seq + 1, memory_order_release);
}

/* One attempt at a copy: true if the sequence was even and the same
 * before and after it. */
static bool
copy_once(const struct sn_time_record *r, uint64_t words[])
{
	/* The loads are of a record that other processes write: const in
	 * this process does not make it unchanging. */
	struct sn_time_record *rr = (struct sn_time_record *)r;
	uint32_t before =
	    atomic_load_explicit(&rr->sequence, memory_order_acquire);

	if (before & 1u)
		return false;
	for (size_t i = 0; i < SN_TIME_PAYLOAD_WORDS; i++)
		words[i] =
		    atomic_load_explicit(&rr->payload[i], memory_order_relaxed);
	/* Every word is read before the sequence is read again. */
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&rr->sequence, memory_order_relaxed) ==
	       before;
}

static int
check_payload(const struct sn_time_payload *p, uint64_t now_monotonic_ns)
{
	if ((p->flags & ~SN_TIME_FLAGS_KNOWN) != 0 ||
	    p->offset_nanoseconds >= SN_SECOND ||
	    p->offset_seconds > SN_TIME_MAX_OFFSET_S ||
	    p->offset_seconds < -SN_TIME_MAX_OFFSET_S || p->stratum > 15 ||
	    ((p->flags & SN_TIME_AUTHENTICATED) &&
	     !(p->flags & SN_TIME_SYNCHRONISED)) ||
	    p->updated_monotonic_ns > now_monotonic_ns)
		return -EBADMSG;
	return 0;
}

int
sn_time_record_read(const struct sn_time_record *r, uint64_t now_monotonic_ns,
		    struct sn_time_payload *out)
{
	uint64_t words[SN_TIME_PAYLOAD_WORDS];
	unsigned attempt;

	for (attempt = 0; attempt < SN_TIME_READ_ATTEMPTS; attempt++) {
		if (copy_once(r, words))
			break;
		/* An update takes well under a microsecond; let it end. */
		if (attempt % 64 == 63)
			(void)usleep(1);
	}
	if (attempt == SN_TIME_READ_ATTEMPTS)
		return -EAGAIN;
	memcpy(out, words, sizeof(*out));
	out->server[SN_TIME_SERVER_MAX] = 0;
	return check_payload(out, now_monotonic_ns);
}

bool
sn_time_record_writer_gone(struct sn_time_record *r)
{
	uint64_t words[SN_TIME_PAYLOAD_WORDS];
	struct sn_time_payload p;
	bool torn = (atomic_load_explicit(&r->sequence, memory_order_acquire) &
		     1u) != 0;

	/* The writer is dead: nothing changes the words while we copy. */
	for (size_t i = 0; i < SN_TIME_PAYLOAD_WORDS; i++)
		words[i] =
		    atomic_load_explicit(&r->payload[i], memory_order_relaxed);
	memcpy(&p, words, sizeof(p));
	p.flags &= ~SN_TIME_UPDATING;
	if (torn)
		p.flags &= ~(SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED);
	sn_time_record_write(r, &p);
	return torn;
}

void
sn_time_now(const struct sn_time_payload *p, uint64_t now_monotonic_ns,
	    int64_t *seconds, uint32_t *nanoseconds)
{
	int64_t s = (int64_t)(now_monotonic_ns / SN_SECOND) + p->offset_seconds;
	uint64_t ns = now_monotonic_ns % SN_SECOND + p->offset_nanoseconds;

	if (ns >= SN_SECOND) {
		ns -= SN_SECOND;
		s++;
	}
	*seconds = s;
	*nanoseconds = (uint32_t)ns;
}

uint64_t
sn_time_error_now(const struct sn_time_payload *p, uint64_t now_monotonic_ns)
{
	uint64_t age = now_monotonic_ns > p->updated_monotonic_ns
			   ? now_monotonic_ns - p->updated_monotonic_ns
			   : 0;
	/* 15 ns a millisecond is 15 ppm; no product can overflow. */
	uint64_t drift = age / SN_MS * (SN_TIME_DRIFT_NS_PER_S / 1000u);

	return p->error_ns > UINT64_MAX - drift ? UINT64_MAX
						: p->error_ns + drift;
}

const struct sn_time_record *
sn_time_record_shared(void)
{
	return shared;
}

struct sn_time_record *
sn_time_record_writable(void)
{
	return writable;
}

int
sn_time_record_attach(int fd, uint8_t access)
{
	bool write = access == SN_TIME_RECORD_ACCESS_WRITE;
	struct stat st;
	void *m;
	int rc = 0;

	if ((access != SN_TIME_RECORD_ACCESS_READ && !write) ||
	    shared != NULL) {
		(void)close(fd);
		return -EINVAL;
	}
	/* A smaller file would fault on access past its end. */
	if (fstat(fd, &st) < 0 || st.st_size != SN_TIME_RECORD_SIZE) {
		(void)close(fd);
		return -EINVAL;
	}
	m = mmap(NULL, SN_TIME_RECORD_SIZE,
		 PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		rc = -errno;
	(void)close(fd);
	if (rc < 0)
		return rc;
	shared = m;
	if (write)
		writable = m;
	return 0;
}
