/*
 * Nine calls in flight from one compartment at once.  The public API's
 * calls each wait for their answer, so this one test reaches past it, to
 * the runtime's asynchronous calls (runtime/call.h), on the compartment
 * sealnet_start() booted.  Everything else tcp_test does uses only the
 * public SDK.
 */
#include "netapi_flood.h"

#include <stdint.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "boot.h"
#include "log.h"

/* NetAPI works on at most 8 calls of one caller at a time, so no caller
 * can hold all of its slots: the 9th is refused at once. */
static unsigned flood_answered;
static int flood_status[9];

static void
flood_reply(void *ctx, int status, const sn_message_ref *reply)
{
	flood_status[(uintptr_t)ctx] = status;
	flood_answered++;
}

void
netapi_caller_limit(const struct sealnet_declaration *silent,
		    const struct sealnet_declaration *working)
{
	struct sn_compartment *compartment = sn_compartment_self();
	struct sn_peer *netapi =
	    compartment ? sn_export_peer(compartment,
					 SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP)
			: NULL;
	const struct sealnet_declaration *d = silent;
	uint64_t end = sn_now_ns() + 5000 * SN_MS;
	unsigned held = 0;
	sealnet_socket s;
	int rc;

	if (netapi == NULL) {
		sn_log("RESULT netapi caller limit: not joined to NetAPI");
		return;
	}
	for (uintptr_t i = 0; i < 9; i++) {
		sn_builder *b = sn_call_builder(compartment);
		uint32_t body = sn_connect_start(b);
		uint32_t cap = sn_connection_capability_start(b);

		sn_connection_capability_add_protocol(b, cap, d->protocol);
		sn_connection_capability_add_host(b, cap, d->text,
						  strlen(d->text));
		sn_connection_capability_add_port(b, cap, d->port);
		sn_connect_add_capability(b, body, cap);
		flood_status[i] = 1; /* not answered yet */
		if (sn_call_async(netapi, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
				  SN_BODY_CONNECT, body, 1000 * SN_MS,
				  flood_reply, (void *)i) < 0) {
			sn_log("RESULT netapi caller limit: call %u not sent",
			       (unsigned)i);
			return;
		}
	}
	/* The 9th is answered before the others can be. */
	while (flood_status[8] == 1 && sn_now_ns() < end)
		sn_loop_run_once(&compartment->loop, end);
	for (unsigned i = 0; i < 8; i++)
		held += flood_status[i] == 1;
	if (flood_status[8] != -EAGAIN || held != 8) {
		sn_log("RESULT netapi caller limit: the 9th got %d with %u "
		       "in progress",
		       flood_status[8], held);
		return;
	}
	while (flood_answered < 9 && sn_now_ns() < end)
		sn_loop_run_once(&compartment->loop, end);
	/* NetAPI ends each at its deadline, as the caller does. */
	sn_loop_run_once(&compartment->loop, sn_now_ns() + 300 * SN_MS);
	rc = network_socket_connect_tcp(5000 * SN_MS, working, &s);
	if (rc == 0)
		network_socket_close(1000 * SN_MS, s);
	sn_log("RESULT netapi caller limit: 8 in progress, the 9th refused "
	       "(-EAGAIN); once they ended, a connect: %s",
	       rc == 0 ? "ok" : strerror(-rc));
}
