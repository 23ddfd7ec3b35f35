/*
 * Calls between two real processes: what a caller sees when the callee
 * answers, answers late, refuses, is flooded, is sent garbage, or dies.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call_peers.h"
#include "harness.h"

TEST(echo_returns_the_bytes_sent)
{
	static uint8_t big[32 * 1024];
	const uint8_t *out;
	uint32_t outlen;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ_INT(echo("hello", 5, &out, &outlen, 1000 * SN_MS), 0);
	CHECK_EQ_INT(outlen, 5);
	CHECK(memcmp(out, "hello", 5) == 0);
	CHECK_EQ_INT(echo(big, sizeof(big), &out, &outlen, 1000 * SN_MS), 0);
	CHECK_EQ_INT(outlen, sizeof(big));
	CHECK(memcmp(out, big, sizeof(big)) == 0);
}

TEST(export_not_imported_is_refused_and_counted)
{
	uint64_t before = callee_stats().calls_refused;
	uint8_t body_ok = 0;
	const uint8_t *out;
	uint32_t outlen;

	/* supervisor_log takes a Log body; send a well-formed one. */
	sn_builder *b = sn_call_builder(&caller);
	uint32_t log = sn_log_start(b);
	sn_log_add_level(b, log, SN_LOG_LEVEL_INFO);
	sn_log_add_text(b, log, "x", 1);
	CHECK_EQ_INT(sn_call(&callee, SN_EXPORT_SUPERVISOR_LOG, SN_BODY_LOG,
			     log, 1000 * SN_MS, reply_buf, sizeof(reply_buf),
			     NULL),
		     -EPERM);
	/* The callee counted it, and still serves what is allowed. */
	CHECK_EQ_INT(echo("ok", 2, &out, &outlen, 1000 * SN_MS), 0);
	body_ok = outlen == 2;
	CHECK(body_ok);
	CHECK_EQ_INT(CALLEE_STAT(calls_refused, before + 1), before + 1);
}

TEST(deferred_reply_arrives_later)
{
	uint64_t t0 = sn_now_ns();

	CHECK_EQ_INT(call_empty(SN_EXPORT_RUNTIME_NULL, 2000 * SN_MS), 0);
	CHECK(sn_now_ns() - t0 >= 45 * SN_MS);
}

TEST(deadline_passes_before_the_answer)
{
	uint64_t t0 = sn_now_ns();
	int rc = call_empty(SN_EXPORT_RUNTIME_NULL, 10 * SN_MS);
	uint64_t took = sn_now_ns() - t0;

	CHECK_EQ_INT(rc, -ETIMEDOUT);
	CHECK(took >= 10 * SN_MS && took < 45 * SN_MS);
	/* The late reply is discarded, not mistaken for the next call's. */
	CHECK_EQ_INT(call_empty(SN_EXPORT_RUNTIME_NULL, 2000 * SN_MS), 0);
}

static unsigned async_done, async_ok;

static void
count_reply(void *ctx, int status, const sn_message_ref *reply)
{
	async_done++;
	if (status == 0 && reply != NULL)
		async_ok++;
}

/* One of the callee's counters ("notices", "closes"), or UINT64_MAX if
 * it could not be read. */
static uint64_t
callee_count(const char *name)
{
	const uint8_t *out;
	uint32_t outlen;
	uint64_t n = UINT64_MAX;

	if (echo(name, strlen(name), &out, &outlen, 2000 * SN_MS) == 0 &&
	    outlen == sizeof(n))
		memcpy(&n, out, sizeof(n));
	return n;
}

/* The callee reads nothing for 300 ms; the pause's own answer is counted
 * in async_ok. */
static int
pause_callee(void)
{
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_bytes_start(b);

	async_done = async_ok = 0;
	sn_bytes_add_data(b, body, "pause", 5);
	return sn_call_async(&callee, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES,
			     body, 3000 * SN_MS, count_reply, NULL);
}

/* A request read after its deadline is refused, unless it releases
 * something (sealnet_served_late): a caller that gave up still wants its
 * socket closed. */
