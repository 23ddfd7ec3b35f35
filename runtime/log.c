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
sn_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines from several processes do not mix. */
	fprintf(stderr, "%s: %s\n", log_name, line);
}
