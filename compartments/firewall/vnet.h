/*
 * The virtio-net header in front of each frame on a TAP device whose
 * offloads are on (IFF_VNET_HDR, TUNSETOFFLOAD: the supervisor sets them
 * up).  Pure: no I/O, so it is tested and fuzzed with the filter.
 *
 * Inbound, the device may hand over a TCP segment longer than the link
 * carries (a GSO super-frame, up to 64 KiB, joined by the sender's stack
 * or by GRO), and may leave a checksum unmade (NEEDS_CSUM: the packet
 * never left the host) or vouch for it (DATA_VALID).  What is taken:
 *   - flags: none, NEEDS_CSUM or DATA_VALID, not both, nothing else;
 *   - NEEDS_CSUM only where it names the frame's own TCP or UDP checksum
 *     field (csum_start at the transport header, csum_offset 16 or 6);
 *   - gso_type none, TCPV4 or TCPV6 (with or without ECN): a super-frame
 *     must be one IPv4 or IPv6 TCP segment of the type it claims, whose IP
 *     length is exactly the frame's, with NEEDS_CSUM, a segment size and
 *     some payload, and without SYN, RST or URG: one header that every
 *     segment shares, so the filter decides once for all of them;
 *   - at most SN_MAX_SUPER_FRAME bytes of frame, what lwIP can hold.
 * Anything else is dropped (FILTER_DROP_DEVICE, FILTER_DROP_TOO_LONG).
 *
 * Outbound, TCPIP leaves every TCP checksum to the device (the field
 * holds the pseudo-header's sum) and may join consecutive segments of a
 * flow into one frame with the size to cut it into (TSO).  Such a frame
 * is written only if it is one TCP segment without SYN, RST or URG whose
 * pieces fit the link and which is longer than one piece.
 *
 * The header's fields are in the host's byte order, the legacy virtio
 * layout the TAP device uses unless told otherwise.
 */
#ifndef SEALNET_FIREWALL_VNET_H
#define SEALNET_FIREWALL_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"

#define VNET_HDR_LEN	     10u
#define VNET_F_NEEDS_CSUM    1u
#define VNET_F_DATA_VALID    2u
#define VNET_GSO_NONE	     0u
#define VNET_GSO_TCPV4	     1u
#define VNET_GSO_TCPV6	     4u
#define VNET_GSO_ECN	     0x80u
#define VNET_TCP_CSUM_OFFSET 16u
#define VNET_UDP_CSUM_OFFSET 6u

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* What the device said of an inbound frame, once checked against it. */
struct vnet_frame {
	const uint8_t *frame; /* after the header */
	size_t len;
	/* TCPIP need not check the TCP or UDP checksum. */
	bool checksum_trusted;
	/* A super-frame's segment size, 0 for a frame as the wire had it. */
	uint16_t segment_size;
};

/* Reads the header at buf and checks it against the frame after it:
 * 0, -EINVAL for a header that is malformed or lies about its frame,
 * -EMSGSIZE for a frame longer than SN_MAX_SUPER_FRAME. */
int vnet_read(const uint8_t *buf, size_t len, struct vnet_frame *out);
/* The same for a header read apart from its frame (hdr holds
 * VNET_HDR_LEN bytes). */
int vnet_read_split(const uint8_t *hdr, const uint8_t *frame, size_t len,
		    struct vnet_frame *out);

/* The Firewall's decision on a frame as the device gave it, header
 * first: the header checked (a bad one is counted as FILTER_DROP_DEVICE
 * or FILTER_DROP_TOO_LONG), then filter_frame, inbound, trusting the
 * checksum as the header says.  *out describes the frame that passed. */
enum filter_verdict vnet_filter_in(struct filter *f, const uint8_t *buf,
				   size_t len, uint64_t now_ns,
				   struct filter_reply *reply,
				   struct vnet_frame *out);
/* The same for a header read apart from its frame; a frame longer than
 * SN_MAX_SUPER_FRAME is given as len SN_MAX_SUPER_FRAME + 1. */
enum filter_verdict vnet_filter_in_split(struct filter *f, const uint8_t *hdr,
					 const uint8_t *frame, size_t len,
					 uint64_t now_ns,
					 struct filter_reply *reply,
					 struct vnet_frame *out);

/* The header for a frame TCPIP sends (segment_size 0: as it is), or
 * -EINVAL for a super-frame the device must not be asked to cut. */
int vnet_for_output(struct vnet_hdr *h, const uint8_t *frame, size_t len,
		    uint16_t segment_size);

/* The header's bytes, and a header of nothing (the Firewall's own
 * frames, and frames that are not TCP). */
void vnet_encode(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h);

#endif
