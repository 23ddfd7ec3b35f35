/*
 * Holds MQTT connections open for scripts/bench-mqtt.sh, which reads
 * the MQTT compartment's resident memory meanwhile: up to HELD
 * connections to broker.test:8883 over TLS, as many as the SDK keeps for
 * one compartment (SEALNET_MQTT_CONNECTIONS_MAX), so that four of these
 * can fill MQTT's table of 32.  How many it holds, the script says in a
 * retained message to bench/hold/<its name>, which the first connection
 * reads.  Says "holding N connections" once all are up, keeps them for
 * HOLD_SECONDS, then disconnects them and exits 0.
 *
 * Built once per name (mqtt_hold_1 ... mqtt_hold_4, MQTT_HOLD_NAME):
 * each compartment of an image has a name of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealnet/sealnet.h>

#ifndef MQTT_HOLD_NAME
#define MQTT_HOLD_NAME "mqtt_hold"
#endif
#define HELD	     SEALNET_MQTT_CONNECTIONS_MAX
#define HOLD_SECONDS 20
#define T	     (10 * SEALNET_SECOND)

SEALNET_COMPARTMENT(MQTT_HOLD_NAME);
SEALNET_IMPORT(network_host_get);
SEALNET_MQTT_IMPORTS();
SEALNET_MQTT_CAPABILITY(broker, "broker.test", 8883, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(broker, "bench/hold/#");
SEALNET_MQTT_SUBSCRIBE(broker, "bench/hold/#");
/* One TLS session per connection, and as many again for the new ones
 * the SDK makes when MQTT asks for a transport while an old one closes. */
SEALNET_QUOTA(mqtt_connections, HELD);
SEALNET_QUOTA(tls_sessions, 2 * HELD);
SEALNET_RESTART(never, 0);

static int wanted;

static void
on_count(void *ctx, const char *t, size_t tl, const void *p, size_t len,
	 int qos, bool retain)
{
	char text[8];

	if (len == 0 || len >= sizeof(text))
		return;
	memcpy(text, p, len);
	text[len] = 0;
	wanted = atoi(text);
}

/* The first connection, and how many to hold from the retained count. */
static int
first(sealnet_mqtt_connection *c, struct sealnet_mqtt_options *o)
{
	const char *topic = "bench/hold/" MQTT_HOLD_NAME;
	uint8_t reason;
	int rc;

	o->on_publish = on_count;
	rc = mqtt_connect(T, SEALNET_CAPABILITY(broker), o, c);
	if (rc == 0)
		rc = mqtt_subscribe(T, *c, 1, topic, strlen(topic), &reason);
	for (int turn = 0; rc >= 0 && wanted == 0 && turn < 100; turn++)
		rc = mqtt_run(100 * SEALNET_MS, *c);
	o->on_publish = NULL;
	if (rc >= 0 && (wanted < 1 || wanted > HELD))
		rc = -EINVAL;
	return rc < 0 ? rc : 0;
}

int
main(void)
{
	static sealnet_mqtt_connection held[HELD];
	char id[24];
	struct sealnet_mqtt_options o = {
	    .client_id = id,
	    .clean_session = true,
	    .keep_alive_seconds = 60,
	};
	int n = 0, rc;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    mqtt_generate_client_id(id, 17) < 0)
		return 1;
	rc = first(&held[0], &o);
	if (rc < 0) {
		sealnet_log("connection 1: %s", strerror(-rc));
		return 1;
	}
	for (n = 1; n < wanted; n++) {
		rc = mqtt_generate_client_id(id, 17);
		if (rc == 0)
			rc = mqtt_connect(T, SEALNET_CAPABILITY(broker), &o,
					  &held[n]);
		if (rc < 0) {
			sealnet_log("connection %d: %s", n + 1, strerror(-rc));
			break;
		}
	}
	if (rc == 0) {
		sealnet_log("holding %d connections", n);
		sealnet_wait(HOLD_SECONDS * SEALNET_SECOND);
	}
	for (int i = 0; i < n; i++) {
		int d = mqtt_disconnect(5 * SEALNET_SECOND, held[i], false);

		if (d < 0) {
			sealnet_log("disconnect %d: %s", i + 1, strerror(-d));
			rc = d;
		}
	}
	return rc < 0;
}
