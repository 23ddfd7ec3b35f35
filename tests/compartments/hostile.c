/*
 * A hostile application compartment.  It tries, in turn, everything the
 * boundary must refuse, and prints what each attempt returned:
 *
 *   exports it does not import; forged and guessed handles; capabilities
 *   it does not hold; malformed messages written straight into its ring;
 *   an oversized message; a flood of requests it never waits for; and
 *   last, a ring index no honest runtime would write.
 *
 * The test reads these lines, the callees' refusal counts, and the
 * well-behaved app's reports for the same seconds.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* The runtime's own headers, not the public SDK: the attacks build
 * messages by hand and write them, and impossible indices, straight into
 * the channels' rings. */
#include "boot.h"
#include "channel_shm.h"
#include "hostile_probes.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("hostile");
SEALNET_IMPORT(runtime_echo);
SEALNET_IMPORT(runtime_handle_new);
SEALNET_IMPORT(runtime_handle_check);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_CONNECTION_CAPABILITY(allowed, SEALNET_TCP, "allowed.test", 443);
SEALNET_RESTART(never, 0);

static struct sn_compartment compartment;
static struct sn_peer *runtime;
static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];
static _Alignas(8) uint8_t raw[SN_MAX_MESSAGE + 64];

static void
result(const char *attack, unsigned tries, unsigned refused, const char *how)
{
	sn_log("ATTACK %s: %u tries, %u refused with %s", attack, tries,
	       refused, how);
}

static int
call_empty(struct sn_peer *p, uint16_t export_id)
{
	sn_builder *b = sn_call_builder(&compartment);

	return sn_call(p, export_id, SN_BODY_EMPTY, sn_empty_start(b),
		       200 * SN_MS, reply, sizeof(reply), NULL);
}

static int
echo(void)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, "x", 1);
	return sn_call(runtime, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body,
		       200 * SN_MS, reply, sizeof(reply), NULL);
}

static int
check_handle(const sn_handle *h)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_handle_reference_start(b);

	sn_handle_reference_add_handle(b, body, h);
	return sn_call(runtime, SN_EXPORT_RUNTIME_HANDLE_CHECK,
		       SN_BODY_HANDLE_REFERENCE, body, 200 * SN_MS, reply,
		       sizeof(reply), NULL);
}

static int
connect_to(const char *host, uint16_t port)
{
	return hostile_connect_with(&compartment, host, port, 200 * SN_MS);
}

static void
not_imported(void)
{
	unsigned refused = 0;

	for (unsigned i = 0; i < 100; i++)
		refused +=
		    call_empty(runtime, SN_EXPORT_RUNTIME_NULL) == -EPERM;
	result("export not imported (runtime_null)", 100, refused, "-EPERM");
}

static void
forged_handles(void)
{
	sn_handle own, forged;
	unsigned refused = 0;
	sn_builder *b = sn_call_builder(&compartment);
	sn_message_ref m;

	/* One real handle first: the check can succeed, so refusals below
	 * are the check working, not the export being broken. */
	if (sn_call(runtime, SN_EXPORT_RUNTIME_HANDLE_NEW, SN_BODY_EMPTY,
		    sn_empty_start(b), 200 * SN_MS, reply, sizeof(reply),
		    &m) == 0 &&
	    sn_handle_reference_handle(sn_message_body_as_handle_reference(m),
				       &own))
		sn_log("own handle: %s",
		       check_handle(&own) == 0 ? "accepted" : "REFUSED");
	for (unsigned i = 0; i < 1000; i++) {
		if (getrandom(&forged, sizeof(forged), 0) != sizeof(forged))
			return;
		/* Half aim at live slots and generations (the app's and our
		 * own), guessing only the tag. */
		if (i % 2) {
			forged.slot = i % 4;
			forged.generation = 1;
		}
		refused += check_handle(&forged) == -EPERM;
	}
	result("forged handles", 1000, refused, "-EPERM");
}

static void
capabilities(void)
{
	unsigned refused = 0;

	for (unsigned i = 0; i < 100; i++)
		refused += connect_to(i % 2 ? "evil.test" : "allowed.test",
				      i % 2 ? 443 : 444) == -EPERM;
	result("capabilities not held", 100, refused, "-EPERM");
	sn_log("capability held: connect returned %s",
	       strerror(-connect_to("allowed.test", 443)));
}

static void
malformed(void)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < 1000; i++) {
		size_t len = 8 + i % 500;

		if (getrandom(raw, len, 0) != (ssize_t)len)
			return;
		/* Half carry the right identifier, so they get further
		 * into the verifier. */
		if (i % 2)
			memcpy(raw + 4, "SNL1", 4);
		while (sn_channel_send(&runtime->channel, raw, len) == -EAGAIN)
			sn_loop_run_once(&compartment.loop,
					 sn_now_ns() + 10 * SN_MS);
		sent++;
	}
	sn_log("ATTACK malformed messages: %u sent; echo afterwards: %s", sent,
	       echo() == 0 ? "ok" : "FAILED");
	sn_log("ATTACK oversized message: send returned %s",
	       strerror(-sn_channel_send(&runtime->channel, raw,
					 SN_MAX_MESSAGE + 1)));
}

/* Valid requests as fast as the ring takes them, never reading replies. */
static void
flood(void)
{
	sn_builder b;
	uint32_t msg, body;
	size_t len;
	uint64_t end = sn_now_ns() + 3000 * SN_MS, sent = 0, full = 0;

	sn_builder_init(&b, raw, sizeof(raw));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, 1);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_RUNTIME_ECHO);
	body = sn_bytes_start(&b);
	sn_bytes_add_data(&b, body, "flood", 5);
	sn_message_add_body(&b, msg, SN_BODY_BYTES, body);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return;
	while (sn_now_ns() < end) {
		if (sn_channel_send(&runtime->channel, raw, len) == 0)
			sent++;
		else
			full++;
	}
	sn_log("ATTACK flood: %llu requests sent in 3 s, %llu refused by a "
	       "full ring",
	       (unsigned long long)sent, (unsigned long long)full);
}

/* A tail index past the ring: the callee must drop us, nobody else. */
static void
break_ring(void)
{
	struct sn_channel *ch = &runtime->channel;

	atomic_store(&ch->shm->side[ch->side].tail,
		     ch->tail + 3 * ch->ring_bytes + 8);
	sn_log("ATTACK impossible ring index written");
}

static void
attack(void *ctx)
{
	sn_log("attack begins");
	not_imported();
	forged_handles();
	capabilities();
	malformed();
	flood();
	/* Let the callee drain the flood before the last attack. */
	for (uint64_t end = sn_now_ns() + 500 * SN_MS; sn_now_ns() < end;)
		sn_loop_run_once(&compartment.loop, end);
	break_ring();
	sn_log("attack over");
}

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	runtime = sn_export_peer(&compartment, SN_EXPORT_RUNTIME_ECHO);
	if (runtime == NULL ||
	    sn_export_peer(&compartment,
			   SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP) == NULL)
		return 1;
	/* Give the app a second of calm to measure against. */
	sn_loop_add_timer(&compartment.loop, sn_now_ns() + 1500 * SN_MS, attack,
			  NULL);
	return sn_compartment_run(&compartment) < 0;
}
