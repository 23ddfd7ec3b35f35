/* The QoS 1 and 2 messages an MQTT connection keeps: see mqtt_link.h. */
#include "mqtt_link.h"

#include <errno.h>
#include <string.h>

/* The SDK's identifiers: those from 0xc000 are the MQTT session's own. */
#define KEPT_ID_LAST 0xbfffu

struct kept *
kept_find(struct link *l, uint16_t id)
{
	for (unsigned i = 0; i < SEALNET_MQTT_KEPT_MAX; i++)
		if (id != 0 && l->kept[i].packet_id == id)
			return &l->kept[i];
	return NULL;
}

static struct kept *
free_slot(struct link *l)
{
	for (unsigned i = 0; i < SEALNET_MQTT_KEPT_MAX; i++)
		if (l->kept[i].packet_id == 0)
			return &l->kept[i];
	return NULL;
}

int
kept_add(struct link *l, uint8_t qos, bool retain, const char *topic,
	 size_t topic_len, const void *payload, size_t len, uint16_t *id)
{
	struct kept *k = free_slot(l);

	if (k == NULL || topic_len + len > sizeof(l->pool) - l->pool_used)
		return -ENOBUFS;
	do
		l->next_id = l->next_id >= KEPT_ID_LAST ? 1 : l->next_id + 1;
	while (kept_find(l, l->next_id) != NULL);
	*k = (struct kept){
	    .packet_id = l->next_id,
	    .qos = qos,
	    .retain = retain,
	    .offset = l->pool_used,
	    .topic_len = (uint32_t)topic_len,
	    .payload_len = (uint32_t)len,
	};
	memcpy(l->pool + l->pool_used, topic, topic_len);
	if (len > 0)
		memcpy(l->pool + l->pool_used + topic_len, payload, len);
	l->pool_used += (uint32_t)(topic_len + len);
	*id = k->packet_id;
	return 0;
}

void
kept_remove(struct link *l, struct kept *k)
{
	uint32_t off = k->offset, len = k->topic_len + k->payload_len;

	memmove(l->pool + off, l->pool + off + len, l->pool_used - off - len);
	l->pool_used -= len;
	for (unsigned i = 0; i < SEALNET_MQTT_KEPT_MAX; i++)
		if (l->kept[i].packet_id != 0 && l->kept[i].offset > off)
			l->kept[i].offset -= len;
	memset(k, 0, sizeof(*k));
}

void
kept_clear(struct link *l)
{
	memset(l->kept, 0, sizeof(l->kept));
	l->pool_used = 0;
}
