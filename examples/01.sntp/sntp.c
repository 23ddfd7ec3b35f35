/*
 * Synchronises with the network's time and prints it: one line with the
 * time, its offset from this machine's clock, the server, its stratum
 * and whether the time was authenticated; then one line for each
 * re-synchronisation the SNTP compartment makes on its own.
 *
 * It holds no capability: the servers are the SNTP compartment's, given
 * by the image.  Importing sntp_time_get gives it the shared time
 * record, read-only, so reading the time is no call at all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("sntp_example");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(sntp_update);
SEALNET_IMPORT(sntp_time_get);
SEALNET_RESTART(on_failure, 3);

/* How often the record is looked at for a new update. */
#define LOOK_EVERY (500 * SEALNET_MS)

/* network time - this machine's clock, in nanoseconds, read together */
static int64_t
offset_from_system_clock(const struct sntp_time *t)
{
	struct timespec sys;

	clock_gettime(CLOCK_REALTIME, &sys);
	return (t->seconds - (int64_t)sys.tv_sec) * (int64_t)SEALNET_SECOND +
	       ((int64_t)t->nanoseconds - sys.tv_nsec);
}

/*
 * Unix seconds as a UTC date and time, YYYY-MM-DDTHH:MM:SS.  Not gmtime:
 * the C library would first look for /etc/localtime, and a compartment's
 * file system is empty and its sandbox refuses to open files.  Days to a
 * civil date as in Howard Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms".
 */
static void
utc(int64_t t, char out[64])
{
	int64_t days = t / 86400, secs = t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(out, 64, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
		 (long long)y, (long long)m, (long long)d,
		 (long long)(secs / 3600), (long long)(secs / 60 % 60),
		 (long long)(secs % 60));
}

static void
print_time(const char *what, const struct sntp_time *t)
{
	struct timespec ts = {0, 0};
	char when[64] = "?";

	if (sntp_time_to_timespec(t, &ts) == 0)
		utc((int64_t)ts.tv_sec, when);
	printf("%s: %s.%06luZ, %+.3f ms from the system clock, server %s, "
	       "stratum %u, %s\n",
	       what, when, (unsigned long)ts.tv_nsec / 1000,
	       (double)offset_from_system_clock(t) / 1e6, t->server, t->stratum,
	       t->authenticated ? "authenticated (NTS)" : "not authenticated");
	fflush(stdout);
}

/* Until the first synchronisation: the servers may not answer before
 * the stack has its address. */
static int
first_sync(struct sntp_time *t)
{
	int rc = network_start(60 * SEALNET_SECOND);

	for (int attempt = 0; rc == 0 && attempt < 10; attempt++) {
		rc = sntp_update(10 * SEALNET_SECOND);
		if (rc == 0)
			return sntp_time_get(t);
		sealnet_log("no time yet: %s; asking again", strerror(-rc));
		rc = 0;
	}
	return rc < 0 ? rc : -ETIMEDOUT;
}

int
main(void)
{
	struct sntp_time t;
	uint32_t seen;
	bool said_stale = false;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = first_sync(&t);
	if (rc < 0) {
		sealnet_log("cannot synchronise: %s", strerror(-rc));
		return 1;
	}
	print_time("synchronised", &t);
	seen = t.updates;
	for (;;) {
		rc = sealnet_wait(LOOK_EVERY);
		if (rc < 0 && rc != -ETIMEDOUT)
			return rc == -ECANCELED ? 0 : 1;
		rc = sntp_time_get(&t);
		if (rc < 0)
			continue;
		if (!t.updating && !said_stale)
			printf("SNTP is not running: keeping the time of %.1f "
			       "s ago\n",
			       (double)t.age_ns / 1e9);
		said_stale = !t.updating;
		if (t.updates != seen)
			print_time("re-synchronised", &t);
		seen = t.updates;
	}
}
