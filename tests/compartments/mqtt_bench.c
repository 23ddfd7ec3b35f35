/*
 * sealnet's side of the MQTT benchmark (scripts/bench-mqtt.sh), through
 * the MQTT and TLS compartments to broker.test:8883:
 *
 * - once connected it says "holding 1 connection" and waits 2 s, for the
 *   script to read the MQTT compartment's resident memory;
 * - then MQTT_BENCH_MESSAGES QoS 0 publishes of a 64-byte payload to
 *   bench/sealnet/q0, as fast as MQTT takes them (on -ENOBUFS, its queue
 *   being full, it waits 100 us and tries again): the script's
 *   subscriber beside the broker times their arrival; this logs only how
 *   long the calls took;
 * - then it subscribes to bench/rtt/sealnet at QoS 1 and, 20 times not
 *   counted and then ROUND_TRIPS times, publishes one message there at
 *   QoS 1 and runs the connection until the message comes back: prints
 *   the median and the 90th percentile as a JSON line (the tail shows
 *   waits for acknowledgements that the median hides);
 * - then the same round trips over a second connection, to a second
 *   broker on 8884 that sets TCP_NODELAY (mosquitto's set_tcp_nodelay):
 *   without it the broker holds the message back behind its PUBACK
 *   until that is acknowledged, which shows how much of the round trip
 *   is the wait for TCPIP's delayed acknowledgement.
 *
 * It disconnects and exits 0 once everything succeeded; on any failure
 * it prints nothing and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("mqtt_bench");
SEALNET_IMPORT(network_host_get);
SEALNET_MQTT_IMPORTS();
SEALNET_MQTT_CAPABILITY(broker, "broker.test", 8883, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(broker, "bench/#");
SEALNET_MQTT_SUBSCRIBE(broker, "bench/rtt/#");
SEALNET_MQTT_CAPABILITY(nodelay, "broker.test", 8884, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(nodelay, "bench/rtt/#");
SEALNET_MQTT_SUBSCRIBE(nodelay, "bench/rtt/#");
SEALNET_QUOTA(mqtt_connections, 2);
SEALNET_QUOTA(tls_sessions, 4);
SEALNET_RESTART(never, 0);
SEALNET_SYSCALL(sysinfo); /* qsort */

#ifndef MQTT_BENCH_MESSAGES
#define MQTT_BENCH_MESSAGES 20000
#endif
#define PAYLOAD	    64
#define WARM_UPS    20
#define ROUND_TRIPS 200
#define Q0_TOPIC    "bench/sealnet/q0"
#define RTT_TOPIC   "bench/rtt/sealnet"
#define T	    (10 * SEALNET_SECOND)
#define MAX_RETRIES 100000u

static uint8_t payload[PAYLOAD];
static unsigned came_back;
static uint64_t came_back_ns;

