/* Topic names and filters, level by level. */
#include "topic.h"

#include <string.h>

#define SHARE_PREFIX	 "$share/"
#define SHARE_PREFIX_LEN (sizeof(SHARE_PREFIX) - 1)

/* A cursor over the '/'-separated levels of a topic or filter. */
struct levels {
	const uint8_t *p;
	size_t left;
	bool done;
};

static void
levels_init(struct levels *l, const uint8_t *p, size_t len)
{
	l->p = p;
	l->left = len;
	l->done = false;
}

/* The next level, possibly empty; false after the last one.  A string of
 * n separators has n + 1 levels, so the last one is returned even when
 * it is empty. */
static bool
levels_next(struct levels *l, const uint8_t **level, size_t *len)
{
	const uint8_t *slash;

	if (l->done)
		return false;
	slash = l->left ? memchr(l->p, '/', l->left) : NULL;
	*level = l->p;
	if (slash == NULL) {
		*len = l->left;
		l->p += l->left;
		l->left = 0;
		l->done = true;
		return true;
	}
	*len = (size_t)(slash - l->p);
	l->left -= *len + 1;
	l->p = slash + 1;
	return true;
}

static bool
level_is(const uint8_t *level, size_t len, uint8_t c)
{
	return len == 1 && level[0] == c;
}

static enum mqtt_fault
common_check(const uint8_t *s, size_t len)
{
	if (len == 0)
		return MQTT_FAULT_TOPIC_EMPTY;
	if (len > MQTT_MAX_STRING)
		return MQTT_FAULT_TOO_LARGE;
	return mqtt_utf8_check(s, len);
}

enum mqtt_fault
mqtt_topic_name_check(const uint8_t *name, size_t len)
{
	enum mqtt_fault f = common_check(name, len);

	if (f != MQTT_FAULT_NONE)
		return f;
	if (memchr(name, '+', len) != NULL || memchr(name, '#', len) != NULL)
		return MQTT_FAULT_TOPIC_WILDCARD;
	return MQTT_FAULT_NONE;
}

/* A filter without the shared-subscription prefix. */
static enum mqtt_fault
plain_filter_check(const uint8_t *filter, size_t len)
{
	struct levels l;
	const uint8_t *level;
	size_t n;
	bool after_hash = false;

	if (len == 0)
		return MQTT_FAULT_TOPIC_EMPTY;
	levels_init(&l, filter, len);
	while (levels_next(&l, &level, &n)) {
		/* '#' must be the last level. */
		if (after_hash)
			return MQTT_FAULT_TOPIC_FILTER;
		if (level_is(level, n, '#')) {
			after_hash = true;
			continue;
		}
		if (level_is(level, n, '+'))
			continue;
		if (memchr(level, '+', n) != NULL ||
		    memchr(level, '#', n) != NULL)
			return MQTT_FAULT_TOPIC_FILTER;
	}
	return MQTT_FAULT_NONE;
}

bool
mqtt_topic_share_split(const uint8_t *filter, size_t len,
		       struct mqtt_bytes *share, struct mqtt_bytes *inner)
{
	const uint8_t *name, *slash;
	size_t rest;

	if (len < SHARE_PREFIX_LEN ||
	    memcmp(filter, SHARE_PREFIX, SHARE_PREFIX_LEN) != 0)
		return false;
	name = filter + SHARE_PREFIX_LEN;
	rest = len - SHARE_PREFIX_LEN;
	slash = memchr(name, '/', rest);
	if (share != NULL && inner != NULL) {
		size_t name_len = slash ? (size_t)(slash - name) : rest;

		share->data = name;
		share->len = name_len;
		inner->data = slash ? slash + 1 : name + rest;
		inner->len = slash ? rest - name_len - 1 : 0;
	}
	return true;
}

enum mqtt_fault
mqtt_topic_filter_check(const uint8_t *filter, size_t len, bool allow_shared)
{
	struct mqtt_bytes share, inner;
	enum mqtt_fault f = common_check(filter, len);

	if (f != MQTT_FAULT_NONE)
		return f;
	if (allow_shared &&
	    mqtt_topic_share_split(filter, len, &share, &inner)) {
		/* The share name is one level with no wildcard, and a
		 * filter must follow it. */
		if (share.len == 0 || inner.data == filter + len ||
		    memchr(share.data, '+', share.len) != NULL ||
		    memchr(share.data, '#', share.len) != NULL)
			return MQTT_FAULT_TOPIC_FILTER;
		return plain_filter_check(inner.data, inner.len);
	}
	return plain_filter_check(filter, len);
}

bool
mqtt_topic_match(const uint8_t *filter, size_t filter_len, const uint8_t *name,
		 size_t name_len)
{
	struct levels fl, nl;
	const uint8_t *f, *n;
	size_t flen, nlen;
	bool first = true;

	levels_init(&fl, filter, filter_len);
	levels_init(&nl, name, name_len);
	for (;;) {
		bool have_f = levels_next(&fl, &f, &flen);
		bool have_n = levels_next(&nl, &n, &nlen);

		if (have_f && level_is(f, flen, '#'))
			/* The parent level and everything below, except
			 * that a leading wildcard never reaches '$' names. */
			return !(first && name_len > 0 && name[0] == '$');
		if (!have_f || !have_n)
			return have_f == have_n;
		if (level_is(f, flen, '+')) {
			if (first && nlen > 0 && n[0] == '$')
				return false;
		} else if (flen != nlen || memcmp(f, n, flen) != 0) {
			return false;
		}
		first = false;
	}
}

bool
mqtt_topic_within(const uint8_t *inner, size_t inner_len, const uint8_t *outer,
		  size_t outer_len)
{
	struct levels il, ol;
	const uint8_t *i, *o;
	size_t ilen, olen;
	bool first = true;

	if (plain_filter_check(inner, inner_len) != MQTT_FAULT_NONE ||
	    plain_filter_check(outer, outer_len) != MQTT_FAULT_NONE)
		return false;
	levels_init(&il, inner, inner_len);
	levels_init(&ol, outer, outer_len);
	for (;;) {
		bool have_i = levels_next(&il, &i, &ilen);
		bool have_o = levels_next(&ol, &o, &olen);
		bool i_wild = have_i && (level_is(i, ilen, '+') ||
					 level_is(i, ilen, '#'));

		if (have_o && level_is(o, olen, '#')) {
			/* outer takes everything from here on, except '$'
			 * first levels, which inner can only name
			 * literally (its wildcards cannot reach them). */
			if (first && have_i && !i_wild && ilen > 0 &&
			    i[0] == '$')
				return false;
			return true;
		}
		if (!have_i || !have_o)
			/* inner ended: outer must end too (its '#' was
			 * handled above).  outer ended: inner has more
			 * levels that outer cannot match. */
			return have_i == have_o;
		if (level_is(i, ilen, '#')) {
			const uint8_t *next;
			size_t next_len;

			/* inner reaches every depth from its parent level
			 * down; only an outer '#' at this level does, which
			 * was handled above.  Unless that parent is the
			 * empty name, which no topic has ("#" or "/#"):
			 * then an outer "+/#" at this level takes the same
			 * names. */
			return (size_t)(i - inner) <= 1 &&
			       level_is(o, olen, '+') &&
			       levels_next(&ol, &next, &next_len) &&
			       level_is(next, next_len, '#');
		}
		if (level_is(o, olen, '+')) {
			if (first && !i_wild && ilen > 0 && i[0] == '$')
				return false;
		} else if (i_wild || ilen != olen || memcmp(i, o, ilen) != 0) {
			return false;
		}
		first = false;
	}
}
