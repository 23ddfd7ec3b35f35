/*
 * The Firewall's decision on one Ethernet frame, in either direction.
 * Pure: no I/O, caller-owned state, so it can be tested and fuzzed alone.
 *
 * Default deny.  What passes:
 *   - ARP, both ways;
 *   - DHCPv4: client to server out, server to client in;
 *   - IPv6 neighbour discovery as far as address configuration needs it:
 *     router solicitations and neighbour solicitations/advertisements
 *     out; router advertisements and neighbour solicitations/advertisements
 *     in, only with hop limit 255 (so they cannot come from off-link);
 *   - MLD out, for the groups the stack joins: an MLDv2 report (ICMPv6
 *     type 143) straight after the IPv6 header, at any hop limit; and,
 *     with hop limit 1, an MLDv1 report or done (131, 132; 24 bytes or
 *     more) or an MLDv2 report (143; 8 bytes or more) behind a hop-by-hop
 *     options header, the packet's only extension header, whose options
 *     fill it exactly and are one router alert with the value for MLD (0)
 *     and padding (Pad1, PadN).  No other packet with an IPv6 extension
 *     header passes, either way;
 *   - TCP and UDP, IPv4 and IPv6 alike, matching a rule (protocol, local
 *     port, remote address, remote port).  NetAPI adds rules; NetAPI and
 *     TCPIP remove them, and lwIP's reset removes a server connection's
 *     (one from outside does not: lwIP judges it);
 *   - to a registered server port, while TCPIP has a listener on it and
 *     its established connections are below the limit: an inbound SYN
 *     is answered by the filter itself with a SYN-ACK whose sequence
 *     number is a cookie (syncookie.h), and goes no further; the
 *     client's ACK, if it acknowledges a valid cookie, creates the rule
 *     (one established connection) and passes, after a SYN rebuilt from
 *     it that tells lwIP to use the cookie as its initial sequence
 *     number.  So a SYN holds nothing, and a flood
 *     of them, spoofed or not, cannot use up the port.  lwIP's own
 *     SYN-ACK for such a connection is dropped (the client has one); if
 *     lwIP sends nothing with that connection's numbers within
 *     FILTER_HANDOFF_NS, filter_expire removes the rule and resets the
 *     client;
 *   - DNS, UDP to and from port 53 of the configured server, only while a
 *     lookup is open;
 *   - ICMP and ICMPv6 errors only when the packet they quote belongs to a
 *     flow a rule allows.  The quote may be cut short of the length its
 *     packet claims, but holds that packet's whole IP header and the
 *     first 8 bytes past it (the ports), and is not of a fragment.
 */
#ifndef SEALNET_FILTER_H
#define SEALNET_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack.h"
#include "syncookie.h"
#include "tcpseg.h"

/* Rules: one per connection or authorised UDP peer, room for a thousand
 * connections of one application and more; found through buckets. */
#define FILTER_MAX_RULES	2048
#define FILTER_RULE_BUCKETS	4096
#define FILTER_MAX_SERVER_PORTS 16
/* Peers authorised on one UDP port.  A socket talks to a few (NTP
 * servers, a resolver).  Unbounded, one application whose capability
 * names a host whose DNS it answers could have each lookup authorise a
 * new address, and fill the table every compartment's connections need;
 * bounded, its rules grow only with its socket quota, as TCP's do. */
#define FILTER_MAX_UDP_PEERS_PER_PORT 16
/* How long lwIP has to send something on a connection rebuilt from a
 * cookie: ample for an ARP round trip, a busy TCPIP and lwIP's first
 * retransmission of a frame lost inside the stack (its first RTO is
 * 3 s), short next to how long a silent client could hold the place. */
#define FILTER_HANDOFF_NS (5000ull * 1000000ull)
/* How far past the cookie, and past the client's first byte, lwIP's
 * numbers on a connection rebuilt from a cookie can be while its
 * hand-off waits: more than lwIP's send buffer and window (256 KiB each,
 * compartments/tcpip/port/lwipopts.h). */
