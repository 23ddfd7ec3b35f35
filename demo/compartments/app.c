/*
 * A well-behaved application compartment.  It calls Runtime every 2 ms
 * and reports, once a second, how those calls went, so a person (or a
 * test) can see that service continues while another compartment
 * misbehaves, and how long a restart interrupts it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("app");
SEALNET_IMPORT(runtime_echo);
SEALNET_IMPORT(runtime_handle_new);
SEALNET_IMPORT(runtime_handle_check);
SEALNET_RESTART(on_failure, 3);
/* glibc's qsort sizes its scratch buffer from sysinfo(). */
SEALNET_SYSCALL(sysinfo);

#define PERIOD_NS   (2 * SEALNET_MS)
#define REPORT_NS   SEALNET_SECOND
#define CALL_NS	    (100 * SEALNET_MS)
#define MAX_SAMPLES 1024

static struct {
	uint64_t ok, failed, report_at;
	uint32_t latency_us[MAX_SAMPLES];
	unsigned nlatency;
	uint64_t failing_since; /* 0 while calls succeed */
	int last_error;
	sealnet_handle handle;
	bool have_handle;
	bool handle_checked_after_restart;
} st;

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
echo_once(void)
{
	static const char text[] = "ping";
	char echo[sizeof(text)];
	ssize_t n =
	    runtime_echo(CALL_NS, text, sizeof(text), echo, sizeof(echo));

	return n < 0 ? (int)n : 0;
}

static void
report(void)
{
	uint32_t median = 0, worst = 0;

	if (st.nlatency) {
		qsort(st.latency_us, st.nlatency, sizeof(uint32_t), cmp_u32);
		median = st.latency_us[st.nlatency / 2];
		worst = st.latency_us[st.nlatency - 1];
	}
	sealnet_log("last second: %llu calls ok, %llu failed, median %u us, "
		    "slowest %u us",
		    (unsigned long long)st.ok, (unsigned long long)st.failed,
		    median, worst);
	st.ok = st.failed = 0;
	st.nlatency = 0;
}

/* One call, counted and timed; returns when it ended. */
static uint64_t
tick(void)
{
	uint64_t t0 = sealnet_now_ns();
	int rc = echo_once();
	uint64_t t1 = sealnet_now_ns();

	if (rc == 0) {
		st.ok++;
		if (st.nlatency < MAX_SAMPLES)
			st.latency_us[st.nlatency++] =
			    (uint32_t)((t1 - t0) / SEALNET_US);
		if (st.failing_since) {
			sealnet_log("runtime_echo ok again at unix_ns=%llu, "
				    "%.1f ms after the first failure",
				    (unsigned long long)realtime_ns(),
				    (double)(t1 - st.failing_since) / 1e6);
			st.failing_since = 0;
			/* The handle came from the previous Runtime. */
			if (st.have_handle &&
			    !st.handle_checked_after_restart) {
				st.handle_checked_after_restart = true;
				sealnet_log(
				    "handle from before the restart: %s",
				    runtime_handle_check(CALL_NS, st.handle) ==
					    -EPERM
					? "refused (-EPERM)"
					: "ACCEPTED");
			}
		}
	} else {
		st.failed++;
		if (!st.failing_since || rc != st.last_error)
			sealnet_log("runtime_echo failed: %s", strerror(-rc));
		if (!st.failing_since)
			st.failing_since = t1;
		st.last_error = rc;
	}
	if (t1 >= st.report_at) {
		report();
		st.report_at = t1 + REPORT_NS;
	}
	return t1;
}

int
main(void)
{
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = runtime_handle_new(CALL_NS, &st.handle);
	if (rc == 0) {
		st.have_handle = true;
		rc = runtime_handle_check(CALL_NS, st.handle);
		sealnet_log("own handle: %s",
			    rc == 0 ? "accepted" : strerror(-rc));
	}
	st.report_at = sealnet_now_ns() + REPORT_NS;
	/* A call every PERIOD_NS, counted from the end of the last one;
	 * calls to this compartment and news of restarts are taken in
	 * between. */
	for (;;) {
		uint64_t next = tick() + PERIOD_NS;
		uint64_t now = sealnet_now_ns();

		rc = sealnet_wait(next > now ? next - now : 0);
		if (rc < 0)
			return rc == -ECANCELED ? 0 : 1;
	}
}
