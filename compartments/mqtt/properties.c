/*
 * 5.0 property blocks: each property's type, range and place in struct
 * mqtt_properties, which packets and which end may carry it, and the
 * block read and written as a whole.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec.h"

enum prop_type {
	P_NONE = 0,
	P_BYTE,
	P_TWO,
	P_FOUR,
	P_VBI,
	P_STRING,
	P_BINARY,
	P_PAIR,
};

#define F_BOOL	  0x1 /* 0 or 1 */
#define F_NONZERO 0x2

struct prop_desc {
	uint8_t type;
	uint8_t flags;
	uint16_t offset;
};

#define PROP(id, t, fl, field)                                                 \
	[id] = {t, fl, (uint16_t)offsetof(struct mqtt_properties, field)}

static const struct prop_desc prop_table[MQTT_PROP_ID_MAX + 1] = {
    PROP(MQTT_PROP_PAYLOAD_FORMAT, P_BYTE, F_BOOL, payload_format),
    PROP(MQTT_PROP_MESSAGE_EXPIRY, P_FOUR, 0, message_expiry),
    PROP(MQTT_PROP_CONTENT_TYPE, P_STRING, 0, content_type),
    PROP(MQTT_PROP_RESPONSE_TOPIC, P_STRING, 0, response_topic),
    PROP(MQTT_PROP_CORRELATION_DATA, P_BINARY, 0, correlation_data),
    PROP(MQTT_PROP_SUBSCRIPTION_ID, P_VBI, F_NONZERO, subscription_id),
    PROP(MQTT_PROP_SESSION_EXPIRY, P_FOUR, 0, session_expiry),
    PROP(MQTT_PROP_ASSIGNED_CLIENT_ID, P_STRING, 0, assigned_client_id),
    PROP(MQTT_PROP_SERVER_KEEP_ALIVE, P_TWO, 0, server_keep_alive),
    PROP(MQTT_PROP_AUTH_METHOD, P_STRING, 0, auth_method),
    PROP(MQTT_PROP_AUTH_DATA, P_BINARY, 0, auth_data),
    PROP(MQTT_PROP_REQUEST_PROBLEM_INFO, P_BYTE, F_BOOL, request_problem_info),
    PROP(MQTT_PROP_WILL_DELAY, P_FOUR, 0, will_delay),
    PROP(MQTT_PROP_REQUEST_RESPONSE_INFO, P_BYTE, F_BOOL,
	 request_response_info),
    PROP(MQTT_PROP_RESPONSE_INFO, P_STRING, 0, response_info),
    PROP(MQTT_PROP_SERVER_REFERENCE, P_STRING, 0, server_reference),
    PROP(MQTT_PROP_REASON_STRING, P_STRING, 0, reason_string),
    PROP(MQTT_PROP_RECEIVE_MAXIMUM, P_TWO, F_NONZERO, receive_maximum),
    PROP(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, P_TWO, 0, topic_alias_maximum),
    PROP(MQTT_PROP_TOPIC_ALIAS, P_TWO, F_NONZERO, topic_alias),
    PROP(MQTT_PROP_MAXIMUM_QOS, P_BYTE, F_BOOL, maximum_qos),
    PROP(MQTT_PROP_RETAIN_AVAILABLE, P_BYTE, F_BOOL, retain_available),
    PROP(MQTT_PROP_USER, P_PAIR, 0, user_count),
    PROP(MQTT_PROP_MAXIMUM_PACKET_SIZE, P_FOUR, F_NONZERO, maximum_packet_size),
    PROP(MQTT_PROP_WILDCARD_AVAILABLE, P_BYTE, F_BOOL, wildcard_available),
    PROP(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE, P_BYTE, F_BOOL,
	 subscription_ids_available),
    PROP(MQTT_PROP_SHARED_AVAILABLE, P_BYTE, F_BOOL, shared_available),
};

#define BIT(id) (UINT64_C(1) << (id))

