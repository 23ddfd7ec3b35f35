/*
 * The honest application beside mqtt_wait_hostile in
 * tests/attack/parked-mqtt-waits.sh, on the public SDK alone.  Once the
 * test says go (while the hostile one floods MQTT), it makes 200 round
 * trips through the broker: a QoS 0 publish to a topic it subscribed to,
 * and mqtt_run until the message is back, timing each.  It logs what it
 * saw as RESULT lines and keeps its connection until it is stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sealnet/sealnet.h>

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

#define T	     (5 * SEALNET_SECOND)
#define ROUND_TRIPS  200u
#define MESSAGE_SIZE 32u

static char expected[MESSAGE_SIZE + 1];
static bool came_back;

static void
on_publish(void *ctx, const char *topic, size_t topic_len, const void *payload,
	   size_t payload_len, int qos, bool retain)
{
	if (payload_len == MESSAGE_SIZE &&
	    memcmp(payload, expected, MESSAGE_SIZE) == 0)
		came_back = true;
}

static int
round_trip(sealnet_mqtt_connection c, unsigned i)
{
	uint64_t end = sealnet_now_ns() + T;
	int rc;

	snprintf(expected, sizeof(expected), "honest %05u ...................",
		 i);
	came_back = false;
	rc = mqtt_publish(T, c, 0, "sealnet/honest/echo", 19, expected,
			  MESSAGE_SIZE, false);
	if (rc < 0)
		return rc;
	while (!came_back && sealnet_now_ns() < end)
		if ((rc = mqtt_run(end - sealnet_now_ns(), c)) < 0 &&
		    rc != -ETIMEDOUT)
			return rc;
	return came_back ? 0 : -ETIMEDOUT;
}

static int
wait_for_go(void)
{
	uint64_t end = sealnet_now_ns() + 120 * SEALNET_SECOND;
	sealnet_socket s;

	while (sealnet_now_ns() < end) {
		if (network_socket_connect_tcp(T, SEALNET_CAPABILITY(go), &s) ==
		    0)
			return network_socket_close(T, s);
		if (sealnet_wait(50 * SEALNET_MS) < 0)
			break;
	}
	return -ETIMEDOUT;
}

/* Sorted in place; qsort would ask the kernel for the memory size, a
 * system call the sandbox does not allow. */
static void
sort_times(uint64_t *t, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = t[i];
		unsigned j = i;

		for (; j > 0 && t[j - 1] > v; j--)
			t[j] = t[j - 1];
		t[j] = v;
	}
}

int
main(void)
{
	static uint64_t took[ROUND_TRIPS];
	struct sealnet_mqtt_options o = {.clean_session = true,
					 .keep_alive_seconds = 60,
					 .on_publish = on_publish};
	char id[24];
	sealnet_mqtt_connection c;
	unsigned ok = 0, failed_at = 0;
	int first_error = 0;

	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    mqtt_generate_client_id(id, sizeof(id)) < 0) {
		sealnet_log("RESULT honest: no network");
		return 1;
	}
	o.client_id = id;
	if (mqtt_connect(20 * SEALNET_SECOND, SEALNET_CAPABILITY(broker), &o,
			 &c) < 0 ||
	    mqtt_subscribe(T, c, 0, "sealnet/honest/#", 16, NULL) < 0) {
		sealnet_log("RESULT honest: no connection");
		return 1;
	}
	for (unsigned i = 0; i < 5; i++)
		if (round_trip(c, i) < 0) {
			sealnet_log("RESULT honest: the warm-up failed");
			return 1;
		}
	sealnet_log("RESULT honest ready");
	if (wait_for_go() < 0) {
		sealnet_log("RESULT honest: no go");
		return 1;
	}
	sealnet_log("RESULT honest begins");
	for (unsigned i = 0; i < ROUND_TRIPS; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = round_trip(c, i);

		took[i] = sealnet_now_ns() - t0;
		if (rc == 0)
			ok++;
		else if (first_error == 0) {
			first_error = rc;
			failed_at = i;
		}
	}
	sort_times(took, ROUND_TRIPS);
	sealnet_log("RESULT honest round trips: %u of %u, median %llu us, "
		    "slowest %llu us",
		    ok, ROUND_TRIPS,
		    (unsigned long long)(took[ROUND_TRIPS / 2] / 1000),
		    (unsigned long long)(took[ROUND_TRIPS - 1] / 1000));
	if (first_error)
		sealnet_log("RESULT honest: round trip %u failed: %s",
			    failed_at, strerror(-first_error));
	sealnet_log("RESULT honest done");
	/* Its connection stays, and the Firewall's rule for it, as before
	 * the attack; mqtt_run keeps it answering the broker. */
	for (;;)
		if (mqtt_run(SEALNET_SECOND, c) < 0 &&
		    sealnet_wait(100 * SEALNET_MS) == -ECANCELED)
			return 0;
}
