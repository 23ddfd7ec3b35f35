/*
 * The hostile application of tests/attack/parked-waits.sh.  It opens
 * sockets up to its quota, parks an accept on its listening socket and a
 * receive on every connection (to a server that never answers), asks for
 * a second of each, then floods TCPIP with more: receives and accepts
 * that must find their slot taken, sends, sockets past its quota, and
 * exports the image does not let it call.  It logs what each got, as
 * RESULT lines, and keeps everything until it is killed; its successor
 * opens and parks the same again, which it can only if TCPIP released
 * its predecessor's sockets, and closes its listener with an accept
 * parked on it.
 *
 * An application cannot park a call with the public SDK, whose calls
 * each wait for their answer: this one uses the runtime's asynchronous
 * calls (runtime/call.h) on the compartment sealnet_start() booted, as an
 * attacker would.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "boot.h"
#include "hostile_probes.h"
#include "log.h"
#include "waiting.h"

SEALNET_COMPARTMENT("wait_hostile");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_listen_tcp);
SEALNET_IMPORT(network_socket_accept_tcp);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(network_socket_udp);
/* A server that reads and never writes: a receive on it waits. */
SEALNET_CONNECTION_CAPABILITY(sink, SEALNET_TCP, "sink.test", 7020);
/* The test opens this port when the attack may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7009);
SEALNET_BIND_CAPABILITY(server, 8080, 4, false);
/* More sockets than a caller may have calls in flight (SN_MAX_IN_FLIGHT,
 * 16): every wait parked beyond the 16th would stop TCPIP reading this
 * compartment's calls if waits counted as in flight. */
#define QUOTA 24u
SEALNET_QUOTA(sockets, QUOTA);
SEALNET_RESTART(on_failure, 3);

#define T	     (5 * SN_SECOND)
#define PARK_FOR     (600 * SN_SECOND)
#define SECOND_ASK_T (500 * SN_MS)

static struct sn_compartment *self;
static struct sn_peer *tcpip;
static sealnet_socket listener, conns[QUOTA];
static unsigned nconns;

/* What a parked call has been answered with; HOSTILE_NOT_YET until
 * then. */
static int accept_status = HOSTILE_NOT_YET, receive_status[QUOTA];

static sn_handle
handle_of(sealnet_socket s)
{
	return (sn_handle){s.slot, s.generation, s.tag};
}

/* The body of an accept (SocketReference) or a receive (Receive). */
static uint32_t
accept_body(sn_builder *b, sealnet_socket s)
{
	sn_handle h = handle_of(s);
	uint32_t body = sn_socket_reference_start(b);

	sn_socket_reference_add_socket(b, body, &h);
	return body;
}

static uint32_t
receive_body(sn_builder *b, sealnet_socket s)
{
	sn_handle h = handle_of(s);
	uint32_t body = sn_receive_start(b);

	sn_receive_add_socket(b, body, &h);
	sn_receive_add_max_bytes(b, body, 1024);
	return body;
}

static int
park_accept(int *status)
{
	sn_builder *b = sn_call_builder(self);

	return sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP,
			     SN_BODY_SOCKET_REFERENCE, accept_body(b, listener),
			     PARK_FOR, hostile_parked_answer, status);
}

static int
park_receive(sealnet_socket s, int *status)
{
	sn_builder *b = sn_call_builder(self);

	return sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_RECEIVE,
			     SN_BODY_RECEIVE, receive_body(b, s), PARK_FOR,
			     hostile_parked_answer, status);
}

static int
second_accept(void)
{
	sn_builder *b = sn_call_builder(self);
	static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

	return sn_call(tcpip, SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP,
		       SN_BODY_SOCKET_REFERENCE, accept_body(b, listener),
		       SECOND_ASK_T, reply, sizeof(reply), NULL);
}

