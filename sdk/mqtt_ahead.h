/*
 * Which QoS 0 publishes the SDK sends ahead, without waiting for the MQTT
 * compartment's answer (sdk/mqtt.c): only those MQTT is sure to take, so
 * that mqtt_publish still returns every refusal itself.  One goes ahead
 * when all of these hold:
 *
 *   - MQTT took a publish to the same topic, with the same retain flag,
 *     on this connection since it was last made: the capability's
 *     filters, the topic's rules and the broker's retain allow it;
 *   - the room MQTT's last answer reported in the connection's queue,
 *     less what was sent ahead since, holds it (MQTT's queue only grows
 *     by this connection's publishes, and each takes at most its topic,
 *     its payload and the overhead the answer names);
 *   - its packet is within the largest the broker takes;
 *   - fewer than AHEAD_MAX sent ahead are unanswered.
 *
 * Otherwise the publish waits for its answer, as before, and that answer
 * brings the room up to date.  What can still refuse one sent ahead is
 * the connection's end (MQTT died, or the broker's new session allows
 * less); such refusals are counted here and told by mqtt_run to the ack
 * callback with packet identifier 0.
 *
 * Pure: no I/O, no allocation; the caller owns the state.
 */
#ifndef SEALNET_SDK_MQTT_AHEAD_H
#define SEALNET_SDK_MQTT_AHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sealnet/mqtt.h"

/* Below the MQTT compartment's bound on one caller's unanswered calls
 * (SN_MAX_IN_FLIGHT), keeping a slot for a call that waits. */
#define AHEAD_MAX 15u
/* Topics remembered as taken: a device publishes to a few. */
#define AHEAD_TOPICS 4u

struct mqtt_room {
	uint32_t messages, bytes, overhead, packet_max;
};

struct mqtt_ahead {
	struct {
		uint16_t len;
		bool retain;
		char name[SEALNET_MQTT_TOPIC_MAX];
	} topics[AHEAD_TOPICS];
	unsigned ntopics, next_topic;
	/* The room as of MQTT's last answer, less what went ahead since;
	 * unknown until an answer since the connection was made. */
	bool known;
	struct mqtt_room room;
	/* What each unanswered publish sent ahead took of the room, oldest
	 * first: answers come in the order of the calls. */
	uint32_t charges[AHEAD_MAX];
	unsigned first, unanswered;
	/* Refused after going ahead, not yet told to the application. */
	unsigned refused;
	int refused_error;
};

/* A new connection, or one made again: nothing is known. Refusals not
 * yet told are kept. */
void mqtt_ahead_reset(struct mqtt_ahead *a);

/* Whether a QoS 0 publish of topic[0..topic_len) with len bytes of
 * payload may go ahead. */
bool mqtt_ahead_may_send(const struct mqtt_ahead *a, const char *topic,
			 size_t topic_len, size_t len, bool retain);

/* It went ahead (after mqtt_ahead_may_send said it may). */
void mqtt_ahead_sent(struct mqtt_ahead *a, size_t topic_len, size_t len);

/* MQTT's answer to the oldest unanswered publish sent ahead: status 0
 * with the room reported, or the refusal (counted, to be told). */
void mqtt_ahead_answered(struct mqtt_ahead *a, int status,
			 const struct mqtt_room *room);

/* MQTT's answer to a publish that waited for it: taken (status 0, with
 * the room reported), its topic and retain flag are known as taken. */
void mqtt_ahead_waited(struct mqtt_ahead *a, int status,
		       const struct mqtt_room *room, const char *topic,
		       size_t topic_len, bool retain);

#endif
