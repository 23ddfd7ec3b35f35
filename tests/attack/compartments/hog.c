/*
 * Spins forever once ready.  Its image gives it two seconds of CPU time
 * per incarnation.
 */
#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("hog");
SEALNET_QUOTA(cpu_seconds, 2);
SEALNET_RESTART(never, 0);

static struct sn_compartment compartment;

int
main(void)
{
	volatile uint64_t spins = 0;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	sn_log("spinning");
	for (;;)
		spins++;
}
