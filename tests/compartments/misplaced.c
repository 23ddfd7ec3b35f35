/*
 * Declares an export the schema assigns to another compartment
 * (Runtime's runtime_null): `sealnet image build` must refuse it.
 */
/* A service, not an application: its handler answers through the
 * runtime's callee API (runtime/call.h). */
#include "boot.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("misplaced");
SEALNET_RESTART(never, 0);

static struct sn_compartment compartment;

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	(void)ctx;
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
}
SEALNET_EXPORT(runtime_null, serve_null);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
