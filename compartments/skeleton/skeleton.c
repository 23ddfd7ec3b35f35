/*
 * The skeleton compartment: one export, skeleton_greet, that answers
 * "hello, NAME".  Copy this folder to start a compartment (see
 * docs/layout.md): the declarations, the handlers with their exports,
 * and main are all a compartment needs beside its pure core.
 */
#include <errno.h>

#include "boot.h"
#include "greeting.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("Skeleton");
SEALNET_RESTART(always, 10);

static struct sn_compartment compartment;

/* The runtime has already checked that the caller may call this and that
 * the request's body is the Bytes the schema says it takes. */
static void
serve_greet(void *ctx, struct sn_incoming *in)
{
	sn_bytes_ref request = sn_message_body_as_bytes(in->request);
	char greeting[GREETING_MAX];
	uint32_t len;
	const uint8_t *name = sn_bytes_data(request, &len);
	ssize_t n = greeting_compose(name, len, greeting, sizeof(greeting));
	sn_builder *b;
	uint32_t body;

	(void)ctx;
	if (n < 0) {
		sn_reply_error(in, (int)n);
		return;
	}
	b = sn_reply_builder(&compartment);
	body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, greeting, (uint32_t)n);
	if (sn_reply_ok(in, SN_BODY_BYTES, body) < 0)
		sn_log("could not answer %s", in->peer->name);
}
SEALNET_EXPORT(skeleton_greet, serve_greet);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
