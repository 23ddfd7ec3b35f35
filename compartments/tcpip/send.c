/*
 * TCP's send export.  A send takes what lwIP's send buffer has room for
 * now and says how much it took; the caller sends the rest.  Only a send
 * that finds no room at all waits, holding no data, and is answered "0
 * taken" once room is back, so no socket's data waits in TCPIP on
 * another's, and nothing is taken for a caller that has given up.  Room
 * includes the owner's share of lwIP's segments (segments.h).
 */
#include "send.h"

#include "log.h"
#include "segments.h"
#include "tcp.h"
#include "tcpip.h"
#include "write.h"

static uint32_t
sent_body(uint32_t taken)
{
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_sent_start(b);
	sn_sent_add_bytes(b, body, taken);
	return body;
}

/* Room enough to be worth a call: lwIP's own low-water mark. */
static bool
send_room(struct tcp_pcb *pcb)
{
	return tcp_sndbuf(pcb) >= TCP_SNDLOWAT &&
	       tcp_sndqueuelen(pcb) < TCP_SNDQUEUELOWAT;
}

void
send_room_back(struct sock *s)
{
	if (s->pcb == NULL || !send_room(s->pcb) ||
	    segments_owner_room(s) == 0 ||
	    !still_waiting(&s->send_waiting, &s->send_wait, 0))
		return;
	s->send_waiting = false;
	answer_later_ok(&s->send_wait, SN_BODY_SENT, sent_body(0));
}

/* Said for each owner's first wait and each power of two after it, with
 * its name: every owner that reaches its share is named. */
static void
count_share_waits(const struct sock *s, uint64_t waits)
{
	if (sn_log_worth(waits))
		sn_log("%s is at its share of lwIP's segments (%u of %u): "
		       "its sends wait (%llu times so far)",
		       s->owner_peer ? s->owner_peer->name : "?",
		       (unsigned)OWNER_SEGMENTS_MAX, (unsigned)MEMP_NUM_TCP_SEG,
		       (unsigned long long)waits);
}

void
serve_send(void *ctx, struct sn_incoming *in)
{
	sn_send_ref req = sn_message_body_as_send(in->request);
	sn_handle h;
	struct sock *s;
	uint32_t len, n, room;
	const uint8_t *data = sn_send_data(req, &len);

	sn_send_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != SOCK_OPEN || s->pcb == NULL) {
		answer_error(in, s == NULL  ? -EPERM
				 : s->error ? s->error
					    : -ENOTCONN);
		return;
	}
	if (still_waiting(&s->send_waiting, &s->send_wait, 0)) {
		answer_error(in, -EBUSY);
		return;
	}
	/* A send takes no more than the owner's share of lwIP's segments
	 * has room for; at its share, the owner waits as for a full send
	 * buffer (segments.h). */
	room = segments_owner_room(s);
	if (room > 0) {
		n = write_some(s->pcb, data, len, room);
		(void)segments_recount(s);
	} else {
		n = 0;
		count_share_waits(s, segments_owner_waits(s));
	}
	if (n > 0 || len == 0) {
		/* Taken either way: what tcp_output cannot send now (no
		 * route yet, no pbuf) stays queued for lwIP's timer. */
		if (n > 0)
			(void)tcp_output(s->pcb);
		answer_ok(in, SN_BODY_SENT, sent_body(n));
		return;
	}
	sn_defer_wait(in, &s->send_wait);
	s->send_waiting = true;
}