static void
on_publish(void *ctx, const char *t, size_t tl, const void *p, size_t len,
	   int qos, bool retain)
{
	if (tl == strlen(RTT_TOPIC) && memcmp(t, RTT_TOPIC, tl) == 0) {
		came_back++;
		came_back_ns = sealnet_now_ns();
	}
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every publish taken by MQTT, or the first error but its queue's. */
static int
publish_qos0(sealnet_mqtt_connection c)
{
	const struct timespec pause = {0, 100 * 1000};
	uint64_t t0 = sealnet_now_ns();
	unsigned retries = 0;

	for (unsigned i = 0; i < MQTT_BENCH_MESSAGES; i++) {
		int rc;

		while ((rc = mqtt_publish(T, c, 0, Q0_TOPIC, strlen(Q0_TOPIC),
					  payload, sizeof(payload), false)) ==
			   -ENOBUFS &&
		       retries < MAX_RETRIES) {
			retries++;
			nanosleep(&pause, NULL);
		}
		if (rc < 0) {
			sealnet_log("QoS 0 publish %u: %s", i, strerror(-rc));
			return rc;
		}
	}
	sealnet_log("%u QoS 0 publishes taken in %.1f ms, %u waits for "
		    "MQTT's queue",
		    MQTT_BENCH_MESSAGES, (double)(sealnet_now_ns() - t0) / 1e6,
		    retries);
	return 0;
}

/* The median time from a QoS 1 publish to its coming back, and the
 * 90th percentile. */
static int
round_trips(sealnet_mqtt_connection c, double *median_us, double *p90_us)
{
	static uint64_t samples[ROUND_TRIPS];
	uint8_t reason;
	int rc = mqtt_subscribe(T, c, 1, RTT_TOPIC, strlen(RTT_TOPIC), &reason);

	if (rc < 0) {
		sealnet_log("subscribe: %s", strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < WARM_UPS + ROUND_TRIPS; i++) {
		unsigned before = came_back;
		uint64_t t0 = sealnet_now_ns(), until = t0 + T;

		rc = mqtt_publish(T, c, 1, RTT_TOPIC, strlen(RTT_TOPIC),
				  payload, sizeof(payload), false);
		while (rc >= 0 && came_back == before &&
		       sealnet_now_ns() < until)
			rc = mqtt_run(until - sealnet_now_ns(), c);
		if (rc >= 0 && came_back == before)
			rc = -ETIMEDOUT;
		if (rc < 0) {
			sealnet_log("round trip %u: %s", i, strerror(-rc));
			return rc;
		}
		if (i >= WARM_UPS)
			samples[i - WARM_UPS] = came_back_ns - t0;
	}
	qsort(samples, ROUND_TRIPS, sizeof(samples[0]), cmp);
	*median_us = (double)samples[ROUND_TRIPS / 2] / 1e3;
	*p90_us = (double)samples[ROUND_TRIPS * 9 / 10] / 1e3;
	return 0;
}

static int
connect_to(const struct sealnet_declaration *cap, sealnet_mqtt_connection *c)
{
	static char id[24];
	struct sealnet_mqtt_options o = {
	    .client_id = id,
	    .clean_session = true,
	    .keep_alive_seconds = 60,
	    .on_publish = on_publish,
	};
	int rc = mqtt_generate_client_id(id, 17);

	if (rc == 0)
		rc = mqtt_connect(T, cap, &o, c);
	if (rc < 0)
		sealnet_log("connect: %s", strerror(-rc));
	return rc;
}

int
main(void)
{
	sealnet_mqtt_connection c, nd;
	double median_us = 0, nodelay_us = 0, p90_us = 0, nodelay_p90_us = 0;

	memset(payload, 'x', sizeof(payload));
	if (sealnet_start() < 0 || network_start(30 * SEALNET_SECOND) < 0 ||
	    connect_to(SEALNET_CAPABILITY(broker), &c) < 0)
		return 1;
	sealnet_log("holding 1 connection");
	sealnet_wait(2 * SEALNET_SECOND);
	if (publish_qos0(c) < 0 || round_trips(c, &median_us, &p90_us) < 0 ||
	    mqtt_disconnect(5 * SEALNET_SECOND, c, false) < 0)
		return 1;
	if (connect_to(SEALNET_CAPABILITY(nodelay), &nd) < 0 ||
	    round_trips(nd, &nodelay_us, &nodelay_p90_us) < 0 ||
	    mqtt_disconnect(5 * SEALNET_SECOND, nd, false) < 0)
		return 1;
	printf("{\"bench\":\"sealnet_mqtt_qos1_rtt\",\"median_us\":%.1f,"
	       "\"p90_us\":%.1f}\n",
	       median_us, p90_us);
	printf("{\"bench\":\"sealnet_mqtt_qos1_rtt_nodelay_broker\","
	       "\"median_us\":%.1f,\"p90_us\":%.1f}\n",
	       nodelay_us, nodelay_p90_us);
	fflush(stdout);
	return 0;
}
