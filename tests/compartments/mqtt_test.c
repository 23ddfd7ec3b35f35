/*
 * An application of the MQTT compartment, for tests/mqtt-test.sh.  Its
 * capability lets it publish under sealnet/test/ and subscribe to
 * sealnet/test/+ on broker.test:8883 over TLS, nothing else.
 *
 * First it tries what the capability does not allow: publishes outside
 * sealnet/test/ at QoS 0 and 1, and subscriptions to filters wider than
 * its own; each must fail with -EPERM before anything reaches the broker
 * (the script checks the broker's log).  A subscription the capability
 * allows and the broker's ACL does not must fail with -EPERM and the
 * broker's reason, 0x87.  A publish of "marker" shows that what is
 * allowed does arrive.  A QoS 1 message it takes back and then answers
 * with no call at all (it sleeps) must still be acknowledged to the
 * broker while it sleeps.
 *
 * With a second connection to the broker's listener that asks for a
 * client certificate and a password, it connects with both, with the
 * wrong password and without the certificate, and with a TLS session
 * made for another server (mqtt_swap.c).  Then at level 3.1.1 to
 * the broker's plain listener, over a socket.  Then to six brokers that
 * are not mosquitto (HOSTILE_BROKER below): five send, after their
 * CONNACK, a packet no broker may send, one falls silent, while
 * keep-alive is 1 s.  Then to mosquitto with a keep-alive of 2 s, which
 * the script silences and lets be heard again.
 *
 * Then four streams, one for each thing the script takes away in the
 * middle of one: the MQTT compartment, TLS, TCPIP (each killed) and the
 * broker (restarted, with persistence).  A stream is pairs of messages,
 * "<n>" at QoS 1 to sealnet/test/<stream>/q1 and at QoS 2 to
 * sealnet/test/<stream>/q2, paced, until the connection has gone down
 * and come back, STREAM_AFTER pairs have gone since, and STREAM_PAIRS in
 * all.  It waits until the broker has acknowledged every one, through
 * whichever connection, and reports how many acks came and with which
 * errors.  Each outcome is a RESULT line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

#include "mqtt_test.h"

SEALNET_COMPARTMENT("mqtt_test");
SEALNET_IMPORT(network_host_get);
SEALNET_MQTT_IMPORTS();
SEALNET_MQTT_CAPABILITY(broker, "broker.test", 8883, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(broker, "sealnet/test/#");
SEALNET_MQTT_SUBSCRIBE(broker, "sealnet/test/+");
/* The same broker's second listener, which asks for a client
 * certificate and a password: with both, with the wrong password, and
 * without the certificate. */
