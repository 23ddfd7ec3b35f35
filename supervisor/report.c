/* The supervisor's log lines and its event stream. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

void
say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "sealnet: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	write_line(STDERR_FILENO, line, (size_t)n);
}

void
write_line(int fd, const char *line, size_t len)
{
	char buf[1100];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write per line, so lines never interleave; a failed write
	 * to our own output has nowhere to be reported. */
	if (write(fd, buf, len + 1) < 0)
		return;
}

void
report_event(struct supervisor *sv, const char *kind, const struct child *ch,
	     json_t *fields)
{
	int rc = event_log_write(&sv->events, kind, ch ? ch->ic->name : NULL,
				 sn_now_ns(), fields);

	/* The human log still says what happened; it says this once. */
	if (rc < 0 && sv->event_write_failures++ == 0)
		say("cannot write the event file: %s", strerror(-rc));
}

double
ms_between(uint64_t from_ns, uint64_t to_ns)
{
	return (double)(to_ns - from_ns) / 1e6;
}
