/*
 * Data into lwIP's send buffer (write.c): as much as it has room for,
 * in the pieces its 16-bit tcp_write takes.
 */
#ifndef SEALNET_TCPIP_WRITE_H
#define SEALNET_TCPIP_WRITE_H

#include <stdint.h>

#include "lwip/tcp.h"

/* Writes up to len bytes of data to pcb: as many as its send buffer has
 * room for, and no more than fill max_segments full segments (each
 * piece starts a segment, so no more segments are made), in pieces that
 * are each a whole number of segments but the last.  Returns how many
 * bytes lwIP took, which is fewer than that room when its segment queue
 * fills first. */
uint32_t write_some(struct tcp_pcb *pcb, const uint8_t *data, uint32_t len,
		    uint32_t max_segments);

#endif