SEALNET_MQTT_CAPABILITY(secure, "secure.test", 8884, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(secure, "sealnet/secure/#");
SEALNET_CONNECTION_IDENTITY(secure, "device");
SEALNET_MQTT_CREDENTIALS(secure, "sensor");
SEALNET_MQTT_CAPABILITY(wrong_password, "secure.test", 8884, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(wrong_password, "sealnet/secure/#");
SEALNET_CONNECTION_IDENTITY(wrong_password, "device");
SEALNET_MQTT_CREDENTIALS(wrong_password, "intruder");
SEALNET_MQTT_CAPABILITY(no_certificate, "secure.test", 8884, SEALNET_MQTT_TLS,
			SEALNET_MQTT_V5);
SEALNET_MQTT_PUBLISH(no_certificate, "sealnet/secure/#");
SEALNET_MQTT_CREDENTIALS(no_certificate, "sensor");
/* Brokers that are not mosquitto: each answers CONNACK, then one sends
 * a Remaining Length of five bytes, one nothing more, and the others a
 * topic that is not UTF-8, a QoS 1 PUBLISH with packet identifier 0, a
 * packet of 256 MiB, and a PINGREQ, which only clients send. */
#define HOSTILE_BROKER(name, port)                                             \
	SEALNET_MQTT_CAPABILITY(name, "hostile.test", port, SEALNET_MQTT_TLS,  \
				SEALNET_MQTT_V5);                              \
	SEALNET_MQTT_PUBLISH(name, "sealnet/hostile/#")
HOSTILE_BROKER(garbage, 8885);
HOSTILE_BROKER(silent, 8886);
HOSTILE_BROKER(badutf8, 8887);
HOSTILE_BROKER(idzero, 8888);
HOSTILE_BROKER(oversized, 8889);
HOSTILE_BROKER(pingreq, 8890);
/* The broker's plain listener, at level 3.1.1: the audit names it. */
SEALNET_MQTT_CAPABILITY(plain, "broker.test", 1883, SEALNET_MQTT_PLAINTEXT,
			SEALNET_MQTT_V311);
SEALNET_MQTT_PUBLISH(plain, "sealnet/plain/#");
SEALNET_MQTT_SUBSCRIBE(plain, "sealnet/plain/#");
SEALNET_QUOTA(mqtt_connections, 2);
SEALNET_QUOTA(tls_sessions, 3);
SEALNET_RESTART(never, 0);

/* A stream: pairs of a QoS 1 and a QoS 2 message; the pair after which
 * the script is told to take something away, how many go at least after
 * the connection is back, and in all, the most, and the pause between
 * two pairs. */
#define STREAM_RUNNING 60
#define STREAM_AFTER   100
#define STREAM_PAIRS   1000
#define STREAM_MAX     4000
#define PACE_NS	       (5 * SEALNET_MS)
unsigned acks, ahead_refused;
static unsigned ack_errors, downs, ups, resumed, echoed;
static int last_ack_error;

static void
on_ack(void *ctx, uint16_t packet_id, int error)
{
	if (packet_id == 0) {
		ahead_refused++;
		return;
	}
	acks++;
	if (error != 0) {
		ack_errors++;
		last_ack_error = error;
	}
}

static void
on_state(void *ctx, bool connected, int error, bool session_present)
{
	if (connected) {
		ups++;
		resumed += session_present;
	} else
		downs++;
	sealnet_log("RESULT state: %s (%d), session present %d",
		    connected ? "up" : "down", error, session_present);
}

/* Messages of "echo" on its subscription, sealnet/test/+: its own, or
 * (in quiet) another client's. */
static void
on_publish(void *ctx, const char *topic, size_t tl, const void *payload,
	   size_t len, int qos, bool retain)
{
	if (len == 4 && memcmp(payload, "echo", 4) == 0)
		echoed++;
}

const char *
said(int rc)
{
	return rc >= 0 ? "ok" : strerror(-rc);
}

static int
connect_to(const struct sealnet_declaration *cap, const char *id,
	   sealnet_mqtt_connection *c)
{
	struct sealnet_mqtt_options o = {
	    .client_id = id,
	    .clean_session = true,
	    .keep_alive_seconds = 30,
	    .on_ack = on_ack,
	};

	return mqtt_connect(T, cap, &o, c);
}

/* What a connection to a broker that is not one goes through. */
struct watched {
	bool up, down, back;
	int error;
	uint64_t up_ns, down_ns;
};

static void
on_watched_state(void *ctx, bool connected, int error, bool session_present)
{
	struct watched *w = ctx;

	if (connected && !w->up) {
		w->up = true;
		w->up_ns = sealnet_now_ns();
	} else if (connected && w->down) {
		w->back = true;
	} else if (!connected && !w->down) {
		w->down = true;
		w->error = error;
		w->down_ns = sealnet_now_ns();
	}
}

/* Connects, and runs the connection until it goes down (10 s at most). */
static void
watch(const char *what, const struct sealnet_declaration *cap,
      uint16_t keep_alive)
{
	struct watched w = {0};
	struct sealnet_mqtt_options o = {
	    .client_id = what,
	    .clean_session = true,
	    .keep_alive_seconds = keep_alive,
	    .on_state = on_watched_state,
	    .ctx = &w,
	};
	sealnet_mqtt_connection c;
	int rc = mqtt_connect(T, cap, &o, &c);

	for (unsigned turn = 0; rc >= 0 && !w.down && turn < 100; turn++)
		(void)mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT %s: connect %s, then down %d (%s) after %llu ms",
		    what, said(rc), w.error, said(w.error),
		    w.up && w.down
			? (unsigned long long)(w.down_ns - w.up_ns) / 1000000
			: 0ull);
	if (rc >= 0)
		(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
}

/* The broker itself, silenced: once connected, the script drops every
 * packet the broker sends.  The connection must go down with
 * -ETIMEDOUT within 1.5 keep-alive intervals (the script times it), and
 * come back by itself once the script lets the packets pass again. */
#define SILENCED_KEEP_ALIVE 2

static void
silenced(void)
{
	struct watched w = {0};
	struct sealnet_mqtt_options o = {
	    .client_id = "sealnet-mqtt-silenced",
	    .clean_session = true,
	    .keep_alive_seconds = SILENCED_KEEP_ALIVE,
	    .on_state = on_watched_state,
	    .ctx = &w,
	};
	sealnet_mqtt_connection c;
	int rc = mqtt_connect(T, SEALNET_CAPABILITY(broker), &o, &c);

	sealnet_log("RESULT silenced: connect %s", said(rc));
	if (rc < 0)
		return;
	for (unsigned turn = 0; !w.down && turn < 300; turn++)
		(void)mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT silenced: down %d (%s)", w.error, said(w.error));
	for (unsigned turn = 0; w.down && !w.back && turn < 600; turn++)
		(void)mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT silenced: %s", w.back ? "back" : "not back");
	(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
}

static unsigned plain_received;

static void
on_plain_publish(void *ctx, const char *t, size_t tl, const void *payload,
		 size_t len, int qos, bool retain)
{
	plain_received++;
}

/* Level 3.1.1 over a socket delegated to MQTT, no TLS: subscribes,
 * publishes at QoS 1, gets it back. */
static void
plain(void)
{
	struct sealnet_mqtt_options o = {
	    .client_id = "sealnet-mqtt-plain",
	    .clean_session = true,
	    .keep_alive_seconds = 30,
	    .on_publish = on_plain_publish,
	    .on_ack = on_ack,
	};
	sealnet_mqtt_connection c;
	unsigned before = acks;
	int rc = mqtt_connect(T, SEALNET_CAPABILITY(plain), &o, &c), sub = -1;

	if (rc >= 0)
		rc = sub = mqtt_subscribe(T, c, 1, "sealnet/plain/#", 15, NULL);
	if (rc >= 0)
		rc = mqtt_publish(T, c, 1, "sealnet/plain/hello", 19,
				  "plain hello", 11, false);
	for (unsigned turn = 0;
	     rc >= 0 && (acks == before || plain_received == 0) && turn < 50;
	     turn++)
		rc = mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT plain: %s, granted QoS %d, acknowledged %u, "
		    "received %u",
		    said(rc), sub, acks - before, plain_received);
	(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
	acks = before;
}

/* A client certificate and a user name and password the image gives:
 * the first from TLS, the second from MQTT, neither through here. */
static void
credentials(void)
{
	sealnet_mqtt_connection c;
	unsigned before = acks;
	int rc =
	    connect_to(SEALNET_CAPABILITY(secure), "sealnet-mqtt-secure", &c);

	sealnet_log("RESULT secure connect: %s", said(rc));
	/* Two connections now, the quota: a third is refused by MQTT after
	 * its TLS session was made, which must be closed, or the second
	 * attempt would find tls_sessions used up. */
	for (int i = 1; rc >= 0 && i <= 2; i++) {
		sealnet_mqtt_connection over;
		int orc = connect_to(SEALNET_CAPABILITY(secure),
				     "sealnet-mqtt-over", &over);

		sealnet_log("RESULT over quota connect %d: %s", i, said(orc));
		if (orc >= 0)
			(void)mqtt_disconnect(5 * SEALNET_SECOND, over, false);
	}
	if (rc >= 0) {
		rc = mqtt_publish(T, c, 1, "sealnet/secure/hello", 20, "hello",
				  5, false);
		for (unsigned turn = 0; rc >= 0 && acks == before && turn < 50;
		     turn++)
			rc = mqtt_run(100 * SEALNET_MS, c);
		sealnet_log("RESULT secure publish: %s, acknowledged %u",
			    said(rc), acks - before);
		(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
	}
	rc = connect_to(SEALNET_CAPABILITY(wrong_password),
			"sealnet-mqtt-intruder", &c);
	sealnet_log("RESULT wrong password connect: %s", said(rc));
	if (rc >= 0)
		(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
	rc = connect_to(SEALNET_CAPABILITY(no_certificate),
			"sealnet-mqtt-nocert", &c);
	sealnet_log("RESULT no certificate connect: %d", rc);
	if (rc >= 0)
		(void)mqtt_disconnect(5 * SEALNET_SECOND, c, false);
	acks = before;
}

static void
outside(sealnet_mqtt_connection c)
{
	static const char *wide[] = {"#", "sealnet/#", "sealnet/test/#",
				     "+/test/+"};

	sealnet_log(
	    "RESULT publish sealnet/other at QoS 0: %s",
	    said(mqtt_publish(T, c, 0, "sealnet/other", 13, "leak", 4, false)));
	sealnet_log("RESULT publish sealnet/testing at QoS 1: %s",
		    said(mqtt_publish(T, c, 1, "sealnet/testing", 15, "leak", 4,
				      false)));
	sealnet_log("RESULT publish $SYS/x at QoS 2: %s",
		    said(mqtt_publish(T, c, 2, "$SYS/x", 6, "leak", 4, false)));
	for (unsigned i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		sealnet_log("RESULT subscribe %s: %s", wide[i],
			    said(mqtt_subscribe(T, c, 1, wide[i],
						strlen(wide[i]), NULL)));
	sealnet_log("RESULT subscribe sealnet/test/+: %s",
		    said(mqtt_subscribe(T, c, 1, "sealnet/test/+", 14, NULL)));
	/* Within the capability, but the broker's ACL refuses it. */
	uint8_t reason = 0;
	int refused =
	    mqtt_subscribe(T, c, 1, "sealnet/test/denied", 19, &reason);
	sealnet_log("RESULT subscribe sealnet/test/denied: %s, reason 0x%02x",
		    said(refused), reason);
	int rc = mqtt_publish(T, c, 1, "sealnet/test/marker", 19, "marker", 6,
			      false);

	for (unsigned turn = 0; rc >= 0 && acks == 0 && turn < 50; turn++)
		rc = mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT publish sealnet/test/marker at QoS 1: %s, "
		    "acknowledged %u",
		    said(rc), acks);
	acks = 0;
}

/* Publishes one message of the stream, running the connection while
 * the messages kept here are at their bound. */
int
publish_one(sealnet_mqtt_connection c, const char *name, int qos, unsigned n)
{
	char payload[16], topic[128];
	int len = snprintf(payload, sizeof(payload), "%u", n);
	int tl =
	    snprintf(topic, sizeof(topic), "sealnet/test/%s/q%d", name, qos);

	for (unsigned tries = 0; tries < 200; tries++) {
		int rc = mqtt_publish(T, c, qos, topic, (size_t)tl, payload,
				      (size_t)len, false);

		if (rc != -ENOBUFS && rc != -ENOTCONN)
			return rc;
		rc = mqtt_run(50 * SEALNET_MS, c);
		if (rc < 0 && rc != -ENOTRECOVERABLE)
			return rc;
	}
	return -ENOBUFS;
}

/* Long enough that an acknowledgement MQTT held past its moment
 * (MQTT_ACK_HOLD_NS) would show in the broker's log only after it. */
#define QUIET_SECONDS 4

/* Takes a QoS 1 message that another client publishes to its
 * subscription, and sleeps: the broker must have the message's PUBACK
 * before it wakes, although nothing more comes on the connection after
 * the message (what sends it is the hold's own timer). */
static void
quiet(sealnet_mqtt_connection c)
{
	struct timespec nap = {QUIET_SECONDS, 0}, from, to;
	unsigned before = echoed;
	int rc = 0;

	sealnet_log("RESULT quiet: waiting for a message");
	for (unsigned turn = 0; rc >= 0 && echoed == before && turn < 100;
	     turn++)
		rc = mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT quiet: %s (%s), asleep",
		    echoed > before ? "the message came" : "nothing came",
		    said(rc));
	/* The whole nap: a signal must not end it early.  Its ends in the
	 * broker's clock, for the script to place the PUBACK however late
	 * it reads the logs. */
	(void)clock_gettime(CLOCK_REALTIME, &from);
	while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
		;
	(void)clock_gettime(CLOCK_REALTIME, &to);
	sealnet_log("RESULT quiet nap: %lld.%09ld %lld.%09ld",
		    (long long)from.tv_sec, from.tv_nsec, (long long)to.tv_sec,
		    to.tv_nsec);
	rc = mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT quiet: awake, called again (%s)", said(rc));
}

/* Publishes pairs until the connection has gone down and come back,
 * STREAM_AFTER more pairs have gone since and STREAM_PAIRS in all, or
 * STREAM_MAX pairs: the script takes something away once it reads
 * "stream <name> running". */
static void
stream(sealnet_mqtt_connection c, const char *name)
{
	const struct timespec pace = {0, PACE_NS};
	unsigned published = 0, refused = 0, n, down_at = 0;
	int first_error = 0;

	acks = ack_errors = downs = ups = resumed = 0;
	last_ack_error = 0;
	for (n = 1; n <= STREAM_MAX; n++) {
		for (int qos = 1; qos <= 2; qos++) {
			int rc = publish_one(c, name, qos, n);

			if (rc < 0) {
				refused++;
				if (first_error == 0)
					first_error = rc;
			} else {
				published++;
			}
		}
		if (n == STREAM_RUNNING)
			sealnet_log("RESULT stream %s running: %u published",
				    name, published);
		if (down_at == 0 && downs > 0)
			down_at = n;
		if (down_at != 0 && ups > 0 && n >= down_at + STREAM_AFTER &&
		    n >= STREAM_PAIRS)
			break;
		(void)mqtt_run(0, c);
		nanosleep(&pace, NULL);
	}
	sealnet_log("RESULT stream %s published %u in %u pairs, refused %u "
		    "(%s); the connection went after pair %u",
		    name, published, n > STREAM_MAX ? STREAM_MAX : n, refused,
		    said(first_error), down_at);
	for (unsigned turn = 0; acks < published && turn < 300; turn++)
		(void)mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT stream %s acknowledged %u of %u, %u with an error "
		    "(%s); down %u times, up %u times, %u with the session",
		    name, acks, published, ack_errors, said(last_ack_error),
		    downs, ups, resumed);
	/* Its subscription must have come back with the connection. */
	char topic[32];
	int tl = snprintf(topic, sizeof(topic), "sealnet/test/%s", name);
	unsigned before = echoed, acked = acks;
	int rc = mqtt_publish(T, c, 1, topic, (size_t)tl, "echo", 4, false);

	/* Its acknowledgement too, which must not count in the next. */
	for (unsigned turn = 0;
	     rc >= 0 && (echoed == before || acks == acked) && turn < 100;
	     turn++)
		rc = mqtt_run(100 * SEALNET_MS, c);
	sealnet_log("RESULT stream %s: the subscription %s (%s)", name,
		    echoed > before ? "still delivers" : "delivers nothing",
		    said(rc));
}

int
main(void)
{
	struct sealnet_mqtt_options o = {
	    .client_id = "sealnet-mqtt-test",
	    .clean_session = true,
	    .keep_alive_seconds = 30,
	    /* The broker keeps the session, and what it has of our QoS 2
	     * messages, across a restart of the MQTT compartment. */
	    .session_expiry_seconds = 300,
	    .on_ack = on_ack,
	    .on_state = on_state,
	    .on_publish = on_publish,
	};
	sealnet_mqtt_connection c;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = network_start(30 * SEALNET_SECOND);
	if (rc == 0)
		rc = mqtt_connect(20 * SEALNET_SECOND,
				  SEALNET_CAPABILITY(broker), &o, &c);
	sealnet_log("RESULT connect: %s", said(rc));
	if (rc < 0)
		return 1;
	outside(c);
	aliases(c);
	quiet(c);
	credentials();
	swapped_session(SEALNET_CAPABILITY(secure));
	plain();
	watch("garbage", SEALNET_CAPABILITY(garbage), 30);
	watch("silent", SEALNET_CAPABILITY(silent), 1);
	watch("badutf8", SEALNET_CAPABILITY(badutf8), 30);
	watch("idzero", SEALNET_CAPABILITY(idzero), 30);
	watch("oversized", SEALNET_CAPABILITY(oversized), 30);
	watch("pingreq", SEALNET_CAPABILITY(pingreq), 30);
	silenced();
	sealnet_log("RESULT brokers done");
	stream(c, "mqtt");
	stream(c, "tls");
	stream(c, "tcpip");
	stream(c, "broker");
	rc = mqtt_disconnect(5 * SEALNET_SECOND, c, false);
	sealnet_log("RESULT done: disconnect %s", said(rc));
	return rc < 0;
}
