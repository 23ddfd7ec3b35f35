/*
 * Subscriptions and the requests that change them: the table of filters
 * the broker granted, SUBSCRIBE and UNSUBSCRIBE waiting for their
 * answers with the room they reserve, and the filters subscribed again
 * when the broker kept no session.
 */
#include <errno.h>
#include <string.h>

#include "session_state.h"
#include "topic.h"

/* ---- the table ---- */

struct mqtt_bytes
session_sub_filter(const struct mqtt_session *s, uint32_t i)
{
	struct mqtt_bytes b = {s->sub_pool + s->subs[i].offset,
			       s->subs[i].length};

	return b;
}

int
session_sub_find(const struct mqtt_session *s, struct mqtt_bytes filter)
{
	for (uint32_t i = 0; i < s->sub_count; i++)
		if (s->subs[i].length == filter.len &&
		    memcmp(s->sub_pool + s->subs[i].offset, filter.data,
			   filter.len) == 0)
			return (int)i;
	return -1;
}

static void
sub_remove(struct mqtt_session *s, uint32_t i)
{
	uint32_t off = s->subs[i].offset, len = s->subs[i].length;

	pool_cut(s->sub_pool, &s->sub_pool_used, off, len);
	memmove(&s->subs[i], &s->subs[i + 1],
		(s->sub_count - i - 1) * sizeof(s->subs[0]));
	s->sub_count--;
	for (uint32_t k = 0; k < s->sub_count; k++)
		if (s->subs[k].offset > off)
			s->subs[k].offset -= len;
	/* A restoration walking the table must not skip the next one. */
	if (s->restoring && i < s->restore_next)
		s->restore_next--;
}

/* Adds or updates a filter; the caller has made sure of the room. */
static void
sub_put(struct mqtt_session *s, const struct mqtt_subscription *sub,
	uint32_t subscription_id)
{
	int i = session_sub_find(s, sub->filter);
	struct mqtt_subscription_entry *e;

	if (i < 0) {
		if (s->sub_count >= s->cfg.subscriptions ||
		    sub->filter.len >
			s->cfg.subscription_bytes - s->sub_pool_used)
			return;
		e = &s->subs[s->sub_count++];
		e->offset = s->sub_pool_used;
		e->length = (uint16_t)sub->filter.len;
		memcpy(s->sub_pool + e->offset, sub->filter.data,
		       sub->filter.len);
		s->sub_pool_used += (uint32_t)sub->filter.len;
	} else {
		e = &s->subs[i];
	}
	e->options = sub->options;
	e->subscription_id = subscription_id;
}

int
mqtt_session_subscription(const struct mqtt_session *s, uint32_t i,
			  struct mqtt_subscription *out)
{
	if (i >= s->sub_count)
		return 0;
	out->filter = session_sub_filter(s, i);
	out->options = s->subs[i].options;
	return 1;
}

/* ---- requests ---- */

static int
req_find(const struct mqtt_session *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->req_count; i++)
		if (s->reqs[i].packet_id == id)
			return (int)i;
	return -1;
}

void
session_req_remove(struct mqtt_session *s, uint32_t i)
{
	struct mqtt_request *r = &s->reqs[i];
	uint32_t off = r->offset, len = r->length;

	s->reserved_subs -= r->reserved_count;
	s->reserved_sub_bytes -= r->reserved_bytes;
	session_id_set(s, r->packet_id, false);
	pool_cut(s->req_pool, &s->req_pool_used, off, len);
	memmove(r, r + 1, (s->req_count - i - 1) * sizeof(*r));
	s->req_count--;
	for (uint32_t k = 0; k < s->req_count; k++)
		if (s->reqs[k].offset > off)
			s->reqs[k].offset -= len;
}

/* Encodes p (its packet identifier still to be given) as a new request.
 * 0, -EINVAL, -EMSGSIZE or -ENOBUFS. */
