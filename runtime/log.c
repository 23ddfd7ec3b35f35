#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_name = "sealnet";

void
sn_log_set_name(const char *compartment)
{
	log_name = compartment;
}

void
sn_vlog(const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line, so lines from several processes do not mix. */
	fprintf(stderr, "%s: %s\n", log_name, line);
}

void
sn_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sn_vlog(fmt, ap);
	va_end(ap);
}
