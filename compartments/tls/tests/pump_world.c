/* The pump's world: see pump_world.h. */
#include "pump_world.h"

#include <string.h>

#include "tls_const.h"

/* What a close_notify costs on the wire, about. */
#define ALERT_BYTES 31

static void
broken(struct pump_world *w, const char *why)
{
	if (w->broken == NULL)
		w->broken = why;
}

void
world_start(struct pump_world *w)
{
	memset(w, 0, sizeof(*w));
	pump_start(&w->pump);
	w->engine = (struct pump_engine){
	    .state = TLS_SESSION_HANDSHAKING,
	    .to_send = 271,
	    .feed_room = TLS_CIPHERTEXT_BUFFERED_MAX,
	    .write_room = true,
	};
}

static void
do_send(struct pump_world *w)
{
	if (w->sends_in_flight > 0)
		broken(w, "two sends in flight");
	if (w->socket_closes > 0)
		broken(w, "a send on a closed socket");
	if (w->engine.to_send == 0)
		broken(w, "a send with nothing to send");
	w->sends_in_flight++;
}

static void
do_receive(struct pump_world *w)
{
	const struct pump *p = &w->pump;

	if (w->receives_in_flight > 0)
		broken(w, "two receives in flight");
	if (w->socket_closes > 0 || p->transport_ended)
		broken(w, "a receive on a closed socket or an ended stream");
	if (w->engine.feed_room == 0)
		broken(w, "a receive the engine has no room for");
	if (!p->create_waiting && !p->receive_waiting)
		broken(w, "a receive nobody waits for");
	w->receives_in_flight++;
}

static void
do_close_socket(struct pump_world *w)
{
	if (++w->socket_closes > 1)
		broken(w, "the socket closed twice");
	/* close_notify goes out before the socket closes, unless the
	 * session or the stream already failed. */
	if (w->close_notifies > 0 && w->engine.state != TLS_SESSION_FAILED &&
	    !w->pump.transport_ended &&
	    (w->engine.to_send > 0 || w->sends_in_flight > 0))
		broken(w, "the socket closed before close_notify went out");
}

static void
do_answer_create(struct pump_world *w, bool ok)
{
	if (++w->create_answers > 1)
		broken(w, "the create answered twice");
	if (ok && w->engine.state != TLS_SESSION_ESTABLISHED &&
	    w->engine.state != TLS_SESSION_PEER_CLOSED)
		broken(w, "a session handed out before its handshake");
	w->created = ok;
}

static void
do_answer_close(struct pump_world *w)
{
	if (++w->close_answers > 1)
		broken(w, "the close answered twice");
	if (w->socket_closes == 0)
		broken(w, "the close answered with the socket open");
}

static void
do_read(struct pump_world *w)
{
	if (!w->created)
		broken(w, "a read before the session was handed out");
	if (w->plaintext_ready || w->engine.state != TLS_SESSION_ESTABLISHED ||
	    w->pump.transport_ended || w->socket_closes > 0) {
		w->receive_answers++;
		pump_receive_answered(&w->pump);
	} else {
		pump_read_starved(&w->pump);
	}
}

static void
perform(struct pump_world *w, enum pump_do action)
{
	switch (action) {
	case PUMP_SEND:
		do_send(w);
		break;
	case PUMP_RECEIVE:
		do_receive(w);
		break;
	case PUMP_CLOSE_SOCKET:
		do_close_socket(w);
		break;
	case PUMP_FAIL_CREATE:
		do_answer_create(w, false);
		break;
	case PUMP_ANSWER_CREATE:
		do_answer_create(w, true);
		break;
	case PUMP_CLOSE_NOTIFY:
		w->close_notifies++;
		w->engine.state = TLS_SESSION_CLOSED;
		w->engine.to_send += ALERT_BYTES;
		break;
	case PUMP_ANSWER_CLOSE:
		do_answer_close(w);
		break;
	case PUMP_READ:
		do_read(w);
		break;
	case PUMP_ANSWER_ROOM:
		if (w->engine.state == TLS_SESSION_ESTABLISHED &&
		    !w->engine.write_room)
			broken(w, "a send answered with no room");
		w->room_answers++;
		break;
	case PUMP_NOTHING:
		break;
	}
}

int
world_run(struct pump_world *w)
{
	for (int n = 0; n < TLS_PUMP_STEPS_MAX; n++) {
		enum pump_do action = pump_next(&w->pump, &w->engine);

		if (action == PUMP_NOTHING)
			return n;
		perform(w, action);
	}
	broken(w, "the pump did not stop");
	return -1;
}

void
world_sent(struct pump_world *w, bool failed)
{
	if (w->sends_in_flight == 0) {
		broken(w, "an answer to a send never made");
		return;
	}
	w->sends_in_flight--;
	pump_sent(&w->pump);
	if (failed)
		pump_transport_failed(&w->pump);
	else
		w->engine.to_send = 0;
}

void
world_received(struct pump_world *w, bool ended)
{
	if (w->receives_in_flight == 0) {
		broken(w, "an answer to a receive never made");
		return;
	}
	w->receives_in_flight--;
	pump_received(&w->pump, ended);
}

void
world_wait_receive(struct pump_world *w)
{
	pump_wait_receive(&w->pump);
}

void
world_wait_send(struct pump_world *w)
{
	pump_wait_send(&w->pump);
}

void
world_wait_close(struct pump_world *w)
{
	pump_wait_close(&w->pump);
}
