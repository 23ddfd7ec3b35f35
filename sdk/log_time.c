/* Logging and time for applications, on the runtime's own. */
#include "sealnet/log.h"
#include "sealnet/time.h"

#include <stdarg.h>
#include <stdio.h>

#include "clock.h"
#include "log.h"

_Static_assert(SEALNET_SECOND == SN_SECOND && SEALNET_MS == SN_MS &&
		   SEALNET_US == SN_US,
	       "the SDK's units are the runtime's");

void
sealnet_log(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	sn_vlog(format, ap);
	va_end(ap);
}

uint64_t
sealnet_now_ns(void)
{
	return sn_now_ns();
}
