/*
 * The Runtime compartment: the smallest service, used by the demo, the
 * tests and the benchmark.  It echoes, answers null calls, and issues and
 * checks handles, so that every boundary rule can be exercised without a
 * network.
 *
 * SIGUSR1 makes it fault for real: as the init of its pid namespace it
 * would ignore a SIGSEGV sent from outside, so a test that wants a true
 * segfault asks for one this way.
 */
#include <signal.h>
#include <stdlib.h>

/* A service, not an application: it answers calls and issues handles,
 * which only the runtime's callee API (runtime/call.h, handle.h) can. */
#include "boot.h"
#include "handle.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("Runtime");
SEALNET_QUOTA(memory_bytes, 64 << 20);
SEALNET_RESTART(always, 10);

static struct sn_compartment compartment;
static struct sn_handle_entry handle_slots[64];
static struct sn_handle_table handles;

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}

static void
serve_echo(void *ctx, struct sn_incoming *in)
{
	sn_bytes_ref req = sn_message_body_as_bytes(in->request);
	uint32_t len;
	const uint8_t *data = sn_bytes_data(req, &len);
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, data, len);
	sn_reply_ok(in, SN_BODY_BYTES, body);
}

static void
serve_handle_new(void *ctx, struct sn_incoming *in)
{
	struct sn_handle_id id;
	int rc =
	    sn_handle_alloc(&handles, sn_peer_identity(in->peer), NULL, &id);

	if (rc < 0) {
		sn_reply_error(in, rc);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_handle_reference_start(b);
	sn_handle h = {id.slot, id.generation, id.tag};

	sn_handle_reference_add_handle(b, body, &h);
	sn_reply_ok(in, SN_BODY_HANDLE_REFERENCE, body);
}

static void
serve_handle_check(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct sn_handle_id id;
	void *object;

	sn_handle_reference_handle(
	    sn_message_body_as_handle_reference(in->request), &h);
	id = (struct sn_handle_id){h.slot, h.generation, h.tag};
	if (sn_handle_lookup(&handles, sn_peer_identity(in->peer), &id,
			     &object) < 0) {
		if (sn_log_worth(handles.refused))
			sn_log("refused a handle from %s: not one it owns "
			       "(%llu so far)",
			       in->peer->name,
			       (unsigned long long)handles.refused);
		sn_reply_error(in, -EPERM);
		return;
	}
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}

/* Read through a volatile pointer, so the compiler cannot see the fault
 * coming and replace it with something else. */
static int *volatile nowhere;

static void
fault_on_request(int sig)
{
	(void)sig;
	*nowhere = 1;
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(runtime_null, serve_null);
SEALNET_EXPORT(runtime_echo, serve_echo);
SEALNET_EXPORT(runtime_handle_new, serve_handle_new);
SEALNET_EXPORT(runtime_handle_check, serve_handle_check);

int
main(void)
{
	struct sigaction sa = {.sa_handler = fault_on_request};

	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return 1;
	sn_handle_table_init(&handles, handle_slots, 64);
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
