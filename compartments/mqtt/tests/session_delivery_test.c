/*
 * The MQTT session's messages both ways at each QoS, and what a resumed
 * or lost session does with those still under way.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "session.h"
#include "session_test.h"

/* ---- QoS both ways ---- */

TEST(qos0_both_ways)
{
	struct mqtt_packet p, in = publish("t/0", "hello", 0, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/0", "out", 0, NULL));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/0", 0, false));
	CHECK(bytes_are(p.u.publish.payload, "out"));
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	in.u.publish.retain = true;
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.topic, "t/0"));
	CHECK(bytes_are(ev.message.payload, "hello"));
	CHECK(ev.message.retain && ev.message.qos == 0);
	CHECK(no_event());
	CHECK(nothing_sent());
}

TEST(qos1_both_ways)
{
	struct mqtt_packet p, ack;
	struct mqtt_packet in = publish("t/1", "in", 1, 7);
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/1", "out", 1, &token));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/1", 1, false));
	CHECK(p.packet_id != 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
	ack = packet(MQTT_PUBACK, p.packet_id);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 0);
	/* Inbound: delivered, then acknowledged. */
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK_EQ_INT(ev.message.qos, 1);
	CHECK(client_sent_type(&p, MQTT_PUBACK));
	CHECK_EQ_INT(p.packet_id, 7);
	/* A refusal in PUBACK is the publish's error. */
	CHECK(publish_ok("t/1", "denied", 1, &token));
	CHECK(client_sent(&p));
	ack = packet(MQTT_PUBACK, p.packet_id);
	ack.reason_code = MQTT_RC_NOT_AUTHORIZED;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_NOT_AUTHORIZED);
}

TEST(qos2_outbound_pubrec_pubrel_pubcomp)
{
	struct mqtt_packet p, rec, comp;
	struct mqtt_event ev;
	uint32_t token;
	uint16_t id;

	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK(publish_ok("t/2", "once", 2, &token));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "t/2", 2, false));
	id = p.packet_id;
	CHECK(nothing_sent());
	rec = packet(MQTT_PUBREC, id);
	CHECK(broker_sends(&rec));
	/* No event yet: the message completes with PUBCOMP. */
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, id);
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_inflight(&s), 1);
	comp = packet(MQTT_PUBCOMP, id);
	CHECK(broker_sends(&comp));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, token);
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(mqtt_session_inflight(&s), 0);
	/* PUBCOMP out of turn, or a second PUBREC, is a violation. */
	CHECK(publish_ok("t/2", "again", 2, &token));
	CHECK(client_sent(&p));
	comp = packet(MQTT_PUBCOMP, p.packet_id);
	CHECK(broker_sends(&comp));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNKNOWN_PACKET_ID);
	/* The message itself is still held, to go again. */
	CHECK_EQ_INT(mqtt_session_queued(&s), 1);
}

TEST(qos2_refused_by_pubrec)
{
	struct mqtt_packet p, rec;
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("t/2", "x", 2, &token));
	CHECK(client_sent(&p));
	rec = packet(MQTT_PUBREC, p.packet_id);
	rec.reason_code = MQTT_RC_QUOTA_EXCEEDED;
	CHECK(broker_sends(&rec));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.error, -EDQUOT);
	CHECK(nothing_sent()); /* no PUBREL after a refusal */
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
}

TEST(qos2_inbound_delivered_once)
{
	struct mqtt_packet p, in = publish("t/2", "once", 2, 9);
	struct mqtt_packet rel = packet(MQTT_PUBREL, 9);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.payload, "once"));
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK_EQ_INT(p.packet_id, 9);
	/* The broker sends it again (its PUBREC was lost, say). */
	in.u.publish.dup = true;
	CHECK(broker_sends(&in));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK_EQ_INT(p.packet_id, 9);
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
	CHECK_EQ_INT(p.packet_id, 9);
	/* After PUBREL the identifier is free for a new message. */
	in = publish("t/2", "next", 2, 9);
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	CHECK(bytes_are(ev.message.payload, "next"));
	/* A PUBREL for nothing is answered all the same. */
	rel = packet(MQTT_PUBREL, 300);
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
	CHECK_EQ_INT(p.packet_id, 300);
}

