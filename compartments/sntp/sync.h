/*
 * Keeping the time from several servers: when to ask each, what its
 * reply counts for, and which time the majority agrees on.  The SNTP
 * compartment's pure core: no I/O, no clock (every time is passed in:
 * `now` is CLOCK_MONOTONIC, t1 and t4 are the local clock in Unix
 * nanoseconds), no allocation; the caller owns struct sync.
 *
 * A server is asked when it is due (sync_due), never before its
 * not_before time: SYNC_MIN_GAP_NS after its last request, or the end of
 * the wait a Kiss-o'-Death RATE imposed, whatever sync_hurry asks.
 *
 * What sync_reply does with a datagram that came back to a request:
 *   SYNC_WAITING    refused, and counted by reason; the request still
 *                   waits for the genuine reply, and nothing else
 *                   changed (not from the address and port asked; not
 *                   an answer to our request: origin timestamp, or NTS
 *                   unique identifier; malformed; for NTS, no
 *                   authenticator where NTS is required, one that does
 *                   not verify, or a second answer to a request)
 *   SYNC_SAMPLE     a measurement: the request is done and the sample
 *                   replaces the server's last one
 *   SYNC_NO_SAMPLE  an answer without a time: a Kiss-o'-Death (RATE
 *                   slows polling, DENY and RSTR retire the server) or
 *                   a server that says it is unsynchronised; done
 *   SYNC_REKEY      an authenticated Kiss-o'-Death NTSN: the cookies
 *                   are gone; run NTS-KE again
 * With NTS required, a Kiss-o'-Death counts only once authenticated, so
 * a forger cannot make us drop or slow a server.  An NTS NAK (NTSN with
 * our identifier, unauthenticated) is counted and the request keeps
 * waiting (RFC 8915 5.7): if it then times out with no authentic reply,
 * the server wants new keys, and uses the cookies it has until they
 * come.  Key exchanges that no authentic reply follows come further
 * and further apart (sync_key_exchange_done).
 *
 * sync_choose runs the selection (select_time) over one sample of each
 * server: of its last SYNC_FILTER_SAMPLES younger than
 * SYNC_SAMPLE_MAX_POLLS poll intervals, the one with the smallest root
 * distance once aged (RFC 5905's clock filter).  Samples the majority
 * outvotes are counted as falsetickers and reset their server's poll
 * interval.  A server's first SYNC_BURST_SAMPLES samples are taken 2 s
 * apart, so that the filter soon has a good one.
 */
#ifndef SEALNET_SNTP_SYNC_H
#define SEALNET_SNTP_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntp.h"
#include "nts.h"
#include "select.h"
#include "sntp_const.h"

enum sync_outcome {
	SYNC_WAITING,
	SYNC_SAMPLE,
	SYNC_NO_SAMPLE,
	SYNC_REKEY,
};

/* What one server's replies came to; the status export reports them. */
struct sync_counters {
	uint64_t requests, accepted, timeouts;
	uint64_t not_ours, source, malformed, unsynchronised;
	uint64_t unauthenticated, not_authentic, replayed;
	uint64_t kiss_rate, kiss_deny, kiss_ntsn;
	uint64_t falseticker;
	uint64_t key_exchanges, key_exchange_failures;
};

/* An address and port as TCPIP reports them: 4 or 16 bytes. */
struct sync_address {
	uint8_t len;
	uint8_t bytes[16];
	uint16_t port;
};

struct sync_server {
	/* From the image: the capability's host and port (for NTS, the
	 * NTS-KE server's). */
	char host[SYNC_HOST_MAX + 1];
	uint16_t port;
	bool nts;
	struct select_server poll;
	uint64_t next_ns;	/* due from then */
	uint64_t not_before_ns; /* and never before this */
	unsigned quick_retries;

	/* NTS: keys and cookies once a key exchange has given them, the
	 * NTP server it named, and when the next exchange may start.
	 * rekey: a NAKed request timed out, so new keys are wanted while
	 * the cookies left are still used.  ke_rekeys: exchanges since
	 * the last authentic reply. */
	bool keyed, keying, rekey;
	struct nts_client client;
	char ntp_host[SYNC_HOST_MAX + 1];
	uint16_t ntp_port;
	uint64_t ke_next_ns;
	unsigned ke_failures, ke_rekeys;

	/* The request in flight, where it went, and whether an NTS NAK
	 * has come for it. */
	bool in_flight, nak;
	uint64_t transmit_ts;
	int64_t t1_unix_ns;
	struct sync_address remote;

