/*
 * What the filter (filter.c) takes from the table of rules (rules.c).
 */
#ifndef SEALNET_FIREWALL_RULES_H
#define SEALNET_FIREWALL_RULES_H

#include "filter.h"

/* The rule with this key, or NULL. */
struct filter_rule *rule_find(struct filter *f, uint8_t protocol,
			      uint16_t local_port,
			      const struct filter_addr *remote,
			      uint16_t remote_port);
/* The rule with this key, made if there is none; NULL if the table is
 * full. */
struct filter_rule *rule_insert(struct filter *f, uint8_t protocol,
				uint16_t local_port,
				const struct filter_addr *remote,
				uint16_t remote_port);
struct filter_server_port *server_find(struct filter *f, uint8_t protocol,
				       uint16_t port);

#endif