static int
req_add(struct mqtt_session *s, struct mqtt_packet *p, uint8_t kind,
	uint32_t token, uint16_t reserved_count, uint32_t reserved_bytes)
{
	struct mqtt_request *r;
	ssize_t len;

	p->packet_id = 1; /* its value does not change the length */
	len = mqtt_encoded_length(&s->codec, p, NULL);
	if (len < 0)
		return (int)len;
	if (s->req_count >= s->cfg.requests ||
	    (size_t)len > s->cfg.request_bytes - s->req_pool_used)
		return -ENOBUFS;
	p->packet_id = session_id_alloc(s);
	if (p->packet_id == 0)
		return -ENOBUFS;
	r = &s->reqs[s->req_count];
	r->offset = s->req_pool_used;
	if (mqtt_encode(&s->codec, p, s->req_pool + r->offset, (size_t)len,
			NULL) != len) {
		session_id_set(s, p->packet_id, false);
		return -EINVAL;
	}
	r->length = (uint32_t)len;
	r->token = token;
	r->packet_id = p->packet_id;
	r->kind = kind;
	r->sent = false;
	r->reserved_count = reserved_count;
	r->reserved_bytes = reserved_bytes;
	s->req_pool_used += (uint32_t)len;
	s->req_count++;
	s->reserved_subs += reserved_count;
	s->reserved_sub_bytes += reserved_bytes;
	return 0;
}

/* Reads back a request we encoded, to learn its filters. */
static bool
req_decode(const struct mqtt_session *s, const struct mqtt_request *r,
	   struct mqtt_packet *p)
{
	const struct mqtt_codec server = {s->cfg.version, MQTT_SERVER, 0, 0};

	return mqtt_decode(&server, s->req_pool + r->offset, r->length, p, NULL,
			   NULL) == (ssize_t)r->length;
}

void
session_restore_subscriptions(struct mqtt_session *s)
{
	while (s->restoring && s->restore_next < s->sub_count) {
		const struct mqtt_subscription_entry *e =
		    &s->subs[s->restore_next];
		struct mqtt_subscription sub = {
		    session_sub_filter(s, s->restore_next), e->options};
		struct mqtt_packet p;

		memset(&p, 0, sizeof(p));
		p.type = MQTT_SUBSCRIBE;
		p.u.filters.list = &sub;
		p.u.filters.count = 1;
		if (e->subscription_id != 0) {
			p.props.present = UINT64_C(1)
					  << MQTT_PROP_SUBSCRIPTION_ID;
			p.props.subscription_id = e->subscription_id;
		}
		if (req_add(s, &p, REQ_RESTORE, 0, 0, 0) < 0)
			return;
		s->restore_next++;
	}
	s->restoring = false;
}

int
session_on_suback(struct mqtt_session *s, const struct mqtt_packet *p,
		  struct mqtt_event *ev)
{
	struct mqtt_packet req;
	struct mqtt_subscription sub;
	size_t cursor = 0, k = 0;
	uint32_t subscription_id = 0;
	int i = req_find(s, p->packet_id), first_error = 0;
	bool unsubscribe = p->type == MQTT_UNSUBACK;
	uint8_t kind;

	if (s->state != MQTT_SESSION_CONNECTED)
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	if (i < 0 || !s->reqs[i].sent ||
	    (s->reqs[i].kind == REQ_UNSUBSCRIBE) != unsubscribe)
		return session_violation(s, MQTT_FAULT_UNKNOWN_PACKET_ID);
	if (!req_decode(s, &s->reqs[i], &req))
		return session_violation(s, MQTT_FAULT_UNEXPECTED_PACKET);
	/* A 3.1.1 UNSUBACK carries no codes; every other a code a filter. */
	if (!(unsubscribe && s->cfg.version == MQTT_V311) &&
	    p->u.codes.len != req.u.filters.count)
		return session_violation(s, MQTT_FAULT_SUBACK_COUNT);
	kind = s->reqs[i].kind;
	if (mqtt_prop_has(&req.props, MQTT_PROP_SUBSCRIPTION_ID))
		subscription_id = req.props.subscription_id;
	/* Its reservation is released first: the filters it keeps use it. */
	s->reserved_subs -= s->reqs[i].reserved_count;
	s->reserved_sub_bytes -= s->reqs[i].reserved_bytes;
	s->reqs[i].reserved_count = 0;
	s->reqs[i].reserved_bytes = 0;
	while (mqtt_next_filter(&req, s->cfg.version, &cursor, &sub) == 1) {
		uint8_t code = p->u.codes.len > k ? p->u.codes.data[k] : 0;
		int at = session_sub_find(s, sub.filter);

		k++;
		if (code >= MQTT_RC_FIRST_FAILURE) {
			if (first_error == 0)
				first_error = mqtt_reason_errno(code);
			/* A filter the broker no longer takes is not kept. */
			if (kind == REQ_RESTORE && at >= 0)
				sub_remove(s, (uint32_t)at);
			continue;
		}
		if (unsubscribe) {
			if (at >= 0)
				sub_remove(s, (uint32_t)at);
		} else if (kind == REQ_SUBSCRIBE || at >= 0) {
			/* A restored filter unsubscribed meanwhile stays
			 * gone: that UNSUBSCRIBE follows this SUBSCRIBE. */
			sub_put(s, &sub, subscription_id);
		}
	}
	ev->type =
	    unsubscribe ? MQTT_EVENT_UNSUBSCRIBED : MQTT_EVENT_SUBSCRIBED;
	ev->token = s->reqs[i].token;
	ev->reason_codes = p->u.codes;
	ev->error = first_error;
	ev->props = p->props;
	session_req_remove(s, (uint32_t)i);
	return 1;
}

