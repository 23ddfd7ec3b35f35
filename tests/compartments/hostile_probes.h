/*
 * What the hostile stand-ins for a service compartment share (tls_hostile
 * and mqtt_hostile, each taking a real compartment's name and exports;
 * hostile, the hostile application, makes its connects here too): calls
 * made by hand with the runtime's caller API, each attempt's outcome in
 * the words the tests read, and the loop that keeps what a caller
 * presented until the attacks on it have run.  And what the hostile
 * applications of the parked-waits tests (tests/attack/parked-*waits.sh)
 * share: their start (which waits for the test's go with waiting.c),
 * calls left parked, a flood whose every answer is tallied, and the
 * wait for their end.
 */
#ifndef SEALNET_TESTS_HOSTILE_PROBES_H
#define SEALNET_TESTS_HOSTILE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The runtime's own headers: the probes make calls by hand. */
#include "boot.h"
#include "sealnet/compartment.h"

/* How long each probe waits for its answer. */
#define HOSTILE_TIMEOUT (2 * SN_SECOND)
/* Presentations kept at once: more are refused with -EBUSY. */
#define HOSTILE_PRESENTED_MAX 4

/* "ok", or strerror of the negative errno: what a RESULT line says. */
const char *hostile_said(int rc);

/* A call to export_id with the body built in sn_call_builder(c); the
 * reply, if reply is not NULL, stays valid until the next probe. */
int hostile_call(struct sn_compartment *c, uint16_t export_id,
		 uint8_t body_type, uint32_t body, sn_message_ref *reply);

/* A connection capability for host and port, built in b. */
uint32_t hostile_capability(sn_builder *b, uint8_t protocol, const char *host,
			    uint16_t port);

/* network_socket_connect_tcp with a capability it makes up. */
int hostile_connect_with(struct sn_compartment *c, const char *host,
			 uint16_t port, uint64_t timeout);

/* A UDP socket owned by `owner`: a send to 10.0.0.1:port with no hole,
 * then a hole asked for with the caller's host; a RESULT line for each. */
void hostile_udp_attempts(struct sn_compartment *c, const char *owner,
			  const char *host, uint16_t port);

/* What a caller presented: the handle it handed over and the host and
 * port of its capability, kept with its deferred call. */
struct hostile_presented {
	bool waiting;
	struct sn_deferred d;
	sn_handle handle;
	char host[SN_HOST_MAX + 1];
	uint16_t port;
};

/* Keeps what `in` presented in a free slot and defers the call; with no
 * slot free, or a host too long to keep, answers -EBUSY. */
void hostile_keep(struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
		  struct sn_incoming *in, sn_connection_capability_ref cap,
		  const sn_handle *handle);

/* Serves calls; after each step runs attack on every kept presentation,
 * then refuses its call with -EACCES.  Returns only on a failed step. */
int hostile_serve(struct sn_compartment *c,
		  struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
		  void (*attack)(struct hostile_presented *p));

/* ---- parked calls ---- */

/* What a parked call's status holds until it is answered. */
#define HOSTILE_NOT_YET 1

/* An sn_reply_fn for a parked call: keeps its status in *(int *)ctx. */
void hostile_parked_answer(void *ctx, int status, const sn_message_ref *reply);

/* How many of the n statuses are still HOSTILE_NOT_YET. */
unsigned hostile_still_parked(const int *status, unsigned n);

/* ---- floods ---- */

/* How long a flood sends, and how many of its calls are in flight at
 * once: more than a caller may have (SN_MAX_IN_FLIGHT), so that the
 * callee's refusals of the rest are tallied too. */
#define HOSTILE_FLOOD_FOR	(4 * SN_SECOND)
#define HOSTILE_FLOOD_DEPTH	64u
#define HOSTILE_FLOOD_KINDS_MAX 8u

struct hostile_flood;

/* One kind of call of a flood: the caller sets name and expected. */
struct hostile_flood_kind {
	const char *name; /* as the RESULT lines call it */
	int expected;	  /* the answer the documentation gives it */
	bool has_also;	  /* and, if set, a second one */
	int also;
	uint64_t answered, as_expected;
	struct hostile_flood *flood;
};

/* A flood's kinds, in the order it sends them, and its tallies. */
struct hostile_flood {
	struct hostile_flood_kind kinds[HOSTILE_FLOOD_KINDS_MAX];
	unsigned nkinds;
	uint64_t in_flight, unexpected;
	int first_unexpected_kind, first_unexpected_status;
};

/* Starts the round-th call of a kind, answered through done(ctx, ...):
 * 0, or the error that kept it from being sent. */
typedef int hostile_flood_send(unsigned kind, unsigned round, sn_reply_fn done,
			       void *ctx);

/* "RESULT hostile flooding"; calls of each kind in turn, with
 * HOSTILE_FLOOD_DEPTH in flight, for HOSTILE_FLOOD_FOR; up to drain_ns
 * for the last answers; then RESULT lines: what was sent and answered,
 * each kind's tally, and the first answer not as documented (or the
 * error sending a call, -EINVAL for no kinds or too many). */
void hostile_flood(struct sn_compartment *c, struct hostile_flood *f,
		   hostile_flood_send *send, uint64_t drain_ns);

/* ---- a hostile application's life ---- */

/* Starts the compartment and its network, finds the peer serving
 * export_id (service names it in RESULT lines) and waits for the test's
 * go; then logs "RESULT hostile incarnation N begins".  The peer, or NULL
 * after a RESULT line saying what is missing. */
struct sn_peer *hostile_begin(uint16_t export_id, const char *service,
			      const struct sealnet_declaration *go);

/* Keeps everything it holds, its parked calls answered or not, until
 * it is killed. */
_Noreturn void hostile_hold(struct sn_compartment *c);

#endif
