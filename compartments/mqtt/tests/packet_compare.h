/*
 * Whether two decoded (or about-to-be-encoded) packets say the same
 * thing, field by field; shared by the codec's tests and its fuzz
 * target.
 */
#ifndef SEALNET_MQTT_PACKET_COMPARE_H
#define SEALNET_MQTT_PACKET_COMPARE_H

#include <string.h>

#include "packet.h"

static inline bool
mqtt_bytes_eq(struct mqtt_bytes a, struct mqtt_bytes b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static inline bool
mqtt_users_eq(const struct mqtt_properties *a, const struct mqtt_properties *b)
{
	size_t ca = 0, cb = 0;
	struct mqtt_user_property ua, ub;
	int ra, rb;

	do {
		ra = mqtt_next_user_property(a, &ca, &ua);
		rb = mqtt_next_user_property(b, &cb, &ub);
		if (ra != rb)
			return false;
		if (ra == 1 && (!mqtt_bytes_eq(ua.key, ub.key) ||
				!mqtt_bytes_eq(ua.value, ub.value)))
			return false;
	} while (ra == 1);
	return ra == 0;
}

static inline bool
mqtt_subscription_ids_eq(const struct mqtt_properties *a,
			 const struct mqtt_properties *b)
{
	size_t ca = 0, cb = 0;
	uint32_t ia = 0, ib = 0;
	int ra, rb;

	do {
		ra = mqtt_next_subscription_id(a, &ca, &ia);
		rb = mqtt_next_subscription_id(b, &cb, &ib);
		if (ra != rb || (ra == 1 && ia != ib))
			return false;
	} while (ra == 1);
	return ra == 0;
}

static inline bool
mqtt_props_eq(const struct mqtt_properties *a, const struct mqtt_properties *b)
{
	/* The decoder marks User Property present; an encoder's caller
	 * gives the array alone.  The iterators compare those. */
	uint64_t user = UINT64_C(1) << MQTT_PROP_USER;

	return (a->present & ~user) == (b->present & ~user) &&
	       a->payload_format == b->payload_format &&
	       a->request_problem_info == b->request_problem_info &&
	       a->request_response_info == b->request_response_info &&
	       a->maximum_qos == b->maximum_qos &&
	       a->retain_available == b->retain_available &&
	       a->wildcard_available == b->wildcard_available &&
	       a->subscription_ids_available == b->subscription_ids_available &&
	       a->shared_available == b->shared_available &&
	       a->server_keep_alive == b->server_keep_alive &&
	       a->receive_maximum == b->receive_maximum &&
	       a->topic_alias_maximum == b->topic_alias_maximum &&
	       a->topic_alias == b->topic_alias &&
	       a->message_expiry == b->message_expiry &&
	       a->subscription_id == b->subscription_id &&
	       a->session_expiry == b->session_expiry &&
	       a->will_delay == b->will_delay &&
	       a->maximum_packet_size == b->maximum_packet_size &&
	       mqtt_bytes_eq(a->content_type, b->content_type) &&
	       mqtt_bytes_eq(a->response_topic, b->response_topic) &&
	       mqtt_bytes_eq(a->correlation_data, b->correlation_data) &&
	       mqtt_bytes_eq(a->assigned_client_id, b->assigned_client_id) &&
	       mqtt_bytes_eq(a->auth_method, b->auth_method) &&
	       mqtt_bytes_eq(a->auth_data, b->auth_data) &&
	       mqtt_bytes_eq(a->response_info, b->response_info) &&
	       mqtt_bytes_eq(a->server_reference, b->server_reference) &&
	       mqtt_bytes_eq(a->reason_string, b->reason_string) &&
	       mqtt_users_eq(a, b) && mqtt_subscription_ids_eq(a, b);
}

static inline bool
mqtt_filters_eq(const struct mqtt_packet *a, const struct mqtt_packet *b,
		enum mqtt_version v)
{
	size_t ca = 0, cb = 0;
	struct mqtt_subscription sa, sb;
	int ra, rb;

	do {
		ra = mqtt_next_filter(a, v, &ca, &sa);
		rb = mqtt_next_filter(b, v, &cb, &sb);
		if (ra != rb)
			return false;
		if (ra == 1 && (!mqtt_bytes_eq(sa.filter, sb.filter) ||
				sa.options != sb.options))
			return false;
	} while (ra == 1);
	return ra == 0;
}

static inline bool
mqtt_packet_eq(const struct mqtt_packet *a, const struct mqtt_packet *b,
	       enum mqtt_version v)
{
	if (a->type != b->type || a->packet_id != b->packet_id ||
	    a->reason_code != b->reason_code ||
	    a->session_present != b->session_present ||
	    !mqtt_props_eq(&a->props, &b->props))
		return false;
	switch (a->type) {
	case MQTT_CONNECT: {
		const struct mqtt_connect *x = &a->u.connect,
					  *y = &b->u.connect;

		return mqtt_bytes_eq(x->client_id, y->client_id) &&
		       x->keep_alive == y->keep_alive &&
		       x->clean_start == y->clean_start && x->will == y->will &&
		       x->will_qos == y->will_qos &&
		       x->will_retain == y->will_retain &&
		       mqtt_props_eq(&x->will_props, &y->will_props) &&
		       mqtt_bytes_eq(x->will_topic, y->will_topic) &&
		       mqtt_bytes_eq(x->will_payload, y->will_payload) &&
		       x->has_username == y->has_username &&
		       x->has_password == y->has_password &&
		       mqtt_bytes_eq(x->username, y->username) &&
		       mqtt_bytes_eq(x->password, y->password);
	}
	case MQTT_PUBLISH: {
		const struct mqtt_publish *x = &a->u.publish,
					  *y = &b->u.publish;

		return mqtt_bytes_eq(x->topic, y->topic) &&
		       mqtt_bytes_eq(x->payload, y->payload) &&
		       x->qos == y->qos && x->retain == y->retain &&
		       x->dup == y->dup;
	}
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return mqtt_filters_eq(a, b, v);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return mqtt_bytes_eq(a->u.codes, b->u.codes);
	default:
		return true;
	}
}

#endif
