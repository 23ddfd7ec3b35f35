/*
 * PUBLISH and its acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP),
 * decoded and encoded.
 */
#include "codec.h"
#include "topic.h"

/* ---- decoding ---- */

enum mqtt_fault
mqtt_decode_publish(const struct mqtt_codec *c, struct reader *r, uint8_t flags,
		    enum mqtt_role sender, struct mqtt_packet *p)
{
	struct mqtt_publish *m = &p->u.publish;
	enum mqtt_fault f;

	m->qos = (flags >> MQTT_PUBLISH_QOS_SHIFT) & 3;
	m->retain = flags & MQTT_PUBLISH_RETAIN;
	m->dup = flags & MQTT_PUBLISH_DUP;
	if ((f = read_binary(r, &m->topic)) != MQTT_FAULT_NONE)
		return f;
	if (m->topic.len > 0 &&
	    (f = mqtt_topic_name_check(m->topic.data, m->topic.len)))
		return f;
	if (m->qos > 0) {
		if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
			return f;
		if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
			return f;
	}
	f = mqtt_read_properties(c, r, PC_PUBLISH, sender, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	/* An empty topic stands for the one its Topic Alias names. */
	if (m->topic.len == 0 &&
	    !mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS))
		return MQTT_FAULT_TOPIC_EMPTY;
	m->payload.data = r->p;
	m->payload.len = r->left;
	r->left = 0;
	return MQTT_FAULT_NONE;
}

enum mqtt_fault
mqtt_decode_ack(const struct mqtt_codec *c, struct reader *r,
		enum mqtt_packet_type t, enum mqtt_role sender,
		struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if (c->version == MQTT_V311 || r->left == 0)
		return finish(r);
	/* 5.0 leaves out the reason code when it is 0 and there are no
	 * properties, and the properties' length when there are none. */
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!mqtt_reason_valid(c, sender, t, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	if (r->left == 0)
		return MQTT_FAULT_NONE;
	f = mqtt_read_properties(c, r, PC_ACK, sender, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

/* ---- encoding ---- */

void
mqtt_encode_publish(struct writer *w, const struct mqtt_codec *c,
		    const struct mqtt_packet *p)
{
	const struct mqtt_publish *m = &p->u.publish;
	enum mqtt_fault f;

	if (m->qos > 2)
		fail(w, MQTT_FAULT_QOS);
	if (m->qos == 0 && m->dup)
		fail(w, MQTT_FAULT_DUP_QOS0);
	if (m->qos > 0 && p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	if (m->topic.len == 0 && c->version == MQTT_V5 &&
	    mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS))
		f = MQTT_FAULT_NONE;
	else
		f = mqtt_topic_name_check(m->topic.data, m->topic.len);
	if (f != MQTT_FAULT_NONE)
		fail(w, f);
	put_binary(w, m->topic);
	if (m->qos > 0)
		put_u16(w, p->packet_id);
	mqtt_put_properties(w, c, &p->props, PC_PUBLISH, c->self);
	if (m->payload.len > 0 && m->payload.data == NULL)
		fail(w, MQTT_FAULT_TRUNCATED);
	put(w, m->payload.data, m->payload.len);
}

void
mqtt_encode_ack(struct writer *w, const struct mqtt_codec *c,
		const struct mqtt_packet *p)
{
	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	if (c->version == MQTT_V311) {
		if (p->reason_code != 0 || mqtt_has_properties(&p->props))
			fail(w, MQTT_FAULT_REASON_CODE);
		return;
	}
	if (!mqtt_reason_valid(c, c->self, p->type, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (!mqtt_has_properties(&p->props)) {
		if (p->reason_code != 0)
			put_u8(w, p->reason_code);
		return;
	}
	put_u8(w, p->reason_code);
	mqtt_put_properties(w, c, &p->props, PC_ACK, c->self);
}
