/*
 * The bound on a caller's parked waits, between two real processes.  A
 * caller's waits (sn_defer_wait) do not count toward SN_MAX_IN_FLIGHT,
 * but only SN_MAX_WAITING of them: past that a wait counts as in flight,
 * and once SN_MAX_IN_FLIGHT of those are parked the callee stops reading
 * the caller's ring.  No real image reaches the bound (quotas are far
 * smaller), so the caller here writes its requests into the ring by
 * hand, past the SN_MAX_PENDING its runtime would let it have.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"
#include "call_internal.h"
#include "harness.h"

/* ---- the callee: parks every runtime_null as a wait ---- */

#define PARK_MAX (SN_MAX_WAITING + 2 * SN_MAX_IN_FLIGHT)

/* What the callee counted, published after each turn of its loop. */
struct callee_view {
	uint32_t waiting, in_flight, parked;
};

static struct sn_compartment callee_compartment;
static struct sn_deferred parked[PARK_MAX];
static unsigned nparked;
static volatile sig_atomic_t release_requested;

static void
on_release(int sig)
{
	release_requested = 1;
}

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	if (nparked == PARK_MAX) {
		sn_reply_error(in, -ENOSPC);
		return;
	}
	sn_defer_wait(in, &parked[nparked++]);
}

static void
serve_echo(void *ctx, struct sn_incoming *in)
{
	uint32_t len;
	const uint8_t *data =
	    sn_bytes_data(sn_message_body_as_bytes(in->request), &len);
	sn_builder *b = sn_reply_builder(&callee_compartment);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, data, len);
	sn_reply_ok(in, SN_BODY_BYTES, body);
}

static const struct sn_handler handlers[] = {
    {SN_EXPORT_RUNTIME_NULL, serve_null},
    {SN_EXPORT_RUNTIME_ECHO, serve_echo},
};

static void
release_all(void)
{
	for (unsigned i = 0; i < nparked; i++)
		sn_deferred_ok(
		    &parked[i], SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&callee_compartment)));
	nparked = 0;
}

static void
callee_main(const struct sn_channel_fds *fds, int view_fd)
{
	static struct sn_peer peer;
	struct sigaction sa = {.sa_handler = on_release};
	char err[256];

	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		_exit(1);
	sn_compartment_init(&callee_compartment, "Runtime", handlers, 2, NULL);
	if (sn_compartment_add_peer(&callee_compartment, &peer, fds, 1,
				    "tester", sn_now_ns() + 5000 * SN_MS, err,
				    sizeof(err)) < 0)
		_exit(1);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_NULL);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_ECHO);
	for (;;) {
		struct callee_view v = {peer.waiting, peer.in_flight, nparked};

		if (pwrite(view_fd, &v, sizeof(v), 0) != sizeof(v))
			_exit(1);
		if (release_requested) {
			release_requested = 0;
			release_all();
		}
		/* A signal interrupts the wait; the deadline is a backstop. */
		if (sn_compartment_serve_step_until(
			&callee_compartment, sn_now_ns() + 10 * SN_MS) < 0)
			_exit(1);
	}
}

/* ---- the caller: this process ---- */

/* Large enough for every request without waiting for room. */
#define RING_BYTES (1u << 20)
/* Call ids of the requests written by hand, apart from the runtime's. */
#define RAW_CALL_ID_BASE (UINT64_C(1) << 40)

static struct sn_compartment caller;
static struct sn_peer callee;
static struct sn_channel_fds fds;
static pid_t callee_pid;
static int view_fd;
static uint64_t raw_sent;

static int
start_callee(void)
{
	char err[256];
	char path[] = "/tmp/sealnet-waiting-test-XXXXXX";

	view_fd = mkstemp(path);
	if (view_fd < 0)
		return -1;
	unlink(path);
	if (sn_channel_create(RING_BYTES, &fds) < 0)
		return -1;
	callee_pid = fork();
	if (callee_pid < 0)
		return -1;
	if (callee_pid == 0)
		callee_main(&fds, view_fd);
	sn_compartment_init(&caller, "tester", NULL, 0, NULL);
	return sn_compartment_add_peer(&caller, &callee, &fds, 0, "Runtime",
				       sn_now_ns() + 5000 * SN_MS, err,
				       sizeof(err));
}

static void
stop_callee(void)
{
	if (callee_pid > 0) {
		kill(callee_pid, SIGKILL);
		waitpid(callee_pid, NULL, 0);
		callee_pid = 0;
	}
	sn_channel_fds_close(&fds);
	close(view_fd);
}

static struct callee_view
callee_view(void)
{
	struct callee_view v;

	if (pread(view_fd, &v, sizeof(v), 0) != sizeof(v))
		memset(&v, 0xff, sizeof(v));
	return v;
}

