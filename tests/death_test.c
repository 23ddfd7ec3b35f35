/*
 * A caller found dead in the middle of a handler, between two real
 * processes.  The callee parks the caller's first call as a wait; the
 * second call's handler answers the parked one, and that send finds the
 * caller dead (this process marks its own channel dead, as a hostile
 * caller may), then parks the second call too.  The caller's death must
 * be dealt with once the handler has returned: its counts reset to zero
 * rather than run below it (a successor would find the callee no longer
 * reading its ring), and the death callbacks, which free what the
 * caller held, never run under the handler that still uses it.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"
#include "call_internal.h"
#include "channel_shm.h"
#include "harness.h"

/* ---- the callee ---- */

/* What the callee saw, published after each turn of its loop. */
struct callee_view {
	uint32_t waiting, in_flight, incarnation;
	uint32_t deaths, deaths_inside_a_handler, handled;
};

static struct sn_compartment callee_compartment;
static struct sn_peer peer;
static struct sn_deferred first, second;
static bool in_handler;
static struct callee_view seen;

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	sn_defer_wait(in, &first);
	seen.handled++;
}

static void
serve_echo(void *ctx, struct sn_incoming *in)
{
	in_handler = true;
	/* The caller is dead by now: this send finds it so. */
	(void)sn_deferred_error(&first, -ECANCELED);
	sn_defer_wait(in, &second);
	seen.handled++;
	in_handler = false;
}

static void
peer_died(void *ctx, struct sn_peer *p)
{
	seen.deaths++;
	if (in_handler)
		seen.deaths_inside_a_handler++;
}

static const struct sn_handler handlers[] = {
    {SN_EXPORT_RUNTIME_NULL, serve_null},
    {SN_EXPORT_RUNTIME_ECHO, serve_echo},
};

static void
callee_main(const struct sn_channel_fds *fds, int view_fd)
{
	char err[256];

	sn_compartment_init(&callee_compartment, "Runtime", handlers, 2, NULL);
	if (sn_compartment_add_peer(&callee_compartment, &peer, fds, 1,
				    "tester", sn_now_ns() + 5000 * SN_MS, err,
				    sizeof(err)) < 0 ||
	    sn_compartment_on_peer_died(&callee_compartment, peer_died, NULL) <
		0)
		_exit(1);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_NULL);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_ECHO);
	for (;;) {
		seen.waiting = peer.waiting;
		seen.in_flight = peer.in_flight;
		seen.incarnation = peer.incarnation;
		if (pwrite(view_fd, &seen, sizeof(seen), 0) != sizeof(seen))
			_exit(1);
		if (sn_compartment_serve_step_until(
			&callee_compartment, sn_now_ns() + 10 * SN_MS) < 0)
			_exit(1);
	}
}

/* ---- the caller: this process ---- */

static struct sn_compartment caller;
static struct sn_peer callee;
static struct sn_channel_fds fds;
static pid_t callee_pid;
static int view_fd;

static int
start_callee(void)
{
	char err[256];
	char path[] = "/tmp/sealnet-death-test-XXXXXX";

	view_fd = mkstemp(path);
	if (view_fd < 0)
		return -1;
	unlink(path);
	if (sn_channel_create(1u << 16, &fds) < 0)
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

/* Waits up to 5 s for the callee to show `handled` calls handled and
 * `deaths` deaths dealt with: what it shows then. */
static struct callee_view
callee_after(uint32_t handled, uint32_t deaths)
{
	uint64_t end = sn_now_ns() + 5000 * SN_MS;
	struct callee_view v;

	while (((v = callee_view()).handled != handled || v.deaths != deaths) &&
	       sn_now_ns() < end)
		usleep(1000);
	return v;
}

/* A request of export_id written into the ring by hand, with no
 * deadline: the runtime would not send one on a channel marked dead. */
static int
send_raw(uint16_t export_id, uint64_t call_id)
{
	sn_builder *b = sn_message_begin(&caller);
	uint32_t body;
	size_t len;
	int rc;

	if (export_id == SN_EXPORT_RUNTIME_ECHO) {
		body = sn_bytes_start(b);
		sn_bytes_add_data(b, body, (const uint8_t *)"ping", 4);
	} else {
		body = sn_empty_start(b);
	}
	rc = sn_message_finish(
	    &caller, SN_CALL_TYPE_REQUEST, export_id, call_id, 0, 0,
	    export_id == SN_EXPORT_RUNTIME_ECHO ? SN_BODY_BYTES : SN_BODY_EMPTY,
	    body, &len);

	return rc < 0 ? rc : sn_channel_send(&callee.channel, caller.tx, len);
}

TEST(a_death_found_by_a_handler_waits_for_the_handler_to_return)
{
	struct callee_view v;

	CHECK_EQ_INT(send_raw(SN_EXPORT_RUNTIME_NULL, 1), 0);
	v = callee_after(1, 0);
	CHECK_EQ_INT(v.waiting, 1);
	/* The second request goes into the ring and the caller is marked
	 * dead at once, before the callee has read it. */
	CHECK_EQ_INT(send_raw(SN_EXPORT_RUNTIME_ECHO, 2), 0);
	atomic_store(&callee.channel.shm->dead, 1);
	v = callee_after(2, 1);
	CHECK_EQ_INT(v.handled, 2);
	CHECK_EQ_INT(v.deaths, 1);
	CHECK_EQ_INT(v.deaths_inside_a_handler, 0);
	/* Whatever the handler did after finding the caller dead, the
	 * counts the caller's successor starts from are zero. */
	CHECK_EQ_INT(v.in_flight, 0);
	CHECK_EQ_INT(v.waiting, 0);
	CHECK_EQ_INT(v.incarnation, 1);
}

int
main(void)
{
	if (start_callee() < 0) {
		printf("FAIL death_test: could not start the callee\n");
		stop_callee();
		return 1;
	}
	RUN(a_death_found_by_a_handler_waits_for_the_handler_to_return);
	stop_callee();
	HARNESS_EXIT();
}
