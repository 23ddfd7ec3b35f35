/*
 * The MQTT codec's round trips: every packet type in both versions,
 * encoded by one end and decoded by the other, and partial input that asks
 * for exactly what is missing.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "packet_test.h"

/* ---- round trips ---- */

TEST(roundtrip_connect)
{
	static const enum mqtt_version versions[] = {MQTT_V311, MQTT_V5};

	for (size_t i = 0; i < 2; i++) {
		const struct mqtt_codec *c =
		    versions[i] == MQTT_V5 ? &client5 : &client311;
		struct mqtt_packet p, back;

		spec_connect(&p);
		p.u.connect.will_retain = true;
		p.u.connect.will_qos = 2;
		p.u.connect.clean_start = false;
		p.u.connect.keep_alive = 65535;
		if (c->version == MQTT_V5) {
			p.props.present = P(MQTT_PROP_SESSION_EXPIRY) |
					  P(MQTT_PROP_RECEIVE_MAXIMUM) |
					  P(MQTT_PROP_MAXIMUM_PACKET_SIZE) |
					  P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
					  P(MQTT_PROP_REQUEST_RESPONSE_INFO) |
					  P(MQTT_PROP_REQUEST_PROBLEM_INFO) |
					  P(MQTT_PROP_AUTH_METHOD) |
					  P(MQTT_PROP_AUTH_DATA);
			p.props.session_expiry = 0xffffffff;
			p.props.receive_maximum = 20;
			p.props.maximum_packet_size = 4096;
			p.props.topic_alias_maximum = 8;
			p.props.request_response_info = 1;
			p.props.auth_method = BYTES("SCRAM-SHA-1");
			p.props.auth_data = BYTES("\x00\x01\x02");
			p.props.user = two_users;
			p.props.user_count = 2;
			struct mqtt_properties *w = &p.u.connect.will_props;
			w->present = P(MQTT_PROP_WILL_DELAY) |
				     P(MQTT_PROP_PAYLOAD_FORMAT) |
				     P(MQTT_PROP_MESSAGE_EXPIRY) |
				     P(MQTT_PROP_CONTENT_TYPE) |
				     P(MQTT_PROP_RESPONSE_TOPIC) |
				     P(MQTT_PROP_CORRELATION_DATA);
			w->will_delay = 30;
			w->payload_format = 1;
			w->message_expiry = 3600;
			w->content_type = BYTES("text/plain");
			w->response_topic = BYTES("r/t");
			w->correlation_data = BYTES("\xff\x00");
		}
		CHECK(roundtrip(c, &p, &back) > 0);
		CHECK_EQ_INT(back.type, MQTT_CONNECT);
		CHECK(back.u.connect.will_retain);
		CHECK_EQ_INT(back.u.connect.will_qos, 2);
		CHECK(!back.u.connect.clean_start);
		CHECK_EQ_INT(back.u.connect.keep_alive, 65535);
		CHECK(bytes_eq(back.u.connect.will_topic, BYTES("w")));
		CHECK(bytes_eq(back.u.connect.username, BYTES("u")));
		CHECK(props_eq(&p.props, &back.props));
		CHECK(props_eq(&p.u.connect.will_props,
			       &back.u.connect.will_props));
		CHECK_EQ_INT(back.props.user_count,
			     c->version == MQTT_V5 ? 2 : 0);
	}
	/* 5.0 allows a password without a user name; 3.1.1 does not. */
	struct mqtt_packet p, back;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNECT;
	p.u.connect.has_password = true;
	p.u.connect.password = BYTES("token");
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK(back.u.connect.has_password && !back.u.connect.has_username);
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(roundtrip_connack)
{
	struct mqtt_packet p, back;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNACK;
	p.session_present = true;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	CHECK(back.session_present && back.reason_code == 0);
	p.session_present = false;
	p.reason_code = MQTT_V311_NOT_AUTHORIZED;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	CHECK_EQ_INT(back.reason_code, MQTT_V311_NOT_AUTHORIZED);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_CONNACK;
	p.session_present = true;
	p.props.present =
	    P(MQTT_PROP_SESSION_EXPIRY) | P(MQTT_PROP_ASSIGNED_CLIENT_ID) |
	    P(MQTT_PROP_SERVER_KEEP_ALIVE) | P(MQTT_PROP_RESPONSE_INFO) |
	    P(MQTT_PROP_SERVER_REFERENCE) | P(MQTT_PROP_REASON_STRING) |
	    P(MQTT_PROP_RECEIVE_MAXIMUM) | P(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
	    P(MQTT_PROP_MAXIMUM_QOS) | P(MQTT_PROP_RETAIN_AVAILABLE) |
	    P(MQTT_PROP_MAXIMUM_PACKET_SIZE) | P(MQTT_PROP_WILDCARD_AVAILABLE) |
	    P(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE) |
	    P(MQTT_PROP_SHARED_AVAILABLE) | P(MQTT_PROP_AUTH_METHOD) |
	    P(MQTT_PROP_AUTH_DATA);
	p.props.session_expiry = 60;
	p.props.assigned_client_id = BYTES("auto-1234");
	p.props.server_keep_alive = 30;
	p.props.response_info = BYTES("resp/");
	p.props.server_reference = BYTES("other.example");
	p.props.reason_string = BYTES("welcome");
	p.props.receive_maximum = 10;
	p.props.topic_alias_maximum = 5;
	p.props.maximum_qos = 1;
	p.props.retain_available = 0;
	p.props.maximum_packet_size = 1024;
	p.props.wildcard_available = 1;
	p.props.subscription_ids_available = 0;
	p.props.shared_available = 1;
	p.props.auth_method = BYTES("m");
	p.props.auth_data = BYTES("d");
	p.props.user = two_users;
	p.props.user_count = 2;
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(back.session_present);
	CHECK(props_eq(&p.props, &back.props));
	CHECK_EQ_INT(back.props.maximum_qos, 1);
}

static bool
publish_roundtrip(const struct mqtt_codec *from, uint8_t qos, bool props)
{
	struct mqtt_packet p, back;
	static const uint8_t payload[300] = {1, 2, 3};

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.packet_id = qos ? 0xfffe : 0;
	p.u.publish.qos = qos;
	p.u.publish.retain = qos != 1;
	p.u.publish.dup = qos == 2;
	p.u.publish.topic = BYTES("sensors/room 1/temp");
	p.u.publish.payload.data = payload;
	p.u.publish.payload.len = sizeof(payload);
	if (props) {
		p.props.present =
		    P(MQTT_PROP_PAYLOAD_FORMAT) | P(MQTT_PROP_MESSAGE_EXPIRY) |
		    P(MQTT_PROP_CONTENT_TYPE) | P(MQTT_PROP_RESPONSE_TOPIC) |
		    P(MQTT_PROP_CORRELATION_DATA) | P(MQTT_PROP_TOPIC_ALIAS);
		p.props.payload_format = 0;
		p.props.message_expiry = 7;
		p.props.content_type = BYTES("application/octet-stream");
		p.props.response_topic = BYTES("replies/1");
		p.props.correlation_data = BYTES("\x00\x00\x01");
		p.props.topic_alias = 3;
		p.props.user = two_users;
		p.props.user_count = 2;
		if (from->self == MQTT_SERVER) {
			p.props.present |= P(MQTT_PROP_SUBSCRIPTION_ID);
			p.props.subscription_id = MQTT_MAX_SUBSCRIPTION_ID;
		}
	}
	if (roundtrip(from, &p, &back) <= 0)
		return false;
	return back.u.publish.qos == qos &&
	       back.u.publish.retain == p.u.publish.retain &&
	       back.u.publish.dup == p.u.publish.dup &&
	       back.packet_id == p.packet_id &&
	       bytes_eq(back.u.publish.topic, p.u.publish.topic) &&
	       bytes_eq(back.u.publish.payload, p.u.publish.payload) &&
	       props_eq(&p.props, &back.props);
}

TEST(roundtrip_publish)
{
	for (uint8_t qos = 0; qos <= 2; qos++) {
		CHECK(publish_roundtrip(&client311, qos, false));
		CHECK(publish_roundtrip(&server311, qos, false));
		CHECK(publish_roundtrip(&client5, qos, false));
		CHECK(publish_roundtrip(&client5, qos, true));
		CHECK(publish_roundtrip(&server5, qos, true));
	}
	/* A Topic Alias lets the topic be empty (5.0 only). */
	struct mqtt_packet p, back;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_PUBLISH;
	p.props.present = P(MQTT_PROP_TOPIC_ALIAS);
	p.props.topic_alias = 1;
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.publish.topic.len, 0);
	CHECK_EQ_INT(back.props.topic_alias, 1);
}

TEST(roundtrip_publish_acks)
{
	static const enum mqtt_packet_type types[] = {
	    MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};

	for (size_t i = 0; i < 4; i++) {
		struct mqtt_packet p, back;
		uint8_t failure =
		    types[i] == MQTT_PUBACK || types[i] == MQTT_PUBREC
			? MQTT_RC_QUOTA_EXCEEDED
			: MQTT_RC_PACKET_ID_NOT_FOUND;

		memset(&p, 0, sizeof(p));
		p.type = types[i];
		p.packet_id = 77;
		CHECK_EQ_INT(roundtrip(&client311, &p, &back), 4);
		CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
		CHECK_EQ_INT(back.packet_id, 77);
		CHECK_EQ_INT(roundtrip(&client5, &p, &back), 4);
		p.reason_code = failure;
		CHECK_EQ_INT(roundtrip(&server5, &p, &back), 5);
		CHECK_EQ_INT(back.reason_code, failure);
		p.props.present = P(MQTT_PROP_REASON_STRING);
		p.props.reason_string = BYTES("over quota");
		p.props.user = two_users;
		p.props.user_count = 1;
		CHECK(roundtrip(&server5, &p, &back) > 5);
		CHECK_EQ_INT(back.reason_code, failure);
		CHECK(props_eq(&p.props, &back.props));
		/* 3.1.1 has no reason codes to carry. */
		CHECK_EQ_INT(roundtrip(&server311, &p, &back), -1);
	}
}

TEST(roundtrip_subscribe)
{
	const struct mqtt_subscription subs[] = {
	    {BYTES("a/+/c"), 2},
	    {BYTES("#"), 0},
	    {BYTES("$share/g/x/#"), 1 | MQTT_SUB_RETAIN_AS_PUBLISHED |
					(2 << MQTT_SUB_RETAIN_HANDLING_SHIFT)},
	    {BYTES("d"), MQTT_SUB_NO_LOCAL},
	};
	struct mqtt_packet p, back;
	struct mqtt_subscription got;
	size_t cursor = 0, n = 0;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 9;
	p.u.filters.list = subs;
	p.u.filters.count = 4;
	p.props.present = P(MQTT_PROP_SUBSCRIPTION_ID);
	p.props.subscription_id = 1000;
	p.props.user = two_users;
	p.props.user_count = 2;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.filters.count, 4);
	CHECK(props_eq(&p.props, &back.props));
	while (mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1) {
		CHECK(bytes_eq(got.filter, subs[n].filter));
		CHECK_EQ_INT(got.options, subs[n].options);
		n++;
	}
	CHECK_EQ_INT(n, 4);

	/* 3.1.1: options are the QoS alone, and "$share" is a topic. */
	const struct mqtt_subscription old[] = {{BYTES("$share/x"), 1},
						{BYTES("a"), 2}};
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.packet_id = 1;
	p.u.filters.list = old;
	p.u.filters.count = 2;
	CHECK(roundtrip(&client311, &p, &back) > 0);
	cursor = n = 0;
	while (mqtt_next_filter(&back, MQTT_V311, &cursor, &got) == 1) {
		CHECK(bytes_eq(got.filter, old[n].filter));
		n++;
	}
	CHECK_EQ_INT(n, 2);
	p.u.filters.list = subs; /* 5.0 options */
	p.u.filters.count = 4;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(roundtrip_suback_unsubscribe_unsuback)
{
	struct mqtt_packet p, back;
	const struct mqtt_bytes filters[] = {BYTES("a/#"), BYTES("b/+")};
	struct mqtt_subscription got;
	size_t cursor = 0;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBACK;
	p.packet_id = 3;
	p.u.codes = BYTES("\x00\x01\x02\x80");
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 8);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
	p.u.codes = BYTES("\x02\x97\xa2");
	p.props.present = P(MQTT_PROP_REASON_STRING);
	p.props.reason_string = BYTES("partly");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
	CHECK(props_eq(&p.props, &back.props));

	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBSCRIBE;
	p.packet_id = 4;
	p.u.filters.filters = filters;
	p.u.filters.count = 2;
	CHECK(roundtrip(&client311, &p, &back) > 0);
	p.props.user = two_users;
	p.props.user_count = 1;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.u.filters.count, 2);
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1);
	CHECK(bytes_eq(got.filter, filters[0]));
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 1);
	CHECK(bytes_eq(got.filter, filters[1]));
	CHECK(mqtt_next_filter(&back, MQTT_V5, &cursor, &got) == 0);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBACK;
	p.packet_id = 4;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 4);
	p.u.codes = BYTES("\x00\x11");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(bytes_eq(back.u.codes, p.u.codes));
}

