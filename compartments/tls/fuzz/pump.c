/*
 * A session's pump (pump.c) under arbitrary events, in the world of
 * tests/pump_world.c, which checks every promise of pump.h as each
 * action is performed: one send and one receive in flight at most, no
 * receive nobody waits for or the engine has no room for, nothing sent
 * on a closed socket, the socket closed once and after close_notify went
 * out, each call answered once, a session handed out only after its
 * handshake; and the pump stops every time.
 *
 * Input: one byte per event.  Its low four bits choose the event, the
 * high four its argument.  After the input, TCPIP answers everything
 * still out, the stream ends, the session closes, and the session must
 * be done.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pump_world.h"
#include "tls_const.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum tls_session_state states[] = {
    TLS_SESSION_HANDSHAKING, TLS_SESSION_ESTABLISHED, TLS_SESSION_CLOSED,
    TLS_SESSION_PEER_CLOSED, TLS_SESSION_FAILED};

/* The engine moves on, as feeding it might make it. */
static void
engine_event(struct pump_world *w, unsigned arg)
{
	enum tls_session_state s = states[arg % 5];

	/* The engine never goes back to its handshake, nor closes itself. */
	if (s != TLS_SESSION_HANDSHAKING && s != TLS_SESSION_CLOSED)
		w->engine.state = s;
}

static void
event(struct pump_world *w, uint8_t byte)
{
	unsigned arg = byte >> 4;

	switch (byte & 0x0f) {
	case 0:
		if (w->sends_in_flight > 0)
			world_sent(w, arg & 1);
		break;
	case 1:
		if (w->receives_in_flight > 0)
			world_received(w, arg == 0);
		break;
	case 2:
		engine_event(w, arg);
		break;
	case 3:
		w->engine.to_send += arg * 1000;
		break;
	case 4:
		w->engine.feed_room = arg * 2500;
		break;
	case 5:
		w->engine.write_room = arg & 1;
		break;
	case 6:
		w->plaintext_ready = arg & 1;
		break;
	/* The application's calls, as the shell lets them through: on a
	 * session it was given, one of each kind at a time, none after a
	 * close. */
	case 7:
		if (w->created && !w->pump.receive_waiting &&
		    !w->pump.close_waiting && w->close_answers == 0)
			world_wait_receive(w);
		break;
	case 8:
		if (w->created && !w->pump.send_waiting &&
		    !w->pump.close_waiting && w->close_answers == 0)
			world_wait_send(w);
		break;
	case 9:
		if (w->created && !w->pump.close_waiting &&
		    w->close_answers == 0)
			world_wait_close(w);
		break;
	default:
		break;
	}
	world_run(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pump_world w;

	world_start(&w);
	world_run(&w);
	for (size_t i = 0; i < size && w.broken == NULL; i++)
		event(&w, data[i]);
	/* The end: TCPIP answers everything, the stream ends, and the
	 * application closes what it was given. */
	for (int round = 0; round < 4 && w.broken == NULL; round++) {
		if (w.sends_in_flight > 0)
			world_sent(&w, false);
		if (w.receives_in_flight > 0)
			world_received(&w, true);
		/* The engine consumes what it is fed: in the end it has
		 * room again, and the stream's end reaches it. */
		w.plaintext_ready = true;
		w.engine.feed_room = TLS_CIPHERTEXT_BUFFERED_MAX;
		if (w.created && !w.pump.close_waiting && w.close_answers == 0)
			world_wait_close(&w);
		world_run(&w);
	}
	if (w.broken == NULL && w.create_answers != 1)
		w.broken = "the create was never answered";
	if (w.broken == NULL && !pump_done(&w.pump))
		w.broken = "the session never ended";
	if (w.broken != NULL) {
		fprintf(stderr, "pump: %s\n", w.broken);
		abort();
	}
	return 0;
}