TEST(qos2_inbound_beyond_receive_maximum_closes)
{
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5)); /* inbound_qos2 = 4 */
	CHECK(connect_plain());
	for (uint16_t id = 1; id <= 4; id++) {
		struct mqtt_packet in = publish("q", "x", 2, id);

		CHECK(broker_sends(&in));
		CHECK(event(&ev, MQTT_EVENT_MESSAGE));
		CHECK(client_sent_type(&p, MQTT_PUBREC));
	}
	struct mqtt_packet fifth = publish("q", "x", 2, 5);
	CHECK(broker_sends(&fifth));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_RECEIVE_MAXIMUM);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED);
}

/* ---- resumption ---- */

/* Publishes A (QoS 1), B and C (QoS 2); the broker acknowledges B's
 * PUBLISH only; then the connection drops. */
static bool
three_in_flight(uint16_t ids[3], uint32_t tokens[3])
{
	struct mqtt_packet p, rec;
	struct mqtt_event ev;

	if (!publish_ok("a", "A", 1, &tokens[0]) ||
	    !publish_ok("b", "B", 2, &tokens[1]) ||
	    !publish_ok("c", "C", 2, &tokens[2]))
		return false;
	for (int i = 0; i < 3; i++) {
		if (!client_sent(&p) || p.type != MQTT_PUBLISH)
			return false;
		ids[i] = p.packet_id;
	}
	rec = packet(MQTT_PUBREC, ids[1]);
	if (!broker_sends(&rec) || !no_event() ||
	    !client_sent_type(&p, MQTT_PUBREL) || p.packet_id != ids[1])
		return false;
	mqtt_session_transport_closed(&s);
	return event(&ev, MQTT_EVENT_CLOSED) &&
	       ev.fault == MQTT_FAULT_TRANSPORT_CLOSED &&
	       ev.error == -ECONNRESET && mqtt_session_queued(&s) == 3;
}

TEST(resume_resends_with_dup_and_pubrel)
{
	uint16_t ids[3];
	uint32_t tokens[3];
	struct mqtt_packet p, ack;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(three_in_flight(ids, tokens));
	wire_len = wire_held = 0; /* that transport is gone */
	CHECK(connect_with(false, 0, true, NULL));
	/* A and C again, with DUP and their identifiers; B's PUBREL
	 * again; B itself never again. */
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "a", 1, true) && p.packet_id == ids[0]);
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "c", 2, true) && p.packet_id == ids[2]);
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, ids[1]);
	CHECK(nothing_sent());
	ack = packet(MQTT_PUBACK, ids[0]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[0]);
	ack = packet(MQTT_PUBCOMP, ids[1]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[1]);
	ack = packet(MQTT_PUBREC, ids[2]);
	CHECK(broker_sends(&ack));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREL) && p.packet_id == ids[2]);
	ack = packet(MQTT_PUBCOMP, ids[2]);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == tokens[2]);
	CHECK_EQ_INT(mqtt_session_queued(&s), 0);
	CHECK(no_event());
}

TEST(resume_keeps_inbound_qos2_state)
{
	struct mqtt_packet p, in = publish("t", "x", 2, 40);
	struct mqtt_packet rel = packet(MQTT_PUBREL, 40);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V311));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(broker_sends(&in));
	CHECK(event(&ev, MQTT_EVENT_MESSAGE));
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	/* The broker never saw our PUBREC, so it sends the PUBLISH again
	 * with DUP: it must not be delivered twice. */
	CHECK(connect_with(false, 0, true, NULL));
	in.u.publish.dup = true;
	CHECK(broker_sends(&in));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBREC));
	CHECK(broker_sends(&rel));
	CHECK(no_event());
	CHECK(client_sent_type(&p, MQTT_PUBCOMP));
}

/* A durable session taking over a lost one's messages before its first
 * connection: QoS 1 and 2 go again with DUP and their identifiers, a
 * released QoS 2 only as its PUBREL; each completes with its token. */
