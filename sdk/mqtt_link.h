/*
 * What the SDK keeps of each MQTT connection (sdk/mqtt.c), so that a new
 * MQTT compartment can take it over: the connection's options, its QoS 1
 * and 2 messages not yet seen completed (each with its packet identifier,
 * and whether the broker has answered PUBREC), and its subscriptions.
 * sdk/mqtt_kept.c keeps the messages.
 */
#ifndef SEALNET_SDK_MQTT_LINK_H
#define SEALNET_SDK_MQTT_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "mqtt_ahead.h"
#include "sealnet/mqtt.h"

#define SUBSCRIPTIONS_MAX 16
#define FILTER_MAX	  256

struct kept {
	uint16_t packet_id; /* 0: a free slot */
	uint8_t qos;
	bool retain, released;
	uint32_t offset, topic_len, payload_len;
};

struct link {
	bool in_use;
	uint32_t generation;
	const struct sealnet_declaration *capability;
	bool plaintext;
	struct sealnet_mqtt_options options;
	char client_id[128];
	uint8_t will[1024 + SEALNET_MQTT_TOPIC_MAX + 1];
	/* The MQTT compartment's handle, and its incarnation when made;
	 * broken once that compartment died. */
	sn_handle handle;
	uint32_t mqtt_incarnation;
	bool broken;
	uint64_t retry_ns;
	unsigned attempts;
	uint64_t seen;
	int transport_error;
	bool running;
	uint16_t next_id;
	struct kept kept[SEALNET_MQTT_KEPT_MAX];
	uint8_t pool[SEALNET_MQTT_KEPT_BYTES];
	uint32_t pool_used;
	struct {
		char filter[FILTER_MAX];
		uint8_t options;
	} subs[SUBSCRIPTIONS_MAX];
	unsigned nsubs;
	struct mqtt_ahead ahead;
};

/* sdk/mqtt.c's connections, and what sdk/mqtt_run.c asks of it: a
 * transport made with our capability and delegated to MQTT; the
 * connection made in MQTT over a new transport (clean: without what was
 * kept). */
extern struct link sn_mqtt_links[SEALNET_MQTT_CONNECTIONS_MAX];
int sn_mqtt_make_transport(struct link *l, uint64_t timeout_ns, sn_handle *out);
int sn_mqtt_establish(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
		      bool clean, bool *session_present);

/* A packet identifier no kept message has (1 to 0xbfff), kept with a
 * copy of topic and payload: 0 and *id, or -ENOBUFS. */
int kept_add(struct link *l, uint8_t qos, bool retain, const char *topic,
	     size_t topic_len, const void *payload, size_t len, uint16_t *id);
struct kept *kept_find(struct link *l, uint16_t id);
void kept_remove(struct link *l, struct kept *k);
void kept_clear(struct link *l);

#endif
