/*
 * The Firewall's filter on arbitrary frames, both directions, with a few
 * rules, a server port and an open DNS lookup in place so that every
 * branch is reachable.
 */
#include <stdint.h>
#include <string.h>

#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct filter f;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		struct filter_addr a;
		const uint8_t server[4] = {10, 0, 0, 1};

		filter_init(&f);
		filter_addr_from(&a, server, 4);
		filter_rule_add(&f, 6, 50000, &a, 80);
		filter_rule_add(&f, 17, 40000, &a, 53);
		filter_server_port_add(&f, 6, 80, true, 4);
		filter_dns_open(&f, &a);
		ready = 1;
	}
	if (size < 1)
		return 0;
	filter_frame(&f, data[0] & 1 ? FILTER_OUT : FILTER_IN, data + 1,
		     size - 1);
	/* Inbound SYNs add rules: keep the table from filling for good. */
	if (filter_rule_count(&f) > FILTER_MAX_RULES - 4) {
		ready = 0;
	}
	return 0;
}
