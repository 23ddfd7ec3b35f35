/*
 * SUBSCRIBE and UNSUBSCRIBE with their lists of topic filters, SUBACK and
 * UNSUBACK with their lists of reason codes, decoded and encoded.
 */
#include <errno.h>

#include "codec.h"
#include "topic.h"

/* ---- topic filters ---- */

static enum mqtt_fault
check_subscription_options(const struct mqtt_codec *c, uint8_t options,
			   bool shared)
{
	if (c->version == MQTT_V311) {
		if (options & MQTT_SUB_RESERVED_V311)
			return MQTT_FAULT_RESERVED_BITS;
	} else {
		if (options & MQTT_SUB_RESERVED_V5)
			return MQTT_FAULT_RESERVED_BITS;
		if ((options & MQTT_SUB_RETAIN_HANDLING_MASK) ==
		    MQTT_SUB_RETAIN_HANDLING_MASK)
			return MQTT_FAULT_RETAIN_HANDLING;
		if (shared && (options & MQTT_SUB_NO_LOCAL))
			return MQTT_FAULT_SHARED_NO_LOCAL;
	}
	if ((options & MQTT_SUB_QOS_MASK) == MQTT_SUB_QOS_MASK)
		return MQTT_FAULT_QOS;
	return MQTT_FAULT_NONE;
}

/* One SUBSCRIBE entry or UNSUBSCRIBE filter, checked. */
static enum mqtt_fault
read_filter(const struct mqtt_codec *c, struct reader *r,
	    enum mqtt_packet_type t, struct mqtt_subscription *out)
{
	bool v5 = c->version == MQTT_V5;
	enum mqtt_fault f = read_binary(r, &out->filter);

	if (f == MQTT_FAULT_NONE)
		f = mqtt_topic_filter_check(out->filter.data, out->filter.len,
					    v5);
	if (f != MQTT_FAULT_NONE)
		return f;
	out->options = 0;
	if (t != MQTT_SUBSCRIBE)
		return MQTT_FAULT_NONE;
	f = read_u8(r, &out->options);
	if (f != MQTT_FAULT_NONE)
		return f;
	return check_subscription_options(
	    c, out->options,
	    v5 && mqtt_topic_share_split(out->filter.data, out->filter.len,
					 NULL, NULL));
}

int
mqtt_next_filter(const struct mqtt_packet *p, enum mqtt_version v,
		 size_t *cursor, struct mqtt_subscription *out)
{
	const struct mqtt_filter_list *l = &p->u.filters;
	const struct mqtt_codec c = {v, MQTT_SERVER, 0, 0};
	enum mqtt_packet_type t = p->type;
	struct reader r;

	if (t == MQTT_SUBSCRIBE && l->list != NULL) {
		if (*cursor >= l->count)
			return 0;
		*out = l->list[(*cursor)++];
		return 1;
	}
	if (t == MQTT_UNSUBSCRIBE && l->filters != NULL) {
		if (*cursor >= l->count)
			return 0;
		out->filter = l->filters[(*cursor)++];
		out->options = 0;
		return 1;
	}
	if (*cursor >= l->raw.len)
		return 0;
	r.p = l->raw.data + *cursor;
	r.left = l->raw.len - *cursor;
	if (read_filter(&c, &r, t, out) != MQTT_FAULT_NONE)
		return -EBADMSG;
	*cursor = l->raw.len - r.left;
	return 1;
}

/* ---- decoding ---- */

enum mqtt_fault
mqtt_decode_filters(const struct mqtt_codec *c, struct reader *r,
		    enum mqtt_packet_type t, struct mqtt_packet *p)
{
	struct mqtt_filter_list *l = &p->u.filters;
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	f = mqtt_read_properties(
	    c, r, t == MQTT_SUBSCRIBE ? PC_SUBSCRIBE : PC_UNSUBSCRIBE,
	    MQTT_CLIENT, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	l->list = NULL;
	l->filters = NULL;
	l->count = 0;
	l->raw.data = r->p;
	l->raw.len = r->left;
	if (r->left == 0)
		return MQTT_FAULT_EMPTY_LIST;
	while (r->left > 0) {
		struct mqtt_subscription s;

		if ((f = read_filter(c, r, t, &s)) != MQTT_FAULT_NONE)
			return f;
		l->count++;
	}
	return MQTT_FAULT_NONE;
}

enum mqtt_fault
mqtt_decode_codes(const struct mqtt_codec *c, struct reader *r,
		  enum mqtt_packet_type t, struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	p->u.codes.data = r->p;
	p->u.codes.len = 0;
	/* A 3.1.1 UNSUBACK is its packet identifier alone. */
	if (t == MQTT_UNSUBACK && c->version == MQTT_V311)
		return finish(r);
	f = mqtt_read_properties(c, r,
				 t == MQTT_SUBACK ? PC_SUBACK : PC_UNSUBACK,
				 MQTT_SERVER, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	if (r->left == 0)
		return MQTT_FAULT_EMPTY_LIST;
	for (size_t i = 0; i < r->left; i++)
		if (!mqtt_reason_valid(c, MQTT_SERVER, t, r->p[i]))
			return MQTT_FAULT_REASON_CODE;
	p->u.codes.data = r->p;
	p->u.codes.len = r->left;
	r->left = 0;
	return MQTT_FAULT_NONE;
}

/* ---- encoding ---- */

void
mqtt_encode_filters(struct writer *w, const struct mqtt_codec *c,
		    const struct mqtt_packet *p)
{
	bool sub = p->type == MQTT_SUBSCRIBE;
	bool v5 = c->version == MQTT_V5;
	struct mqtt_subscription s;
	size_t cursor = 0, count = 0;
	int rc;

	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	mqtt_put_properties(w, c, &p->props,
			    sub ? PC_SUBSCRIBE : PC_UNSUBSCRIBE, MQTT_CLIENT);
	while ((rc = mqtt_next_filter(p, c->version, &cursor, &s)) == 1) {
		enum mqtt_fault f =
		    mqtt_topic_filter_check(s.filter.data, s.filter.len, v5);

		if (f == MQTT_FAULT_NONE && sub)
			f = check_subscription_options(
			    c, s.options,
			    v5 && mqtt_topic_share_split(
				      s.filter.data, s.filter.len, NULL, NULL));
		if (f != MQTT_FAULT_NONE)
			fail(w, f);
		put_string(w, s.filter);
		if (sub)
			put_u8(w, s.options);
		count++;
	}
	if (rc < 0)
		fail(w, MQTT_FAULT_TRUNCATED);
	if (count == 0)
		fail(w, MQTT_FAULT_EMPTY_LIST);
}

void
mqtt_encode_codes(struct writer *w, const struct mqtt_codec *c,
		  const struct mqtt_packet *p)
{
	const struct mqtt_bytes *codes = &p->u.codes;

	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	if (p->type == MQTT_UNSUBACK && c->version == MQTT_V311)
		return;
	mqtt_put_properties(w, c, &p->props,
			    p->type == MQTT_SUBACK ? PC_SUBACK : PC_UNSUBACK,
			    MQTT_SERVER);
	if (codes->len == 0)
		fail(w, MQTT_FAULT_EMPTY_LIST);
	else if (codes->data == NULL)
		fail(w, MQTT_FAULT_TRUNCATED);
	for (size_t i = 0; codes->data != NULL && i < codes->len; i++)
		if (!mqtt_reason_valid(c, MQTT_SERVER, p->type, codes->data[i]))
			fail(w, MQTT_FAULT_REASON_CODE);
	put(w, codes->data, codes->len);
}