#define FILTER_HANDOFF_SPAN (1u << 20)
/* What lwIP would put in the SYN-ACK the filter sends for it. */
#define FILTER_PROXY_HOP_LIMIT SN_TCP_HOP_LIMIT
#define FILTER_PROXY_WINDOW    SN_TCP_SYN_WINDOW
#define FILTER_PROXY_MSS_IPV4  SN_TCP_MSS_IPV4
#define FILTER_PROXY_MSS_IPV6  SN_TCP_MSS_IPV6
#define FILTER_PROXY_WSCALE    SN_TCP_WSCALE

enum filter_direction { FILTER_IN, FILTER_OUT };

enum filter_verdict {
	FILTER_PASS = 0,
	FILTER_DROP_MALFORMED,
	FILTER_DROP_ETHERTYPE,
	FILTER_DROP_PROTOCOL,
	FILTER_DROP_NO_RULE,
	FILTER_DROP_ICMP,
	FILTER_DROP_ND,
	FILTER_DROP_DNS,
	FILTER_DROP_SERVER_FULL,
	/* A SYN to a server port, answered with a cookie: not passed. */
	FILTER_SYN_COOKIE,
	/* An ACK to a server port that acknowledges no valid cookie. */
	FILTER_DROP_COOKIE,
	/* lwIP's SYN-ACK for a connection whose client has ours. */
	FILTER_DROP_HANDSHAKE,
	/* The device's virtio-net header is malformed or lies about its
	 * frame (vnet.h), or a super-frame is longer than lwIP can hold. */
	FILTER_DROP_DEVICE,
	FILTER_DROP_TOO_LONG,
	/* A SYN, or an ACK for a cookie, to a server port with no listener
	 * in TCPIP now: its established connections go on, new ones not. */
	FILTER_DROP_NOT_LISTENING,
	FILTER_VERDICTS
};

/* An address: IPv4 is stored as an IPv4-mapped IPv6 address. */
struct filter_addr {
	uint8_t b[16];
};

/* A connection a cookie let in, until lwIP has answered the SYN made for
 * it: what it takes to reset the client if lwIP never does, and to tell
 * lwIP's answer on this connection from one on an older connection of
 * the same addresses and ports. */
struct filter_handoff {
	bool waiting;
	bool ipv6;
	uint64_t deadline_ns;
	uint8_t client_mac[6];
	uint8_t client_ip[16], local_ip[16];
	/* The client's ACK number (the cookie plus one): a reset with it is
	 * in its window. */
	uint32_t reset_seq;
	/* The client's sequence number after its SYN. */
	uint32_t client_seq;
};

struct filter_rule {
	bool in_use;
	bool from_server_port; /* an established connection to a server */
	uint8_t protocol;      /* 6 TCP, 17 UDP */
	uint16_t local_port;
	uint16_t remote_port;
	struct filter_addr remote;
	struct filter_handoff handoff;
	/* The next rule in its bucket's chain, 1-based; 0 ends it. */
	uint16_t next;
};

struct filter_server_port {
	bool in_use;
	uint8_t protocol;
	bool ipv6;
	uint16_t port;
	uint16_t max_connections;
	uint16_t connections; /* established: one rule each */
	/* TCPIP's word: a listener takes new connections on it.  NetAPI
	 * registers the port; TCPIP says when its listener comes and goes,
	 * so a closed listener's port lets nobody new in while its
	 * established connections go on. */
	bool listening;
};

struct filter {
	struct filter_rule rules[FILTER_MAX_RULES];
	/* Each bucket's first rule, 1-based; 0 for none (rules.c). */
	uint16_t bucket[FILTER_RULE_BUCKETS];
	uint64_t hash_seed;
	struct filter_server_port servers[FILTER_MAX_SERVER_PORTS];
	/* Lookups in progress: the hole stays open while any is. */
	unsigned dns_lookups;
	struct filter_addr dns_server;
	uint64_t counts[FILTER_VERDICTS];
	/* The SYN proxy: the caller's key, and the stack's own Ethernet
	 * address, the only one it answers for and from.  Without a key,
	 * server ports admit nobody. */
	const struct syncookie_key *cookies;
	uint8_t station_mac[6];
};

