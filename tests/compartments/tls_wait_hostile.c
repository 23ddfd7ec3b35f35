/*
 * The hostile application of tests/attack/parked-tls-waits.sh: the TLS
 * compartment's side of tests/attack/parked-waits.sh.  It creates TLS
 * sessions up to its tls_sessions quota (to a server that never writes),
 * parks a receive on every one, asks for a second on each, creates one
 * past the quota, then floods TLS: receives on sessions whose receive
 * waits, receives on a handle it made up, and the TLS exporter, which
 * the image does not let it call.  It logs what each got, as RESULT
 * lines, and keeps everything until it is killed; its successor creates
 * and parks the same again, which it can only if TLS released its
 * predecessor's sessions.
 *
 * The receives are parked with the runtime's asynchronous calls
 * (runtime/call.h), which the public SDK does not offer.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "boot.h"
#include "log.h"

SEALNET_COMPARTMENT("tls_wait_hostile");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
/* A TLS server that reads and never writes: a receive on it waits. */
SEALNET_CONNECTION_CAPABILITY(sink, SEALNET_TCP, "sink.test", 4440);
/* The test opens this port when the attack may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7009);
/* More sessions than a caller may have calls in flight
 * (SN_MAX_IN_FLIGHT, 16); sockets to spare, so that the create past the
 * quota meets TLS's quota and not TCPIP's. */
#define QUOTA 20u
SEALNET_QUOTA(tls_sessions, QUOTA);
SEALNET_QUOTA(sockets, QUOTA + 4);
SEALNET_RESTART(on_failure, 3);

#define T	     (20 * SN_SECOND)
#define PARK_FOR     (600 * SN_SECOND)
#define FLOOD_FOR    (4 * SN_SECOND)
#define FLOOD_DEPTH  64u
#define SECOND_ASK_T (500 * SN_MS)

static struct sn_compartment *self;
static struct sn_peer *tls;
static sealnet_tls_session sessions[QUOTA];
static unsigned nsessions;

#define NOT_YET 1
static int receive_status[QUOTA];

static void
parked_answer(void *ctx, int status, const sn_message_ref *reply)
{
	*(int *)ctx = status;
}

static uint32_t
receive_body(sn_builder *b, sn_handle h)
{
	uint32_t body = sn_tls_receive_start(b);

	sn_tls_receive_add_session(b, body, &h);
	sn_tls_receive_add_max_bytes(b, body, 1024);
	return body;
}

static sn_handle
handle_of(sealnet_tls_session s)
{
	return (sn_handle){s.slot, s.generation, s.tag};
}

static unsigned
still_parked(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nsessions; i++)
		n += receive_status[i] == NOT_YET;
	return n;
}

static int
wait_for_go(void)
{
	uint64_t end = sn_now_ns() + 120 * SN_SECOND;
	sealnet_socket s;

	while (sn_now_ns() < end) {
		if (network_socket_connect_tcp(T, SEALNET_CAPABILITY(go), &s) ==
		    0)
			return network_socket_close(T, s);
		sn_loop_run_once(&self->loop, sn_now_ns() + 100 * SN_MS);
	}
	return -ETIMEDOUT;
}

/* ---- the flood ---- */

enum flood_kind {
	FLOOD_RECEIVE,	/* on a session whose receive is parked */
	FLOOD_FORGED,	/* on a handle it made up */
	FLOOD_EXPORTER, /* the TLS exporter, SNTP's alone */
	FLOOD_KINDS
};

static const char *const kind_name[FLOOD_KINDS] = {
    "receive", "forged", "tls_connection_keying_material"};
static const int kind_expected[FLOOD_KINDS] = {-EBUSY, -EPERM, -EPERM};
static uint64_t answered[FLOOD_KINDS], as_expected[FLOOD_KINDS];
static uint64_t unexpected, in_flood;
static int first_unexpected_kind = -1, first_unexpected_status;

static void
flood_answer(void *ctx, int status, const sn_message_ref *reply)
{
	enum flood_kind k = (enum flood_kind)(uintptr_t)ctx;

	in_flood--;
	answered[k]++;
	if (status == kind_expected[k]) {
		as_expected[k]++;
		return;
	}
	if (unexpected++ == 0) {
		first_unexpected_kind = (int)k;
		first_unexpected_status = status;
	}
}

static int
flood_one(enum flood_kind k, unsigned i)
{
	sn_builder *b = sn_call_builder(self);
	sn_handle h = handle_of(sessions[i % nsessions]);
	uint16_t export_id = SN_EXPORT_TLS_CONNECTION_RECEIVE;
	uint8_t body_type = SN_BODY_TLS_RECEIVE;
	uint32_t body;

	switch (k) {
	case FLOOD_RECEIVE:
		body = receive_body(b, h);
		break;
	case FLOOD_FORGED:
		h.tag ^= UINT64_C(0x5a5a5a5a5a5a5a5a);
		body = receive_body(b, h);
		break;
	case FLOOD_EXPORTER:
	default:
		export_id = SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL;
		body_type = SN_BODY_TLS_KEYING_MATERIAL;
		body = sn_tls_keying_material_start(b);
		sn_tls_keying_material_add_session(b, body, &h);
		sn_tls_keying_material_add_label(b, body, "x", 1);
		sn_tls_keying_material_add_length(b, body, 32);
		break;
	}
	return sn_call_async(tls, export_id, body_type, body, T, flood_answer,
			     (void *)(uintptr_t)k);
}

