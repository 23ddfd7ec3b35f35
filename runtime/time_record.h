/*
 * The shared time record: the network time the SNTP compartment
 * publishes, which every compartment that imports sntp_time_get reads
 * without a call (sealnet/sntp.h), and TLS for certificate dates
 * (compartments/tls/verify_time.c).
 *
 * The supervisor makes it once per run, one page in a memfd sealed
 * against shrinking and growing (so no mapping of it can fault), and
 * keeps it across SNTP's restarts.  The SNTP compartment gets a writable
 * descriptor; every reader a read-only one, so the kernel refuses it a
 * writable mapping (EACCES), and mprotect cannot add PROT_WRITE later.
 * When SNTP dies the supervisor clears SN_TIME_UPDATING: readers keep the
 * last time, marked as no longer kept up to date.
 *
 * Updates are atomic for readers (a seqlock): the writer makes the
 * sequence odd, writes the payload, makes it even; a reader copies the
 * payload between two reads of the same even sequence.  The payload is
 * copied word by word with relaxed atomic loads and stores, and fences
 * order them against the sequence, so that the race a seqlock relies on
 * is a defined one in C11.  The writer is trusted for the time, not for
 * memory safety: a reader checks every field it copied, and gives up
 * (-EAGAIN) after SN_TIME_READ_ATTEMPTS attempts if the sequence never
 * settles.
 *
 * Time is kept against CLOCK_MONOTONIC, which every process on the
 * machine shares and nothing can step: network time now = CLOCK_MONOTONIC
 * now + offset.  A change of the system clock (CLOCK_REALTIME) does not
 * change it.
 */
#ifndef SEALNET_TIME_RECORD_H
#define SEALNET_TIME_RECORD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One page: the size of the memfd and of each mapping. */
#define SN_TIME_RECORD_SIZE 4096u
/* The longest server name kept: a DNS name's 253 bytes fit. */
#define SN_TIME_SERVER_MAX 255u
/* How often a reader tries before it reports a record that never holds
 * still: far more than a writer that updates every few seconds can
 * cause, far less than a stall. */
#define SN_TIME_READ_ATTEMPTS 1000u
/* RFC 5905's PHI: how fast an undisciplined clock may drift, 15 ppm, as
 * nanoseconds of error per second of age. */
#define SN_TIME_DRIFT_NS_PER_S 15000u
/* The largest offset accepted from the record, about 34,800 years: a
 * sum with the monotonic clock cannot overflow. */
#define SN_TIME_MAX_OFFSET_S (INT64_C(1) << 40)

/* The time was measured against a server. */
#define SN_TIME_SYNCHRONISED 0x1u
/* ... whose replies were authenticated (NTS). */
#define SN_TIME_AUTHENTICATED 0x2u
/* The SNTP compartment is alive and keeps the record up to date. */
#define SN_TIME_UPDATING 0x4u
#define SN_TIME_FLAGS_KNOWN                                                    \
	(SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED | SN_TIME_UPDATING)

/* What the writer publishes, and a reader gets back after the checks. */
struct sn_time_payload {
	uint32_t flags;
	/* Updates published since the supervisor made the record. */
	uint32_t updates;
	/* Network time = CLOCK_MONOTONIC + offset; nanoseconds < 10^9. */
	int64_t offset_seconds;
	uint32_t offset_nanoseconds;
	uint8_t stratum;
	uint8_t reserved[3];
	/* CLOCK_MONOTONIC when the time was last measured. */
	uint64_t updated_monotonic_ns;
	/* The most the time could be wrong by at that moment. */
	uint64_t error_ns;
	/* The host of the server whose time was chosen, NUL-terminated. */
	char server[SN_TIME_SERVER_MAX + 1];
};

#define SN_TIME_PAYLOAD_WORDS (sizeof(struct sn_time_payload) / 8)
_Static_assert(sizeof(struct sn_time_payload) % 8 == 0,
	       "the payload is copied in whole words");

/* The record as it lies in shared memory. */
struct sn_time_record {
	_Atomic uint32_t sequence; /* odd while an update is written */
	uint32_t reserved;
	_Atomic uint64_t payload[SN_TIME_PAYLOAD_WORDS];
};
_Static_assert(sizeof(struct sn_time_record) <= SN_TIME_RECORD_SIZE,
	       "the record fits its page");

/*
 * Publishes p.  One writer at a time (the SNTP compartment, or the
 * supervisor once SNTP is dead).  A sequence left odd by a writer that
 * died part way is taken over: the update completes it.
 */
void sn_time_record_write(struct sn_time_record *r,
			  const struct sn_time_payload *p);

/*
 * A consistent copy of the payload into *out, checked: 0, or
 *   -EAGAIN   the sequence did not hold still in SN_TIME_READ_ATTEMPTS
 *             attempts
 *   -EBADMSG  the copy breaks the layout's rules (unknown flags, the
 *             nanoseconds, an offset beyond SN_TIME_MAX_OFFSET_S, a
 *             stratum above 15, authenticated but not synchronised, an
 *             update in the future of now_monotonic_ns); a record never
 *             written is all zeros, which passes
 * The server name is always NUL-terminated in *out.
 */
int sn_time_record_read(const struct sn_time_record *r,
			uint64_t now_monotonic_ns, struct sn_time_payload *out);

/*
 * The writer died: clears SN_TIME_UPDATING.  If it died in the middle of
 * an update the payload may be torn, so it is no longer synchronised
 * either.  Returns true if the record had been left torn.
 */
bool sn_time_record_writer_gone(struct sn_time_record *r);

/*
 * Network time now from a checked payload: Unix seconds and nanoseconds
 * into *seconds and *nanoseconds.
 */
void sn_time_now(const struct sn_time_payload *p, uint64_t now_monotonic_ns,
		 int64_t *seconds, uint32_t *nanoseconds);

/* The error bound now: the one at the update plus drift for its age,
 * saturating at UINT64_MAX. */
uint64_t sn_time_error_now(const struct sn_time_payload *p,
			   uint64_t now_monotonic_ns);

/*
 * The record the supervisor handed this compartment at boot, mapped
 * read-only or (for SNTP) read-write; NULL when it gave none.
 */
const struct sn_time_record *sn_time_record_shared(void);
/* The same record, for the one compartment that may write it; NULL
 * elsewhere. */
struct sn_time_record *sn_time_record_writable(void);

/*
 * Maps the record from fd for the boot message's access (the schema's
 * TimeRecordAccess: read or write) and closes fd.  0, -EINVAL for
 * another access, or the mmap's error (-EACCES for a writable mapping of
 * a read-only descriptor).
 */
int sn_time_record_attach(int fd, uint8_t access);

#endif
