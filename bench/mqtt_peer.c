/*
 * sealnet-bench mqtt: the other end of each measurement, and the
 * baseline, with libmosquitto over the kernel's TCP (and OpenSSL):
 *
 *   mqtt_peer count HOST PORT TOPIC N SECONDS
 *	subscribes to TOPIC at QoS 0 (plain MQTT 5.0), prints "ready" once
 *	the broker has granted it, then waits for N messages, at most
 *	SECONDS; prints "RECEIVED RATE": how many came, and the rate at
 *	which they came, from the first to the last.  Exits 1 unless all
 *	N came.  Both publishers' rates are taken here, the same way.
 *   mqtt_peer publish HOST PORT CAFILE TOPIC N
 *	N QoS 0 publishes of a 64-byte payload, over TLS, as fast as the
 *	connection takes them; prints the rate at which they were written.
 *   mqtt_peer rtt HOST PORT CAFILE TOPIC N
 *	over TLS, subscribes to TOPIC at QoS 1, then N times publishes one
 *	message there at QoS 1 and waits for it to come back; prints the
 *	median round trip and the 90th percentile, in microseconds (after
 *	20 not counted).  With
 *	TCP_NODELAY, as sealnet's TCPIP sets on every socket: otherwise
 *	Nagle's algorithm holds each publish behind the PUBACK this end
 *	sent for the message before, until the broker acknowledges it.
 *	The publish mode keeps libmosquitto's default, Nagle's algorithm
 *	on, which only helps its rate.
 *
 * Each is MQTT 5.0, as sealnet's side speaks it.  The library runs in
 * this thread (mosquitto_loop), with no thread of its own to wake.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "peer.h"

#define PAYLOAD	 64
#define WARM_UPS 20

struct peer {
	const char *topic;
	bool subscribed, nodelay;
	unsigned long want, received;
	double first, last;
};

static void
on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *granted)
{
	struct peer *p = ctx;

	p->subscribed = n == 1 && granted[0] < 128;
}

static void
on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	struct peer *p = ctx;

	if (strcmp(msg->topic, p->topic) != 0)
		return;
	p->last = peer_now();
	if (p->received++ == 0)
		p->first = p->last;
}

static int
fail(const char *what, int rc)
{
	fprintf(stderr, "mqtt_peer: %s: %s\n", what,
		rc == MOSQ_ERR_ERRNO ? strerror(errno)
				     : mosquitto_strerror(rc));
	return 1;
}

/* Connected (CONNACK in) within 10 s, over TLS when cafile is given. */
static struct mosquitto *
open_client(const char *host, int port, const char *cafile, struct peer *p)
{
	struct mosquitto *m = mosquitto_new(NULL, true, p);
	double until = peer_now() + 10;
	int rc;

	if (m == NULL)
		return NULL;
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	if (p->nodelay)
		mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	rc = cafile != NULL
		 ? mosquitto_tls_set(m, cafile, NULL, NULL, NULL, NULL)
		 : MOSQ_ERR_SUCCESS;
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_connect(m, host, port, 60);
	/* A subscribe goes after the CONNECT and is answered after the
	 * CONNACK: once it is granted, the connection is up. */
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_subscribe(m, NULL, p->topic, cafile ? 1 : 0);
	while (rc == MOSQ_ERR_SUCCESS && !p->subscribed && peer_now() < until)
		rc = mosquitto_loop(m, 100, 1);
	if (rc != MOSQ_ERR_SUCCESS || !p->subscribed) {
		fail("connect and subscribe",
		     rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_TIMEOUT);
		mosquitto_destroy(m);
		return NULL;
	}
	return m;
}

static void
close_client(struct mosquitto *m)
{
	double until = peer_now() + 2;

	while (mosquitto_want_write(m) && peer_now() < until &&
	       mosquitto_loop(m, 10, 1) == MOSQ_ERR_SUCCESS)
		;
	mosquitto_disconnect(m);
	mosquitto_loop(m, 10, 1);
	mosquitto_destroy(m);
}

static int
count(const char *host, int port, struct peer *p, double seconds)
{
	struct mosquitto *m = open_client(host, port, NULL, p);
	double until;
	int rc = MOSQ_ERR_SUCCESS;

	if (m == NULL)
		return 1;
	printf("ready\n");
	fflush(stdout);
	until = peer_now() + seconds;
	while (rc == MOSQ_ERR_SUCCESS && p->received < p->want &&
	       peer_now() < until)
		rc = mosquitto_loop(m, 100, 1);
	close_client(m);
	if (p->received < 2) {
		printf("%lu 0\n", p->received);
		return 1;
	}
	printf("%lu %.0f\n", p->received,
	       (double)(p->received - 1) / (p->last - p->first));
	return p->received == p->want ? 0 : 1;
}

