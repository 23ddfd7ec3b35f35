/*
 * An application that leaves a Will and is killed (tests/mqtt-test.sh).
 * It connects to broker.test:8883 with the Will "gone" at QoS 1 on
 * sealnet/will/mqtt_will, logs "RESULT will: connected" (or why not),
 * then waits until it is killed.  The MQTT compartment ends a dead
 * owner's connection without DISCONNECT, so the broker must publish the
 * Will; the script's subscriber sees whether it did.
 */
#include <errno.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("mqtt_will");
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_socket_delegate);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(tls_connection_create);
SEALNET_IMPORT(tls_connection_delegate);
SEALNET_IMPORT(tls_connection_close);
SEALNET_IMPORT(mqtt_connect);
SEALNET_IMPORT(mqtt_reconnect);
SEALNET_IMPORT(mqtt_run);
SEALNET_IMPORT(mqtt_disconnect);
SEALNET_MQTT_CAPABILITY(broker, "broker.test", 8883, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(broker, "sealnet/will/#");
SEALNET_QUOTA(mqtt_connections, 1);
SEALNET_QUOTA(tls_sessions, 2);
SEALNET_RESTART(never, 0);

#define WILL_TOPIC "sealnet/will/mqtt_will"

int
main(void)
{
	struct sealnet_mqtt_options o = {
	    .client_id = "sealnet-mqtt-will",
	    .clean_session = true,
	    .keep_alive_seconds = 30,
	    .will_topic = WILL_TOPIC,
	    .will_payload = "gone",
	    .will_payload_len = 4,
	    .will_qos = 1,
	};
	sealnet_mqtt_connection c;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = mqtt_connect(20 * SEALNET_SECOND,
				  SEALNET_CAPABILITY(broker), &o, &c);
	if (rc < 0) {
		sealnet_log("RESULT will: connect: %s", strerror(-rc));
		return 1;
	}
	sealnet_log("RESULT will: connected");
	/* Keep the connection served until the script kills us. */
	while ((rc = mqtt_run(60 * SEALNET_SECOND, c)) >= 0)
		;
	sealnet_log("RESULT will: run: %s", strerror(-rc));
	return 1;
}
