/*
 * What the network compartments share about the wire: frame and header
 * sizes, and the TCP parameters of TCPIP's lwIP that the Firewall must
 * repeat when it answers a SYN for it (compartments/tcpip checks at
 * compile time that lwIP's configuration agrees).
 */
#ifndef SEALNET_NET_STACK_H
#define SEALNET_NET_STACK_H

/* IP protocol numbers, as <netinet/in.h> has them; not included from
 * there, whose byte-order macros clash with lwIP's. */
#define SN_IPPROTO_ICMP	  1u
#define SN_IPPROTO_TCP	  6u
#define SN_IPPROTO_UDP	  17u
#define SN_IPPROTO_ICMPV6 58u

/* The largest Ethernet frame the device carries: 1500 bytes of payload,
 * a 14-byte header and a VLAN tag's 4 bytes. */
#define SN_MAX_FRAME 1518u
/* The link's MTU: what one segment's IP packet may be on the wire. */
#define SN_MTU 1500u
/* The longest frame with the device's offloads on, a TCP segment the
 * device will cut or has joined (TSO, GRO): lwIP's pbuf lengths are 16
 * bits. */
#define SN_MAX_SUPER_FRAME 65535u
#define SN_ETH_HLEN	   14u
#define SN_ETHERTYPE_IPV4  0x0800u
#define SN_ETHERTYPE_ARP   0x0806u
#define SN_ETHERTYPE_IPV6  0x86ddu
#define SN_IPV4_HLEN	   20u
#define SN_IPV6_HLEN	   40u
#define SN_TCP_HLEN	   20u
#define SN_UDP_HLEN	   8u

/* lwIP's SYN-ACK: its hop limit (TCP_TTL, IP6_HOPLIM), its unscaled
 * window in a SYN, its MSS on a 1500-byte link and its window shift when
 * the client scales (lwipopts.h TCP_RCV_SCALE). */
#define SN_TCP_HOP_LIMIT  255u
#define SN_TCP_SYN_WINDOW 0xffffu
#define SN_TCP_MSS_IPV4	  1460u
#define SN_TCP_MSS_IPV6	  1440u
#define SN_TCP_WSCALE	  4u

#endif
