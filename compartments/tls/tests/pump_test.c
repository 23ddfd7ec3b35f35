/*
 * Each path of a session's pump (pump.h), played in a world that checks
 * every promise as it goes (pump_world.c): the handshake, its failures,
 * receives that need ciphertext and those that do not, sends that wait
 * for room, closes, and a session that fails while calls wait.
 */
#include "harness.h"
#include "pump_world.h"
#include "tls_const.h"

/* The handshake up to the answer: ClientHello out, the server's flight
 * in, Finished out. */
static void
handshake(struct pump_world *w)
{
	world_start(w);
	world_run(w);
	world_sent(w, false);
	world_received(w, false);
	w->engine.state = TLS_SESSION_ESTABLISHED;
	w->engine.to_send = 80;
	world_run(w);
	world_sent(w, false);
	world_run(w);
}

TEST(the_handshake_asks_for_both_directions_then_answers)
{
	struct pump_world w;

	world_start(&w);
	CHECK_EQ_INT(world_run(&w), 2); /* the ClientHello, and a receive */
	CHECK_EQ_INT(w.sends_in_flight, 1);
	CHECK_EQ_INT(w.receives_in_flight, 1);
	CHECK_EQ_INT(w.create_answers, 0);
	/* Nothing more while both are out. */
	CHECK_EQ_INT(world_run(&w), 0);
	world_sent(&w, false);
	world_received(&w, false);
	w.engine.state = TLS_SESSION_ESTABLISHED;
	w.engine.to_send = 80;		/* Finished */
	CHECK_EQ_INT(world_run(&w), 2); /* Finished, then the answer */
	CHECK(w.created);
	CHECK_EQ_INT(w.sends_in_flight, 1);
	/* Nobody waits for plaintext: no receive is made. */
	CHECK_EQ_INT(w.receives_in_flight, 0);
	CHECK(w.broken == NULL);
}

TEST(a_handshake_in_several_flights_asks_again)
{
	struct pump_world w;

	world_start(&w);
	world_run(&w);
	world_received(&w, false); /* part of the server's flight */
	CHECK_EQ_INT(world_run(&w), 1);
	CHECK_EQ_INT(w.receives_in_flight, 1);
	CHECK_EQ_INT(w.sends_in_flight, 1);
	CHECK(w.broken == NULL);
}

TEST(a_failed_handshake_answers_and_closes_the_socket)
{
	struct pump_world w;

	world_start(&w);
	world_run(&w);
	world_sent(&w, false);
	world_received(&w, false);
	w.engine.state = TLS_SESSION_FAILED; /* the certificate, say */
	w.engine.to_send = 7;		     /* an alert */
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.create_answers, 1);
	CHECK(!w.created);
	CHECK_EQ_INT(w.socket_closes, 1);
	/* Nothing goes to a peer that failed verification. */
	CHECK_EQ_INT(w.sends_in_flight, 0);
	CHECK(pump_done(&w.pump));
	CHECK(w.broken == NULL);
}

TEST(the_stream_ending_in_the_handshake_fails_the_create)
{
	struct pump_world w;

	world_start(&w);
	world_run(&w);
	world_received(&w, true);
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.create_answers, 1);
	CHECK(!w.created);
	CHECK_EQ_INT(w.socket_closes, 1);
	/* The ClientHello's send is still out: its answer changes
	 * nothing. */
	world_sent(&w, false);
	CHECK_EQ_INT(world_run(&w), 0);
	CHECK(pump_done(&w.pump));
	CHECK(w.broken == NULL);
}

TEST(a_send_that_fails_in_the_handshake_fails_the_create)
{
	struct pump_world w;

	world_start(&w);
	world_run(&w);
	world_sent(&w, true);
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK(!w.created);
	CHECK_EQ_INT(w.socket_closes, 1);
	CHECK(w.broken == NULL);
}

TEST(a_receive_with_plaintext_ready_needs_no_ciphertext)
{
	struct pump_world w;

	handshake(&w);
	w.plaintext_ready = true;
	world_wait_receive(&w);
	CHECK_EQ_INT(world_run(&w), 1);
	CHECK_EQ_INT(w.receive_answers, 1);
	CHECK_EQ_INT(w.receives_in_flight, 0);
	CHECK(w.broken == NULL);
}

TEST(a_starved_receive_asks_for_ciphertext_until_plaintext_comes)
{
	struct pump_world w;

	handshake(&w);
	world_wait_receive(&w);
	CHECK_EQ_INT(world_run(&w), 2); /* read: nothing; then a receive */
	CHECK_EQ_INT(w.receives_in_flight, 1);
	CHECK_EQ_INT(w.receive_answers, 0);
	world_received(&w, false); /* a record that is not data (a ticket) */
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.receives_in_flight, 1);
	w.plaintext_ready = true;
	world_received(&w, false);
	CHECK_EQ_INT(world_run(&w), 1);
	CHECK_EQ_INT(w.receive_answers, 1);
	CHECK_EQ_INT(w.receives_in_flight, 0);
	CHECK(w.broken == NULL);
}