int
mqtt_session_restore_subscription(struct mqtt_session *s,
				  const struct mqtt_subscription *sub)
{
	if (sub == NULL || sub->filter.len == 0 ||
	    sub->filter.len > UINT16_MAX ||
	    mqtt_topic_filter_check(sub->filter.data, sub->filter.len,
				    s->cfg.version == MQTT_V5) != 0)
		return -EINVAL;
	if (session_sub_find(s, sub->filter) < 0 &&
	    (s->sub_count + s->reserved_subs >= s->cfg.subscriptions ||
	     sub->filter.len > (size_t)s->cfg.subscription_bytes -
				   s->sub_pool_used - s->reserved_sub_bytes))
		return -ENOBUFS;
	sub_put(s, sub, 0);
	return 0;
}

/* ---- the caller's requests ---- */

static bool
has_wildcard(struct mqtt_bytes f)
{
	return memchr(f.data, '+', f.len) != NULL ||
	       memchr(f.data, '#', f.len) != NULL;
}

int
mqtt_session_subscribe(struct mqtt_session *s,
		       const struct mqtt_subscription *list, size_t n,
		       uint32_t subscription_id, uint32_t *token)
{
	struct mqtt_packet p;
	size_t bytes = 0;
	ssize_t len;
	uint32_t t;
	int rc;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	if (list == NULL || token == NULL || n == 0 ||
	    subscription_id > MQTT_MAX_SUBSCRIPTION_ID ||
	    (subscription_id != 0 && s->cfg.version != MQTT_V5))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (list[i].filter.len > 0 && list[i].filter.data == NULL)
			return -EINVAL;
		if (s->cfg.version == MQTT_V5 &&
		    ((!s->broker_wildcard && has_wildcard(list[i].filter)) ||
		     (!s->broker_shared &&
		      mqtt_topic_share_split(list[i].filter.data,
					     list[i].filter.len, NULL, NULL))))
			return -EOPNOTSUPP;
	}
	if (subscription_id != 0 && !s->broker_subscription_ids)
		return -EOPNOTSUPP;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_SUBSCRIBE;
	p.u.filters.list = list;
	p.u.filters.count = n;
	if (subscription_id != 0) {
		p.props.present = UINT64_C(1) << MQTT_PROP_SUBSCRIPTION_ID;
		p.props.subscription_id = subscription_id;
	}
	/* The filters are checked first, then the room in the table for
	 * every one of them, should the broker grant them all. */
	p.packet_id = 1;
	len = mqtt_encoded_length(&s->codec, &p, NULL);
	if (len < 0)
		return (int)len;
	if (n > (size_t)s->cfg.subscriptions - s->sub_count - s->reserved_subs)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++)
		bytes += list[i].filter.len;
	if (bytes > (size_t)s->cfg.subscription_bytes - s->sub_pool_used -
			s->reserved_sub_bytes)
		return -ENOBUFS;
	t = s->next_token;
	rc = req_add(s, &p, REQ_SUBSCRIBE, t, (uint16_t)n, (uint32_t)bytes);
	if (rc < 0)
		return rc;
	*token = session_new_token(s);
	session_pump(s);
	return 0;
}

int
mqtt_session_unsubscribe(struct mqtt_session *s,
			 const struct mqtt_bytes *filters, size_t n,
			 uint32_t *token)
{
	struct mqtt_packet p;
	uint32_t t;
	int rc;

	if (s->state != MQTT_SESSION_CONNECTED)
		return -ENOTCONN;
	if (filters == NULL || token == NULL || n == 0)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.type = MQTT_UNSUBSCRIBE;
	p.u.filters.filters = filters;
	p.u.filters.count = n;
	t = s->next_token;
	rc = req_add(s, &p, REQ_UNSUBSCRIBE, t, 0, 0);
	if (rc < 0)
		return rc;
	*token = session_new_token(s);
	session_pump(s);
	return 0;
}