	/* The last sample; `fresh` until a selection has used it. */
	bool have_sample, fresh, authenticated;
	struct ntp_sample sample;
	uint64_t sample_ns;
	/* The last SYNC_FILTER_SAMPLES samples, the oldest replaced
	 * first, and how many this server has given. */
	struct sync_filtered {
		struct ntp_sample sample;
		uint64_t at_ns;
		bool authenticated;
	} filter[SYNC_FILTER_SAMPLES];
	unsigned samples;

	struct sync_counters counters;
};

struct sync {
	struct sync_server servers[SYNC_MAX_SERVERS];
	unsigned n;
	/* The image gives an NTS server: no time without NTS. */
	bool nts_required;
	/* Selections in which no majority agreed. */
	uint64_t no_majority;
};

/* The time the majority agreed on. */
struct sync_choice {
	int64_t offset_ns; /* add to the local clock */
	uint64_t error_ns;
	unsigned server; /* the survivor nearest its reference */
	uint8_t stratum;
	bool authenticated; /* every survivor's sample was */
	unsigned candidates, survivors;
};

void sync_init(struct sync *s, bool nts_required);

/* A server, due at once: its index, or -ENOSPC past SYNC_MAX_SERVERS,
 * -EINVAL for an empty or overlong host. */
int sync_add_server(struct sync *s, const char *host, uint16_t port, bool nts);

/*
 * The server that should be asked first: its index into *server and 1
 * if one is due at now, else 0 and the time the next one falls due into
 * *when (UINT64_MAX if none will: all retired or in flight).  An NTS
 * server without keys is due for a key exchange instead
 * (sync_wants_key_exchange) and never here.
 */
int sync_due(const struct sync *s, uint64_t now, unsigned *server,
	     uint64_t *when);

/* Brings every usable server forward to now, within its not_before
 * time: what sntp_update asks for. */
void sync_hurry(struct sync *s, uint64_t now);

/*
 * The request to server i into buf: its length, or a negative errno
 * (ntp_request_encode's or nts_request_encode's, after which the server
 * waits as if the request was lost; -ENOENT: an NTS server has no cookie
 * left, run NTS-KE).  transmit_ts is random and never 0.  The server is
 * then in flight until its reply or sync_timeout.
 */
int sync_request(struct sync *s, unsigned i, uint64_t transmit_ts, uint64_t now,
		 uint8_t *buf, size_t cap);

/* Where the request went (NetAPI's answer to the authorisation), and the
 * local clock as it left. */
void sync_sent_to(struct sync *s, unsigned i, const struct sync_address *to,
		  int64_t t1_unix_ns);

/* A datagram for server i's request, from `from`, that arrived at t4 on
 * the local clock; see the top of the file. */
enum sync_outcome sync_reply(struct sync *s, unsigned i, const uint8_t *pkt,
			     size_t len, const struct sync_address *from,
			     int64_t t4_unix_ns, uint64_t now);

/* Server i's request went unanswered (or could not be sent). */
void sync_timeout(struct sync *s, unsigned i, uint64_t now);
/* No request could be built for server i (no randomness, libcrypto
 * failed): it counts as lost, so the server waits as after a timeout
 * rather than falling due again at once.  sync_request does this
 * itself for its own failures. */
void sync_not_sent(struct sync *s, unsigned i, uint64_t now);

/* No request in flight and no key exchange under way. */
bool sync_settled(const struct sync *s);
/* Some sample has not been through a selection yet. */
bool sync_has_fresh(const struct sync *s);

/* 0 and *out; -ENODATA (no sample young enough) or -EDOM (no
 * majority, counted). */
int sync_choose(struct sync *s, uint64_t now, struct sync_choice *out);

/* ---- NTS ---- */

/* An NTS server that needs keys, and may try for them at now: its
 * index and 1, else 0 and when one may into *when. */
int sync_wants_key_exchange(const struct sync *s, uint64_t now,
			    unsigned *server, uint64_t *when);
void sync_key_exchange_started(struct sync *s, unsigned i);
/*
 * A key exchange succeeded: the keys exported from TLS, the response
 * (cookies, and the NTP server and port it names, or the NTS-KE host
 * and port 123), due at once.  -EINVAL if the response is incomplete,
 * counted as a failure; the keys and cookies held stay.  The next
 * exchange may start SYNC_KE_RETRY_MIN_NS later, doubling with each
 * exchange up to SYNC_KE_RETRY_MAX_NS until an authentic reply.
 */
int sync_key_exchange_done(struct sync *s, unsigned i,
			   const struct nts_keys *keys,
			   const struct nts_ke_response *ke, uint64_t now);
/* It failed: try again after SYNC_KE_RETRY_MIN_NS, doubling each time
 * up to SYNC_KE_RETRY_MAX_NS. */
void sync_key_exchange_failed(struct sync *s, unsigned i, uint64_t now);

#endif