TEST(a_full_engine_is_not_asked_to_take_more)
{
	struct pump_world w;

	handshake(&w);
	w.engine.feed_room = 0;
	world_wait_receive(&w);
	CHECK_EQ_INT(world_run(&w), 1); /* the read, starved */
	CHECK_EQ_INT(w.receives_in_flight, 0);
	w.engine.feed_room = 1000;
	world_wait_receive(&w); /* the read again, as after a feed */
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.receives_in_flight, 1);
	CHECK(w.broken == NULL);
}

TEST(the_end_of_the_stream_answers_a_starved_receive)
{
	struct pump_world w;

	handshake(&w);
	world_wait_receive(&w);
	world_run(&w);
	world_received(&w, true);
	w.engine.state = TLS_SESSION_FAILED; /* cut short */
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.socket_closes, 1);
	CHECK_EQ_INT(w.receive_answers, 1);
	CHECK(w.broken == NULL);
}

TEST(a_send_without_room_waits_for_it)
{
	struct pump_world w;

	handshake(&w);
	w.engine.write_room = false;
	w.engine.to_send = 30000;
	world_wait_send(&w);
	CHECK_EQ_INT(world_run(&w), 1); /* the ciphertext goes */
	CHECK_EQ_INT(w.room_answers, 0);
	world_sent(&w, false);
	w.engine.write_room = true;
	CHECK_EQ_INT(world_run(&w), 1);
	CHECK_EQ_INT(w.room_answers, 1);
	CHECK(w.broken == NULL);
}

TEST(a_failure_answers_a_send_that_waits_for_room)
{
	struct pump_world w;

	handshake(&w);
	w.engine.write_room = false;
	world_wait_send(&w);
	world_run(&w);
	w.engine.state = TLS_SESSION_FAILED;
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.room_answers, 1);
	CHECK_EQ_INT(w.socket_closes, 1);
	CHECK(w.broken == NULL);
}

TEST(a_close_sends_close_notify_before_the_socket_closes)
{
	struct pump_world w;

	handshake(&w);
	world_wait_close(&w);
	CHECK_EQ_INT(world_run(&w), 2); /* close_notify, and its send */
	CHECK_EQ_INT(w.close_notifies, 1);
	CHECK_EQ_INT(w.socket_closes, 0);
	CHECK_EQ_INT(w.close_answers, 0);
	world_sent(&w, false);
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.socket_closes, 1);
	CHECK_EQ_INT(w.close_answers, 1);
	CHECK(pump_done(&w.pump));
	CHECK(w.broken == NULL);
}

TEST(a_close_after_a_failure_closes_at_once)
{
	struct pump_world w;

	handshake(&w);
	w.engine.state = TLS_SESSION_FAILED;
	world_run(&w);
	CHECK_EQ_INT(w.socket_closes, 1);
	world_wait_close(&w);
	CHECK_EQ_INT(world_run(&w), 1);
	CHECK_EQ_INT(w.close_notifies, 0);
	CHECK_EQ_INT(w.close_answers, 1);
	CHECK(pump_done(&w.pump));
	CHECK(w.broken == NULL);
}

TEST(a_close_whose_send_fails_still_closes)
{
	struct pump_world w;

	handshake(&w);
	world_wait_close(&w);
	world_run(&w);
	world_sent(&w, true);
	CHECK_EQ_INT(world_run(&w), 2);
	CHECK_EQ_INT(w.socket_closes, 1);
	CHECK_EQ_INT(w.close_answers, 1);
	CHECK(w.broken == NULL);
}

int
main(void)
{
	RUN(the_handshake_asks_for_both_directions_then_answers);
	RUN(a_handshake_in_several_flights_asks_again);
	RUN(a_failed_handshake_answers_and_closes_the_socket);
	RUN(the_stream_ending_in_the_handshake_fails_the_create);
	RUN(a_send_that_fails_in_the_handshake_fails_the_create);
	RUN(a_receive_with_plaintext_ready_needs_no_ciphertext);
	RUN(a_starved_receive_asks_for_ciphertext_until_plaintext_comes);
	RUN(a_full_engine_is_not_asked_to_take_more);
	RUN(the_end_of_the_stream_answers_a_starved_receive);
	RUN(a_send_without_room_waits_for_it);
	RUN(a_failure_answers_a_send_that_waits_for_room);
	RUN(a_close_sends_close_notify_before_the_socket_closes);
	RUN(a_close_after_a_failure_closes_at_once);
	RUN(a_close_whose_send_fails_still_closes);
	HARNESS_EXIT();
}