static int
second_receive(sealnet_socket s)
{
	sn_builder *b = sn_call_builder(self);
	static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

	return sn_call(tcpip, SN_EXPORT_NETWORK_SOCKET_RECEIVE, SN_BODY_RECEIVE,
		       receive_body(b, s), SECOND_ASK_T, reply, sizeof(reply),
		       NULL);
}

static unsigned
still_parked(void)
{
	return (accept_status == HOSTILE_NOT_YET) +
	       hostile_still_parked(receive_status, nconns);
}

/* ---- the flood ---- */

enum flood_kind {
	FLOOD_RECEIVE,	 /* on a socket whose receive is parked */
	FLOOD_ACCEPT,	 /* on the listener whose accept is parked */
	FLOOD_UDP,	 /* a socket past the quota */
	FLOOD_FORBIDDEN, /* TCPIP's connect, NetAPI's alone to call */
	FLOOD_ADDRESS,	 /* another export not imported */
	FLOOD_SEND,	 /* one byte to the sink, which reads it all */
	FLOOD_KINDS
};

static struct hostile_flood flood = {
    .kinds = {[FLOOD_RECEIVE] = {.name = "receive", .expected = -EBUSY},
	      [FLOOD_ACCEPT] = {.name = "accept", .expected = -EBUSY},
	      [FLOOD_UDP] = {.name = "udp", .expected = -EDQUOT},
	      [FLOOD_FORBIDDEN] = {.name = "tcpip_socket_connect",
				   .expected = -EPERM},
	      [FLOOD_ADDRESS] = {.name = "tcpip_address_get",
				 .expected = -EPERM},
	      /* Taken, or refused while another send on the socket
	       * waits for room in lwIP. */
	      [FLOOD_SEND] = {.name = "send",
			      .expected = 0,
			      .has_also = true,
			      .also = -EBUSY}},
    .nkinds = FLOOD_KINDS,
};

static int
flood_one(unsigned kind, unsigned round, sn_reply_fn done, void *ctx)
{
	sn_builder *b = sn_call_builder(self);
	sealnet_socket s = conns[round % nconns];
	uint16_t export_id;
	uint8_t body_type;
	uint32_t body;

	switch ((enum flood_kind)kind) {
	case FLOOD_RECEIVE:
		export_id = SN_EXPORT_NETWORK_SOCKET_RECEIVE;
		body_type = SN_BODY_RECEIVE;
		body = receive_body(b, s);
		break;
	case FLOOD_ACCEPT:
		export_id = SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP;
		body_type = SN_BODY_SOCKET_REFERENCE;
		body = accept_body(b, listener);
		break;
	case FLOOD_UDP:
		export_id = SN_EXPORT_NETWORK_SOCKET_UDP;
		body_type = SN_BODY_SOCKET_LISTEN;
		body = sn_socket_listen_start(b);
		sn_socket_listen_add_owner(b, body, self->name,
					   strlen(self->name));
		break;
	case FLOOD_FORBIDDEN:
		export_id = SN_EXPORT_TCPIP_SOCKET_CONNECT;
		body_type = SN_BODY_SOCKET_CONNECT;
		body = sn_socket_connect_start(b);
		sn_socket_connect_add_owner(b, body, self->name,
					    strlen(self->name));
		sn_socket_connect_add_protocol(b, body, SN_PROTOCOL_TCP);
		break;
	case FLOOD_SEND: {
		sn_handle h = handle_of(s);

		export_id = SN_EXPORT_NETWORK_SOCKET_SEND;
		body_type = SN_BODY_SEND;
		body = sn_send_start(b);
		sn_send_add_socket(b, body, &h);
		sn_send_add_data(b, body, "y", 1);
		break;
	}
	case FLOOD_ADDRESS:
	default:
		export_id = SN_EXPORT_TCPIP_ADDRESS_GET;
		body_type = SN_BODY_EMPTY;
		body = sn_empty_start(b);
		break;
	}
	return sn_call_async(tcpip, export_id, body_type, body, T, done, ctx);
}