/* What the Firewall sends because of a frame, besides the frame itself. */
struct filter_reply {
	/* Back out of the device: a SYN-ACK with a cookie, or a reset. */
	uint8_t answer[TCPSEG_MAX_WRITTEN];
	size_t answer_len;
	/* To TCPIP just before the frame: the SYN rebuilt from the cookie
	 * the frame acknowledges, and the initial sequence number lwIP must
	 * give that connection (the cookie). */
	uint8_t syn[TCPSEG_MAX_WRITTEN];
	size_t syn_len;
	uint32_t syn_isn;
};

void filter_init(struct filter *f);
/* Keys the rules' buckets with a secret (from getrandom), so a peer
 * cannot choose addresses that share one. */
void filter_seed(struct filter *f, uint64_t seed);
const char *filter_verdict_name(enum filter_verdict v);

/* Turns the SYN proxy on; key stays the caller's, and must outlive f. */
void filter_syn_proxy(struct filter *f, const struct syncookie_key *key,
		      const uint8_t station_mac[6]);

/* Decides, fills reply (emptied first), and counts the decision.  now_ns
 * is a monotonic clock: it dates cookies and hand-offs. */
enum filter_verdict filter_frame(struct filter *f, enum filter_direction dir,
				 const uint8_t *frame, size_t len,
				 uint64_t now_ns, struct filter_reply *reply);
/* The same for a frame whose TCP checksum the device vouched for (it may
 * hold only the pseudo-header's sum): the SYN proxy does not check it. */
enum filter_verdict filter_frame_trusted(struct filter *f,
					 enum filter_direction dir,
					 const uint8_t *frame, size_t len,
					 bool checksum_trusted, uint64_t now_ns,
					 struct filter_reply *reply);

/* One connection whose hand-off to lwIP ran out of time: its rule is
 * removed, and the reset for its client written to rst.  Returns the
 * reset's length, 0 when no hand-off is overdue, -ENOSPC if rst is too
 * small (the rule is removed all the same).  Call until it returns 0. */
int filter_expire(struct filter *f, uint64_t now_ns, uint8_t *rst, size_t cap);

/* 0; -EEXIST if that very rule is there already (another connection's,
 * which the caller must not take for its own and later remove); -EDQUOT
 * for a UDP port with FILTER_MAX_UDP_PEERS_PER_PORT peers already;
 * -ENOSPC when the table is full. */
int filter_rule_add(struct filter *f, uint8_t protocol, uint16_t local_port,
		    const struct filter_addr *remote, uint16_t remote_port);
/* Removes exactly the matching rule: -ENOENT if there is none. */
int filter_rule_remove(struct filter *f, uint8_t protocol, uint16_t local_port,
		       const struct filter_addr *remote, uint16_t remote_port);
/* Every rule of one local port, as when a UDP socket closes: how many. */
unsigned filter_port_close(struct filter *f, uint8_t protocol,
			   uint16_t local_port);
void filter_rules_clear(struct filter *f);
/* Rules and server ports: everything TCPIP's sockets stood for.  Open
 * DNS lookups are NetAPI's, which ends each one it began. */
void filter_reset(struct filter *f);
unsigned filter_rule_count(const struct filter *f);

int filter_server_port_add(struct filter *f, uint8_t protocol, uint16_t port,
			   bool ipv6, uint16_t max_connections);
int filter_server_port_remove(struct filter *f, uint8_t protocol,
			      uint16_t port);
/* Whether a registered port takes new connections: a port starts without
 * (added, it waits for TCPIP's listener).  -ENOENT if not registered. */
int filter_server_port_listening(struct filter *f, uint8_t protocol,
				 uint16_t port, bool listening);

/* Each open is matched by one close; lookups may overlap. */
void filter_dns_open(struct filter *f, const struct filter_addr *server);
void filter_dns_close(struct filter *f);

/* Builds an address from 4 or 16 bytes; -EINVAL for other lengths. */
int filter_addr_from(struct filter_addr *out, const uint8_t *bytes, size_t len);

#endif
