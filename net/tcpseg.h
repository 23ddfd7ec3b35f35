/*
 * One TCP segment in an Ethernet frame, IPv4 or IPv6: read into a struct,
 * or written from one.  Pure: no I/O, caller-owned buffers.  The Firewall's
 * SYN proxy reads the SYNs and ACKs it answers and writes its SYN-ACKs,
 * resets and the SYNs it hands to TCPIP; TCPIP reads the SYN a cookie
 * instruction comes with.
 *
 * A frame is read only if every header fits in the bytes present, the IP
 * payload is TCP (no IPv6 extension headers, no IPv4 fragment), and the
 * TCP checksum is right.  Ethernet padding after the IP packet is ignored.
 */
#ifndef SEALNET_TCPSEG_H
#define SEALNET_TCPSEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCPSEG_FIN 0x01
#define TCPSEG_SYN 0x02
#define TCPSEG_RST 0x04
#define TCPSEG_PSH 0x08
#define TCPSEG_ACK 0x10

/* The longest frame tcpseg_write makes: Ethernet, IPv6, TCP with the
 * MSS and window scale options. */
#define TCPSEG_MAX_WRITTEN (14 + 40 + 20 + 8)

struct tcpseg {
	uint8_t dst_mac[6], src_mac[6];
	bool ipv6;
	/* IPv4 addresses use the first 4 bytes. */
	uint8_t src_ip[16], dst_ip[16];
	uint8_t hop_limit;
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	/* The options a SYN proxy needs; the rest are skipped. */
	bool has_mss, has_wscale;
	uint16_t mss;
	uint8_t wscale;
	/* Bytes of data after the TCP header. */
	size_t payload_len;
};

/* 0, or -EINVAL if frame is not a whole, well-formed TCP segment. */
int tcpseg_read(struct tcpseg *s, const uint8_t *frame, size_t len);
/* The same, but for the TCP checksum, which the device vouched for: it
 * checked it, or the field holds only the pseudo-header's sum of a
 * segment that never left the host (vnet.h). */
int tcpseg_read_trusted(struct tcpseg *s, const uint8_t *frame, size_t len);

/* Writes s as a frame with no payload (payload_len is ignored), with the
 * MSS and window scale options it has, and correct checksums.  Returns
 * the frame's length, or -ENOSPC if cap is too small. */
int tcpseg_write(uint8_t *out, size_t cap, const struct tcpseg *s);

#endif
