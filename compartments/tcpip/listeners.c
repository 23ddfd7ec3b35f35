/*
 * A listener's port in the Firewall.  NetAPI registers a server port
 * (its owner's bind capability) and keeps it until the owner dies, so the
 * owner may listen on it again; whether the port takes new connections
 * is TCPIP's word, since only TCPIP knows when its listener comes and
 * goes.  Both words about one port travel on TCPIP's one ring to the
 * Firewall, in the order TCPIP said them, so a listener closed and made
 * again can never leave the port shut behind it.
 *
 * A listen is answered once the Firewall has the port open: a client
 * that connects as soon as its server's listen returns is let in.
 *
 * A shut word that cannot go when its listener closes (the ring to the
 * Firewall is full, or every call TCPIP may have pending to it is) is
 * kept and sent at the end of a later turn.  A new listener on the port
 * forgets it before asking to open the port: the open word then follows
 * every word sent before it, and no stale shut can follow the open.
 */
#include "listeners.h"

#include <errno.h>

#include "log.h"
#include "tcpip.h"

#define GATE_TIMEOUT_NS (1000 * SN_MS)

static uint32_t last_ticket;
static uint64_t unsent_closes;
/* Ports whose shut word waits to be sent, oldest first. */
static uint16_t waiting_shut[LISTENERS_WAITING_SHUT_MAX];
static unsigned nwaiting_shut;

static int
ask(uint16_t port, bool listening, sn_reply_fn done, uint32_t ticket)
{
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t sp = sn_server_port_start(b);

	sn_server_port_add_protocol(b, sp, SN_PROTOCOL_TCP);
	sn_server_port_add_port(b, sp, port);
	sn_server_port_add_listening(b, sp, listening);
	return sn_call_async(firewall, SN_EXPORT_FIREWALL_SERVER_PORT_LISTENING,
			     SN_BODY_SERVER_PORT, sp, GATE_TIMEOUT_NS, done,
			     (void *)(uintptr_t)ticket);
}

static void
opened(void *ctx, int status, const sn_message_ref *reply)
{
	struct sock *s = sock_of_listen_ticket((uint32_t)(uintptr_t)ctx);

	/* Freed meanwhile: its caller was answered, and the port shut. */
	if (s == NULL || !s->connect_waiting)
		return;
	s->connect_waiting = false;
	if (status == 0) {
		if (hand_over(&s->connect_wait, s) < 0)
			sock_free(s);
		return;
	}
	sn_log("the Firewall did not open port %u to its listener (%d): "
	       "the listen fails",
	       s->pcb ? s->pcb->local_port : 0, status);
	answer_later_error(&s->connect_wait, status);
	sock_free(s);
}

static void
forget_waiting_shut(unsigned i)
{
	nwaiting_shut--;
	for (; i < nwaiting_shut; i++)
		waiting_shut[i] = waiting_shut[i + 1];
}

static bool
shut_waits(uint16_t port, unsigned *at)
{
	for (unsigned i = 0; i < nwaiting_shut; i++)
		if (waiting_shut[i] == port) {
			*at = i;
			return true;
		}
	return false;
}

int
listener_open(struct sock *s)
{
	unsigned at;
	int rc;

	if (shut_waits(s->pcb->local_port, &at))
		forget_waiting_shut(at);
	/* Never 0: a free socket's ticket. */
	if (++last_ticket == 0)
		last_ticket = 1;
	s->listen_ticket = last_ticket;
	rc = ask(s->pcb->local_port, true, opened, s->listen_ticket);
	if (rc < 0)
		sn_log("cannot ask the Firewall to open port %u to its "
		       "listener (%d)",
		       s->pcb->local_port, rc);
	return rc;
}

static void
shut(void *ctx, int status, const sn_message_ref *reply)
{
	/* -ENOENT: NetAPI withdrew the port first, as when its owner died. */
	if (status < 0 && status != -ENOENT)
		sn_log("the Firewall did not shut a closed listener's port "
		       "(%d)",
		       status);
}

/* The port stays open to new clients, whom lwIP resets, until its owner
 * dies or listens and closes again. */
static void
shut_lost(uint16_t port, int rc)
{
	if (sn_log_worth(++unsent_closes))
		sn_log("could not ask the Firewall to shut a closed listener's "
		       "port %u (%d; %llu so far)",
		       port, rc, (unsigned long long)unsent_closes);
}

/* Worth sending again later: nothing about the Firewall is wrong. */
static bool
ask_again_later(int rc)
{
	return rc == -EAGAIN || rc == -EBUSY;
}

void
listener_closed(const struct sock *s)
{
	uint16_t port = s->pcb->local_port;
	unsigned at;
	int rc = shut_waits(port, &at) ? 0 : ask(port, false, shut, 0);

	if (rc == 0)
		return;
	if (ask_again_later(rc) && nwaiting_shut < LISTENERS_WAITING_SHUT_MAX) {
		waiting_shut[nwaiting_shut++] = port;
		sn_log("the Firewall cannot take the word to shut port %u now "
		       "(%d): it goes once it can",
		       port, rc);
		return;
	}
	shut_lost(port, rc);
}

void
listeners_turn_done(void)
{
	while (nwaiting_shut > 0) {
		uint16_t port = waiting_shut[0];
		int rc = ask(port, false, shut, 0);

		if (ask_again_later(rc))
			return;
		forget_waiting_shut(0);
		if (rc < 0)
			shut_lost(port, rc);
		else
			sn_log("asked the Firewall to shut port %u, closed "
			       "earlier",
			       port);
	}
}
