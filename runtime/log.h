/*
 * Diagnostics from a compartment go to standard error, which the
 * supervisor collects; each line names the compartment.
 */
#ifndef SEALNET_LOG_H
#define SEALNET_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

void sn_log_set_name(const char *compartment);
void sn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sn_vlog(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * A hostile peer can make an event happen millions of times a second:
 * log the 1st, 2nd, 4th, 8th... occurrence only, so the count still shows.
 */
static inline bool
sn_log_worth(uint64_t count)
{
	return count != 0 && (count & (count - 1)) == 0;
}

#endif
