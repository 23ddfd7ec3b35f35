/*
 * Diagnostics.  A compartment's standard error goes to the supervisor,
 * which prints each line after the compartment's name; sealnet_log
 * writes one line in one write(), so lines from several compartments
 * never mix.  Standard output is the compartment's own (an example
 * prints what it fetched there).
 */
#ifndef SEALNET_PUBLIC_LOG_H
#define SEALNET_PUBLIC_LOG_H

/* One line, printf-style, cut at 511 bytes; the newline is added. */
void sealnet_log(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
