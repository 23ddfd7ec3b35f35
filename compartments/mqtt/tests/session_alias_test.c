/*
 * Topic aliases we send (MQTT 5.0, 3.3.2.3.4): which topics get one,
 * that the broker is told each before it meets it alone, and that none
 * outlives its network connection.  The broker's side is played here:
 * `resolved` reads each PUBLISH as a broker would, with its own table.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "session.h"
#include "session_test.h"

/* The broker's table: what each alias of this connection stands for. */
static char broker_alias[8][64];
static uint16_t broker_max;

/* Connects with a CONNACK that allows `max` aliases (none announced
 * when 0), and starts the broker's table afresh. */
static bool
connect_allowing(uint16_t max, bool clean_start, bool present)
{
	struct mqtt_properties props;

	memset(&props, 0, sizeof(props));
	memset(broker_alias, 0, sizeof(broker_alias));
	broker_max = max;
	if (max > 0) {
		props.present = P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM);
		props.topic_alias_maximum = max;
	}
	return connect_with(clean_start, 0, present, &props);
}

/* The next PUBLISH, read as the broker reads it: its topic (from the
 * alias when it is empty) must be `topic`; *alias is the alias it
 * carried (0: none).  Fails on an alias over the maximum or never set. */
static bool
resolved(const char *topic, uint16_t *alias, struct mqtt_packet *p)
{
	struct mqtt_bytes t;
	uint16_t a = 0;

	if (!client_sent_type(p, MQTT_PUBLISH))
		return false;
	t = p->u.publish.topic;
	if (mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS)) {
		a = p->props.topic_alias;
		if (a == 0 || a > broker_max || a > 8 || t.len >= 64)
			return false;
		if (t.len > 0) {
			memcpy(broker_alias[a - 1], t.data, t.len);
			broker_alias[a - 1][t.len] = '\0';
		} else if (broker_alias[a - 1][0] == '\0')
			return false;
		*alias = a;
		return strcmp(broker_alias[a - 1], topic) == 0;
	}
	*alias = 0;
	return bytes_are(t, topic);
}

