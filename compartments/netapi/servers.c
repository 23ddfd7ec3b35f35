#include "servers.h"

#include <errno.h>
#include <string.h>

#include "boot.h"
#include "log.h"
#include "messages.h"

static void
withdrawn(void *ctx, int status, const sn_message_ref *reply)
{
	/* A withdrawal is served even late (sealnet_served_late): past the
	 * wait, the Firewall still closes the port when it gets to it. */
	if (status == -ETIMEDOUT)
		sn_log("server port %u: no answer to its withdrawal in time; "
		       "the Firewall closes it when it reads the request",
		       (unsigned)(uintptr_t)ctx);
	else if (status < 0)
		sn_log("could not withdraw server port %u: %d",
		       (unsigned)(uintptr_t)ctx, status);
}

static void withdraw_pending(void *ctx);

static void
withdraw(struct server_ports *s, struct server_port *p)
{
	sn_builder *b = sn_call_builder(s->c);
	int rc = sn_call_async(
	    s->firewall, SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE,
	    SN_BODY_SERVER_PORT, netapi_server_port_body(b, p->port, false, 0),
	    NETAPI_STEP_TIMEOUT_NS, withdrawn, (void *)(uintptr_t)p->port);

	/* Asked; or the Firewall is gone, and its successor starts with no
	 * server ports. */
	if (rc == 0 || rc == -SEALNET_ECOMPARTMENT) {
		memset(p, 0, sizeof(*p));
		return;
	}
	p->owner = NULL;
	p->withdrawing = true;
	sn_log("could not ask to withdraw server port %u (%d): asking again",
	       p->port, rc);
	if (s->withdraw_timer > 0)
		return;
	s->withdraw_timer = sn_loop_add_timer(
	    &s->c->loop, sn_now_ns() + NETAPI_WITHDRAW_RETRY_NS,
	    withdraw_pending, s);
	if (s->withdraw_timer < 0)
		sn_log("no timer to ask again (%d): server port %u stays "
		       "until the next withdrawal",
		       s->withdraw_timer, p->port);
}

static void
withdraw_pending(void *ctx)
{
	struct server_ports *s = ctx;

	s->withdraw_timer = 0;
	for (unsigned i = 0; i < NETAPI_MAX_SERVERS; i++)
		if (s->ports[i].withdrawing)
			withdraw(s, &s->ports[i]);
}

void
server_ports_init(struct server_ports *s, struct sn_compartment *c,
		  struct sn_peer *firewall)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->firewall = firewall;
}

/* The slot of owner's kept port, or -1. */
static int
find(const struct server_ports *s, const struct sn_peer *owner, uint16_t port,
     uint16_t max_connections, bool ipv6)
{
	for (unsigned i = 0; i < NETAPI_MAX_SERVERS; i++) {
		const struct server_port *p = &s->ports[i];

		if (p->owner == owner && p->port == port &&
		    p->max_connections == max_connections && p->ipv6 == ipv6)
			return (int)i;
	}
	return -1;
}

bool
server_port_kept(const struct server_ports *s, const struct sn_peer *owner,
		 uint16_t port, uint16_t max_connections, bool ipv6)
{
	return owner != NULL &&
	       find(s, owner, port, max_connections, ipv6) >= 0;
}

void
server_port_listening(struct server_ports *s, struct sn_peer *owner,
		      const struct flow *f, bool answered)
{
	struct server_port *p = NULL;

	/* Listening again: the port is remembered already. */
	if (f->port_kept) {
		int i =
		    find(s, owner, f->local_port, f->max_connections, f->ipv6);

		if (!answered && i >= 0)
			withdraw(s, &s->ports[i]);
		return;
	}
	for (unsigned i = 0; i < NETAPI_MAX_SERVERS && p == NULL; i++)
		if (s->ports[i].owner == NULL && !s->ports[i].withdrawing)
			p = &s->ports[i];
	if (p == NULL) {
		if (sn_log_worth(++s->unremembered))
			sn_log("server port %u: no room to remember it; it "
			       "stays when its owner dies (%llu so far)",
			       f->local_port,
			       (unsigned long long)s->unremembered);
		return;
	}
	*p = (struct server_port){.owner = owner,
				  .port = f->local_port,
				  .max_connections = f->max_connections,
				  .ipv6 = f->ipv6};
	if (!answered)
		withdraw(s, p);
}

void
server_ports_owner_died(struct server_ports *s, const struct sn_peer *owner)
{
	for (unsigned i = 0; i < NETAPI_MAX_SERVERS; i++)
		if (s->ports[i].owner == owner)
			withdraw(s, &s->ports[i]);
}

void
server_ports_forget(struct server_ports *s)
{
	memset(s->ports, 0, sizeof(s->ports));
}