TEST(roundtrip_ping_disconnect_auth)
{
	struct mqtt_packet p, back;

	memset(&p, 0, sizeof(p));
	p.type = MQTT_PINGREQ;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), 2);
	CHECK_EQ_INT(roundtrip(&client5, &p, &back), 2);
	p.type = MQTT_PINGRESP;
	CHECK_EQ_INT(roundtrip(&server311, &p, &back), 2);
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 2);
	CHECK_EQ_INT(back.type, MQTT_PINGRESP);

	p.type = MQTT_DISCONNECT;
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), 2);
	p.reason_code = MQTT_RC_DISCONNECT_WITH_WILL;
	p.props.present = P(MQTT_PROP_SESSION_EXPIRY);
	p.props.session_expiry = 0;
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_DISCONNECT_WITH_WILL);
	CHECK(props_eq(&p.props, &back.props));
	p.reason_code = MQTT_RC_SERVER_MOVED;
	p.props.present =
	    P(MQTT_PROP_SERVER_REFERENCE) | P(MQTT_PROP_REASON_STRING);
	p.props.server_reference = BYTES("mqtt2.example");
	p.props.reason_string = BYTES("moved");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(props_eq(&p.props, &back.props));
	/* The reason code alone. */
	memset(&p.props, 0, sizeof(p.props));
	p.reason_code = MQTT_RC_SERVER_SHUTTING_DOWN;
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 3);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_SERVER_SHUTTING_DOWN);

	memset(&p, 0, sizeof(p));
	p.type = MQTT_AUTH;
	CHECK_EQ_INT(roundtrip(&server5, &p, &back), 2);
	p.reason_code = MQTT_RC_CONTINUE_AUTHENTICATION;
	p.props.present = P(MQTT_PROP_AUTH_METHOD) | P(MQTT_PROP_AUTH_DATA);
	p.props.auth_method = BYTES("SCRAM-SHA-1");
	p.props.auth_data = BYTES("challenge");
	CHECK(roundtrip(&server5, &p, &back) > 0);
	CHECK(roundtrip(&client5, &p, &back) > 0);
	CHECK_EQ_INT(back.reason_code, MQTT_RC_CONTINUE_AUTHENTICATION);
	CHECK(props_eq(&p.props, &back.props));
	CHECK_EQ_INT(roundtrip(&client311, &p, &back), -1);
}

