/*
 * The Firewall's holes of TCPIP's connections and sockets
 * (firewall_holes.c): held in holes.c's table, and closed by asking the
 * Firewall once lwIP is done with them.
 */
#ifndef SEALNET_TCPIP_FIREWALL_HOLES_H
#define SEALNET_TCPIP_FIREWALL_HOLES_H

#include <stdint.h>

#include "lwip/ip_addr.h"

void tcpip_holes_init(void);

/* A TCP connection's hole, held until lwIP is done with the connection:
 * 0, or -ENOSPC (logged and counted) if there is no room to hold it;
 * the caller must then not keep the connection. */
int tcpip_hole_hold_tcp(const ip_addr_t *remote, uint16_t remote_port,
			uint16_t local_port);

/* A UDP socket's port: 0; -EADDRINUSE while the port's holes from an
 * earlier socket are being closed; -ENOSPC (logged and counted). */
int tcpip_hole_hold_udp(uint16_t port);
/* The UDP socket on `port` closed: the Firewall is asked at once to
 * close every hole of the port. */
void tcpip_hole_release_udp(uint16_t port);

/* On each tick: closes the holes of connections lwIP is done with. */
void tcpip_holes_tick(void);
/* At the end of each turn of the loop: the same, when the table is full
 * enough that waiting for the tick could fill it. */
void tcpip_holes_turn_done(void);

#endif
