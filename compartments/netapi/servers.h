/*
 * The server ports NetAPI has registered with the Firewall, and for whom:
 * each is withdrawn when its owner dies.  A listener its owner closes
 * leaves its port registered (TCPIP closes the socket without NetAPI),
 * so the owner may listen on it again.  A withdrawal that could not be
 * sent is asked for again from a timer.
 */
#ifndef SEALNET_NETAPI_SERVERS_H
#define SEALNET_NETAPI_SERVERS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "netapi_const.h"
#include "sealnet/compartment.h"

struct server_port {
	struct sn_peer *owner;
	uint16_t port, max_connections;
	bool ipv6, withdrawing;
};

struct server_ports {
	struct sn_compartment *c;
	struct sn_peer *firewall;
	struct server_port ports[NETAPI_MAX_SERVERS];
	int withdraw_timer; /* 0: none armed */
	uint64_t unremembered;
};

void server_ports_init(struct server_ports *s, struct sn_compartment *c,
		       struct sn_peer *firewall);

/* Whether owner has `port` registered, with these bounds. */
bool server_port_kept(const struct server_ports *s, const struct sn_peer *owner,
		      uint16_t port, uint16_t max_connections, bool ipv6);

/* Flow f made a listener for owner (answered: owner was told): its port
 * is remembered, or withdrawn now if owner could not be told. */
void server_port_listening(struct server_ports *s, struct sn_peer *owner,
			   const struct flow *f, bool answered);

/* Withdraws every port owner registered. */
void server_ports_owner_died(struct server_ports *s,
			     const struct sn_peer *owner);

/* A new TCPIP and Firewall start with none. */
void server_ports_forget(struct server_ports *s);

#endif
