/* What the frame filter (filter.c) and its SYN proxy (syn_proxy.c) share
 * behind filter.h. */
#ifndef SEALNET_FIREWALL_FILTER_INTERNAL_H
#define SEALNET_FIREWALL_FILTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

#define TCP_FIN 0x01
#define TCP_RST 0x04
#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* The rule for the flow, made if there is none and a slot is free; NULL
 * when the table is full. */
struct filter_rule *filter_rule_insert(struct filter *f, uint8_t protocol,
				       uint16_t local_port,
				       const struct filter_addr *remote,
				       uint16_t remote_port);

/* A TCP segment to a server port from a peer without a rule: a SYN is
 * answered with a cookie, the ACK that returns one becomes a rule. */
enum filter_verdict filter_syn_proxy_segment(struct filter *f,
					     struct filter_server_port *s,
					     const uint8_t *frame, size_t len,
					     uint64_t now_ns,
					     struct filter_reply *reply);

#endif
