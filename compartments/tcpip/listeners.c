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
 */
#include "listeners.h"

#include <errno.h>

#include "log.h"
#include "tcpip.h"

#define GATE_TIMEOUT_NS (1000 * SN_MS)

static uint32_t last_ticket;
static uint64_t unsent_closes;

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

int
listener_open(struct sock *s)
{
	int rc;

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

void
listener_closed(const struct sock *s)
{
	int rc = ask(s->pcb->local_port, false, shut, 0);

	/* Its ring to the Firewall is full or gone: the port stays open to
	 * new clients, whom lwIP resets, until its owner dies or listens
	 * and closes again.  Never retried later: a later word would come
	 * after the port's next listener's. */
	if (rc < 0 && sn_log_worth(++unsent_closes))
		sn_log("could not ask the Firewall to shut a closed listener's "
		       "port %u (%d; %llu so far)",
		       s->pcb->local_port, rc,
		       (unsigned long long)unsent_closes);
}