TEST(the_first_topics_go_by_alias_once_the_broker_knows_them)
{
	struct mqtt_session_config c = config(MQTT_V5);
	const char *topics[] = {"plant/line-3/temperature",
				"plant/line-3/pressure", "plant/line-3/flow"};
	struct mqtt_packet p;
	uint16_t alias;

	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(2, true, false)); /* the broker's 2 bound */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 3; i++)
			CHECK(publish_ok(topics[i], "v", 0, NULL));
	/* Round one: the topic with its new alias, and the third topic
	 * in full, since the broker allows two. */
	CHECK(resolved(topics[0], &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK(p.u.publish.topic.len > 0);
	CHECK(resolved(topics[1], &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK(p.u.publish.topic.len > 0);
	CHECK(resolved(topics[2], &alias, &p));
	CHECK_EQ_INT(alias, 0);
	/* Round two: the alias alone. */
	CHECK(resolved(topics[0], &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	CHECK(resolved(topics[1], &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	CHECK(resolved(topics[2], &alias, &p));
	CHECK_EQ_INT(alias, 0);
	CHECK(nothing_sent());
}

TEST(no_alias_unless_the_broker_and_the_version_allow_one)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p;
	uint16_t alias;

	/* A CONNACK without Topic Alias Maximum allows none. */
	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(0, true, false));
	for (int i = 0; i < 2; i++) {
		CHECK(publish_ok("a/b", "v", 0, NULL));
		CHECK(resolved("a/b", &alias, &p));
		CHECK_EQ_INT(alias, 0);
	}
	/* Nor does our own configuration of none. */
	c.out_topic_aliases = 0;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(8, true, false));
	for (int i = 0; i < 2; i++) {
		CHECK(publish_ok("a/b", "v", 0, NULL));
		CHECK(resolved("a/b", &alias, &p));
		CHECK_EQ_INT(alias, 0);
	}
	/* 3.1.1 has no aliases. */
	c = config(MQTT_V311);
	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK(publish_ok("a/b", "v", 1, NULL));
	CHECK(client_sent_type(&p, MQTT_PUBLISH));
	CHECK(bytes_are(p.u.publish.topic, "a/b"));
	CHECK(!mqtt_prop_has(&p.props, MQTT_PROP_TOPIC_ALIAS));
}

TEST(a_resent_message_tells_the_new_connection_its_topic)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p;
	struct mqtt_event ev;
	uint16_t alias, id;

	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(4, false, false));
	CHECK(publish_ok("site/door", "open", 1, NULL));
	CHECK(resolved("site/door", &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK(publish_ok("site/door", "shut", 1, NULL));
	CHECK(resolved("site/door", &alias, &p));
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	id = p.packet_id;
	/* Neither is acknowledged; the connection ends. */
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	/* The new connection's broker knows no alias: both go again with
	 * DUP, the first with the topic in full and its alias anew. */
	CHECK(connect_allowing(4, false, true));
	CHECK(resolved("site/door", &alias, &p));
	CHECK(p.u.publish.dup);
	CHECK_EQ_INT(alias, 1);
	CHECK(bytes_are(p.u.publish.topic, "site/door"));
	CHECK(bytes_are(p.u.publish.payload, "open"));
	CHECK(resolved("site/door", &alias, &p));
	CHECK(p.u.publish.dup);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	CHECK_EQ_INT(p.packet_id, id);
	CHECK(bytes_are(p.u.publish.payload, "shut"));
	/* A connection whose broker allows none sends the topic again. */
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	CHECK(connect_allowing(0, false, true));
	CHECK(resolved("site/door", &alias, &p));
	CHECK_EQ_INT(alias, 0);
	CHECK(resolved("site/door", &alias, &p));
	CHECK_EQ_INT(alias, 0);
}

TEST(an_alias_counts_once_its_publish_is_written)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p;
	uint16_t alias;
	int i;

	/* An output that holds three of these publishes and not four. */
	c.output_bytes = 600;
	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(4, true, false));
	for (i = 0; i < 3; i++)
		CHECK_EQ_INT(publish_rc("fill", 150, 0, false), 0);
	/* This one waits for room, and its alias with it. */
	CHECK_EQ_INT(publish_rc("late/topic", 150, 0, false), 0);
	CHECK_EQ_INT(mqtt_session_queued(&s), 1);
	CHECK(publish_ok("late/topic", "again", 0, NULL));
	for (i = 0; i < 3; i++)
		CHECK(resolved("fill", &alias, &p));
	/* Room came as they were read: the first to go tells the broker
	 * the topic. */
	CHECK(resolved("late/topic", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK(p.u.publish.topic.len > 0);
	CHECK(resolved("late/topic", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
}

TEST(an_alias_never_makes_a_message_too_large)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_properties props;
	struct mqtt_packet p;
	uint16_t alias;

	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	memset(&props, 0, sizeof(props));
	memset(broker_alias, 0, sizeof(broker_alias));
	props.present =
	    P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) | P(MQTT_PROP_MAXIMUM_PACKET_SIZE);
	props.topic_alias_maximum = broker_max = 4;
	props.maximum_packet_size = 64;
	CHECK(connect_with(true, 0, false, &props));
	/* 64 bytes exactly without an alias; its 3 bytes would pass the
	 * broker's maximum, so it goes without, and takes none. */
	CHECK_EQ_INT(publish_rc("a", 58, 0, false), 0);
	CHECK(resolved("a", &alias, &p));
	CHECK_EQ_INT(alias, 0);
	CHECK(publish_ok("a", "small", 0, NULL));
	CHECK(resolved("a", &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK(p.u.publish.topic.len > 0);
	/* A one-byte topic saves less than the alias costs. */
	CHECK_EQ_INT(publish_rc("a", 58, 0, false), 0);
	CHECK(resolved("a", &alias, &p));
	CHECK_EQ_INT(alias, 0);
	CHECK(nothing_sent());
}

TEST(a_topic_longer_than_a_slot_goes_in_full)
{
	struct mqtt_session_config c = config(MQTT_V5);
	char longer[40];
	struct mqtt_packet p;
	uint16_t alias;

	c.out_topic_aliases = 4; /* slots of alias_topic_bytes, 32 */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK(setup_with(&c));
	CHECK(connect_allowing(4, true, false));
	for (int i = 0; i < 2; i++) {
		CHECK(publish_ok(longer, "v", 0, NULL));
		CHECK(resolved(longer, &alias, &p));
		CHECK_EQ_INT(alias, 0);
	}
	CHECK(publish_ok("short", "v", 0, NULL));
	CHECK(resolved("short", &alias, &p));
	CHECK_EQ_INT(alias, 1);
}

TEST(the_lesser_maximum_holds_and_a_caller_cannot_pick_an_alias)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_properties props;
	struct mqtt_publish m;
	struct mqtt_packet p;
	uint32_t token;
	uint16_t alias;

	/* A broker that allows a thousand gets our two. */
	c.out_topic_aliases = 2;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(1000, true, false));
	CHECK(publish_ok("one", "v", 0, NULL));
	CHECK(publish_ok("two", "v", 0, NULL));
	CHECK(publish_ok("three", "v", 0, NULL));
	CHECK(resolved("one", &alias, &p));
	CHECK(resolved("two", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK(resolved("three", &alias, &p));
	CHECK_EQ_INT(alias, 0);
	/* Aliases are the session's to give: one the caller names, which
	 * the broker could take for another topic, is refused. */
	memset(&m, 0, sizeof(m));
	m.topic = BYTES("one");
	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_TOPIC_ALIAS);
	props.topic_alias = 2;
	CHECK_EQ_INT(mqtt_session_publish(&s, &m, &props, &token), -EINVAL);
	CHECK(nothing_sent());
	CHECK(healthy());
}

TEST(topics_published_in_rounds_keep_the_first_aliases)
{
	struct mqtt_session_config c = config(MQTT_V5);
	const char *topics[] = {"dev/1", "dev/2", "dev/3"};
	struct mqtt_packet p;
	uint16_t alias;

	/* Three topics over two aliases, round after round: an alias that
	 * went to the topic not published for longest would be given away
	 * before its own topic came again, every time. */
	c.out_topic_aliases = 2;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(2, true, false));
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 3; i++) {
			CHECK(publish_ok(topics[i], "v", 0, NULL));
			CHECK(resolved(topics[i], &alias, &p));
			CHECK_EQ_INT(alias, i < 2 ? i + 1 : 0);
			if (round > 0 && i < 2)
				CHECK_EQ_INT(p.u.publish.topic.len, 0);
		}
	CHECK(nothing_sent());
}

TEST(an_alias_left_idle_goes_to_a_new_topic)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p;
	uint16_t alias;
	int i;

	c.out_topic_aliases = 2;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(2, true, false));
	CHECK(publish_ok("old/a", "v", 0, NULL));
	CHECK(resolved("old/a", &alias, &p));
	CHECK(publish_ok("old/b", "v", 0, NULL));
	CHECK(resolved("old/b", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	/* "old/a" went out as the first of 2 publishes: its alias is free
	 * once MQTT_SESSION_OUT_ALIAS_IDLE_ROUNDS x 2 = 8 have gone out
	 * since, so "new" goes in full 6 times, then takes alias 1. */
	for (i = 0; i < 6; i++) {
		CHECK(publish_ok("new", "v", 0, NULL));
		CHECK(resolved("new", &alias, &p));
		CHECK_EQ_INT(alias, 0);
	}
	CHECK(publish_ok("new", "v", 0, NULL));
	CHECK(resolved("new", &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK(bytes_are(p.u.publish.topic, "new"));
	CHECK(publish_ok("new", "v", 0, NULL));
	CHECK(resolved("new", &alias, &p));
	CHECK_EQ_INT(alias, 1);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	/* "old/a" has lost its alias, and takes the one "old/b" left idle:
	 * told in full, then by alias. */
	CHECK(publish_ok("old/a", "v", 0, NULL));
	CHECK(resolved("old/a", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK(bytes_are(p.u.publish.topic, "old/a"));
	CHECK(publish_ok("old/a", "v", 0, NULL));
	CHECK(resolved("old/a", &alias, &p));
	CHECK_EQ_INT(alias, 2);
	CHECK_EQ_INT(p.u.publish.topic.len, 0);
	CHECK(healthy());
}

TEST(the_broker_reads_every_topic_right_as_aliases_change_hands)
{
	struct mqtt_session_config c = config(MQTT_V5);
	static const char *const topics[] = {"t/0", "t/1", "t/2",  "t/3",
					     "t/4", "t/5", "t/6",  "t/7",
					     "t/8", "t/9", "t/10", "t/11"};
	struct mqtt_packet p;
	uint16_t alias;
	uint32_t x = 2463534242u;
	int by_alias = 0, retold = 0;

	/* Working sets that move: each stretch of 60 publishes picks from 3
	 * topics of 12, so aliases fall idle and change hands; a broker
	 * that keeps its own table must read each topic right. */
	c.out_topic_aliases = 4;
	CHECK(setup_with(&c));
	CHECK(connect_allowing(4, true, false));
	for (int n = 0; n < 1200; n++) {
		const char *t;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		t = topics[(n / 60 * 3 + x % 3) % 12];
		CHECK(publish_ok(t, "v", 0, NULL));
		CHECK(resolved(t, &alias, &p));
		by_alias += alias != 0 && p.u.publish.topic.len == 0;
		retold += alias != 0 && p.u.publish.topic.len > 0;
		CHECK(healthy());
	}
	/* Most went by alias alone, and aliases were told again and
	 * again as the topics moved. */
	CHECK(by_alias > 1000);
	CHECK(retold > 20);
	CHECK(nothing_sent());
}

int
main(void)
{
	RUN(the_first_topics_go_by_alias_once_the_broker_knows_them);
	RUN(no_alias_unless_the_broker_and_the_version_allow_one);
	RUN(a_resent_message_tells_the_new_connection_its_topic);
	RUN(an_alias_counts_once_its_publish_is_written);
	RUN(an_alias_never_makes_a_message_too_large);
	RUN(a_topic_longer_than_a_slot_goes_in_full);
	RUN(the_lesser_maximum_holds_and_a_caller_cannot_pick_an_alias);
	RUN(topics_published_in_rounds_keep_the_first_aliases);
	RUN(an_alias_left_idle_goes_to_a_new_topic);
	RUN(the_broker_reads_every_topic_right_as_aliases_change_hands);
	HARNESS_EXIT();
}
