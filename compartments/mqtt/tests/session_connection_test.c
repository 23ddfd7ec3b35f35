/*
 * The MQTT session's connection: CONNECT and CONNACK, keep-alive, and a
 * broker that breaks the rules or ends the connection.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "session.h"
#include "session_test.h"

/* ---- connecting ---- */

TEST(connect_announces_our_bounds)
{
	struct mqtt_connect_options o = options(true, 30);
	struct mqtt_packet p;

	CHECK(setup(MQTT_V5));
	o.props.present =
	    P(MQTT_PROP_SESSION_EXPIRY) | P(MQTT_PROP_RECEIVE_MAXIMUM);
	o.props.session_expiry = 300;
	o.props.receive_maximum = 60000; /* ours come from the config */
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_CONNECTING);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(bytes_are(p.u.connect.client_id, "sealnet-test"));
	CHECK(p.u.connect.clean_start);
	CHECK_EQ_INT(p.u.connect.keep_alive, 30);
	CHECK_EQ_INT(p.props.session_expiry, 300);
	CHECK_EQ_INT(p.props.receive_maximum, 4);
	CHECK_EQ_INT(p.props.maximum_packet_size, 4096);
	CHECK_EQ_INT(p.props.topic_alias_maximum, 4);
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), -EISCONN);
	/* Nothing may be published before CONNACK. */
	CHECK_EQ_INT(publish_rc("a", 1, 0, false), -ENOTCONN);
	/* Enhanced authentication is not offered. */
	CHECK(setup(MQTT_V5));
	o.props.present |= P(MQTT_PROP_AUTH_METHOD);
	o.props.auth_method = BYTES("SCRAM-SHA-1");
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), -EOPNOTSUPP);
}

TEST(connect_v311)
{
	struct mqtt_connect_options o = options(false, 60);
	struct mqtt_packet p, ack = packet(MQTT_CONNACK, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V311));
	o.packet.will = true;
	o.packet.will_topic = BYTES("status/test");
	o.packet.will_payload = BYTES("offline");
	o.packet.will_retain = true;
	o.packet.has_username = o.packet.has_password = true;
	o.packet.username = BYTES("user");
	o.packet.password = BYTES("secret");
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(!p.u.connect.clean_start && p.u.connect.will &&
	      p.u.connect.will_retain);
	CHECK(bytes_are(p.u.connect.will_topic, "status/test"));
	CHECK(bytes_are(p.u.connect.password, "secret"));
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CONNECTED));
	CHECK(!ev.session_present);
}

TEST(connack_refusals_are_reported)
{
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_packet p, ack = packet(MQTT_CONNACK, 0);
	struct mqtt_event ev;

	/* 3.1.1 "not authorized". */
	CHECK(setup(MQTT_V311));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	ack.reason_code = MQTT_V311_NOT_AUTHORIZED;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EPERM);
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_CONNECT_REFUSED);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_IDLE);
	/* 5.0 bad user name or password, with a reason string. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	ack.reason_code = MQTT_RC_BAD_USERNAME_OR_PASSWORD;
	ack.props.present = P(MQTT_PROP_REASON_STRING);
	ack.props.reason_string = BYTES("who are you");
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EACCES);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_BAD_USERNAME_OR_PASSWORD);
	CHECK(bytes_are(ev.props.reason_string, "who are you"));
	/* A 3.1.1-only broker refusing level 5. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(broker_sends_bytes((const uint8_t *)"\x20\x02\x00\x01", 4));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EPROTONOSUPPORT);
	/* A session present after Clean Start breaks the protocol. */
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	memset(&ack, 0, sizeof(ack));
	ack.type = MQTT_CONNACK;
	ack.session_present = true;
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SESSION_PRESENT_CLEAN);
}

TEST(connack_timeout)
{
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	o.connect_timeout_ms = 5000;
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), now + 5000);
	CHECK_EQ_INT(mqtt_session_tick(&s, now + 4999), now + 5000);
	CHECK(no_event());
	mqtt_session_tick(&s, now + 5000);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_CONNECT_TIMEOUT);
	CHECK_EQ_INT(ev.error, -ETIMEDOUT);
}

/* ---- keep-alive ---- */

TEST(keep_alive_ping_and_silent_broker)
{
	struct mqtt_packet p, pong = packet(MQTT_PINGRESP, 0);
	struct mqtt_event ev;
	uint64_t start;

	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 10, false, NULL));
	start = now;
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 10000);
	/* Just before the interval nothing is sent. */
	now = start + 9999;
	mqtt_session_tick(&s, now);
	CHECK(nothing_sent());
	now = start + 10000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	CHECK(nothing_sent());
	/* The answer comes 100 ms later. */
	now = start + 10100;
	CHECK(broker_sends(&pong));
	CHECK(no_event());
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 20000);
	/* The next ping, and then silence. */
	now = start + 20000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	/* Silent since 10100: closed at 10100 + 15000, not before. */
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 25100);
	now = start + 25099;
	mqtt_session_tick(&s, now);
	CHECK(no_event());
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_CONNECTED);
	now = start + 25100;
	mqtt_session_tick(&s, now);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_KEEP_ALIVE_TIMEOUT);
	CHECK_EQ_INT(ev.error, -ETIMEDOUT);
}

TEST(keep_alive_pings_a_broker_that_only_listens)
{
	struct mqtt_packet p;
	struct mqtt_event ev;
	uint64_t start;

	CHECK(setup(MQTT_V311));
	CHECK(connect_with(true, 10, false, NULL));
	start = now;
	/* QoS 0 every 3 s: we keep sending, the broker says nothing. */
	for (int i = 1; i <= 3; i++) {
		now = start + 3000u * (uint64_t)i;
		mqtt_session_tick(&s, now);
		CHECK(publish_ok("t", "x", 0, NULL));
		CHECK(client_sent_type(&p, MQTT_PUBLISH));
	}
	/* Ten seconds without a byte from it: ask. */
	now = start + 10000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
	now = start + 14999;
	mqtt_session_tick(&s, now);
	CHECK(no_event());
	now = start + 15000;
	mqtt_session_tick(&s, now);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_KEEP_ALIVE_TIMEOUT);
}