TEST(a_late_release_is_still_served)
{
	uint64_t before = callee_count("closes");
	sn_builder *b;
	uint32_t body;

	/* Paused, the callee reads the close long after its 1 ns. */
	CHECK_EQ_INT(pause_callee(), 0);
	b = sn_call_builder(&caller);
	body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &(sn_handle){1, 2, 3});
	CHECK_EQ_INT(sn_call(&callee, SN_EXPORT_NETWORK_SOCKET_CLOSE,
			     SN_BODY_SOCKET_REFERENCE, body, 1, reply_buf,
			     sizeof(reply_buf), NULL),
		     -ETIMEDOUT);
	CHECK(before != UINT64_MAX && callee_count("closes") == before + 1);
	CHECK_EQ_INT(async_ok, 1);
}

static uint64_t late_call_id;

static void
take_late(struct sn_peer *p, uint16_t export_id, const sn_message_ref *reply)
{
	late_call_id = sn_message_call_id(*reply);
}

/* A caller whose reply says nothing of what it asked (Empty) knows which
 * of its calls a late reply answers. */
TEST(a_late_reply_names_the_call_it_answers)
{
	uint64_t id, until = sn_now_ns() + 2000 * SN_MS;

	late_call_id = 0;
	sn_peer_on_late_reply(&callee, take_late);
	async_done = async_ok = 0;
	CHECK_EQ_INT(sn_call_async(&callee, SN_EXPORT_RUNTIME_NULL,
				   SN_BODY_EMPTY,
				   sn_empty_start(sn_call_builder(&caller)),
				   10 * SN_MS, count_reply, NULL),
		     0);
	id = sn_peer_last_call_id(&callee);
	while (late_call_id == 0 && sn_now_ns() < until)
		if (sn_compartment_serve_step_until(&caller, until) < 0)
			break;
	sn_peer_on_late_reply(&callee, NULL);
	CHECK_EQ_INT(async_done, 1);
	CHECK(id != 0 && late_call_id == id);
}

TEST(flood_is_held_back_not_dropped)
{
	/* More calls than the callee takes in flight, each parked 50 ms:
	 * the surplus waits in our ring; every call is answered. */
	unsigned sent = 0;

	async_done = async_ok = 0;
	for (unsigned i = 0; i < SN_MAX_PENDING; i++) {
		sn_builder *b = sn_call_builder(&caller);
		uint32_t body = sn_empty_start(b);

		if (sn_call_async(&callee, SN_EXPORT_RUNTIME_NULL,
				  SN_BODY_EMPTY, body, 3000 * SN_MS,
				  count_reply, NULL) == 0)
			sent++;
	}
	CHECK_EQ_INT(sent, SN_MAX_PENDING);
	for (uint64_t end = sn_now_ns() + 3000 * SN_MS;
	     async_done < sent && sn_now_ns() < end;)
		sn_loop_run_once(&caller.loop, end);
	CHECK_EQ_INT(async_done, sent);
	CHECK_EQ_INT(async_ok, sent);
}

TEST(waits_do_not_hold_back_other_calls)
{
	/* A caller keeping more waits parked than the callee takes calls in
	 * flight, as one keeping a receive waiting on each of many sockets
	 * does, is still served; and every wait is answered in the end. */
	const unsigned waits = 3 * SN_MAX_IN_FLIGHT;
	const uint8_t *out;
	uint32_t outlen;
	unsigned sent = 0;

	async_done = async_ok = 0;
	CHECK_EQ_INT(echo("wait", 4, &out, &outlen, 1000 * SN_MS), 0);
	for (unsigned i = 0; i < waits; i++) {
		sn_builder *b = sn_call_builder(&caller);

		if (sn_call_async(&callee, SN_EXPORT_RUNTIME_NULL,
				  SN_BODY_EMPTY, sn_empty_start(b),
				  5000 * SN_MS, count_reply, NULL) == 0)
			sent++;
	}
	CHECK_EQ_INT(sent, waits);
	/* Read after all the waits, so served only if they hold nothing. */
	CHECK_EQ_INT(echo("still served", 12, &out, &outlen, 1000 * SN_MS), 0);
	CHECK_EQ_INT(async_done, 0);
	/* Its reply comes first, the waits' answers behind it. */
	CHECK_EQ_INT(echo("release", 7, &out, &outlen, 1000 * SN_MS), 0);
	CHECK(outlen == 7 && memcmp(out, "release", 7) == 0);
	for (uint64_t end = sn_now_ns() + 3000 * SN_MS;
	     async_done < sent && sn_now_ns() < end;)
		sn_loop_run_once(&caller.loop, end);
	CHECK_EQ_INT(async_done, sent);
	CHECK_EQ_INT(async_ok, sent);
}

