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
 *     MLD reports out;
 *   - TCP and UDP, IPv4 and IPv6 alike, matching a rule (protocol, local
 *     port, remote address, remote port).  NetAPI adds rules; NetAPI and
 *     TCPIP remove them;
 *   - an inbound TCP SYN (without ACK) to a registered server port, which
 *     creates a rule for that peer, up to the port's connection limit;
 *   - DNS, UDP to and from port 53 of the configured server, only while a
 *     lookup is open;
 *   - ICMP and ICMPv6 errors only when the packet they quote belongs to a
 *     flow a rule allows.
 */
#ifndef SEALNET_FILTER_H
#define SEALNET_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILTER_MAX_RULES	256
#define FILTER_MAX_SERVER_PORTS 16

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
	FILTER_VERDICTS
};

/* An address: IPv4 is stored as an IPv4-mapped IPv6 address. */
struct filter_addr {
	uint8_t b[16];
};

struct filter_rule {
	bool in_use;
	bool from_server_port; /* made by an inbound SYN */
	uint8_t protocol;      /* 6 TCP, 17 UDP */
	uint16_t local_port;
	uint16_t remote_port;
	struct filter_addr remote;
};

struct filter_server_port {
	bool in_use;
	uint8_t protocol;
	bool ipv6;
	uint16_t port;
	uint16_t max_connections;
	uint16_t connections;
};

struct filter {
	struct filter_rule rules[FILTER_MAX_RULES];
	struct filter_server_port servers[FILTER_MAX_SERVER_PORTS];
	/* Lookups in progress: the hole stays open while any is. */
	unsigned dns_lookups;
	struct filter_addr dns_server;
	uint64_t counts[FILTER_VERDICTS];
};

void filter_init(struct filter *f);
const char *filter_verdict_name(enum filter_verdict v);

/* Decides, and counts the decision. */
enum filter_verdict filter_frame(struct filter *f, enum filter_direction dir,
				 const uint8_t *frame, size_t len);

int filter_rule_add(struct filter *f, uint8_t protocol, uint16_t local_port,
		    const struct filter_addr *remote, uint16_t remote_port);
/* Removes exactly the matching rule: -ENOENT if there is none. */
int filter_rule_remove(struct filter *f, uint8_t protocol, uint16_t local_port,
		       const struct filter_addr *remote, uint16_t remote_port);
/* Every rule of one local port, as when a UDP socket closes: how many. */
unsigned filter_port_close(struct filter *f, uint8_t protocol,
			   uint16_t local_port);
void filter_rules_clear(struct filter *f);
/* Rules and server ports: everything TCPIP's sockets stood for. */
void filter_reset(struct filter *f);
unsigned filter_rule_count(const struct filter *f);

int filter_server_port_add(struct filter *f, uint8_t protocol, uint16_t port,
			   bool ipv6, uint16_t max_connections);
int filter_server_port_remove(struct filter *f, uint8_t protocol,
			      uint16_t port);

/* Each open is matched by one close; lookups may overlap. */
void filter_dns_open(struct filter *f, const struct filter_addr *server);
void filter_dns_close(struct filter *f);

/* Builds an address from 4 or 16 bytes; -EINVAL for other lengths. */
int filter_addr_from(struct filter_addr *out, const uint8_t *bytes, size_t len);

#endif
