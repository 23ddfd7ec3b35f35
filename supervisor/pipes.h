/*
 * A compartment's stdout and stderr pipes: read without blocking, passed
 * through the output filter (output.h), and written under its name on
 * the supervisor's stream of the same kind.
 */
#ifndef SEALNET_SUPERVISOR_PIPES_H
#define SEALNET_SUPERVISOR_PIPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* Gives the child the read ends of a new incarnation's pipes. */
void pipes_attach(struct child *ch, int stdout_fd, int stderr_fd);

/* Reads what is there on one stream, up to budget bytes; closes the pipe
 * at end of file. */
void pipes_read(struct child *ch, enum output_stream_kind which, size_t budget);

/* A log message from the control socket, under the same filter and
 * allowance as its output. */
void pipes_log_message(struct child *ch, const uint8_t *text, size_t len);

/* Reports the lines and bytes the filter dropped, if a report is due or
 * `now` says not to wait. */
void pipes_report_drops(struct supervisor *sv, struct child *ch, bool now);

/* Closes whatever pipes are still open. */
void pipes_close(struct child *ch);

#endif
