#include "time_source.h"

#include <errno.h>

enum tls_time_source
tls_time_choose(int read_rc, const struct sn_time_payload *p,
		uint64_t now_monotonic_ns, int64_t system_seconds,
		int64_t *seconds, int64_t *network_seconds)
{
	const uint32_t network = SN_TIME_SYNCHRONISED | SN_TIME_AUTHENTICATED;
	uint32_t nanoseconds;

	*seconds = system_seconds;
	*network_seconds = system_seconds;
	if (read_rc == -ENOENT)
		return TLS_TIME_SYSTEM_NO_RECORD;
	if (read_rc < 0)
		return TLS_TIME_SYSTEM_UNREADABLE;
	if (!(p->flags & SN_TIME_SYNCHRONISED))
		return TLS_TIME_SYSTEM_UNSYNCHRONISED;
	sn_time_now(p, now_monotonic_ns, network_seconds, &nanoseconds);
	if ((p->flags & network) != network)
		return TLS_TIME_SYSTEM_UNAUTHENTICATED;
	/* The engine refuses a time before 1970; so does this. */
	if (*network_seconds < 0)
		return TLS_TIME_SYSTEM_UNREADABLE;
	*seconds = *network_seconds;
	return (p->flags & SN_TIME_UPDATING) ? TLS_TIME_NETWORK
					     : TLS_TIME_NETWORK_HELD;
}

const char *
tls_time_source_description(enum tls_time_source s)
{
	switch (s) {
	case TLS_TIME_SYSTEM_NO_RECORD:
		return "the system clock (the image has no SNTP compartment)";
	case TLS_TIME_SYSTEM_UNREADABLE:
		return "the system clock (the shared time record is "
		       "unreadable or breaks its rules)";
	case TLS_TIME_SYSTEM_UNSYNCHRONISED:
		return "the system clock (SNTP has not synchronised yet)";
	case TLS_TIME_SYSTEM_UNAUTHENTICATED:
		return "the system clock (SNTP's time is plain NTP, which an "
		       "attacker on the path can forge: only NTS time is "
		       "used)";
	case TLS_TIME_NETWORK:
		return "NTS-authenticated network time";
	case TLS_TIME_NETWORK_HELD:
		return "NTS-authenticated network time, last measured by an "
		       "SNTP compartment that no longer updates it, carried "
		       "forward on the monotonic clock";
	}
	return "?";
}
