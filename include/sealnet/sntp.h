/*
 * Network time, named like CHERIoT's SNTP API.
 *
 * The SNTP compartment keeps the time from the servers its image grants
 * it (`sealnet image build --ntp-server`, `--nts-server`), re-synchronises
 * on its own as their poll intervals come round, and publishes the
 * result in the shared time record.  A compartment that imports
 * sntp_time_get is given that record, mapped read-only, and reads the
 * time from it without a call:
 *
 *	SEALNET_IMPORT(sntp_time_get);   (the record, and sntp_time_get)
 *	SEALNET_IMPORT(sntp_update);     (only to ask for a synchronisation)
 *
 * With an NTS server in the image, the SNTP compartment never uses
 * unauthenticated time: `authenticated` says which the record holds.
 * The TLS compartment reads the record too (without importing anything
 * from SNTP) and checks certificate dates at its time only when it is
 * authenticated (sealnet/tls.h): an image whose time servers are all
 * plain NTP keeps TLS on the system clock.  NTS key establishment runs
 * through TLS, so an image with an NTS server needs a TLS compartment
 * (`image build` and `image check` refuse one without); plain NTP does
 * not.
 * The record outlives the SNTP compartment: if it dies, readers keep the
 * last time, with `updating` false until its successor takes over.
 *
 * Every function returns 0 or a negative errno.  Besides the codes its
 * own comment lists, each may return:
 *
 *   -ESRCH            sealnet_start() has not succeeded in this process
 *   -EINVAL           a pointer the function writes to or reads is NULL
 *   -EPERM            this compartment does not import the export the
 *                     function needs (logged, naming the SEALNET_IMPORT
 *                     to add), or its image has no SNTP compartment
 * and the functions that call the SNTP compartment (sntp_update,
 * sntp_status):
 *   -ETIMEDOUT        the timeout passed before the answer came
 *   -ENOTRECOVERABLE  the SNTP compartment is dead, or died during the
 *                     call (SEALNET_ECOMPARTMENT)
 *   -ECANCELED        the supervisor went away during the call
 */
#ifndef SEALNET_SNTP_H
#define SEALNET_SNTP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The longest server name reported (a DNS name's 253 bytes fit). */
#define SNTP_SERVER_MAX 255
/* The most servers sntp_status reports. */
#define SNTP_STATUS_SERVERS_MAX 16

/* The network time, as sntp_time_get read it. */
struct sntp_time {
	/* Now, in Unix time. */
	int64_t seconds;
	uint32_t nanoseconds;
	/* The time comes from a server; false until the first update. */
	bool synchronised;
	/* ... and that server's replies were authenticated (NTS). */
	bool authenticated;
	/* The SNTP compartment runs and keeps the record up to date. */
	bool updating;
	uint8_t stratum;
	/* The most the time can be wrong by, now: the error at the last
	 * update, grown by 15 ppm of the time since. */
	uint64_t error_ns;
	/* The network time of the last update, and how long ago it was. */
	int64_t updated_seconds;
	uint32_t updated_nanoseconds;
	uint64_t age_ns;
	/* Updates published since the stack started. */
	uint32_t updates;
	/* The host of the server whose time was chosen. */
	char server[SNTP_SERVER_MAX + 1];
};

/*
 * The network time now, read from the shared time record without a
 * call.  On -ENODATA *out is filled too (synchronised false; the other
 * fields say whether SNTP runs).
 * Errors: -EPERM (no SEALNET_IMPORT(sntp_time_get)), -ENODATA (not
 * synchronised yet), -EAGAIN (the record changed on every attempt to
 * read it: try again), -EBADMSG (the record breaks its own rules: the
 * SNTP compartment is not the one sealnet built).
 */
int sntp_time_get(struct sntp_time *out);

/*
 * The time t holds, as a struct timespec (CLOCK_REALTIME's epoch).
 * Errors: -ENODATA (t is not synchronised), -EOVERFLOW (the seconds do
 * not fit this platform's time_t).
 */
int sntp_time_to_timespec(const struct sntp_time *t, struct timespec *ts);

/*
 * Synchronises now: returns once the SNTP compartment has published a
 * time measured since this call was made, or one measured so recently
 * that asking the servers again would break their rate limits (the
 * record is then at most 16 s old).  Servers a Kiss-o'-Death told to
 * slow down are not asked before their time.
 * Errors: -EPERM (no SEALNET_IMPORT(sntp_update)), -ENOENT (the image
 * gives the SNTP compartment no time server), -EHOSTUNREACH (no server
 * answered within the timeout, or none is left usable), -EDOM (the
 * servers disagree and no majority agrees on the time), -EAGAIN (the
 * SNTP compartment has as many callers waiting as it keeps: try again).
 */
int sntp_update(uint64_t timeout_ns);

/* What the SNTP compartment counts about one server (sntp_status). */
struct sntp_server_status {
	char host[SNTP_SERVER_MAX + 1];
	uint16_t port;
	bool nts;     /* host and port are the NTS-KE server's */
	bool usable;  /* false after a Kiss-o'-Death DENY or RSTR */
	uint8_t poll; /* the poll interval is 2^poll seconds */
	uint8_t cookies;
	uint64_t requests, accepted, timeouts;
	/* Replies refused, by reason; the time did not change for them. */
	uint64_t rejected_not_ours;	   /* not an answer to our request */
	uint64_t rejected_source;	   /* not from the server asked */
	uint64_t rejected_malformed;	   /* not a well-formed reply */
	uint64_t rejected_unsynchronised;  /* the server is unsynchronised */
	uint64_t rejected_unauthenticated; /* no NTS where it is required */
	uint64_t rejected_not_authentic;   /* NTS authenticator failed */
	uint64_t rejected_replayed;	   /* a request answered already */
	uint64_t kiss_rate, kiss_deny, kiss_ntsn;
	uint64_t falseticker; /* samples the majority outvoted */
	uint64_t key_exchanges, key_exchange_failures;
	int64_t offset_ns, delay_ns; /* the last sample */
};

struct sntp_status {
	bool nts_required;
	bool synchronised;
	uint32_t updates;
	uint64_t no_majority;
	unsigned nservers;
	struct sntp_server_status servers[SNTP_STATUS_SERVERS_MAX];
};

/*
 * The SNTP compartment's servers and counters, into *out.
 * Errors: -EPERM (no SEALNET_IMPORT(sntp_status)), -EPROTO (the answer
 * is malformed).
 */
int sntp_status(uint64_t timeout_ns, struct sntp_status *out);

#endif
