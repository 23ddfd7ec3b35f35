/*
 * call_test's two processes: a callee compartment, "Runtime", forked into
 * a child, and this process as its caller, "tester", with a channel
 * between them.  The callee echoes, parks calls and waits, serves notices
 * and a release (network_socket_close), and publishes its counters in a
 * file after each turn of its loop.
 */
#include "call_peers.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the callee compartment ---- */

struct callee_state {
	struct sn_compartment *c;
	struct sn_deferred parked[SN_MAX_IN_FLIGHT];
	unsigned nparked;
	/* While waits_on, runtime_null is parked as a wait, as a receive on
	 * a socket is, until an echo of "release". */
	bool waits_on;
	uint64_t notices; /* served; an echo of "notices" tells how many */
	uint64_t closes;  /* likewise, "closes" */
	struct sn_deferred waits[4 * SN_MAX_IN_FLIGHT];
	unsigned nwaits;
	int stats_fd;
};

static void
answer_waits(struct callee_state *s)
{
	for (unsigned i = 0; i < s->nwaits; i++)
		sn_deferred_ok(&s->waits[i], SN_BODY_EMPTY,
			       sn_empty_start(sn_reply_builder(s->c)));
	s->nwaits = 0;
}

static void
serve_echo(void *ctx, struct sn_incoming *in)
{
	struct callee_state *s = ctx;
	uint32_t len;
	const uint8_t *data =
	    sn_bytes_data(sn_message_body_as_bytes(in->request), &len);
	sn_builder *b;
	uint32_t body;

	if (len == 4 && memcmp(data, "wait", 4) == 0)
		s->waits_on = true;
	if (len == 7 && memcmp(data, "notices", 7) == 0) {
		data = (const uint8_t *)&s->notices;
		len = sizeof(s->notices);
	}
	if (len == 6 && memcmp(data, "closes", 6) == 0) {
		data = (const uint8_t *)&s->closes;
		len = sizeof(s->closes);
	}
	/* Busy for a while, reading nothing: the caller's ring fills. */
	if (len == 5 && memcmp(data, "pause", 5) == 0)
		usleep(300 * 1000);
	b = sn_reply_builder(s->c);
	body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, data, len);
	sn_reply_ok(in, SN_BODY_BYTES, body);
	if (len == 7 && memcmp(data, "release", 7) == 0) {
		s->waits_on = false;
		answer_waits(s);
	}
}

static void
answer_parked(void *ctx)
{
	struct callee_state *s = ctx;

	for (unsigned i = 0; i < s->nparked; i++)
		sn_deferred_ok(&s->parked[i], SN_BODY_EMPTY,
			       sn_empty_start(sn_reply_builder(s->c)));
	s->nparked = 0;
}

/* runtime_null parks the call and answers 50 ms later, as a connect is
 * answered when its handshake completes. */
static void
serve_null_later(void *ctx, struct sn_incoming *in)
{
	struct callee_state *s = ctx;

	if (s->waits_on && s->nwaits < sizeof(s->waits) / sizeof(s->waits[0])) {
		sn_defer_wait(in, &s->waits[s->nwaits++]);
		return;
	}
	sn_defer(in, &s->parked[s->nparked++]);
	if (s->nparked == 1)
		sn_loop_add_timer(&s->c->loop, sn_now_ns() + 50 * SN_MS,
				  answer_parked, s);
}

/* tcpip_frame_receive, a one-way export, taken as notices.  The handler
 * tries to answer anyway: nothing must reach the caller. */
static void
serve_frames(void *ctx, struct sn_incoming *in)
{
	struct callee_state *s = ctx;

	s->notices++;
	sn_reply_ok(in, SN_BODY_EMPTY, sn_empty_start(sn_reply_builder(s->c)));
}

/* network_socket_close, which releases what its caller holds: served
 * even when read after its deadline. */
static void
serve_close(void *ctx, struct sn_incoming *in)
{
	struct callee_state *s = ctx;

	s->closes++;
	sn_reply_ok(in, SN_BODY_EMPTY, sn_empty_start(sn_reply_builder(s->c)));
}

