/*
 * The MQTT session's bounds and the tables behind them: flow control,
 * queue and packet-size limits, topic aliases, subscriptions and the
 * configuration itself.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "session.h"
#include "session_test.h"

/* ---- flow control and bounds ---- */

TEST(receive_maximum_bounds_inflight)
{
	struct mqtt_properties props;
	struct mqtt_packet p, ack;
	struct mqtt_event ev;
	uint16_t ids[5];

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_RECEIVE_MAXIMUM);
	props.receive_maximum = 2;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	for (int i = 0; i < 5; i++)
		CHECK(publish_ok("flow", "x", (uint8_t)(1 + i % 2), NULL));
	/* Two go out; QoS 0 behind them waits its turn too. */
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[0] = p.packet_id;
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[1] = p.packet_id;
	CHECK(nothing_sent());
	CHECK(publish_ok("flow", "q0", 0, NULL));
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 2);
	CHECK_EQ_INT(mqtt_session_queued(&s), 6);
	/* Each acknowledgement lets one more out. */
	ack = packet(MQTT_PUBACK, ids[0]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	ids[2] = p.packet_id;
	CHECK(nothing_sent());
	/* A PUBREC does not free a place: PUBCOMP does. */
	ack = packet(MQTT_PUBREC, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK(nothing_sent());
	ack = packet(MQTT_PUBCOMP, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 2);
}

TEST(our_own_inflight_bound)
{
	struct mqtt_session_config c = config(MQTT_V311);

	c.max_inflight = 1;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK(publish_ok("a", "1", 1, NULL));
	CHECK(publish_ok("a", "2", 1, NULL));
	struct mqtt_packet p;
	CHECK(client_sent(&p) && p.type == MQTT_PUBLISH);
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
}

TEST(queue_bound_fails_instead_of_growing)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_packet p, ack;
	struct mqtt_event ev;

	c.queue_messages = 3;
	c.max_inflight = 3;
	c.queue_bytes = 300;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), 0);
	/* By count. */
	CHECK_EQ_INT(publish_rc("q", 10, 1, false), -ENOBUFS);
	CHECK_EQ_INT(publish_rc("q", 10, 0, false), -ENOBUFS);
	CHECK_EQ_INT(mqtt_session_queued(&s), 3);
	CHECK(client_sent(&p));
	ack = packet(MQTT_PUBACK, p.packet_id);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	/* By bytes: 2 x 17 held, 266 left. */
	CHECK_EQ_INT(publish_rc("q", 270, 1, false), -ENOBUFS);
	CHECK_EQ_INT(publish_rc("q", 240, 1, false), 0);
	CHECK_EQ_INT(mqtt_session_queued(&s), 3);
}

TEST(maximum_packet_size_both_ways)
{
	struct mqtt_properties props;
	struct mqtt_packet p;
	struct mqtt_event ev;
	uint8_t big[5000];

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_MAXIMUM_PACKET_SIZE);
	props.maximum_packet_size = 64;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	/* 2 + 3 + 1 + 58 = 64 passes; one more byte does not. */
	CHECK_EQ_INT(publish_rc("a", 58, 0, false), 0);
	CHECK_EQ_INT(publish_rc("a", 59, 0, false), -EMSGSIZE);
	CHECK(client_sent(&p));
	CHECK(nothing_sent());
	/* Our own output buffer bounds it too. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(publish_rc("a", 4500, 0, false), -EMSGSIZE);
	/* Inbound: past input_bytes closes with "packet too large", as
	 * soon as the length is known. */
	memset(big, 0, sizeof(big));
	big[0] = 0x30;
	big[1] = 0x80 | (5000 & 0x7f);
	big[2] = 5000 >> 7;
	CHECK_EQ_INT(mqtt_session_input(&s, now, big, 3), 3);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOO_LARGE);
	CHECK_EQ_INT(ev.error, -EMSGSIZE);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_PACKET_TOO_LARGE);
}

TEST(what_the_broker_does_not_offer)
{
	struct mqtt_properties props;
	struct mqtt_subscription wild = {BYTES("a/+"), 0};
	struct mqtt_subscription shared = {BYTES("$share/g/a"), 0};
	struct mqtt_subscription plain = {BYTES("a/b"), 0};
	uint32_t token;

	memset(&props, 0, sizeof(props));
	props.present =
	    P(MQTT_PROP_MAXIMUM_QOS) | P(MQTT_PROP_RETAIN_AVAILABLE) |
	    P(MQTT_PROP_WILDCARD_AVAILABLE) | P(MQTT_PROP_SHARED_AVAILABLE) |
	    P(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE);
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 0, false, &props));
	CHECK_EQ_INT(publish_rc("a", 1, 1, false), -EOPNOTSUPP);
	CHECK_EQ_INT(publish_rc("a", 1, 0, true), -EOPNOTSUPP);
	CHECK_EQ_INT(publish_rc("a", 1, 0, false), 0);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &wild, 1, 0, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &shared, 1, 0, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &plain, 1, 5, &token),
		     -EOPNOTSUPP);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &plain, 1, 0, &token), 0);
	CHECK_EQ_INT(publish_rc("a/+", 1, 0, false), -EINVAL);
	CHECK_EQ_INT(publish_rc("a", 1, 3, false), -EINVAL);
}