TEST(durable_restore_before_the_first_connection)
{
	struct mqtt_session_config c = config(MQTT_V5);
	struct mqtt_publish one = {BYTES("d/1"), BYTES("one"), 1, false, false};
	struct mqtt_publish two = {BYTES("d/2"), BYTES("two"), 2, false, false};
	struct mqtt_packet p, ack;
	struct mqtt_event ev;
	uint32_t t1, t2, t3;

	c.durable = true;
	CHECK(setup_with(&c));
	CHECK_EQ_INT(mqtt_session_restore(&s, &one, 5, false, &t1), 0);
	CHECK_EQ_INT(mqtt_session_restore(&s, &two, 6, false, &t2), 0);
	CHECK_EQ_INT(mqtt_session_restore(&s, &two, 7, true, &t3), 0);
	CHECK(connect_with(false, 0, true, NULL));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "d/1", 1, true));
	CHECK_EQ_INT(p.packet_id, 5);
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "d/2", 2, true));
	CHECK_EQ_INT(p.packet_id, 6);
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, 7);
	CHECK(nothing_sent());
	ack = packet(MQTT_PUBACK, 5);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == t1 &&
	      ev.error == 0);
	ack = packet(MQTT_PUBCOMP, 7);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == t3 &&
	      ev.error == 0);
	ack = packet(MQTT_PUBREC, 6);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_RECEIVED) && ev.packet_id == 6);
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_release(&s, 6), 0);
	CHECK(client_sent_type(&p, MQTT_PUBREL));
	CHECK_EQ_INT(p.packet_id, 6);
	ack = packet(MQTT_PUBCOMP, 6);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED) && ev.token == t2 &&
	      ev.error == 0);
	CHECK(no_event());
}

TEST(lost_session_sends_again_as_new_and_restores_subscriptions)
{
	uint16_t ids[3];
	uint32_t tokens[3], token;
	struct mqtt_subscription sub = {BYTES("sensors/#"), 1};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_subscription got;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(false, 0, false, NULL));
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &sub, 1, 12, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x01");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED) && ev.token == token);
	CHECK(three_in_flight(ids, tokens));
	wire_len = wire_held = 0;
	/* The broker kept nothing. */
	CHECK(connect_with(false, 0, false, NULL));
	/* B had been taken by the broker (PUBREC): it is done. */
	CHECK(event(&ev, MQTT_EVENT_PUBLISHED));
	CHECK_EQ_INT(ev.token, tokens[1]);
	CHECK_EQ_INT(ev.error, 0);
	/* The subscription comes back with its identifier; A and C go
	 * again as new messages, without DUP. */
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	CHECK_EQ_INT(p.u.filters.count, 1);
	CHECK_EQ_INT(p.props.subscription_id, 12);
	ack.packet_id = p.packet_id;
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "a", 1, false));
	CHECK(client_sent(&p));
	CHECK(is_publish(&p, "c", 2, false));
	CHECK(nothing_sent());
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.token, 0);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 1);
	CHECK(bytes_are(got.filter, "sensors/#"));
	/* A refused restoration drops the filter. */
	mqtt_session_transport_closed(&s);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	wire_len = wire_held = 0;
	CHECK(connect_with(false, 0, false, NULL));
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x87");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &got), 0);
}

TEST(clean_start_forgets_subscriptions)
{
	struct mqtt_subscription sub = {BYTES("a"), 0};
	struct mqtt_packet p, ack = packet(MQTT_SUBACK, 0);
	struct mqtt_event ev;
	uint32_t token;

	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_subscribe(&s, &sub, 1, 0, &token), 0);
	CHECK(client_sent_type(&p, MQTT_SUBSCRIBE));
	ack.packet_id = p.packet_id;
	ack.u.codes = BYTES("\x00");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_SUBSCRIBED));
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0), 0);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, 0);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK(connect_plain());
	CHECK(nothing_sent());
	CHECK_EQ_INT(mqtt_session_subscription(&s, 0, &sub), 0);
}

int
main(void)
{
	RUN(qos0_both_ways);
	RUN(qos1_both_ways);
	RUN(qos2_outbound_pubrec_pubrel_pubcomp);
	RUN(qos2_refused_by_pubrec);
	RUN(qos2_inbound_delivered_once);
	RUN(qos2_inbound_beyond_receive_maximum_closes);
	RUN(resume_resends_with_dup_and_pubrel);
	RUN(resume_keeps_inbound_qos2_state);
	RUN(lost_session_sends_again_as_new_and_restores_subscriptions);
	RUN(durable_restore_before_the_first_connection);
	RUN(clean_start_forgets_subscriptions);
	HARNESS_EXIT();
}
