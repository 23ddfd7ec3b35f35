/*
 * What the supervisor tells the operator and programs: its own log lines
 * ("sealnet: ..."), each in one write(), and the JSON event stream.
 */
#ifndef SEALNET_SUPERVISOR_REPORT_H
#define SEALNET_SUPERVISOR_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* A line of the supervisor's own, "sealnet: ...", on stderr. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line to fd, with its newline, in one write() so that lines never
 * interleave; a line over 1 KiB is cut. */
void write_line(int fd, const char *line, size_t len);

/* An event for the --events file; ch may be NULL, fields (taken) may be
 * NULL.  A failure to write is said once in the log. */
void report_event(struct supervisor *sv, const char *kind,
		  const struct child *ch, json_t *fields);

double ms_between(uint64_t from_ns, uint64_t to_ns);

#endif
