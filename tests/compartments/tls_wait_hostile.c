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
#include "hostile_probes.h"
#include "log.h"
#include "waiting.h"

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
#define SECOND_ASK_T (500 * SN_MS)

static struct sn_compartment *self;
static struct sn_peer *tls;
static sealnet_tls_session sessions[QUOTA];
static unsigned nsessions;

static int receive_status[QUOTA];

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

/* ---- the flood ---- */

enum flood_kind {
	FLOOD_RECEIVE,	/* on a session whose receive is parked */
	FLOOD_FORGED,	/* on a handle it made up */
	FLOOD_EXPORTER, /* the TLS exporter, SNTP's alone */
	FLOOD_KINDS
};

static struct hostile_flood flood = {
    .kinds = {[FLOOD_RECEIVE] = {.name = "receive", .expected = -EBUSY},
	      [FLOOD_FORGED] = {.name = "forged", .expected = -EPERM},
	      [FLOOD_EXPORTER] = {.name = "tls_connection_keying_material",
				  .expected = -EPERM}},
    .nkinds = FLOOD_KINDS,
};

static int
flood_one(unsigned kind, unsigned round, sn_reply_fn done, void *ctx)
{
	sn_builder *b = sn_call_builder(self);
	sn_handle h = handle_of(sessions[round % nsessions]);
	uint16_t export_id = SN_EXPORT_TLS_CONNECTION_RECEIVE;
	uint8_t body_type = SN_BODY_TLS_RECEIVE;
	uint32_t body;

	switch ((enum flood_kind)kind) {
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
	return sn_call_async(tls, export_id, body_type, body, T, done, ctx);
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

		receive_status[i] = HOSTILE_NOT_YET;
		if (sn_call_async(tls, SN_EXPORT_TLS_CONNECTION_RECEIVE,
				  SN_BODY_TLS_RECEIVE,
				  receive_body(b, handle_of(sessions[i])),
				  PARK_FOR, hostile_parked_answer,
				  &receive_status[i]) == 0)
			parked++;
	}
	sn_loop_run_once(&self->loop, sn_now_ns() + 200 * SN_MS);
	sn_log("RESULT hostile parked: %u receives, %u still waiting", parked,
	       hostile_still_parked(receive_status, nsessions));
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
	       hostile_still_parked(receive_status, nsessions), sent,
	       nsessions);
}

int
main(void)
{
	tls = hostile_begin(SN_EXPORT_TLS_CONNECTION_RECEIVE, "TLS",
			    SEALNET_CAPABILITY(go));
	if (tls == NULL)
		return 1;
	self = sn_compartment_self();
	create_to_quota();
	if (nsessions == 0)
		return 1;
	park_all();
	if (sealnet_incarnation() == 1)
		hostile_flood(self, &flood, flood_one, T);
	sn_log("RESULT hostile holds %u parked receives",
	       hostile_still_parked(receive_status, nsessions));
	hostile_hold(self);
}
