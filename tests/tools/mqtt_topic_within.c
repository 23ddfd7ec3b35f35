/*
 * The MQTT compartment's own answer to "does this capability filter
 * grant that topic or filter?", for the audit's test to hold the jq
 * policy to: reads lines "INNER<tab>OUTER" and prints, for each, "1" if
 * every topic INNER stands for is matched by OUTER (mqtt_topic_within),
 * "0" if not, or "invalid" if either is not a valid topic filter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "topic.h"

static bool
valid(const char *f)
{
	return mqtt_topic_filter_check((const uint8_t *)f, strlen(f), false) ==
	       MQTT_FAULT_NONE;
}

int
main(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *tab = strchr(line, '\t'), *end = strchr(line, '\n');

		if (tab == NULL || end == NULL) {
			fprintf(stderr,
				"mqtt_topic_within: want INNER<tab>OUTER\n");
			return 2;
		}
		*tab = *end = '\0';
		const char *inner = line, *outer = tab + 1;

		if (!valid(inner) || !valid(outer))
			puts("invalid");
		else
			puts(mqtt_topic_within(
				 (const uint8_t *)inner, strlen(inner),
				 (const uint8_t *)outer, strlen(outer))
				 ? "1"
				 : "0");
	}
	return ferror(stdout) || fflush(stdout) != 0 ? 1 : 0;
}