/* A Frames body of one 60 KiB frame, in the caller's builder. */
static uint32_t
frames_body(void)
{
	static uint8_t frame[60 * 1024];
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_frames_start(b);
	uint32_t vec = sn_frames_start_frames(b, body, 1);
	uint32_t t = sn_frame_start(b);

	sn_frame_add_data(b, t, frame, sizeof(frame));
	sn_builder_set_table_at(b, vec, 0, t);
	return body;
}

TEST(notices_are_served_in_order_and_never_answered)
{
	/* Each about a quarter of the ring: the ring fills, and each notice
	 * it refuses goes once the callee has made room, which wakes us
	 * well before a deadline could. */
	const unsigned notices = 64;
	unsigned sent = 0, refused = 0, timeouts = 0;
	uint64_t before = callee_count("notices");

	/* The callee reads nothing for 300 ms, so the ring is full after a
	 * few notices however fast it reads afterwards. */
	CHECK_EQ_INT(pause_callee(), 0);

	while (sent < notices) {
		int rc = sn_notify(&callee, SN_EXPORT_TCPIP_FRAME_RECEIVE,
				   SN_BODY_FRAMES, frames_body());

		if (rc == 0) {
			sent++;
			continue;
		}
		CHECK_EQ_INT(rc, -EAGAIN);
		if (rc != -EAGAIN || ++refused > 100 * notices)
			break;
		if (sn_loop_run_once(&caller.loop,
				     sn_now_ns() + 1000 * SN_MS) == -ETIMEDOUT)
			timeouts++;
	}
	CHECK_EQ_INT(sent, notices);
	CHECK(refused > 0);
	CHECK_EQ_INT(timeouts, 0);
	/* Served before the call behind them, and none answered. */
	CHECK(before != UINT64_MAX &&
	      callee_count("notices") == before + notices);
	CHECK_EQ_INT(async_ok, 1); /* the pause, answered before */
	CHECK_EQ_INT(callee.stats.replies_unmatched, 0);
	CHECK_EQ_INT(callee_stats().replies_lost, 0);
}

/* One message written into the ring as a hostile caller would. */
static int
send_raw(uint8_t call_type, uint64_t call_id, uint16_t export_id)
{
	static _Alignas(8) uint8_t buf[512];
	sn_builder b;
	uint32_t msg, body;
	size_t len = 0;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	if (call_id)
		sn_message_add_call_id(&b, msg, call_id);
	sn_message_add_call_type(&b, msg, call_type);
	sn_message_add_export(&b, msg, export_id);
	if (export_id == SN_EXPORT_RUNTIME_ECHO) {
		body = sn_bytes_start(&b);
		sn_bytes_add_data(&b, body, "x", 1);
		sn_message_add_body(&b, msg, SN_BODY_BYTES, body);
	} else {
		body = sn_frames_start(&b);
		sn_frames_start_frames(&b, body, 0);
		sn_message_add_body(&b, msg, SN_BODY_FRAMES, body);
	}
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -EINVAL;
	return sn_channel_send(&callee.channel, buf, len);
}

TEST(one_way_and_two_way_exports_are_not_mixed)
{
	/* A request to a one-way export would wait for an answer that never
	 * comes, a notice to a call would leave one nobody reads, and a
	 * notice carrying a call id could be taken for a reply's: the
	 * callee rejects each, and refuses a notice it was not granted
	 * without answering it. */
	uint64_t rejected = callee_stats().messages_rejected;
	uint64_t refused = callee_stats().calls_refused;
	const uint8_t *out;
	uint32_t outlen;

	CHECK_EQ_INT(
	    send_raw(SN_CALL_TYPE_REQUEST, 7, SN_EXPORT_TCPIP_FRAME_RECEIVE),
	    0);
	CHECK_EQ_INT(send_raw(SN_CALL_TYPE_NOTICE, 0, SN_EXPORT_RUNTIME_ECHO),
		     0);
	CHECK_EQ_INT(
	    send_raw(SN_CALL_TYPE_NOTICE, 8, SN_EXPORT_TCPIP_FRAME_RECEIVE), 0);
	CHECK_EQ_INT(
	    send_raw(SN_CALL_TYPE_NOTICE, 0, SN_EXPORT_FIREWALL_FRAME_SEND), 0);
	CHECK_EQ_INT(echo("still here", 10, &out, &outlen, 1000 * SN_MS), 0);
	CHECK_EQ_INT(CALLEE_STAT(messages_rejected, rejected + 3),
		     rejected + 3);
	CHECK_EQ_INT(CALLEE_STAT(calls_refused, refused + 1), refused + 1);
	CHECK_EQ_INT(callee.stats.replies_unmatched, 0);
}

