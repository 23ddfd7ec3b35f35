/*
 * Boots, says it is ready, and never reads its control socket again,
 * while its peer (crasher) restarts over and over: each restart sends it
 * a message it never takes.  The supervisor must not wait for it.
 */
#include <time.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("deaf");
SEALNET_IMPORT(crasher_ping);
SEALNET_RESTART(always, 100);

static struct sn_compartment compartment;

int
main(void)
{
	struct timespec second = {1, 0};

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	sn_log("booted; not reading the control socket from now on");
	for (;;)
		nanosleep(&second, NULL);
}
