/*
 * The time certificates are checked at.
 *
 * Today: the system clock.  Every compartment reads the same clock as
 * the host, so a host whose clock is wrong accepts what it would accept
 * anyway, and refuses nothing it would not; a clock near 1970 refuses
 * every certificate as not yet valid, never accepts an expired one.
 *
 * This is the seam for the SNTP compartment: once it publishes
 * authenticated network time (the shared, epoch-counted record CHERIoT's
 * SNTP has), this function returns that time while it is synchronised,
 * and the system clock only until then.  Nothing else in the TLS
 * compartment reads a clock for certificates.
 */
#include <time.h>

#include "session.h"

int64_t
tls_verification_time(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	return (int64_t)now.tv_sec;
}