static uint64_t
allowed_props(enum prop_context ctx, enum mqtt_role sender)
{
	const uint64_t reason_user =
	    BIT(MQTT_PROP_REASON_STRING) | BIT(MQTT_PROP_USER);
	const uint64_t message =
	    BIT(MQTT_PROP_PAYLOAD_FORMAT) | BIT(MQTT_PROP_MESSAGE_EXPIRY) |
	    BIT(MQTT_PROP_CONTENT_TYPE) | BIT(MQTT_PROP_RESPONSE_TOPIC) |
	    BIT(MQTT_PROP_CORRELATION_DATA) | BIT(MQTT_PROP_USER);

	switch (ctx) {
	case PC_CONNECT:
		return BIT(MQTT_PROP_SESSION_EXPIRY) |
		       BIT(MQTT_PROP_AUTH_METHOD) | BIT(MQTT_PROP_AUTH_DATA) |
		       BIT(MQTT_PROP_REQUEST_PROBLEM_INFO) |
		       BIT(MQTT_PROP_REQUEST_RESPONSE_INFO) |
		       BIT(MQTT_PROP_RECEIVE_MAXIMUM) |
		       BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
		       BIT(MQTT_PROP_USER) | BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE);
	case PC_CONNACK:
		return reason_user | BIT(MQTT_PROP_SESSION_EXPIRY) |
		       BIT(MQTT_PROP_ASSIGNED_CLIENT_ID) |
		       BIT(MQTT_PROP_SERVER_KEEP_ALIVE) |
		       BIT(MQTT_PROP_AUTH_METHOD) | BIT(MQTT_PROP_AUTH_DATA) |
		       BIT(MQTT_PROP_RESPONSE_INFO) |
		       BIT(MQTT_PROP_SERVER_REFERENCE) |
		       BIT(MQTT_PROP_RECEIVE_MAXIMUM) |
		       BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
		       BIT(MQTT_PROP_MAXIMUM_QOS) |
		       BIT(MQTT_PROP_RETAIN_AVAILABLE) |
		       BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE) |
		       BIT(MQTT_PROP_WILDCARD_AVAILABLE) |
		       BIT(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE) |
		       BIT(MQTT_PROP_SHARED_AVAILABLE);
	case PC_PUBLISH:
		/* Subscription Identifiers tell a client which of its
		 * subscriptions matched; a client never sends one
		 * [MQTT-3.3.4-6]. */
		return message | BIT(MQTT_PROP_TOPIC_ALIAS) |
		       (sender == MQTT_SERVER ? BIT(MQTT_PROP_SUBSCRIPTION_ID)
					      : 0);
	case PC_WILL:
		return message | BIT(MQTT_PROP_WILL_DELAY);
	case PC_ACK:
	case PC_SUBACK:
	case PC_UNSUBACK:
		return reason_user;
	case PC_SUBSCRIBE:
		return BIT(MQTT_PROP_SUBSCRIPTION_ID) | BIT(MQTT_PROP_USER);
	case PC_UNSUBSCRIBE:
		return BIT(MQTT_PROP_USER);
	case PC_DISCONNECT:
		/* Only a client changes its session's expiry here
		 * [MQTT-3.14.2-2]; only a server points elsewhere. */
		return reason_user | (sender == MQTT_CLIENT
					  ? BIT(MQTT_PROP_SESSION_EXPIRY)
					  : BIT(MQTT_PROP_SERVER_REFERENCE));
	case PC_AUTH:
		return reason_user | BIT(MQTT_PROP_AUTH_METHOD) |
		       BIT(MQTT_PROP_AUTH_DATA);
	}
	return 0;
}

static bool
may_repeat(unsigned id, enum prop_context ctx)
{
	return id == MQTT_PROP_USER ||
	       (id == MQTT_PROP_SUBSCRIPTION_ID && ctx == PC_PUBLISH);
}

/* One property value, whatever its type. */
struct prop_value {
	uint32_t number;
	struct mqtt_bytes a, b;
};

static enum mqtt_fault
read_prop_value(struct reader *r, uint8_t type, struct prop_value *v)
{
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	enum mqtt_fault f;

	switch (type) {
	case P_BYTE:
		f = read_u8(r, &u8);
		v->number = u8;
		return f;
	case P_TWO:
		f = read_u16(r, &u16);
		v->number = u16;
		return f;
	case P_FOUR:
		return read_u32(r, &v->number);
	case P_VBI:
		return read_vbi(r, &v->number);
	case P_STRING:
		return read_string(r, &v->a);
	case P_BINARY:
		return read_binary(r, &v->a);
	case P_PAIR:
		f = read_string(r, &v->a);
		return f != MQTT_FAULT_NONE ? f : read_string(r, &v->b);
	default:
		return MQTT_FAULT_PROPERTY_UNKNOWN;
	}
}

/* Reads one identifier and its value; the descriptor must exist. */
static enum mqtt_fault
read_prop(struct reader *r, uint32_t *id, struct prop_value *v)
{
	enum mqtt_fault f = read_vbi(r, id);

	if (f != MQTT_FAULT_NONE)
		return f;
	if (*id > MQTT_PROP_ID_MAX || prop_table[*id].type == P_NONE)
		return MQTT_FAULT_PROPERTY_UNKNOWN;
	return read_prop_value(r, prop_table[*id].type, v);
}

static bool
value_in_range(const struct prop_desc *d, uint32_t number)
{
	if ((d->flags & F_BOOL) && number > 1)
		return false;
	if ((d->flags & F_NONZERO) && number == 0)
		return false;
	return true;
}