TEST(server_keep_alive_replaces_ours)
{
	struct mqtt_properties props;
	struct mqtt_packet p;
	uint64_t start;

	memset(&props, 0, sizeof(props));
	props.present = P(MQTT_PROP_SERVER_KEEP_ALIVE);
	props.server_keep_alive = 2;
	CHECK(setup(MQTT_V5));
	CHECK(connect_with(true, 60, false, &props));
	start = now;
	CHECK_EQ_INT(mqtt_session_next_deadline(&s), start + 2000);
	now = start + 2000;
	mqtt_session_tick(&s, now);
	CHECK(client_sent_type(&p, MQTT_PINGREQ));
}

/* ---- a broker that breaks the rules ---- */

TEST(garbage_closes_with_a_reason_and_keeps_state)
{
	static const uint8_t garbage[] = {0x00, 0x13, 0x37};
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(publish_ok("keep", "me", 1, NULL));
	CHECK(client_sent(&p));
	CHECK(broker_sends_bytes(garbage, sizeof(garbage)));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_TYPE);
	CHECK_EQ_INT(ev.error, -EPROTO);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_PROTOCOL_ERROR);
	CHECK_EQ_INT(mqtt_session_state(&s), MQTT_SESSION_IDLE);
	CHECK_EQ_INT(mqtt_session_queued(&s), 1);
	CHECK_EQ_INT(mqtt_session_input(&s, now, garbage, 1), -ENOTCONN);
	CHECK(no_event());

	/* A malformed packet: 0x81. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK(broker_sends_bytes((const uint8_t *)"\x40\x01\x00", 3));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, -EBADMSG);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_MALFORMED_PACKET);

	/* Packet identifier 0 on QoS 1. */
	CHECK(setup(MQTT_V311));
	CHECK(connect_plain());
	CHECK(broker_sends_bytes((const uint8_t *)"\x32\x05\x00\x01"
						  "a\x00\x00",
				 7));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_PACKET_ID_ZERO);
	CHECK(nothing_sent()); /* 3.1.1 has no DISCONNECT reason */

	/* A PUBACK for nothing we sent. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet ack = packet(MQTT_PUBACK, 77);
	CHECK(broker_sends(&ack));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNKNOWN_PACKET_ID);

	/* A PUBLISH before CONNACK. */
	struct mqtt_connect_options o = options(true, 0);
	struct mqtt_packet early = publish("t", "x", 0, 0);
	CHECK(setup(MQTT_V5));
	CHECK_EQ_INT(mqtt_session_connect(&s, now, &o), 0);
	CHECK(client_sent_type(&p, MQTT_CONNECT));
	CHECK(broker_sends(&early));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);

	/* A second CONNACK. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet again = packet(MQTT_CONNACK, 0);
	CHECK(broker_sends(&again));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);

	/* AUTH we never asked for. */
	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	struct mqtt_packet auth = packet(MQTT_AUTH, 0);
	auth.reason_code = MQTT_RC_CONTINUE_AUTHENTICATION;
	CHECK(broker_sends(&auth));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_UNEXPECTED_PACKET);
}

TEST(broker_disconnect_is_reported)
{
	struct mqtt_packet bye = packet(MQTT_DISCONNECT, 0);
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	bye.reason_code = MQTT_RC_SERVER_SHUTTING_DOWN;
	bye.props.present = P(MQTT_PROP_REASON_STRING);
	bye.props.reason_string = BYTES("maintenance");
	CHECK(broker_sends(&bye));
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_SERVER_DISCONNECT);
	CHECK_EQ_INT(ev.error, -ESHUTDOWN);
	CHECK_EQ_INT(ev.reason_code, MQTT_RC_SERVER_SHUTTING_DOWN);
	CHECK(bytes_are(ev.props.reason_string, "maintenance"));
	CHECK(nothing_sent());
}

TEST(disconnect_with_will)
{
	struct mqtt_packet p;
	struct mqtt_event ev;

	CHECK(setup(MQTT_V5));
	CHECK(connect_plain());
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0x99), -EINVAL);
	CHECK_EQ_INT(mqtt_session_disconnect(&s, MQTT_RC_DISCONNECT_WITH_WILL),
		     0);
	CHECK(client_sent_type(&p, MQTT_DISCONNECT));
	CHECK_EQ_INT(p.reason_code, MQTT_RC_DISCONNECT_WITH_WILL);
	CHECK(event(&ev, MQTT_EVENT_CLOSED));
	CHECK_EQ_INT(ev.error, 0);
	CHECK_EQ_INT(ev.fault, MQTT_FAULT_LOCAL_DISCONNECT);
	CHECK_EQ_INT(mqtt_session_disconnect(&s, 0), -ENOTCONN);
}

int
main(void)
{
	RUN(connect_announces_our_bounds);
	RUN(connect_v311);
	RUN(connack_refusals_are_reported);
	RUN(connack_timeout);
	RUN(keep_alive_ping_and_silent_broker);
	RUN(keep_alive_pings_a_broker_that_only_listens);
	RUN(server_keep_alive_replaces_ours);
	RUN(garbage_closes_with_a_reason_and_keeps_state);
	RUN(broker_disconnect_is_reported);
	RUN(disconnect_with_will);
	HARNESS_EXIT();
}
