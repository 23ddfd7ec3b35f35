/*
 * lwIP's Ethernet driver in the TCPIP compartment (netif.c): frames to
 * and from the Firewall, and the stack's addresses.
 */
#ifndef SEALNET_TCPIP_NETIF_H
#define SEALNET_TCPIP_NETIF_H

#include "call.h"
#include "lwip/ip_addr.h"

/* Adds the interface, brings it up and configures its addresses (the
 * image's, or DHCP and SLAAC).  0, or -1 if the stack cannot run. */
int tcpip_netif_start(void);

/* Sends the frames lwIP gave the driver during this turn of the loop, as
 * one call to the Firewall. */
void tcpip_netif_flush(void);

/* The address in `ep`: 0, or -EINVAL if it is not a whole IPv4 or IPv6
 * address.  An IPv6 address gets the interface's zone. */
int tcpip_ip_from_endpoint(sn_endpoint_ref ep, ip_addr_t *out);

/* Writes `a` into `ep`, a table started with sn_endpoint_start(). */
void tcpip_endpoint_set_address(sn_builder *b, uint32_t ep, const ip_addr_t *a);

/* Exports (the handler table is in tcpip.c). */
void serve_frame_receive(void *ctx, struct sn_incoming *in);
void serve_address_get(void *ctx, struct sn_incoming *in);

#endif