static void
store_value(struct mqtt_properties *p, const struct prop_desc *d,
	    const struct prop_value *v)
{
	uint8_t *field = (uint8_t *)p + d->offset;

	switch (d->type) {
	case P_BYTE: {
		uint8_t x = (uint8_t)v->number;

		memcpy(field, &x, sizeof(x));
		break;
	}
	case P_TWO: {
		uint16_t x = (uint16_t)v->number;

		memcpy(field, &x, sizeof(x));
		break;
	}
	case P_FOUR:
	case P_VBI:
		memcpy(field, &v->number, sizeof(v->number));
		break;
	case P_STRING:
	case P_BINARY:
		memcpy(field, &v->a, sizeof(v->a));
		break;
	default:
		break;
	}
}

static uint32_t
load_number(const struct mqtt_properties *p, const struct prop_desc *d)
{
	const uint8_t *field = (const uint8_t *)p + d->offset;
	uint8_t x8;
	uint16_t x16;
	uint32_t x32;

	switch (d->type) {
	case P_BYTE:
		memcpy(&x8, field, sizeof(x8));
		return x8;
	case P_TWO:
		memcpy(&x16, field, sizeof(x16));
		return x16;
	default:
		memcpy(&x32, field, sizeof(x32));
		return x32;
	}
}

static struct mqtt_bytes
load_bytes(const struct mqtt_properties *p, const struct prop_desc *d)
{
	struct mqtt_bytes b;

	memcpy(&b, (const uint8_t *)p + d->offset, sizeof(b));
	return b;
}

enum mqtt_fault
mqtt_read_properties(const struct mqtt_codec *c, struct reader *r,
		     enum prop_context ctx, enum mqtt_role sender,
		     struct mqtt_properties *p)
{
	uint32_t len;
	struct reader block;
	uint64_t allowed = allowed_props(ctx, sender);
	enum mqtt_fault f;

	memset(p, 0, sizeof(*p));
	if (c->version != MQTT_V5)
		return MQTT_FAULT_NONE;
	f = read_vbi(r, &len);
	if (f == MQTT_FAULT_NONE)
		f = take(r, len, &block.p);
	if (f != MQTT_FAULT_NONE)
		return f;
	block.left = len;
	p->raw.data = block.p;
	p->raw.len = len;
	while (block.left > 0) {
		uint32_t id;
		struct prop_value v;
		const struct prop_desc *d;

		f = read_prop(&block, &id, &v);
		if (f != MQTT_FAULT_NONE)
			return f;
		d = &prop_table[id];
		if (!(allowed & BIT(id)))
			return MQTT_FAULT_PROPERTY_NOT_ALLOWED;
		if ((p->present & BIT(id)) && !may_repeat(id, ctx))
			return MQTT_FAULT_PROPERTY_DUPLICATE;
		if (!value_in_range(d, v.number))
			return MQTT_FAULT_PROPERTY_VALUE;
		if (id == MQTT_PROP_USER) {
			p->user_count++;
		} else if (id == MQTT_PROP_SUBSCRIPTION_ID) {
			if (p->subscription_id_count++ == 0)
				p->subscription_id = v.number;
		} else {
			store_value(p, d, &v);
		}
		p->present |= BIT(id);
	}
	return MQTT_FAULT_NONE;
}

/* Walks a decoded property block for the next instance of id. */
static int
next_raw(const struct mqtt_properties *p, uint32_t want, size_t *cursor,
	 struct prop_value *v)
{
	struct reader r;

	if (p->raw.data == NULL || *cursor >= p->raw.len)
		return 0;
	r.p = p->raw.data + *cursor;
	r.left = p->raw.len - *cursor;
	while (r.left > 0) {
		uint32_t id;

		if (read_prop(&r, &id, v) != MQTT_FAULT_NONE)
			return -EBADMSG;
		if (id == want) {
			*cursor = p->raw.len - r.left;
			return 1;
		}
	}
	*cursor = p->raw.len;
	return 0;
}

int
mqtt_next_user_property(const struct mqtt_properties *p, size_t *cursor,
			struct mqtt_user_property *out)
{
	struct prop_value v;
	int rc;

	if (p->user != NULL) {
		if (*cursor >= p->user_count)
			return 0;
		*out = p->user[(*cursor)++];
		return 1;
	}
	rc = next_raw(p, MQTT_PROP_USER, cursor, &v);
	if (rc == 1) {
		out->key = v.a;
		out->value = v.b;
	}
	return rc;
}

