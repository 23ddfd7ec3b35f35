/*
 * QoS 0 publishes sent ahead: see mqtt_ahead.h.
 */
#include "mqtt_ahead.h"

#include <string.h>

void
mqtt_ahead_reset(struct mqtt_ahead *a)
{
	unsigned refused = a->refused;
	int refused_error = a->refused_error;

	memset(a, 0, sizeof(*a));
	a->refused = refused;
	a->refused_error = refused_error;
}

static bool
topic_taken(const struct mqtt_ahead *a, const char *topic, size_t topic_len,
	    bool retain)
{
	for (unsigned i = 0; i < a->ntopics; i++)
		if (a->topics[i].len == topic_len &&
		    a->topics[i].retain == retain &&
		    memcmp(a->topics[i].name, topic, topic_len) == 0)
			return true;
	return false;
}

/* What a publish takes of the queue at most; 0 if more than any packet
 * the broker takes. */
static uint32_t
charge(const struct mqtt_ahead *a, size_t topic_len, size_t len)
{
	uint64_t bytes = (uint64_t)topic_len + len + a->room.overhead;

	return bytes > a->room.packet_max ? 0 : (uint32_t)bytes;
}

bool
mqtt_ahead_may_send(const struct mqtt_ahead *a, const char *topic,
		    size_t topic_len, size_t len, bool retain)
{
	uint32_t bytes;

	if (!a->known || a->unanswered >= AHEAD_MAX ||
	    !topic_taken(a, topic, topic_len, retain))
		return false;
	bytes = charge(a, topic_len, len);
	return bytes > 0 && a->room.messages >= 1 && a->room.bytes >= bytes;
}

void
mqtt_ahead_sent(struct mqtt_ahead *a, size_t topic_len, size_t len)
{
	uint32_t bytes = charge(a, topic_len, len);

	a->charges[(a->first + a->unanswered) % AHEAD_MAX] = bytes;
	a->unanswered++;
	a->room.messages--;
	a->room.bytes -= bytes;
}

/* The room as reported, less what went ahead after the call answered. */
static void
room_reported(struct mqtt_ahead *a, const struct mqtt_room *room)
{
	uint32_t pending = 0;

	for (unsigned i = 0; i < a->unanswered; i++)
		pending += a->charges[(a->first + i) % AHEAD_MAX];
	a->room = *room;
	a->known = room->messages >= a->unanswered && room->bytes >= pending;
	if (!a->known)
		return;
	a->room.messages -= a->unanswered;
	a->room.bytes -= pending;
}

static void
refusal(struct mqtt_ahead *a, int status)
{
	if (a->refused++ == 0)
		a->refused_error = status;
	/* What allowed it no longer holds: each publish waits again until
	 * answers tell what does. */
	a->known = false;
	a->ntopics = 0;
	a->next_topic = 0;
}

void
mqtt_ahead_answered(struct mqtt_ahead *a, int status,
		    const struct mqtt_room *room)
{
	if (a->unanswered == 0)
		return;
	a->first = (a->first + 1) % AHEAD_MAX;
	a->unanswered--;
	if (status < 0)
		refusal(a, status);
	else if (room != NULL)
		room_reported(a, room);
}

void
mqtt_ahead_waited(struct mqtt_ahead *a, int status,
		  const struct mqtt_room *room, const char *topic,
		  size_t topic_len, bool retain)
{
	if (status < 0 || room == NULL)
		return;
	room_reported(a, room);
	if (topic_len == 0 || topic_len > SEALNET_MQTT_TOPIC_MAX ||
	    topic_taken(a, topic, topic_len, retain))
		return;
	unsigned i = a->ntopics < AHEAD_TOPICS ? a->ntopics++ : a->next_topic;

	a->next_topic = (i + 1) % AHEAD_TOPICS;
	memcpy(a->topics[i].name, topic, topic_len);
	a->topics[i].len = (uint16_t)topic_len;
	a->topics[i].retain = retain;
}