static const struct sn_handler handlers[] = {
    {SN_EXPORT_RUNTIME_ECHO, serve_echo},
    {SN_EXPORT_RUNTIME_NULL, serve_null_later},
    {SN_EXPORT_SUPERVISOR_LOG, serve_echo},
    {SN_EXPORT_TCPIP_FRAME_RECEIVE, serve_frames},
    {SN_EXPORT_FIREWALL_FRAME_SEND, serve_frames},
    {SN_EXPORT_NETWORK_SOCKET_CLOSE, serve_close},
};

static struct sn_compartment callee_compartment;

static void
callee_main(const struct sn_channel_fds *channel, int stats_fd)
{
	static struct callee_state s;
	static struct sn_peer peer;
	char err[256];

	s.c = &callee_compartment;
	s.stats_fd = stats_fd;
	sn_compartment_init(s.c, "Runtime", handlers,
			    sizeof(handlers) / sizeof(handlers[0]), &s);
	if (sn_compartment_add_peer(s.c, &peer, channel, 1, "tester",
				    sn_now_ns() + 5000 * SN_MS, err,
				    sizeof(err)) < 0)
		_exit(1);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_ECHO);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_NULL);
	sn_peer_allow(&peer, SN_EXPORT_TCPIP_FRAME_RECEIVE);
	sn_peer_allow(&peer, SN_EXPORT_NETWORK_SOCKET_CLOSE);
	/* supervisor_log and firewall_frame_send are implemented but not
	 * imported by "tester". */
	for (;;) {
		/* The test reads these to see what the callee counted; they
		 * exist before the first call is served. */
		if (pwrite(stats_fd, &peer.stats, sizeof(peer.stats), 0) < 0)
			_exit(1);
		if (sn_compartment_serve_step(s.c) < 0)
			_exit(1);
	}
}

/* ---- the caller: this process ---- */

struct sn_compartment caller;
struct sn_peer callee;
struct sn_channel_fds fds;
pid_t callee_pid;
static int stats_fd;
_Alignas(8) uint8_t reply_buf[SN_MAX_MESSAGE];

int
start_callee(void)
{
	char err[256];
	char path[] = "/tmp/sealnet-call-test-XXXXXX";

	stats_fd = mkstemp(path);
	if (stats_fd < 0)
		return -1;
	unlink(path);
	if (sn_channel_create(256 * 1024, &fds) < 0)
		return -1;
	callee_pid = fork();
	if (callee_pid == 0)
		callee_main(&fds, stats_fd);
	sn_compartment_init(&caller, "tester", NULL, 0, NULL);
	return sn_compartment_add_peer(&caller, &callee, &fds, 0, "Runtime",
				       sn_now_ns() + 5000 * SN_MS, err,
				       sizeof(err));
}

void
stop_callee(void)
{
	if (callee_pid > 0) {
		kill(callee_pid, SIGKILL);
		waitpid(callee_pid, NULL, 0);
		callee_pid = 0;
	}
	sn_channel_fds_close(&fds);
	close(stats_fd);
}

struct sn_peer_stats
callee_stats(void)
{
	struct sn_peer_stats st;

	memset(&st, 0, sizeof(st));
	if (pread(stats_fd, &st, sizeof(st), 0) != sizeof(st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

int
echo(const void *data, size_t len, const uint8_t **out, uint32_t *outlen,
     uint64_t timeout_ns)
{
	sn_message_ref reply;
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_bytes_start(b);
	int rc;

	sn_bytes_add_data(b, body, data, len);
	rc = sn_call(&callee, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body,
		     timeout_ns, reply_buf, sizeof(reply_buf), &reply);
	if (rc == 0)
		*out = sn_bytes_data(sn_message_body_as_bytes(reply), outlen);
	return rc;
}

int
call_empty(uint16_t export_id, uint64_t timeout_ns)
{
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_empty_start(b);

	return sn_call(&callee, export_id, SN_BODY_EMPTY, body, timeout_ns,
		       reply_buf, sizeof(reply_buf), NULL);
}
