/*
 * Which of the SNTP compartment's connection capabilities are time
 * servers, and of which kind.  Pure: it reads the capabilities the boot
 * message gave and nothing else.
 *
 * A TCP capability is an NTS-KE server (port 4460 unless the image says
 * otherwise); with one, NTS is required and no UDP capability is a
 * server of its own: a UDP capability is then only where an NTS server's
 * authenticated NTP requests may go.  Without one, each UDP capability
 * is a plain NTP server.
 */
#ifndef SEALNET_SNTP_SERVERS_H
#define SEALNET_SNTP_SERVERS_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "sntp_const.h"

struct server_plan {
	bool nts_required;
	unsigned n;
	/* For each server, its capability: the NTS-KE one for NTS, the UDP
	 * one for plain NTP. */
	unsigned cap[SYNC_MAX_SERVERS];
	/* Capabilities beyond SYNC_MAX_SERVERS servers, left unused. */
	unsigned left_out;
};

void servers_plan(const struct sn_capability *caps, unsigned ncaps,
		  struct server_plan *out);

/* The UDP capability to host and port: its index, or -ENOENT. */
int servers_find_udp(const struct sn_capability *caps, unsigned ncaps,
		     const char *host, uint16_t port);

#endif
