/*
 * lwIP's configuration for the TCPIP compartment: the raw API on one
 * thread (NO_SYS), no device of its own (frames go through the Firewall),
 * no DNS (a compartment of its own), randomness from getrandom().
 */
#ifndef SEALNET_LWIPOPTS_H
#define SEALNET_LWIPOPTS_H

#include <stdint.h>

uint32_t sealnet_lwip_rand(void);

#define NO_SYS		     1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET	     0
#define LWIP_NETCONN	     0
#define LWIP_RAW	     0
/* lwIP's resolver is never called (DNS is a compartment of its own);
 * it is built so that DHCP records the servers it offers. */
#define LWIP_DNS		   1
#define LWIP_DNS_SECURE		   7
#define LWIP_STATS		   0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1

/* Memory: lwIP's own heap and pools, inside the compartment's quota; the
 * heap holds sixteen full receive windows.  The pool takes each frame of
 * one segment or datagram as it comes in, for every compartment alike,
 * and sockets copy out what they keep (rxplan.h) while the heap has room:
 * what holds the pool's buffers for long is lwIP alone, with out-of-order
 * segments (freed at the next tick once the pool runs dry) and fragments
 * being reassembled (IP_REASS_MAX_PBUFS). */
#define MEM_ALIGNMENT  8
#define MEM_SIZE       (16 * TCP_WND)
#define MEMP_NUM_PBUF  256
#define PBUF_POOL_SIZE 1024
/* A thousand connections of one application held open, and more. */
#define MEMP_NUM_TCP_PCB	1100
#define MEMP_NUM_TCP_PCB_LISTEN 16
/* UDP sockets of every compartment together (SNTP's among them): with
 * 16, one application at the default socket quota took them all. */
#define MEMP_NUM_UDP_PCB 256
/* Every connection's send queue draws on these: each owner may hold
 * OWNER_SEGMENTS_MAX of them (segments.h). */
#define MEMP_NUM_TCP_SEG     4096
#define MEMP_NUM_SYS_TIMEOUT 16

/* TCP sized for throughput on a LAN; windows scaled past 64 KiB.  The
 * receive window holds eight of the device's 64 KiB super-frames: under
 * load a segment takes about 0.45 ms from the sender's stack through the
 * Firewall to lwIP's ACK, and a window of four bound the sender to under
 * 600 MB/s.  A connection's window is cut to what its owner's
 * buffered_bytes quota pays for (window.h): the default quota (1 MiB)
 * pays for two whole windows at once.  A
 * window update of its own goes only once a quarter of the window is
 * free again: lwIP's default (4 MSS) sent one after nearly every reply to
 * the application, each a frame through the Firewall.
 *
 * The send buffer is what bounds a bulk send: lwIP holds every byte sent
 * until it is acknowledged, and an acknowledgement takes a few hundred
 * microseconds to come back through the Firewall, so with 256 KiB the
 * buffer was full and the application waiting for most of a transfer.
 * 1 MiB is as much as an owner's share of lwIP's segments (segments.h)
 * covers in full segments, so no owner may hold more of lwIP's heap than
 * with the smaller buffer.  A connection's queue is lwIP's least for
 * its buffer; the owner's share stops it first. */
#define LWIP_TCP		 1
#define TCP_MSS			 1460
#define LWIP_WND_SCALE		 1
#define TCP_RCV_SCALE		 4
#define TCP_WND			 (512 * 1024)
#define TCP_WND_UPDATE_THRESHOLD (TCP_WND / 4)
#define TCP_SND_BUF		 (1024 * 1024)
#define TCP_SND_QUEUELEN	 (2 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT		 (16 * TCP_MSS)
#define TCP_OVERSIZE		 TCP_MSS
#define LWIP_TCP_KEEPALIVE	 1
/* With the device's offloads on, no TCP checksum is made or checked here
 * (netif.c): one made while copying would be wasted. */
#define LWIP_CHECKSUM_ON_COPY	     0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define TCP_LISTEN_BACKLOG	     1
/* A listener closed and made again on its port while connections it
 * accepted are still open, or in TIME-WAIT, as a server restarting its
 * accept loop does: lwIP still refuses two listeners on one port. */
#define SO_REUSE 1
/* A callback when a listener makes a pcb: its Firewall hole is tracked
 * from then on.  And callbacks when lwIP frees a closed connection's pcb:
 * one for its segments (segments.h), one for its place under its owner's
 * quota (lingering.h). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 2

#define LWIP_UDP		      1
#define LWIP_ICMP		      1
#define LWIP_ARP		      1
#define LWIP_ETHERNET		      1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
/* Keep every packet sent while a neighbour is resolved, not only the
 * last: A and AAAA questions leave together. */
#define ARP_QUEUEING	   1
#define MEMP_NUM_ARP_QUEUE 64

/* Addresses: DHCP or static for IPv4, SLAAC for IPv6. */
#define LWIP_IPV4 1
#define LWIP_DHCP 1
/* dnsmasq already probes the address; a second probe only adds delay. */
#define DHCP_DOES_ARP_CHECK	      0
#define LWIP_IPV6		      1
#define LWIP_IPV6_AUTOCONFIG	      1
#define LWIP_IPV6_MLD		      1
#define LWIP_ICMP6		      1
#define LWIP_IPV6_DHCP6		      0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
/* 64-bit pointers do not fit in the fragment header lwIP reuses. */
#define IPV6_FRAG_COPYHEADER 1

/* Randomness and RFC 6528 initial sequence numbers. */
#define LWIP_RAND()			   sealnet_lwip_rand()
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1
#define LWIP_HOOK_FILENAME		   "sealnet_lwip_hooks.h"
#define LWIP_HOOK_TCP_ISN		   sealnet_tcp_isn

#endif
