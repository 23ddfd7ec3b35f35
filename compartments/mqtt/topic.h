/*
 * MQTT topic names and topic filters: validation, matching, and whether
 * one filter lies entirely within another.  Pure: no I/O, no state.
 *
 * What passes:
 *   - a topic name: 1..65535 bytes of valid UTF-8 (packet.h's rules)
 *     with no '+' or '#';
 *   - a topic filter: the same, except that '+' may fill a whole level
 *     and '#' may fill the last level; with `allow_shared` (5.0),
 *     "$share/NAME/FILTER" where NAME is non-empty and holds no '/', '+'
 *     or '#', and FILTER is itself a valid filter.
 *
 * Matching follows section 4.7 of both specifications: '+' matches
 * exactly one level (an empty one too), '#' matches the parent level and
 * any number of levels below it, and a filter whose first level is a
 * wildcard does not match a topic name whose first level starts with
 * '$'.  Matching and subsumption compare filters literally: strip a
 * shared subscription's "$share/NAME/" first (mqtt_topic_share_split).
 */
#ifndef SEALNET_MQTT_TOPIC_H
#define SEALNET_MQTT_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* 0, or MQTT_FAULT_TOPIC_EMPTY, _TOPIC_WILDCARD, _TOO_LARGE (over 65535
 * bytes) or a UTF-8 fault. */
enum mqtt_fault mqtt_topic_name_check(const uint8_t *name, size_t len);

/* 0, or MQTT_FAULT_TOPIC_EMPTY, _TOPIC_FILTER, _TOO_LARGE or a UTF-8
 * fault. */
enum mqtt_fault mqtt_topic_filter_check(const uint8_t *filter, size_t len,
					bool allow_shared);

/* Whether filter begins "$share/"; if so and share and inner are not
 * NULL, splits it into the share name and the filter after it.  Call on
 * a filter that passed mqtt_topic_filter_check with allow_shared. */
bool mqtt_topic_share_split(const uint8_t *filter, size_t len,
			    struct mqtt_bytes *share, struct mqtt_bytes *inner);

/* Whether a valid filter matches a valid topic name. */
bool mqtt_topic_match(const uint8_t *filter, size_t filter_len,
		      const uint8_t *name, size_t name_len);

/*
 * Whether every topic name that `inner` matches is also matched by
 * `outer`: a filter (or a topic name, which is a filter without
 * wildcards) allowed by a capability that grants `outer`.  Both must be
 * valid filters; an invalid one is never within anything.
 */
bool mqtt_topic_within(const uint8_t *inner, size_t inner_len,
		       const uint8_t *outer, size_t outer_len);

#endif