/* Serves our loop until the callee shows `parked` calls parked, or 5 s
 * pass: what it shows then. */
static struct callee_view
callee_parked(uint32_t parked_wanted)
{
	uint64_t end = sn_now_ns() + 5000 * SN_MS;
	struct callee_view v;

	while ((v = callee_view()).parked != parked_wanted && sn_now_ns() < end)
		sn_loop_run_once(&caller.loop, sn_now_ns() + SN_MS);
	return v;
}

/* n runtime_null requests written into the ring by hand, with no
 * deadline: 0, or the channel's error. */
static int
send_raw_nulls(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		sn_builder *b = sn_message_begin(&caller);
		uint32_t body = sn_empty_start(b);
		size_t len;
		int rc = sn_message_finish(&caller, SN_CALL_TYPE_REQUEST,
					   SN_EXPORT_RUNTIME_NULL,
					   RAW_CALL_ID_BASE + raw_sent, 0, 0,
					   SN_BODY_EMPTY, body, &len);

		if (rc < 0)
			return rc;
		rc = sn_channel_send(&callee.channel, caller.tx, len);
		if (rc < 0)
			return rc;
		raw_sent++;
	}
	return 0;
}

static int
echo(uint64_t timeout_ns)
{
	static _Alignas(8) uint8_t reply[SN_MAX_MESSAGE];
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, (const uint8_t *)"ping", 4);
	return sn_call(&callee, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body,
		       timeout_ns, reply, sizeof(reply), NULL);
}

static unsigned echo_done;
static int echo_status;

static void
echo_answered(void *ctx, int status, const sn_message_ref *reply)
{
	echo_done++;
	echo_status = status;
}

TEST(waits_up_to_the_bound_hold_nothing_back)
{
	struct callee_view v;

	CHECK_EQ_INT(send_raw_nulls(SN_MAX_WAITING), 0);
	v = callee_parked(SN_MAX_WAITING);
	CHECK_EQ_INT(v.parked, SN_MAX_WAITING);
	CHECK_EQ_INT(v.waiting, SN_MAX_WAITING);
	CHECK_EQ_INT(v.in_flight, 0);
	/* Every one of them a wait: other calls are still read. */
	CHECK_EQ_INT(echo(1000 * SN_MS), 0);
}

TEST(waits_past_the_bound_count_as_in_flight_and_pause_the_caller)
{
	struct callee_view v;
	sn_builder *b;
	uint32_t body;
	uint64_t end;

	CHECK_EQ_INT(send_raw_nulls(SN_MAX_IN_FLIGHT), 0);
	v = callee_parked(SN_MAX_WAITING + SN_MAX_IN_FLIGHT);
	CHECK_EQ_INT(v.parked, SN_MAX_WAITING + SN_MAX_IN_FLIGHT);
	/* The callee no longer reads this caller's ring: an echo waits. */
	echo_done = 0;
	b = sn_call_builder(&caller);
	body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, (const uint8_t *)"ping", 4);
	CHECK_EQ_INT(sn_call_async(&callee, SN_EXPORT_RUNTIME_ECHO,
				   SN_BODY_BYTES, body, 5000 * SN_MS,
				   echo_answered, NULL),
		     0);
	end = sn_now_ns() + 300 * SN_MS;
	while (sn_now_ns() < end)
		sn_loop_run_once(&caller.loop, end);
	CHECK_EQ_INT(echo_done, 0);
	v = callee_view();
	CHECK_EQ_INT(v.parked, SN_MAX_WAITING + SN_MAX_IN_FLIGHT);
	CHECK_EQ_INT(v.waiting, SN_MAX_WAITING);
	CHECK_EQ_INT(v.in_flight, SN_MAX_IN_FLIGHT);
	/* Once the waits are answered, the echo is read and answered, and
	 * so is every parked call. */
	CHECK_EQ_INT(kill(callee_pid, SIGUSR1), 0);
	end = sn_now_ns() + 5000 * SN_MS;
	while ((echo_done == 0 || callee.stats.replies_unmatched < raw_sent) &&
	       sn_now_ns() < end)
		sn_loop_run_once(&caller.loop, end);
	CHECK_EQ_INT(echo_done, 1);
	CHECK_EQ_INT(echo_status, 0);
	CHECK_EQ_INT(callee.stats.replies_unmatched, raw_sent);
	v = callee_parked(0);
	CHECK_EQ_INT(v.waiting, 0);
	CHECK_EQ_INT(v.in_flight, 0);
}

int
main(void)
{
	if (start_callee() < 0) {
		printf("FAIL waiting_test: could not start the callee\n");
		stop_callee();
		return 1;
	}
	RUN(waits_up_to_the_bound_hold_nothing_back);
	RUN(waits_past_the_bound_count_as_in_flight_and_pause_the_caller);
	stop_callee();
	HARNESS_EXIT();
}
