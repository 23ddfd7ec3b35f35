/*
 * Which QoS 0 publishes go ahead without waiting (sdk/mqtt_ahead.h): never
 * one that MQTT could refuse for its topic, its size or its queue's room,
 * and every refusal of one that went ahead is counted to be told.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "mqtt_ahead.h"

#define T  "a/b"
#define TL 3u

static struct mqtt_ahead a;
static const struct mqtt_room roomy = {256, 65536, 8, 20000};

/* A connection whose publish to T, waited for, MQTT took. */
static void
taken_once(const struct mqtt_room *room)
{
	memset(&a, 0, sizeof(a));
	mqtt_ahead_reset(&a);
	mqtt_ahead_waited(&a, 0, room, T, TL, false);
}

TEST(nothing_goes_ahead_before_mqtt_has_taken_the_topic)
{
	memset(&a, 0, sizeof(a));
	mqtt_ahead_reset(&a);
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* Refused (outside the capability, say): still nothing known. */
	mqtt_ahead_waited(&a, -EPERM, NULL, T, TL, false);
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	mqtt_ahead_waited(&a, 0, &roomy, T, TL, false);
	CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* Another topic, or the same with retain, waits for its own. */
	CHECK(!mqtt_ahead_may_send(&a, "a/c", TL, 10, false));
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, true));
	CHECK(!mqtt_ahead_may_send(&a, "a/b/", TL + 1, 10, false));
}

TEST(at_most_AHEAD_MAX_are_unanswered)
{
	taken_once(&roomy);
	for (unsigned i = 0; i < AHEAD_MAX; i++) {
		CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
		mqtt_ahead_sent(&a, TL, 10);
	}
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	mqtt_ahead_answered(&a, 0, &roomy);
	CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
}

/* The queue holds 4 messages or 100 bytes: what goes ahead fits both,
 * counting what was sent after the answer that reported it. */
TEST(what_goes_ahead_fits_the_room_reported)
{
	const struct mqtt_room four = {4, 1000, 8, 20000};
	const struct mqtt_room bytes = {100, 100, 8, 20000};

	taken_once(&four);
	for (unsigned i = 0; i < 4; i++) {
		CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
		mqtt_ahead_sent(&a, TL, 10);
	}
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* The first's answer reports 3 free: the 3 behind it take them. */
	mqtt_ahead_answered(&a, 0, &(struct mqtt_room){3, 1000, 8, 20000});
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* MQTT sent some out meanwhile: room again. */
	mqtt_ahead_answered(&a, 0, &(struct mqtt_room){5, 1000, 8, 20000});
	CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));

	/* 3 + 10 + 8 = 21 bytes each at most: four fit in 100, not five. */
	taken_once(&bytes);
	for (unsigned i = 0; i < 4; i++) {
		CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
		mqtt_ahead_sent(&a, TL, 10);
	}
	/* 16 bytes are left: a 5-byte payload fits, a 6-byte one waits. */
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	CHECK(mqtt_ahead_may_send(&a, T, TL, 5, false));
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 6, false));
}

TEST(a_packet_over_the_brokers_largest_waits)
{
	taken_once(&(struct mqtt_room){256, 65536, 8, 100});
	CHECK(mqtt_ahead_may_send(&a, T, TL, 100 - 8 - TL, false));
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 100 - 8 - TL + 1, false));
}

TEST(a_refusal_is_counted_and_stops_going_ahead)
{
	taken_once(&roomy);
	mqtt_ahead_sent(&a, TL, 10);
	mqtt_ahead_sent(&a, TL, 10);
	mqtt_ahead_answered(&a, -EMSGSIZE, NULL);
	CHECK_EQ_INT(a.refused, 1);
	CHECK_EQ_INT(a.refused_error, -EMSGSIZE);
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* The other's answer brings the room, but not the topic, back. */
	mqtt_ahead_answered(&a, 0, &roomy);
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	mqtt_ahead_waited(&a, 0, &roomy, T, TL, false);
	CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
	/* A reconnect forgets the room and topics, not what is to tell. */
	mqtt_ahead_sent(&a, TL, 10);
	mqtt_ahead_answered(&a, -ENOTRECOVERABLE, NULL);
	mqtt_ahead_reset(&a);
	CHECK_EQ_INT(a.refused, 2);
	CHECK_EQ_INT(a.refused_error, -EMSGSIZE);
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
}

TEST(answers_to_nothing_sent_ahead_change_nothing)
{
	taken_once(&roomy);
	mqtt_ahead_answered(&a, -EIO, NULL);
	CHECK_EQ_INT(a.refused, 0);
	CHECK(mqtt_ahead_may_send(&a, T, TL, 10, false));
}

TEST(topics_taken_are_the_last_few)
{
	char t[8];

	taken_once(&roomy);
	for (unsigned i = 0; i < AHEAD_TOPICS; i++) {
		int n = snprintf(t, sizeof(t), "t/%u", i);
		mqtt_ahead_waited(&a, 0, &roomy, t, (size_t)n, false);
	}
	/* T, the first, made room for the last. */
	CHECK(!mqtt_ahead_may_send(&a, T, TL, 10, false));
	for (unsigned i = 0; i < AHEAD_TOPICS; i++) {
		int n = snprintf(t, sizeof(t), "t/%u", i);
		CHECK(mqtt_ahead_may_send(&a, t, (size_t)n, 10, false));
	}
}

int
main(void)
{
	RUN(nothing_goes_ahead_before_mqtt_has_taken_the_topic);
	RUN(at_most_AHEAD_MAX_are_unanswered);
	RUN(what_goes_ahead_fits_the_room_reported);
	RUN(a_packet_over_the_brokers_largest_waits);
	RUN(a_refusal_is_counted_and_stops_going_ahead);
	RUN(answers_to_nothing_sent_ahead_change_nothing);
	RUN(topics_taken_are_the_last_few);
	HARNESS_EXIT();
}
