/*
 * The steps of tests/mqtt-test.sh's mqtt_test compartment that show
 * topic aliases on the wire: series of QoS 0 publishes the script's
 * subscriber must see, each once and in order, in fewer bytes than
 * their topics alone would take.
 */
#include <stdio.h>
#include <time.h>

#include "mqtt_test.h"

/* BURST publishes to one topic of 96 bytes: it goes once, then by alias. */
#define BURST 500u
#define BURST_TOPIC                                                            \
	"burst-of-five-hundred-to-a-topic-long-enough-that-its-alias-shows-"   \
	"on-the-wire-xx"
static void
burst_topic(unsigned n, char *out, size_t len)
{
	(void)n;
	(void)snprintf(out, len, "%s", BURST_TOPIC);
}

/* MOVING QoS 0 publishes to sealnet/test/moving/<k>/MOVING_PAD, in
 * stretches of MOVING_STRETCH over MOVING_SET topics, each stretch
 * MOVING_SET topics further on among MOVING_TOPICS: aliases pass to new
 * topics as old ones fall idle. */
#define MOVING_PAD                                                             \
	"a-topic-long-enough-that-its-alias-shows-on-the-wire-and-passes-on"
#define MOVING	       800u
#define MOVING_STRETCH 50u
#define MOVING_SET     4u
#define MOVING_TOPICS  40u
static void
moving_topic(unsigned n, char *out, size_t len)
{
	unsigned k =
	    ((n - 1) / MOVING_STRETCH * MOVING_SET + (n - 1) % MOVING_SET) %
	    MOVING_TOPICS;

	(void)snprintf(out, len, "moving/%u/" MOVING_PAD, k);
}

/* COUNT QoS 0 publishes of "<n>" to topic_of(n), as fast as MQTT takes
 * them, most sent ahead without waiting: the script's subscriber must
 * see each, once, in order and under its own topic, and the capture
 * how many bytes they took between the window's ends, logged in the
 * broker's clock.  The window ends once the broker has acknowledged a
 * QoS 1 publish made after them: the connection keeps its order, so
 * every one of them has reached the broker by then, however slowly the
 * compartments ran.  (A fixed wait, on a loaded machine, once ended
 * before any of them had left, and the capture saw none.) */
static void
series(sealnet_mqtt_connection c, const char *step, unsigned count,
       void (*topic_of)(unsigned n, char *out, size_t len))
{
	struct timespec from, to;
	unsigned taken = 0, before;
	int rc = 0;

	(void)clock_gettime(CLOCK_REALTIME, &from);
	for (unsigned n = 1; n <= count && rc >= 0; n++) {
		char topic[96];

		topic_of(n, topic, sizeof(topic));
		if ((rc = publish_one(c, topic, 0, n)) == 0)
			taken++;
	}
	before = acks;
	int end = publish_one(c, "series-end", 1, count);

	for (unsigned turn = 0; end >= 0 && acks == before && turn < 100;
	     turn++)
		end = mqtt_run(100 * SEALNET_MS, c);
	(void)clock_gettime(CLOCK_REALTIME, &to);
	sealnet_log("RESULT %s: %u of %u taken (%s), %u refused after going "
		    "ahead",
		    step, taken, count, said(rc), ahead_refused);
	sealnet_log("RESULT %s end: %s", step,
		    end < 0	     ? said(end)
		    : acks == before ? "not acknowledged"
				     : "acknowledged");
	sealnet_log("RESULT %s window: %lld.%09ld %lld.%09ld", step,
		    (long long)from.tv_sec, from.tv_nsec, (long long)to.tv_sec,
		    to.tv_nsec);
	acks = before;
}

void
aliases(sealnet_mqtt_connection c)
{
	series(c, "burst", BURST, burst_topic);
	series(c, "moving", MOVING, moving_topic);
}
