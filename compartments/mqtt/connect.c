/*
 * The packets that open, authenticate and close a connection: CONNECT,
 * CONNACK, DISCONNECT and AUTH, decoded and encoded.
 */
#include <string.h>

#include "codec.h"
#include "topic.h"

/* ---- decoding ---- */

enum mqtt_fault
mqtt_decode_connect(const struct mqtt_codec *c, struct reader *r,
		    struct mqtt_packet *p)
{
	static const uint8_t name[] = {'M', 'Q', 'T', 'T'};
	struct mqtt_connect *k = &p->u.connect;
	struct mqtt_bytes proto;
	uint8_t level, flags;
	enum mqtt_fault f;

	f = read_binary(r, &proto);
	if (f != MQTT_FAULT_NONE)
		return f;
	if (proto.len != sizeof(name) || memcmp(proto.data, name, 4) != 0)
		return MQTT_FAULT_PROTOCOL_NAME;
	if ((f = read_u8(r, &level)) != MQTT_FAULT_NONE)
		return f;
	if (level != c->version)
		return MQTT_FAULT_PROTOCOL_VERSION;
	if ((f = read_u8(r, &flags)) != MQTT_FAULT_NONE)
		return f;
	if (flags & MQTT_CONNECT_RESERVED)
		return MQTT_FAULT_RESERVED_BITS;
	k->clean_start = flags & MQTT_CONNECT_CLEAN_START;
	k->will = flags & MQTT_CONNECT_WILL;
	k->will_qos = (flags >> MQTT_CONNECT_WILL_QOS_SHIFT) & 3;
	k->will_retain = flags & MQTT_CONNECT_WILL_RETAIN;
	k->has_username = flags & MQTT_CONNECT_USERNAME;
	k->has_password = flags & MQTT_CONNECT_PASSWORD;
	if (k->will_qos == 3)
		return MQTT_FAULT_QOS;
	if (!k->will && (k->will_qos != 0 || k->will_retain))
		return MQTT_FAULT_WILL_FLAGS;
	if (c->version == MQTT_V311 && k->has_password && !k->has_username)
		return MQTT_FAULT_PASSWORD_WITHOUT_USERNAME;
	if ((f = read_u16(r, &k->keep_alive)) != MQTT_FAULT_NONE)
		return f;
	f = mqtt_read_properties(c, r, PC_CONNECT, MQTT_CLIENT, &p->props);
	if (f == MQTT_FAULT_NONE)
		f = read_string(r, &k->client_id);
	if (f != MQTT_FAULT_NONE)
		return f;
	memset(&k->will_props, 0, sizeof(k->will_props));
	if (k->will) {
		f = mqtt_read_properties(c, r, PC_WILL, MQTT_CLIENT,
					 &k->will_props);
		if (f == MQTT_FAULT_NONE)
			f = read_binary(r, &k->will_topic);
		if (f == MQTT_FAULT_NONE)
			f = mqtt_topic_name_check(k->will_topic.data,
						  k->will_topic.len);
		if (f == MQTT_FAULT_NONE)
			f = read_binary(r, &k->will_payload);
		if (f != MQTT_FAULT_NONE)
			return f;
	}
	if (k->has_username && (f = read_string(r, &k->username)))
		return f;
	if (k->has_password && (f = read_binary(r, &k->password)))
		return f;
	return finish(r);
}

enum mqtt_fault
mqtt_decode_connack(const struct mqtt_codec *c, struct reader *r,
		    struct mqtt_packet *p)
{
	uint8_t flags;
	enum mqtt_fault f;

