/*
 * Crashes for real, soon after it is ready, for its first 200
 * incarnations; the 201st stays.  Each incarnation first calls Runtime
 * over the channel its restart made, so every one of those channels is
 * used.  Its peers receive a new channel at every restart: the test
 * counts what that leaves them holding, and a peer that never reads its
 * control socket (deaf) sees its queue fill.
 */
#include <string.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("crasher");
SEALNET_IMPORT(runtime_echo);
SEALNET_RESTART(always, 400);

#define CRASHES 200u

static struct sn_compartment compartment;
static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];
static uint64_t echo_failures;
/* Read through a volatile pointer, so the fault is a real one. */
static int *volatile nowhere;

static int
echo(struct sn_peer *runtime)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, "crash", 5);
	return sn_call(runtime, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body,
		       100 * SN_MS, reply, sizeof(reply), NULL);
}

/* So that the deaf compartment has something to import from us. */
static void
serve_ping(void *ctx, struct sn_incoming *in)
{
	(void)ctx;
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}
SEALNET_EXPORT(crasher_ping, serve_ping);

static void
crash(void *ctx)
{
	(void)ctx;
	*nowhere = 1;
}

int
main(void)
{
	struct sn_peer *runtime;
	uint32_t n;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	runtime = sn_export_peer(&compartment, SN_EXPORT_RUNTIME_ECHO);
	if (runtime == NULL)
		return 1;
	n = sn_compartment_incarnation();
	if (echo(runtime) != 0 && sn_log_worth(++echo_failures))
		sn_log("incarnation %u: echo failed", n);
	if (n <= CRASHES) {
		sn_loop_add_timer(&compartment.loop, sn_now_ns() + SN_MS, crash,
				  NULL);
	} else {
		sn_log("incarnation %u: done crashing; echo %s", n,
		       echo(runtime) == 0 ? "ok" : "FAILED");
	}
	return sn_compartment_run(&compartment) < 0;
}