static int64_t
flood(void)
{
	uint64_t end = sn_now_ns() + FLOOD_FOR;
	int64_t sent = 0;

	while (sn_now_ns() < end) {
		while (in_flood < FLOOD_DEPTH) {
			enum flood_kind k =
			    (enum flood_kind)(sent % FLOOD_KINDS);
			int rc = flood_one(k, (unsigned)(sent / FLOOD_KINDS));

			if (rc < 0)
				return rc;
			in_flood++;
			sent++;
		}
		sn_loop_run_once(&self->loop, end);
	}
	end = sn_now_ns() + T;
	while (in_flood > 0 && sn_now_ns() < end)
		sn_loop_run_once(&self->loop, end);
	return sent;
}

static void
report_flood(int64_t sent)
{
	uint64_t total = 0;

	for (unsigned k = 0; k < FLOOD_KINDS; k++)
		total += answered[k];
	if (sent < 0) {
		sn_log("RESULT hostile flood: a call could not be sent: %s",
		       strerror((int)-sent));
		return;
	}
	sn_log("RESULT hostile flood: %lld calls sent, %llu answered, %llu "
	       "not as documented",
	       (long long)sent, (unsigned long long)total,
	       (unsigned long long)unexpected);
	for (unsigned k = 0; k < FLOOD_KINDS; k++)
		sn_log("RESULT hostile flood %s: %llu of %llu answered %s",
		       kind_name[k], (unsigned long long)as_expected[k],
		       (unsigned long long)answered[k],
		       strerror(-kind_expected[k]));
	if (first_unexpected_kind >= 0)
		sn_log("RESULT hostile flood: first answer not as documented: "
		       "%s got %s",
		       kind_name[first_unexpected_kind],
		       first_unexpected_status
			   ? strerror(-first_unexpected_status)
			   : "ok");
}

/* ---- the attack ---- */

static void
create_to_quota(void)
{
	sealnet_tls_session s;
	int rc;

	while ((rc = tls_connection_create(T, SEALNET_CAPABILITY(sink), &s)) ==
		   0 &&
	       nsessions < QUOTA)
		sessions[nsessions++] = s;
	sn_log("RESULT hostile sessions: %u, then %s", nsessions,
	       rc ? strerror(-rc) : "one more");
}

static void
park_all(void)
{
	static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];
	unsigned parked = 0, busy = 0, sent = 0;

	for (unsigned i = 0; i < nsessions; i++) {
		sn_builder *b = sn_call_builder(self);

		receive_status[i] = NOT_YET;
		if (sn_call_async(tls, SN_EXPORT_TLS_CONNECTION_RECEIVE,
				  SN_BODY_TLS_RECEIVE,
				  receive_body(b, handle_of(sessions[i])),
				  PARK_FOR, parked_answer,
				  &receive_status[i]) == 0)
			parked++;
	}
	sn_loop_run_once(&self->loop, sn_now_ns() + 200 * SN_MS);
	sn_log("RESULT hostile parked: %u receives, %u still waiting", parked,
	       still_parked());
	for (unsigned i = 0; i < nsessions; i++) {
		sn_builder *b = sn_call_builder(self);

		busy +=
		    sn_call(tls, SN_EXPORT_TLS_CONNECTION_RECEIVE,
			    SN_BODY_TLS_RECEIVE,
			    receive_body(b, handle_of(sessions[i])),
			    SECOND_ASK_T, reply, sizeof(reply), NULL) == -EBUSY;
	}
	sn_log("RESULT hostile second receives: %u of %u refused with %s", busy,
	       nsessions, strerror(EBUSY));
	/* Calls that do not wait are answered though every session waits. */
	for (unsigned i = 0; i < nsessions; i++)
		sent += tls_connection_send(T, sessions[i], "y", 1, 0) == 1;
	sn_log("RESULT hostile sends while %u receives are parked: %u of %u "
	       "taken",
	       still_parked(), sent, nsessions);
}

int
main(void)
{
	bool first;

	if (sealnet_start() < 0 || network_start(30 * SN_SECOND) < 0) {
		sn_log("RESULT hostile: no network");
		return 1;
	}
	self = sn_compartment_self();
	tls = self ? sn_export_peer(self, SN_EXPORT_TLS_CONNECTION_RECEIVE)
		   : NULL;
	if (tls == NULL || wait_for_go() < 0) {
		sn_log("RESULT hostile: no TLS, or no go");
		return 1;
	}
	first = sealnet_incarnation() == 1;
	sn_log("RESULT hostile incarnation %u begins",
	       (unsigned)sealnet_incarnation());
	create_to_quota();
	if (nsessions == 0)
		return 1;
	park_all();
	if (first) {
		sn_log("RESULT hostile flooding");
		report_flood(flood());
	}
	sn_log("RESULT hostile holds %u parked receives", still_parked());
	for (;;)
		sn_loop_run_once(&self->loop, 0);
}