TEST(acks_wait_for_output_space_without_growing)
{
	struct mqtt_session_config c = config(MQTT_V311);
	struct mqtt_event ev;
	struct mqtt_packet p;
	const uint8_t *out;
	int delivered = 0;

	c.output_bytes = 128;
	c.ack_queue = 2;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	/* Fill the output (122 of the 124 bytes the DISCONNECT reserve
	 * leaves) and let the transport take nothing. */
	CHECK_EQ_INT(publish_rc("fill", 114, 0, false), 0);
	CHECK_EQ_INT(mqtt_session_output(&s, &out), 122);
	for (uint16_t id = 1; id <= 4; id++) {
		struct mqtt_packet in = publish("t", "x", 1, id);

		CHECK(broker_sends(&in));
	}
	/* Two are delivered; their PUBACKs wait; the rest wait for them. */
	while (mqtt_session_poll(&s, &ev) == 1)
		delivered++;
	CHECK_EQ_INT(delivered, 2);
	CHECK(healthy());
	/* The transport takes the output: the rest follow, in order. */
	CHECK(client_sent_type(&p, MQTT_PUBLISH));
	while (mqtt_session_poll(&s, &ev) == 1)
		delivered++;
	CHECK_EQ_INT(delivered, 4);
	for (uint16_t id = 1; id <= 4; id++) {
		CHECK(client_sent_type(&p, MQTT_PUBACK));
		CHECK_EQ_INT(p.packet_id, id);
	}
}

/* ---- topic aliases ---- */

TEST(topic_aliases_from_the_broker)
{
	struct mqtt_packet p, in = publish("home/kitchen/temp", "21", 0, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5)); /* 4 aliases of up to 32 bytes */
	CHECK(connect_plain());
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/kitchen/temp"));
	in = publish("", "22", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends_chunked(&in, 1));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/kitchen/temp"));
	CHECK(bytes_are(ev.message.payload, "22"));
	/* The alias can be set again. */
	in = publish("home/hall", "19", 1, 3);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	in = publish("", "18", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "home/hall"));
	/* An alias never set. */
	in.props.topic_alias = 3;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
	CHECK(client_sent_type(&p, MQTT_PUBACK));
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_TOPIC_ALIAS_INVALID);
	/* Aliases belong to one connection. */
	wire_len = wire_held = 0;
	CHECK(connect_plain());
	in.props.topic_alias = 2;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
	/* Above our maximum. */
	CHECK(connect_plain());
	in = publish("x", "y", 0, 0);
	in.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	in.props.topic_alias = 5;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_TOPIC_ALIAS);
}

/* ---- subscriptions ---- */

TEST(subscribe_and_unsubscribe)
{
	const struct mqtt_subscription subs[] = {{BYTES("a/#"), 1},
						 {BYTES("b/+"), 2}};
	const struct mqtt_bytes gone[] = {BYTES("a/#")};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_subscription got;
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, subs, 2, 0, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	CHECK_EQ_INT(p.u.filters.count, 2);
	/* The wrong number of codes breaks the protocol... */
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SUBACK_COUNT);
	/* ...and the request goes again on the next connection. */
	wire_len = wire_held = 0;
	CHECK(connect_with(false, 0, true, NULL));
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01\x80");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, -EIO);
	CHECK(ev.reason_codes.len == 2 && ev.reason_codes.data[0] == 1);
	/* Only the granted filter is kept. */
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 1);
	CHECK(bytes_are(got.filter, "a/#"));
	CHECK_EQ_INT(mqtt_session_subscription(&s, 1, &got), 0);
	CHECK_EQ_INT(mqtt_session_unsubscribe(&s, gone, 1, &token), 0);
	CHECK(client_sent_type(&p, MQTT_UNSUBSCRIBE));
	ack = packet(MQTT_UNSUBACK, p.packet_id);
	ack.u.codes = BYTES("\x00");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_UNSUBSCRIBED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 0);
}

TEST(subscription_table_is_bounded)
{
	struct mqtt_session_config c = config(MQTT_V311);
	const struct mqtt_subscription three[] = {
	    {BYTES("a"), 0}, {BYTES("b"), 0}, {BYTES("c"), 0}};
	const struct mqtt_subscription bad = {BYTES("a/#/b"), 0};
	uint32_t token;

	c.subscriptions = 4;
	CHECK(setup_with(&c));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &bad, 1, 0, &token), -EINVAL);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 3, 0, &token), 0);
	/* Three are reserved until the SUBACK: two more do not fit. */
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 2, 0, &token), -ENOBUFS);
	CHECK_EQ_INT(mqtt_session_subscribe(&s, three, 1, 0, &token), 0);
}

TEST(config_bounds)
{
	struct mqtt_session_config c = config(MQTT_V5);
	static uint8_t small[64];

	CHECK(mqtt_session_memory_size(&c) > 0);
	CHECK_EQ_INT(mqtt_session_init(&s, &c, small, sizeof(small)), -ENOMEM);
	c.max_inflight = 0;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	CHECK_EQ_INT(mqtt_session_init(&s, &c, memory, sizeof(memory)),
		     -EINVAL);
	c = config(MQTT_V5);
	c.input_bytes = MQTT_SESSION_MIN_BUFFER - 1;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	c = config(MQTT_V5);
	c.version = 3;
	CHECK_EQ_INT(mqtt_session_memory_size(&c), 0);
	/* Memory at an odd address is aligned inside what it gives. */
	c = config(MQTT_V5);
	CHECK_EQ_INT(
	    mqtt_session_init(&s, &c, memory + 1, mqtt_session_memory_size(&c)),
	    0);
	CHECK(healthy());
}

int
main(void)
{
	RUN(receive_maximum_bounds_inflight);
	RUN(our_own_inflight_bound);
	RUN(queue_bound_fails_instead_of_growing);
	RUN(maximum_packet_size_both_ways);
	RUN(what_the_broker_does_not_offer);
	RUN(acks_wait_for_output_space_without_growing);
	RUN(topic_aliases_from_the_broker);
	RUN(subscribe_and_unsubscribe);
	RUN(subscription_table_is_bounded);
	RUN(config_bounds);
	HARNESS_EXIT();
}
