/*
 * What an MQTT capability lets its holder do, decided before anything
 * reaches the broker.  Pure: no I/O, no state.
 *
 * A topic may be published to only if one of the capability's publish
 * filters matches every name it stands for (mqtt_topic_within: a topic
 * name is a filter without wildcards); a filter may be subscribed to
 * only if one of its subscribe filters covers it, the filter of a 5.0
 * shared subscription ("$share/NAME/FILTER") judged by FILTER.  Names and
 * filters that are not valid UTF-8 topics are never allowed.
 */
#ifndef SEALNET_MQTT_GRANT_H
#define SEALNET_MQTT_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"

bool grant_may_publish(const struct sn_capability *c, const uint8_t *topic,
		       size_t len);
bool grant_may_subscribe(const struct sn_capability *c, const uint8_t *filter,
			 size_t len);

/*
 * A credentials file: the user name on the first line, the password on
 * the second (a final newline optional, nothing after it).  The user name
 * must be UTF-8 without NUL; the password may not hold a newline or NUL.
 * 0 and the two as views into data, or -EINVAL.
 */
int grant_parse_credentials(const uint8_t *data, size_t len,
			    const uint8_t **user, size_t *user_len,
			    const uint8_t **password, size_t *password_len);

#endif
