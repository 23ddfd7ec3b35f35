/* Hooks lwIP calls into the TCPIP compartment. */
#ifndef SEALNET_LWIP_HOOKS_H
#define SEALNET_LWIP_HOOKS_H

#include "lwip/arch.h"
#include "lwip/ip_addr.h"

u32_t sealnet_lwip_rand(void);

/* lwIP's clock, in milliseconds. */
u32_t sys_now(void);

/* RFC 6528: a clock plus a keyed hash of the connection's addresses. */
u32_t sealnet_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		      const ip_addr_t *remote_ip, u16_t remote_port);

#endif