/* ---- the attack ---- */

static void
open_to_quota(void)
{
	sealnet_socket s;
	int rc;

	rc =
	    network_socket_listen_tcp(T, SEALNET_CAPABILITY(server), &listener);
	if (rc < 0) {
		sn_log("RESULT hostile listen: %s", strerror(-rc));
		return;
	}
	while ((rc = network_socket_connect_tcp(T, SEALNET_CAPABILITY(sink),
						&s)) == 0 &&
	       nconns < QUOTA)
		conns[nconns++] = s;
	/* The listener counts toward the quota too. */
	sn_log("RESULT hostile sockets: a listener and %u connections, then "
	       "%s",
	       nconns, rc ? strerror(-rc) : "one more");
}

static void
park_all(void)
{
	unsigned busy = 0, parked = 0;
	int rc;

	if (park_accept(&accept_status) == 0)
		parked++;
	for (unsigned i = 0; i < nconns; i++) {
		receive_status[i] = HOSTILE_NOT_YET;
		if (park_receive(conns[i], &receive_status[i]) == 0)
			parked++;
	}
	/* Long enough for any answer a parked call could get at once. */
	sn_loop_run_once(&self->loop, sn_now_ns() + 200 * SN_MS);
	sn_log("RESULT hostile parked: %u calls, %u still waiting", parked,
	       still_parked());
	rc = second_accept();
	sn_log("RESULT hostile second accept: %s", strerror(-rc));
	for (unsigned i = 0; i < nconns; i++)
		busy += second_receive(conns[i]) == -EBUSY;
	sn_log("RESULT hostile second receives: %u of %u refused with %s", busy,
	       nconns, strerror(EBUSY));
}

static void
past_the_quota(void)
{
	sealnet_socket s;
	unsigned sent = 0;
	int connect =
	    network_socket_connect_tcp(T, SEALNET_CAPABILITY(sink), &s);
	int udp = network_socket_udp(T, 0, &s);

	sn_log("RESULT hostile past the quota: connect %s, udp %s",
	       connect ? strerror(-connect) : "ok",
	       udp ? strerror(-udp) : "ok");
	/* Calls that do not wait are answered though every slot waits. */
	for (unsigned i = 0; i < nconns; i++)
		sent += network_socket_send(T, conns[i], "y", 1) == 1;
	sn_log("RESULT hostile sends while %u calls are parked: %u of %u "
	       "taken",
	       still_parked(), sent, nconns);
}

/* Closing a listener answers the accept parked on it and frees its
 * port and its place in the quota. */
static void
close_listener(void)
{
	uint64_t end = sn_now_ns() + T;
	int closed = network_socket_close(T, listener), again;

	while (accept_status == HOSTILE_NOT_YET && sn_now_ns() < end)
		sn_loop_run_once(&self->loop, end);
	again =
	    network_socket_listen_tcp(T, SEALNET_CAPABILITY(server), &listener);
	sn_log("RESULT hostile closes its listener: %s; its parked accept "
	       "got %s; listening again: %s",
	       closed ? strerror(-closed) : "ok",
	       accept_status == HOSTILE_NOT_YET ? "nothing"
	       : accept_status			? strerror(-accept_status)
						: "a connection",
	       again ? strerror(-again) : "ok");
}

int
main(void)
{
	tcpip = hostile_begin(SN_EXPORT_NETWORK_SOCKET_RECEIVE, "TCPIP",
			      SEALNET_CAPABILITY(go));
	if (tcpip == NULL)
		return 1;
	self = sn_compartment_self();
	open_to_quota();
	if (nconns == 0)
		return 1;
	park_all();
	past_the_quota();
	if (sealnet_incarnation() == 1)
		hostile_flood(self, &flood, flood_one, 2 * T);
	else
		close_listener();
	sn_log("RESULT hostile holds %u parked calls", still_parked());
	hostile_hold(self);
}
