/*
 * The time certificates are checked at: the seam between the TLS
 * compartment and the SNTP compartment's shared time record.
 *
 * The supervisor maps the record read-only into TLS whenever the image
 * has an SNTP compartment (image_time_record_access); TLS imports no
 * SNTP export, so an image without SNTP is unchanged: no record, the
 * system clock.  Which time is used is time_source.h's rule: NTS-
 * authenticated network time, else the system clock.  The source is
 * logged once each time it changes, so an operator sees which clock a
 * refusal was judged by.  Nothing else in the TLS compartment reads a
 * clock for certificates.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "session.h"
#include "time_source.h"

/* Logged at the first handshake, then at each change. */
static int last_source = -1;

int64_t
tls_verification_time(void)
{
	const struct sn_time_record *r = sn_time_record_shared();
	struct sn_time_payload p = {.flags = 0};
	struct timespec now;
	uint64_t mono = sn_now_ns();
	int64_t system_seconds = 0, seconds, network_seconds;
	enum tls_time_source source;
	int rc = r != NULL ? sn_time_record_read(r, mono, &p) : -ENOENT;

	if (clock_gettime(CLOCK_REALTIME, &now) == 0)
		system_seconds = (int64_t)now.tv_sec;
	source = tls_time_choose(rc, &p, mono, system_seconds, &seconds,
				 &network_seconds);
	if ((int)source == last_source)
		return seconds;
	last_source = (int)source;
	if (source == TLS_TIME_NETWORK || source == TLS_TIME_NETWORK_HELD) {
		sn_log("certificate dates are checked against %s from %s, "
		       "%+lld s from the system clock",
		       tls_time_source_description(source), p.server,
		       (long long)(network_seconds - system_seconds));
	} else if (source == TLS_TIME_SYSTEM_UNAUTHENTICATED) {
		/* What was not used, so that a clock an attacker moved
		 * shows in the log. */
		sn_log("certificate dates are checked against %s; it is "
		       "%+lld s from the system clock, from %s",
		       tls_time_source_description(source),
		       (long long)(network_seconds - system_seconds), p.server);
	} else {
		sn_log("certificate dates are checked against %s",
		       tls_time_source_description(source));
	}
	return seconds;
}
