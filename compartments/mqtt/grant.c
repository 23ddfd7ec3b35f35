/* What an MQTT capability allows: see grant.h. */
#include "grant.h"

#include <errno.h>
#include <string.h>

#include "packet.h"
#include "topic.h"

static bool
within_any(const struct sn_capability *c, unsigned first, unsigned n,
	   const uint8_t *inner, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		const char *f = sn_capability_mqtt_filter(c, first + i);

		if (f != NULL && mqtt_topic_within(
				     inner, len, (const uint8_t *)f, strlen(f)))
			return true;
	}
	return false;
}

bool
grant_may_publish(const struct sn_capability *c, const uint8_t *topic,
		  size_t len)
{
	if (c->mqtt_version == 0 ||
	    mqtt_topic_name_check(topic, len) != MQTT_FAULT_NONE)
		return false;
	return within_any(c, 0, c->mqtt_publish, topic, len);
}

bool
grant_may_subscribe(const struct sn_capability *c, const uint8_t *filter,
		    size_t len)
{
	struct mqtt_bytes share, inner = {filter, len};
	bool v5 = c->mqtt_version == 5;

	if (c->mqtt_version == 0 ||
	    mqtt_topic_filter_check(filter, len, v5) != MQTT_FAULT_NONE)
		return false;
	if (v5 && mqtt_topic_share_split(filter, len, &share, &inner) &&
	    mqtt_topic_filter_check(inner.data, inner.len, false) !=
		MQTT_FAULT_NONE)
		return false;
	return within_any(c, c->mqtt_publish, c->mqtt_subscribe, inner.data,
			  inner.len);
}

int
grant_parse_credentials(const uint8_t *data, size_t len, const uint8_t **user,
			size_t *user_len, const uint8_t **password,
			size_t *password_len)
{
	const uint8_t *nl = memchr(data, '\n', len);
	size_t rest;

	if (nl == NULL || nl == data)
		return -EINVAL;
	*user = data;
	*user_len = (size_t)(nl - data);
	*password = nl + 1;
	rest = len - *user_len - 1;
	*password_len = rest;
	if (rest > 0 && (*password)[rest - 1] == '\n')
		(*password_len)--;
	if (mqtt_utf8_check(*user, *user_len) != MQTT_FAULT_NONE ||
	    memchr(*password, '\n', *password_len) != NULL ||
	    memchr(*password, 0, *password_len) != NULL || *user_len > 65535 ||
	    *password_len > 65535)
		return -EINVAL;
	return 0;
}
