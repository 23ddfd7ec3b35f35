/*
 * Publishes to and subscribes from test.mosquitto.org over TLS: the
 * messages "hello 1" ... "hello N" at QoS 0, 1 and 2 to
 * sealnet/demo/<client id>, and a retained status message; prints
 * "mqtt: received <topic> <payload>" for each message that comes back,
 * and disconnects once all N of its own have.
 *
 * Its one MQTT capability lets it reach that broker on port 8883 with
 * TLS, publish and subscribe under sealnet/demo/ and nothing else.  The
 * TLS and MQTT compartments hold no capability: the connection is made
 * with this one's, and delegated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("mqtt_demo");
SEALNET_IMPORT(network_host_get);
SEALNET_MQTT_IMPORTS();
SEALNET_MQTT_CAPABILITY(demo_broker, "test.mosquitto.org", 8883,
			SEALNET_MQTT_TLS, SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(demo_broker, "sealnet/demo/#");
SEALNET_MQTT_SUBSCRIBE(demo_broker, "sealnet/demo/#");
SEALNET_QUOTA(mqtt_connections, 1);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_RESTART(never, 0);

/* How many of each QoS: hello 1 ... hello 3N, a third at each. */
#define PER_QOS 3
#define N	(3 * PER_QOS)

static char topic[64];
static unsigned own_received;

static void
on_publish(void *ctx, const char *t, size_t tl, const void *payload, size_t len,
	   int qos, bool retain)
{
	printf("mqtt: received %.*s %.*s\n", (int)tl, t, (int)len,
	       (const char *)payload);
	fflush(stdout);
	if (tl == strlen(topic) && memcmp(t, topic, tl) == 0 && !retain &&
	    len > 6 && memcmp(payload, "hello ", 6) == 0)
		own_received++;
}

int
main(void)
{
	char id[24], text[32];
	struct sealnet_mqtt_options o = {
	    .client_id = id,
	    .clean_session = true,
	    .keep_alive_seconds = 30,
	    .on_publish = on_publish,
	};
	sealnet_mqtt_connection c;
	uint8_t reason;
	int rc;

	if (sealnet_start() < 0 || mqtt_generate_client_id(id, 17) < 0)
		return 1;
	snprintf(topic, sizeof(topic), "sealnet/demo/%s", id);
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = mqtt_connect(20 * SEALNET_SECOND,
				  SEALNET_CAPABILITY(demo_broker), &o, &c);
	if (rc == 0)
		rc = mqtt_subscribe(10 * SEALNET_SECOND, c, 2, "sealnet/demo/#",
				    14, &reason);
	if (rc < 0) {
		sealnet_log("cannot reach the broker: %s", strerror(-rc));
		return 1;
	}
	sealnet_log("connected as %s, subscribed to sealnet/demo/#", id);
	snprintf(text, sizeof(text), "%s online", id);
	rc = mqtt_publish(10 * SEALNET_SECOND, c, 1, "sealnet/demo/status", 19,
			  text, strlen(text), true);
	for (unsigned i = 1; rc >= 0 && i <= N; i++) {
		int len = snprintf(text, sizeof(text), "hello %u", i);

		rc = mqtt_publish(10 * SEALNET_SECOND, c,
				  (int)(i - 1) / PER_QOS, topic, strlen(topic),
				  text, (size_t)len, false);
	}
	for (unsigned turn = 0; rc >= 0 && own_received < N && turn < 300;
	     turn++)
		rc = mqtt_run(100 * SEALNET_MS, c);
	if (rc < 0 || own_received < N) {
		sealnet_log("received %u of %u: %s", own_received, N,
			    rc < 0 ? strerror(-rc) : "gave up");
		return 1;
	}
	sealnet_log("all %u of our messages came back; disconnecting", N);
	return mqtt_disconnect(5 * SEALNET_SECOND, c, false) < 0;
}