int
mqtt_next_subscription_id(const struct mqtt_properties *p, size_t *cursor,
			  uint32_t *out)
{
	struct prop_value v;
	int rc;

	if (p->raw.data == NULL) {
		if (*cursor > 0 || !mqtt_prop_has(p, MQTT_PROP_SUBSCRIPTION_ID))
			return 0;
		*cursor = 1;
		*out = p->subscription_id;
		return 1;
	}
	rc = next_raw(p, MQTT_PROP_SUBSCRIPTION_ID, cursor, &v);
	if (rc == 1)
		*out = v.number;
	return rc;
}

static void
put_prop_value(struct writer *w, const struct prop_desc *d,
	       const struct prop_value *v)
{
	switch (d->type) {
	case P_BYTE:
		put_u8(w, (uint8_t)v->number);
		break;
	case P_TWO:
		put_u16(w, (uint16_t)v->number);
		break;
	case P_FOUR:
		put_u32(w, v->number);
		break;
	case P_VBI:
		put_vbi(w, v->number);
		break;
	case P_STRING:
		put_string(w, v->a);
		break;
	case P_BINARY:
		put_binary(w, v->a);
		break;
	case P_PAIR:
		put_string(w, v->a);
		put_string(w, v->b);
		break;
	default:
		break;
	}
}

/* The properties' bytes, without their length. */
static void
put_properties_body(struct writer *w, const struct mqtt_properties *p,
		    enum prop_context ctx, enum mqtt_role sender)
{
	uint64_t allowed = allowed_props(ctx, sender);

	for (unsigned id = 1; id <= MQTT_PROP_ID_MAX; id++) {
		const struct prop_desc *d = &prop_table[id];
		struct prop_value v;
		size_t cursor = 0;
		int rc, count = 0;

		if (d->type == P_NONE)
			continue;
		if (id == MQTT_PROP_USER) {
			struct mqtt_user_property up;

			while ((rc = mqtt_next_user_property(p, &cursor,
							     &up)) == 1) {
				if (!(allowed & BIT(id)))
					fail(w,
					     MQTT_FAULT_PROPERTY_NOT_ALLOWED);
				v.a = up.key;
				v.b = up.value;
				put_u8(w, (uint8_t)id);
				put_prop_value(w, d, &v);
			}
			if (rc < 0)
				fail(w, MQTT_FAULT_TRUNCATED);
			continue;
		}
		if (!mqtt_prop_has(p, (enum mqtt_property_id)id))
			continue;
		if (!(allowed & BIT(id)))
			fail(w, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
		if (id == MQTT_PROP_SUBSCRIPTION_ID) {
			while ((rc = mqtt_next_subscription_id(
				    p, &cursor, &v.number)) == 1) {
				if (count++ > 0 && !may_repeat(id, ctx))
					fail(w, MQTT_FAULT_PROPERTY_DUPLICATE);
				if (!value_in_range(d, v.number))
					fail(w, MQTT_FAULT_PROPERTY_VALUE);
				put_u8(w, (uint8_t)id);
				put_prop_value(w, d, &v);
			}
			if (rc < 0)
				fail(w, MQTT_FAULT_TRUNCATED);
			continue;
		}
		if (d->type == P_STRING || d->type == P_BINARY) {
			v.a = load_bytes(p, d);
		} else {
			v.number = load_number(p, d);
			if (!value_in_range(d, v.number))
				fail(w, MQTT_FAULT_PROPERTY_VALUE);
		}
		put_u8(w, (uint8_t)id);
		put_prop_value(w, d, &v);
	}
	/* Bits for identifiers 5.0 does not define. */
	for (unsigned id = 0; id < 64; id++)
		if ((p->present & BIT(id)) &&
		    (id > MQTT_PROP_ID_MAX || prop_table[id].type == P_NONE))
			fail(w, MQTT_FAULT_PROPERTY_UNKNOWN);
}

bool
mqtt_has_properties(const struct mqtt_properties *p)
{
	size_t cursor = 0;
	struct mqtt_user_property up;

	return p->present != 0 || mqtt_next_user_property(p, &cursor, &up) != 0;
}

void
mqtt_put_properties(struct writer *w, const struct mqtt_codec *c,
		    const struct mqtt_properties *p, enum prop_context ctx,
		    enum mqtt_role sender)
{
	struct writer count = {NULL, 0, MQTT_FAULT_NONE};

	if (c->version != MQTT_V5) {
		if (mqtt_has_properties(p))
			fail(w, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
		return;
	}
	put_properties_body(&count, p, ctx, sender);
	if (count.fault != MQTT_FAULT_NONE) {
		fail(w, count.fault);
		return;
	}
	if (count.pos > MQTT_MAX_REMAINING_LENGTH) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	put_vbi(w, (uint32_t)count.pos);
	put_properties_body(w, p, ctx, sender);
}