	/* A server that knows only 3.1.1 refuses level 5 with its own
	 * two-byte CONNACK: read that as the 5.0 code meaning the same, so
	 * that the caller can try again with 3.1.1. */
	if (c->version == MQTT_V5 && r->left == 2 && r->p[0] == 0 &&
	    r->p[1] == MQTT_V311_UNACCEPTABLE_PROTOCOL) {
		p->reason_code = MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION;
		r->left = 0;
		return MQTT_FAULT_NONE;
	}
	if ((f = read_u8(r, &flags)) != MQTT_FAULT_NONE)
		return f;
	if (flags & ~MQTT_CONNACK_SESSION_PRESENT)
		return MQTT_FAULT_RESERVED_BITS;
	p->session_present = flags & MQTT_CONNACK_SESSION_PRESENT;
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!mqtt_reason_valid(c, MQTT_SERVER, MQTT_CONNACK, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	if (p->session_present && p->reason_code != 0)
		return MQTT_FAULT_SESSION_PRESENT;
	f = mqtt_read_properties(c, r, PC_CONNACK, MQTT_SERVER, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

/* DISCONNECT and AUTH: a reason code and properties, both optional. */
enum mqtt_fault
mqtt_decode_reason_only(const struct mqtt_codec *c, struct reader *r,
			enum mqtt_packet_type t, enum mqtt_role sender,
			struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if (c->version == MQTT_V311 || r->left == 0)
		return finish(r);
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!mqtt_reason_valid(c, sender, t, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	/* DISCONNECT may stop after its reason code; AUTH may not. */
	if (t == MQTT_DISCONNECT && r->left == 0)
		return MQTT_FAULT_NONE;
	f = mqtt_read_properties(c, r, t == MQTT_AUTH ? PC_AUTH : PC_DISCONNECT,
				 sender, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

/* ---- encoding ---- */

void
mqtt_encode_connect(struct writer *w, const struct mqtt_codec *c,
		    const struct mqtt_packet *p)
{
	const struct mqtt_connect *k = &p->u.connect;
	static const uint8_t name[] = {0, 4, 'M', 'Q', 'T', 'T'};
	uint8_t flags = 0;

	if (k->will_qos > 2)
		fail(w, MQTT_FAULT_QOS);
	if (!k->will && (k->will_qos != 0 || k->will_retain))
		fail(w, MQTT_FAULT_WILL_FLAGS);
	if (c->version == MQTT_V311 && k->has_password && !k->has_username)
		fail(w, MQTT_FAULT_PASSWORD_WITHOUT_USERNAME);
	if (k->clean_start)
		flags |= MQTT_CONNECT_CLEAN_START;
	if (k->will) {
		enum mqtt_fault f = mqtt_topic_name_check(k->will_topic.data,
							  k->will_topic.len);

		if (f != MQTT_FAULT_NONE)
			fail(w, f);
		flags |= MQTT_CONNECT_WILL;
		flags |=
		    (uint8_t)((k->will_qos & 3) << MQTT_CONNECT_WILL_QOS_SHIFT);
		if (k->will_retain)
			flags |= MQTT_CONNECT_WILL_RETAIN;
	}
	if (k->has_username)
		flags |= MQTT_CONNECT_USERNAME;
	if (k->has_password)
		flags |= MQTT_CONNECT_PASSWORD;
	put(w, name, sizeof(name));
	put_u8(w, (uint8_t)c->version);
	put_u8(w, flags);
	put_u16(w, k->keep_alive);
	mqtt_put_properties(w, c, &p->props, PC_CONNECT, MQTT_CLIENT);
	put_string(w, k->client_id);
	if (k->will) {
		mqtt_put_properties(w, c, &k->will_props, PC_WILL, MQTT_CLIENT);
		put_string(w, k->will_topic);
		put_binary(w, k->will_payload);
	}
	if (k->has_username)
		put_string(w, k->username);
	if (k->has_password)
		put_binary(w, k->password);
}

void
mqtt_encode_connack(struct writer *w, const struct mqtt_codec *c,
		    const struct mqtt_packet *p)
{
	if (!mqtt_reason_valid(c, MQTT_SERVER, MQTT_CONNACK, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (p->session_present && p->reason_code != 0)
		fail(w, MQTT_FAULT_SESSION_PRESENT);
	put_u8(w, p->session_present ? MQTT_CONNACK_SESSION_PRESENT : 0);
	put_u8(w, p->reason_code);
	mqtt_put_properties(w, c, &p->props, PC_CONNACK, MQTT_SERVER);
}

void
mqtt_encode_reason_only(struct writer *w, const struct mqtt_codec *c,
			const struct mqtt_packet *p)
{
	if (c->version == MQTT_V311) {
		if (p->reason_code != 0 || mqtt_has_properties(&p->props))
			fail(w, MQTT_FAULT_REASON_CODE);
		return;
	}
	if (!mqtt_reason_valid(c, c->self, p->type, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (p->reason_code == 0 && !mqtt_has_properties(&p->props))
		return;
	put_u8(w, p->reason_code);
	/* DISCONNECT may end after its reason code; AUTH may not. */
	if (p->type == MQTT_DISCONNECT && !mqtt_has_properties(&p->props))
		return;
	mqtt_put_properties(w, c, &p->props,
			    p->type == MQTT_AUTH ? PC_AUTH : PC_DISCONNECT,
			    c->self);
}
