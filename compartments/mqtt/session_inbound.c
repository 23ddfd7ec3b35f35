/*
 * The messages the broker publishes to us: topic aliases, the
 * acknowledgements each QoS asks for, and QoS 2 delivered once.
 */
#include "session_state.h"

static bool
qos2_has(const struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->qos2_count; i++)
		if (s->qos2_ids[i] == id)
			return true;
	return false;
}

static void
qos2_remove(struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->qos2_count; i++)
		if (s->qos2_ids[i] == id) {
			s->qos2_ids[i] = s->qos2_ids[--s->qos2_count];
			return;
		}
}

int
session_on_publish(struct mqtt_session *s, const struct mqtt_packet *p,
		   struct mqtt_event *ev)
{
	struct mqtt_publish m = p->u.publish;
	uint16_t alias = 0;
	bool duplicate = false;

	if (s->state != MQTT_SESSION_CONNECTED)
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	/* Every check before any change. */
	if (mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS)) {
		alias = p->props.topic_alias;
		if (alias > s->cfg.topic_aliases)
			return session_violation(s, MQTT_FAULT_TOPIC_ALIAS);
		if (m.topic.len > s->cfg.alias_topic_bytes)
			return session_violation(
			    s, MQTT_FAULT_TOPIC_ALIAS_TOO_LONG);
		if (m.topic.len == 0 && s->alias_len[alias - 1] == 0)
			return session_violation(s, MQTT_FAULT_TOPIC_ALIAS);
	}
	if (m.qos == 2) {
		duplicate = qos2_has(s, p->packet_id);
		if (!duplicate && s->qos2_count >= s->cfg.inbound_qos2)
			return session_violation(s, MQTT_FAULT_RECEIVE_MAXIMUM);
	}
	if (alias != 0) {
		uint8_t *slot = s->alias_topics +
				(size_t)(alias - 1) * s->cfg.alias_topic_bytes;

		if (m.topic.len > 0) {
			memcpy(slot, m.topic.data, m.topic.len);
			s->alias_len[alias - 1] = (uint16_t)m.topic.len;
		}
		m.topic.data = slot;
		m.topic.len = s->alias_len[alias - 1];
	}
	if (m.qos == 1)
		session_push_ack(s, MQTT_PUBACK, p->packet_id);
	if (m.qos == 2) {
		session_push_ack(s, MQTT_PUBREC, p->packet_id);
		/* Delivered once: a PUBLISH for an identifier still awaiting
		 * its PUBREL is the broker sending it again. */
		if (duplicate)
			return 0;
		s->qos2_ids[s->qos2_count++] = p->packet_id;
	}
	ev->type = MQTT_EVENT_MESSAGE;
	ev->message = m;
	ev->props = p->props;
	return 1;
}

int
session_on_pubrel(struct mqtt_session *s, const struct mqtt_packet *p)
{
	if (s->state != MQTT_SESSION_CONNECTED)
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	/* Answered even when the identifier is unknown: after a
	 * resumption the broker repeats PUBRELs we completed. */
	qos2_remove(s, p->packet_id);
	session_push_ack(s, MQTT_PUBCOMP, p->packet_id);
	return 0;
}
