/*
 * A well-behaved application compartment.  It calls Runtime every 2 ms
 * and reports, once a second, how those calls went, so a person (or a
 * test) can see that service continues while another compartment
 * misbehaves, and how long a restart interrupts it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("app");
SEALNET_IMPORT(runtime_echo);
SEALNET_IMPORT(runtime_handle_new);
SEALNET_IMPORT(runtime_handle_check);
SEALNET_RESTART(on_failure, 3);
/* glibc's qsort sizes its scratch buffer from sysinfo(). */
SEALNET_SYSCALL(sysinfo);

#define PERIOD_NS   2000000ull
#define REPORT_NS   1000000000ull
#define MAX_SAMPLES 1024

static struct sn_compartment compartment;
static struct sn_peer *runtime;
static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];

static struct {
	uint64_t ok, failed, report_at;
	uint32_t latency_us[MAX_SAMPLES];
	unsigned nlatency;
	uint64_t failing_since; /* 0 while calls succeed */
	int last_error;
	sn_handle handle;
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
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_bytes_start(b);
	sn_message_ref m;

	sn_bytes_add_data(b, body, text, sizeof(text));
	return sn_call(runtime, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body,
		       100000000ull, reply, sizeof(reply), &m);
}

static int
handle_new(sn_handle *out)
{
	sn_builder *b = sn_call_builder(&compartment);
	sn_message_ref m;
	int rc =
	    sn_call(runtime, SN_EXPORT_RUNTIME_HANDLE_NEW, SN_BODY_EMPTY,
		    sn_empty_start(b), 100000000ull, reply, sizeof(reply), &m);

	if (rc == 0)
		sn_handle_reference_handle(
		    sn_message_body_as_handle_reference(m), out);
	return rc;
}

static int
handle_check(const sn_handle *h)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_handle_reference_start(b);
	sn_message_ref m;

	sn_handle_reference_add_handle(b, body, h);
	return sn_call(runtime, SN_EXPORT_RUNTIME_HANDLE_CHECK,
		       SN_BODY_HANDLE_REFERENCE, body, 100000000ull, reply,
		       sizeof(reply), &m);
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
	sn_log("last second: %llu calls ok, %llu failed, median %u us, "
	       "slowest %u us",
	       (unsigned long long)st.ok, (unsigned long long)st.failed, median,
	       worst);
	st.ok = st.failed = 0;
	st.nlatency = 0;
}

static void
tick(void *ctx)
{
	uint64_t t0 = sn_now_ns();
	int rc = echo_once();
	uint64_t t1 = sn_now_ns();

	if (rc == 0) {
		st.ok++;
		if (st.nlatency < MAX_SAMPLES)
			st.latency_us[st.nlatency++] =
			    (uint32_t)((t1 - t0) / 1000);
		if (st.failing_since) {
			sn_log("runtime_echo ok again at unix_ns=%llu, %.1f ms "
			       "after the first failure",
			       (unsigned long long)realtime_ns(),
			       (double)(t1 - st.failing_since) / 1e6);
			st.failing_since = 0;
			/* The handle came from the previous Runtime. */
			if (st.have_handle &&
			    !st.handle_checked_after_restart) {
				st.handle_checked_after_restart = true;
				sn_log("handle from before the restart: %s",
				       handle_check(&st.handle) == -EPERM
					   ? "refused (-EPERM)"
					   : "ACCEPTED");
			}
		}
	} else {
		st.failed++;
		if (!st.failing_since || rc != st.last_error)
			sn_log("runtime_echo failed: %s", strerror(-rc));
		if (!st.failing_since)
			st.failing_since = t1;
		st.last_error = rc;
	}
	if (t1 >= st.report_at) {
		report();
		st.report_at = t1 + REPORT_NS;
	}
	sn_loop_add_timer(&compartment.loop, t1 + PERIOD_NS, tick, NULL);
}

int
main(void)
{
	int rc;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	runtime = sn_export_peer(&compartment, SN_EXPORT_RUNTIME_ECHO);
	if (runtime == NULL)
		return 1;
	rc = handle_new(&st.handle);
	if (rc == 0) {
		st.have_handle = true;
		rc = handle_check(&st.handle);
		sn_log("own handle: %s", rc == 0 ? "accepted" : strerror(-rc));
	}
	st.report_at = sn_now_ns() + REPORT_NS;
	sn_loop_add_timer(&compartment.loop, sn_now_ns(), tick, NULL);
	return sn_compartment_run(&compartment) < 0;
}
