/*
 * TCP segments joined for the device to cut again (TSO), on TCPIP's side
 * of the Firewall.  lwIP sizes its segments by the peer's MSS; those it
 * sends back to back on one flow, in one turn of the loop, are joined here
 * into one frame of up to 64 KiB with that MSS as its segment size, so the
 * Firewall filters, and the device writes, one frame instead of forty.
 * lwIP keeps its congestion control and its retransmissions per real
 * segment; the kernel cuts the frame along the same boundaries.
 *
 * With the device's offloads on, lwIP makes no TCP checksum: the field
 * holds the pseudo-header's sum, which the device completes (and which a
 * peer on the same host never needs).
 *
 * Pure: no I/O, no lwIP types; frames are whole Ethernet frames.
 */
#ifndef SEALNET_NET_TSO_H
#define SEALNET_NET_TSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Headers (Ethernet to TCP options) a segment may have: IPv6, TCP with
 * 40 bytes of options. */
#define TSO_MAX_HEADERS (14u + 40u + 60u)

/* A TCP segment's frame, as far as joining needs it. */
struct tso_segment {
	bool ipv6;
	size_t l4;	/* TCP header's offset */
	size_t headers; /* Ethernet to the end of TCP's options */
	size_t payload; /* bytes after the headers */
	uint32_t seq;
	uint8_t flags;
};

/* Reads the headers of a frame of len bytes, of which the first
 * have bytes are at frame (at least its headers).  0, or -EINVAL if it
 * is not one IPv4 or IPv6 TCP segment whose IP length is the frame's. */
int tso_read(struct tso_segment *s, const uint8_t *frame, size_t have,
	     size_t len);

/* Writes the pseudo-header's sum into the TCP checksum field of a frame
 * tso_read took, for the device to complete. */
void tso_leave_checksum(uint8_t *frame, const struct tso_segment *s);

/*
 * Whether segment next (its headers at hdr) continues the frame last
 * (read into *l, joined so far into pieces of *segment_size, 0 for none)
 * so that its payload may be appended: the same addresses, ports, ACK,
 * window and options; its sequence number where last ends; last carries
 * only ACK; next only ACK, PSH or FIN; every piece so far full, next no
 * longer; and the joined frame at most max_len bytes.
 */
bool tso_continues(const uint8_t *last, const struct tso_segment *l,
		   uint16_t segment_size, const uint8_t *hdr,
		   const struct tso_segment *next, size_t max_len);

/* After next's payload was appended to last: last's lengths, IPv4
 * checksum, flags and pseudo-header sum made those of the joined frame,
 * *l and *segment_size updated. */
void tso_joined(uint8_t *last, struct tso_segment *l, uint16_t *segment_size,
		const uint8_t *hdr, const struct tso_segment *next);

#endif