TEST(garbage_is_rejected_and_counted)
{
	static _Alignas(8) uint8_t junk[256];
	uint64_t before = callee_stats().messages_rejected;
	const uint8_t *out;
	uint32_t outlen;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 31 + 1);
	CHECK_EQ_INT(sn_channel_send(&callee.channel, junk, sizeof(junk)), 0);
	CHECK_EQ_INT(echo("still here", 10, &out, &outlen, 1000 * SN_MS), 0);
	CHECK_EQ_INT(CALLEE_STAT(messages_rejected, before + 1), before + 1);
}

TEST(callee_death_fails_the_call_in_flight)
{
	uint64_t t0;
	int rc;

	/* runtime_null is parked for 50 ms; the callee dies meanwhile. */
	if (fork() == 0) {
		usleep(10000);
		kill(callee_pid, SIGKILL);
		sn_channel_mark_dead(&fds);
		_exit(0);
	}
	t0 = sn_now_ns();
	rc = call_empty(SN_EXPORT_RUNTIME_NULL, 5000 * SN_MS);
	CHECK_EQ_INT(rc, -SEALNET_ECOMPARTMENT);
	CHECK(sn_now_ns() - t0 < 1000 * SN_MS);
	/* Later calls fail at once with the same documented error. */
	CHECK_EQ_INT(call_empty(SN_EXPORT_RUNTIME_NULL, 5000 * SN_MS),
		     -SEALNET_ECOMPARTMENT);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* A call that finds the callee dead while sending is reported once, by
 * the return value: a callback as well would make a compartment that
 * relays the call answer its own caller twice. */
TEST(async_call_to_a_dead_callee_is_reported_once)
{
	sn_builder *b;
	int rc;

	stop_callee();
	if (start_callee() < 0) {
		CHECK(!"could not restart the callee");
		return;
	}
	kill(callee_pid, SIGKILL);
	waitpid(callee_pid, NULL, 0);
	callee_pid = 0;
	sn_channel_mark_dead(&fds);
	async_done = async_ok = 0;
	b = sn_call_builder(&caller);
	rc = sn_call_async(&callee, SN_EXPORT_RUNTIME_NULL, SN_BODY_EMPTY,
			   sn_empty_start(b), 1000 * SN_MS, count_reply, NULL);
	CHECK_EQ_INT(rc, -SEALNET_ECOMPARTMENT);
	sn_loop_run_once(&caller.loop, sn_now_ns() + 20 * SN_MS);
	CHECK_EQ_INT(async_done, 0);
}

int
main(void)
{
	if (start_callee() < 0) {
		printf("FAIL call_test: could not start the callee\n");
		stop_callee();
		return 1;
	}
	RUN(echo_returns_the_bytes_sent);
	RUN(export_not_imported_is_refused_and_counted);
	RUN(deferred_reply_arrives_later);
	RUN(deadline_passes_before_the_answer);
	RUN(a_late_release_is_still_served);
	RUN(a_late_reply_names_the_call_it_answers);
	RUN(flood_is_held_back_not_dropped);
	RUN(waits_do_not_hold_back_other_calls);
	RUN(notices_are_served_in_order_and_never_answered);
	RUN(one_way_and_two_way_exports_are_not_mixed);
	RUN(garbage_is_rejected_and_counted);
	RUN(callee_death_fails_the_call_in_flight);
	RUN(async_call_to_a_dead_callee_is_reported_once);
	stop_callee();
	HARNESS_EXIT();
}
