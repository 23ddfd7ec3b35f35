#include "receive.h"

#include <errno.h>

#include "tcpip.h"

struct sock *
receive_park(struct sn_incoming *in, enum sock_state state,
	     int wrong_state_error)
{
	sn_receive_ref req = sn_message_body_as_receive(in->request);
	sn_handle h;
	struct sock *s;

	sn_receive_socket(req, &h);
	s = sock_lookup(in, h);
	if (s == NULL || s->state != state) {
		answer_error(in, s ? wrong_state_error : -EPERM);
		return NULL;
	}
	if (s->recv_waiting && !wait_over(&s->recv_wait, 0)) {
		answer_error(in, -EBUSY);
		return NULL;
	}
	s->recv_max =
	    sn_receive_max_bytes(req) ? sn_receive_max_bytes(req) : MAX_CHUNK;
	sn_defer_wait(in, &s->recv_wait);
	s->recv_waiting = true;
	return s;
}

bool
receive_waiting(struct sock *s, uint64_t margin_ns)
{
	return still_waiting(&s->recv_waiting, &s->recv_wait, margin_ns);
}

void
receive_answer(struct sock *s, uint32_t body)
{
	s->recv_waiting = false;
	answer_later_ok(&s->recv_wait, SN_BODY_RECEIVED, body);
}

void
receive_fail(struct sock *s, int negative_errno)
{
	s->recv_waiting = false;
	answer_later_error(&s->recv_wait, negative_errno);
}

static struct sock *due[RECEIVE_DUE_MAX];
static unsigned ndue;

bool
receive_due(struct sock *s)
{
	if (s->deliver_due)
		return true;
	if (ndue == RECEIVE_DUE_MAX)
		return false;
	s->deliver_due = true;
	due[ndue++] = s;
	return true;
}

struct sock *
receive_next_due(void)
{
	/* A socket freed since is no longer due (sock_free clears it), and
	 * one taken again and due again is here twice: answered once. */
	while (ndue > 0) {
		struct sock *s = due[--ndue];

		if (s->deliver_due) {
			s->deliver_due = false;
			return s;
		}
	}
	return NULL;
}