TEST(partial_input_asks_for_exactly_what_is_missing)
{
	/* A PUBLISH with a two-byte Remaining Length of 200. */
	uint8_t pkt[203] = {0x30, 0xc8, 0x01, 0x00, 0x01, 'a'};
	struct mqtt_packet p;
	size_t need;

	need = 0;
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 0, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 2);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 1, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 2, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 3, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 200);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 202, &p, &need, NULL), -EAGAIN);
	CHECK_EQ_INT(need, 1);
	CHECK_EQ_INT(mqtt_decode(&client5, pkt, 203, &p, &need, NULL), 203);
	CHECK_EQ_INT(p.u.publish.payload.len, 200 - 3 - 1);
	/* Bytes after the packet belong to the next one. */
	uint8_t two[6] = {0xd0, 0x00, 0xd0, 0x00, 0xd0, 0x00};
	CHECK_EQ_INT(mqtt_decode(&client5, two, sizeof(two), &p, &need, NULL),
		     2);
}

int
main(void)
{
	RUN(roundtrip_connect);
	RUN(roundtrip_connack);
	RUN(roundtrip_publish);
	RUN(roundtrip_publish_acks);
	RUN(roundtrip_subscribe);
	RUN(roundtrip_suback_unsubscribe_unsuback);
	RUN(roundtrip_ping_disconnect_auth);
	RUN(partial_input_asks_for_exactly_what_is_missing);
	HARNESS_EXIT();
}
