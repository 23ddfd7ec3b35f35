/*
 * The honest application beside mqtt_wait_hostile in
 * tests/attack/parked-mqtt-waits.sh, on the public SDK alone.  Once the
 * test says go (while the hostile one floods MQTT), it makes 200 round
 * trips through the broker: a QoS 0 publish to a topic it subscribed to,
 * and mqtt_run until the message is back, timing each.  It logs what it
 * saw as RESULT lines (waiting.c) and keeps its connection until it is
 * stopped.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

#include "waiting.h"

SEALNET_COMPARTMENT("mqtt_wait_honest");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_delegate);
SEALNET_IMPORT(tls_connection_close);
SEALNET_IMPORT(mqtt_connect);
SEALNET_IMPORT(mqtt_reconnect);
SEALNET_IMPORT(mqtt_publish);
SEALNET_IMPORT(mqtt_subscribe);
SEALNET_IMPORT(mqtt_run);
SEALNET_IMPORT(mqtt_disconnect);
SEALNET_MQTT_CAPABILITY(broker, "broker.test", 8883, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(broker, "sealnet/honest/#");
SEALNET_MQTT_SUBSCRIBE(broker, "sealnet/honest/#");
/* The test opens this port when the round trips may begin. */
SEALNET_CONNECTION_CAPABILITY(go, SEALNET_TCP, "echo.test", 7008);
SEALNET_QUOTA(mqtt_connections, 1);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_QUOTA(sockets, 3);
SEALNET_RESTART(never, 0);

#define T (5 * SEALNET_SECOND)

static sealnet_mqtt_connection kept;
static char expected[WAITING_MESSAGE_SIZE + 1];
static bool came_back;

static void
on_publish(void *ctx, const char *topic, size_t topic_len, const void *payload,
	   size_t payload_len, int qos, bool retain)
{
	if (payload_len == WAITING_MESSAGE_SIZE &&
	    memcmp(payload, expected, WAITING_MESSAGE_SIZE) == 0)
		came_back = true;
}

static int
round_trip(unsigned i)
{
	uint64_t end = sealnet_now_ns() + T;
	int rc;

	waiting_message(expected, i);
	came_back = false;
	rc = mqtt_publish(T, kept, 0, "sealnet/honest/echo", 19, expected,
			  WAITING_MESSAGE_SIZE, false);
	if (rc < 0)
		return rc;
	while (!came_back && sealnet_now_ns() < end)
		if ((rc = mqtt_run(end - sealnet_now_ns(), kept)) < 0 &&
		    rc != -ETIMEDOUT)
			return rc;
	return came_back ? 0 : -ETIMEDOUT;
}

int
main(void)
{
	static const struct waiting_honest honest = {.round_trip = round_trip};
	struct sealnet_mqtt_options o = {.clean_session = true,
					 .keep_alive_seconds = 60,
					 .on_publish = on_publish};
	char id[24];

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    mqtt_generate_client_id(id, sizeof(id)) < 0) {
		sealnet_log("RESULT honest: no network");
		return 1;
	}
	o.client_id = id;
	if (mqtt_connect(20 * SEALNET_SECOND, SEALNET_CAPABILITY(broker), &o,
			 &kept) < 0 ||
	    mqtt_subscribe(T, kept, 0, "sealnet/honest/#", 16, NULL) < 0) {
		sealnet_log("RESULT honest: no connection");
		return 1;
	}
	if (waiting_honest_run(&honest, SEALNET_CAPABILITY(go)) < 0)
		return 1;
	/* Its connection stays, and the Firewall's rule for it, as before
	 * the attack; mqtt_run keeps it answering the broker. */
	for (;;)
		if (mqtt_run(SEALNET_SECOND, kept) < 0 &&
		    sealnet_wait(100 * SEALNET_MS) == -ECANCELED)
			return 0;
}
