/* What one TLS session does next: see pump.h for every path. */
#include "pump.h"

#include <string.h>

void
pump_start(struct pump *p)
{
	memset(p, 0, sizeof(*p));
	p->create_waiting = true;
}

static bool
handshake_done(enum tls_session_state s)
{
	return s == TLS_SESSION_ESTABLISHED || s == TLS_SESSION_PEER_CLOSED;
}

/* Nothing more can come of the socket, or nothing more is to go out. */
static bool
socket_finished(const struct pump *p, const struct pump_engine *e)
{
	if (p->create_failed || p->transport_ended ||
	    e->state == TLS_SESSION_FAILED)
		return true;
	if (p->close_waiting && !handshake_done(e->state) &&
	    !p->close_notify_queued)
		return true;
	return p->close_notify_queued && e->to_send == 0 && !p->send_in_flight;
}

static bool
create_failing(const struct pump *p, const struct pump_engine *e)
{
	return p->create_waiting &&
	       (e->state == TLS_SESSION_FAILED ||
		e->state == TLS_SESSION_CLOSED ||
		(p->transport_ended && !handshake_done(e->state)));
}

static bool
wants_ciphertext(const struct pump *p, const struct pump_engine *e)
{
	if (p->receive_in_flight || p->transport_ended || p->socket_closed ||
	    e->feed_room == 0)
		return false;
	if (p->create_waiting)
		return e->state == TLS_SESSION_HANDSHAKING;
	return p->receive_waiting && p->receive_starved &&
	       e->state == TLS_SESSION_ESTABLISHED;
}

/* A read can say something new: plaintext may be there, or the session
 * ended, or the stream did. */
static bool
read_worthwhile(const struct pump *p, const struct pump_engine *e)
{
	return p->receive_waiting && e->state != TLS_SESSION_HANDSHAKING &&
	       (!p->receive_starved || e->state != TLS_SESSION_ESTABLISHED ||
		p->transport_ended || p->socket_closed);
}

enum pump_do
pump_next(struct pump *p, const struct pump_engine *e)
{
	if (create_failing(p, e)) {
		p->create_waiting = false;
		p->create_failed = true;
		return PUMP_FAIL_CREATE;
	}
	if (!p->socket_closed && socket_finished(p, e)) {
		p->socket_closed = true;
		return PUMP_CLOSE_SOCKET;
	}
	if (p->close_waiting && !p->close_notify_queued && !p->socket_closed &&
	    handshake_done(e->state)) {
		p->close_notify_queued = true;
		return PUMP_CLOSE_NOTIFY;
	}
	if (!p->send_in_flight && !p->socket_closed && e->to_send > 0) {
		p->send_in_flight = true;
		return PUMP_SEND;
	}
	if (p->create_waiting && handshake_done(e->state)) {
		p->create_waiting = false;
		return PUMP_ANSWER_CREATE;
	}
	if (p->close_waiting && p->socket_closed) {
		p->close_waiting = false;
		p->close_answered = true;
		return PUMP_ANSWER_CLOSE;
	}
	if (read_worthwhile(p, e))
		return PUMP_READ;
	if (p->send_waiting &&
	    (e->write_room || e->state != TLS_SESSION_ESTABLISHED)) {
		p->send_waiting = false;
		return PUMP_ANSWER_ROOM;
	}
	if (wants_ciphertext(p, e)) {
		p->receive_in_flight = true;
		return PUMP_RECEIVE;
	}
	return PUMP_NOTHING;
}

void
pump_sent(struct pump *p)
{
	p->send_in_flight = false;
}

void
pump_received(struct pump *p, bool ended)
{
	p->receive_in_flight = false;
	p->receive_starved = false;
	if (ended)
		p->transport_ended = true;
}

void
pump_transport_failed(struct pump *p)
{
	p->transport_ended = true;
}

void
pump_read_starved(struct pump *p)
{
	p->receive_starved = true;
}

void
pump_wait_receive(struct pump *p)
{
	p->receive_waiting = true;
	p->receive_starved = false;
}

void
pump_wait_send(struct pump *p)
{
	p->send_waiting = true;
}

void
pump_wait_close(struct pump *p)
{
	p->close_waiting = true;
}

void
pump_receive_answered(struct pump *p)
{
	p->receive_waiting = false;
}

void
pump_send_answered(struct pump *p)
{
	p->send_waiting = false;
}

bool
pump_done(const struct pump *p)
{
	return p->socket_closed && (p->create_failed || p->close_answered);
}
