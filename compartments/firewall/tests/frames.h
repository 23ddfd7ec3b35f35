/*
 * Frames the Firewall's filter tests send: one buffer, and builders that
 * fill it (frames.c).  Each builder starts the frame afresh and returns
 * its length.
 */
#ifndef SEALNET_FIREWALL_TEST_FRAMES_H
#define SEALNET_FIREWALL_TEST_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* Room for an ICMPv6 error quoting as much as it may: 1,280 bytes. */
extern uint8_t frame[1514];

/* An IPv4 packet from src to dst carrying an L4 header of l4len bytes. */
size_t ipv4(const uint8_t *src, const uint8_t *dst, uint8_t proto,
	    size_t l4len);
/* An IPv6 packet from src to dst whose next header is next, with
 * l4len bytes after the IPv6 header. */
size_t ipv6(const uint8_t *src, const uint8_t *dst, uint8_t next, uint8_t hop,
	    size_t l4len);
/* Ports and TCP flags at l4_offset of the frame. */
void ports(size_t l4_offset, unsigned sport, unsigned dport, uint8_t flags);

#endif