static int
publish(const char *host, int port, const char *cafile, struct peer *p,
	const char *topic)
{
	char payload[PAYLOAD];
	struct mosquitto *m = open_client(host, port, cafile, p);
	double t0, until;
	int rc = MOSQ_ERR_SUCCESS;

	if (m == NULL)
		return 1;
	memset(payload, 'x', sizeof(payload));
	t0 = peer_now();
	/* Without a thread of its own, libmosquitto writes each publish at
	 * once, and keeps what the socket would not take; the loop writes
	 * that, and reads what comes (nothing, at QoS 0). */
	for (unsigned long i = 0; rc == MOSQ_ERR_SUCCESS && i < p->want; i++) {
		rc = mosquitto_publish(m, NULL, topic, PAYLOAD, payload, 0,
				       false);
		if (rc == MOSQ_ERR_SUCCESS && (i & 63) == 63)
			rc = mosquitto_loop(m, 0, 1);
	}
	until = peer_now() + 60;
	while (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(m) &&
	       peer_now() < until)
		rc = mosquitto_loop(m, 10, 1);
	if (rc != MOSQ_ERR_SUCCESS || mosquitto_want_write(m)) {
		mosquitto_destroy(m);
		return fail("publish",
			    rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_TIMEOUT);
	}
	printf("%.0f\n", (double)p->want / (peer_now() - t0));
	close_client(m);
	return 0;
}

static int
rtt(const char *host, int port, const char *cafile, struct peer *p)
{
	char payload[PAYLOAD];
	struct mosquitto *m = open_client(host, port, cafile, p);
	unsigned long n = p->want;
	double *samples = calloc(n, sizeof(*samples));
	int rc = MOSQ_ERR_SUCCESS;

	if (m == NULL || samples == NULL) {
		free(samples);
		return 1;
	}
	memset(payload, 'x', sizeof(payload));
	for (unsigned long i = 0; rc == MOSQ_ERR_SUCCESS && i < WARM_UPS + n;
	     i++) {
		unsigned long before = p->received;
		double t0 = peer_now(), until = t0 + 10;

		rc = mosquitto_publish(m, NULL, p->topic, PAYLOAD, payload, 1,
				       false);
		while (rc == MOSQ_ERR_SUCCESS && p->received == before &&
		       peer_now() < until)
			rc = mosquitto_loop(m, 100, 1);
		if (rc == MOSQ_ERR_SUCCESS && p->received == before)
			rc = MOSQ_ERR_TIMEOUT;
		if (i >= WARM_UPS)
			samples[i - WARM_UPS] = (p->last - t0) * 1e6;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		free(samples);
		mosquitto_destroy(m);
		return fail("round trip", rc);
	}
	qsort(samples, n, sizeof(*samples), peer_compare_doubles);
	printf("%.1f %.1f\n", samples[n / 2], samples[n * 9 / 10]);
	free(samples);
	close_client(m);
	return 0;
}

int
main(int argc, char **argv)
{
	struct peer p = {0};
	const char *mode = argc > 1 ? argv[1] : "";
	bool tls = strcmp(mode, "publish") == 0 || strcmp(mode, "rtt") == 0;
	int rc;

	if ((strcmp(mode, "count") != 0 && !tls) || argc != 7) {
		fprintf(stderr,
			"usage: mqtt_peer count HOST PORT TOPIC N SECONDS\n"
			"       mqtt_peer publish|rtt HOST PORT CAFILE TOPIC "
			"N\n");
		return 2;
	}
	p.want = strtoul(argv[tls ? 6 : 5], NULL, 10);
	if (p.want < 2)
		return 2;
	mosquitto_lib_init();
	if (strcmp(mode, "count") == 0) {
		p.topic = argv[4];
		rc = count(argv[2], atoi(argv[3]), &p, atof(argv[6]));
	} else if (strcmp(mode, "publish") == 0) {
		/* It subscribes to a topic of its own, which nobody
		 * publishes to: the grant says the connection is up. */
		p.topic = "bench/idle";
		rc = publish(argv[2], atoi(argv[3]), argv[4], &p, argv[5]);
	} else {
		p.topic = argv[5];
		p.nodelay = true;
		rc = rtt(argv[2], atoi(argv[3]), argv[4], &p);
	}
	mosquitto_lib_cleanup();
	return rc;
}
