/*
 * A stand-in NetAPI for images without a network, used by the tests: it
 * implements network_socket_connect_tcp by refusing with -ENETUNREACH.
 * What it shows is the runtime's check in front of it: a request
 * presenting a capability its caller does not hold never reaches this
 * handler, and gets -EPERM instead.
 */
/* A service, not an application: it answers calls, which only the
 * runtime's callee API (runtime/call.h) can. */
#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("NetAPI");
SEALNET_RESTART(always, 10);

static struct sn_compartment compartment;
static uint64_t reached;

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	if (sn_log_worth(++reached))
		sn_log("connect with a held capability from %s: no network "
		       "in this image (%llu so far)",
		       in->peer->name, (unsigned long long)reached);
	sn_reply_error(in, -ENETUNREACH);
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(network_socket_connect_tcp, serve_connect);

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
