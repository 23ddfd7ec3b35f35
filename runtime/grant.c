/*
 * The MQTT part of a connection capability: its topic filters, packed
 * into the capability itself so that a peer's held capabilities stay one
 * fixed table, read from and written to the schema's MqttGrant, and
 * compared whole when a request presents one.
 */
#include "call.h"

#include <errno.h>
#include <string.h>

int
sn_capability_add_mqtt_filter(struct sn_capability *c, bool publish,
			      const char *filter, size_t len)
{
	unsigned n = (unsigned)c->mqtt_publish + c->mqtt_subscribe;

	if (filter == NULL || len == 0 || memchr(filter, 0, len) != NULL ||
	    (publish && c->mqtt_subscribe > 0))
		return -EINVAL;
	if (n >= SN_MQTT_FILTERS_MAX ||
	    len + 1 > SN_MQTT_FILTER_BYTES - c->mqtt_filter_bytes)
		return -ENOSPC;
	memcpy(c->mqtt_filters + c->mqtt_filter_bytes, filter, len);
	c->mqtt_filters[c->mqtt_filter_bytes + len] = 0;
	c->mqtt_filter_bytes += (uint16_t)(len + 1);
	if (publish)
		c->mqtt_publish++;
	else
		c->mqtt_subscribe++;
	return 0;
}

const char *
sn_capability_mqtt_filter(const struct sn_capability *c, unsigned i)
{
	size_t at = 0;

	if (i >= (unsigned)c->mqtt_publish + c->mqtt_subscribe)
		return NULL;
	for (; i > 0; i--)
		at += strlen(c->mqtt_filters + at) + 1;
	return c->mqtt_filters + at;
}

static int
read_filters(struct sn_capability *c, bool publish, sn_mqtt_grant_ref g)
{
	uint32_t n = publish ? sn_mqtt_grant_publish_count(g)
			     : sn_mqtt_grant_subscribe_count(g);

	for (uint32_t i = 0; i < n; i++) {
		sn_mqtt_filter_ref f = publish
					   ? sn_mqtt_grant_publish_at(g, i)
					   : sn_mqtt_grant_subscribe_at(g, i);
		uint32_t len;
		const char *s = sn_mqtt_filter_filter(f, &len);

		if (sn_capability_add_mqtt_filter(c, publish, s, len) < 0)
			return -EINVAL;
	}
	return 0;
}

int
sn_capability_mqtt_read(struct sn_capability *c, sn_mqtt_grant_ref g)
{
	uint32_t len = 0;
	const char *cred = sn_mqtt_grant_credentials(g, &len);
	uint8_t version = sn_mqtt_grant_version(g);

	c->mqtt_version = 0;
	c->mqtt_publish = c->mqtt_subscribe = 0;
	c->mqtt_filter_bytes = 0;
	c->mqtt_credentials[0] = 0;
	if (version != SN_MQTT_VERSION_V311 && version != SN_MQTT_VERSION_V5)
		return -EINVAL;
	if (cred != NULL) {
		if (len == 0 || len >= sizeof(c->mqtt_credentials) ||
		    memchr(cred, 0, len) != NULL)
			return -EINVAL;
		memcpy(c->mqtt_credentials, cred, len);
		c->mqtt_credentials[len] = 0;
	}
	c->mqtt_version = version;
	c->mqtt_plaintext = sn_mqtt_grant_plaintext(g);
	if (read_filters(c, true, g) < 0 || read_filters(c, false, g) < 0) {
		c->mqtt_version = 0;
		return -EINVAL;
	}
	return 0;
}

static void
build_filters(sn_builder *b, uint32_t grant, const struct sn_capability *c,
	      bool publish)
{
	unsigned first = publish ? 0 : c->mqtt_publish;
	unsigned n = publish ? c->mqtt_publish : c->mqtt_subscribe;
	uint32_t vec = publish ? sn_mqtt_grant_start_publish(b, grant, n)
			       : sn_mqtt_grant_start_subscribe(b, grant, n);

	for (unsigned i = 0; i < n; i++) {
		const char *f = sn_capability_mqtt_filter(c, first + i);
		uint32_t t = sn_mqtt_filter_start(b);

		sn_mqtt_filter_add_filter(b, t, f, strlen(f));
		sn_builder_set_table_at(b, vec, i, t);
	}
}

uint32_t
sn_capability_mqtt_build(sn_builder *b, const struct sn_capability *c)
{
	uint32_t g = sn_mqtt_grant_start(b);

	sn_mqtt_grant_add_version(b, g, c->mqtt_version);
	sn_mqtt_grant_add_plaintext(b, g, c->mqtt_plaintext);
	build_filters(b, g, c, true);
	build_filters(b, g, c, false);
	if (c->mqtt_credentials[0])
		sn_mqtt_grant_add_credentials(b, g, c->mqtt_credentials,
					      strlen(c->mqtt_credentials));
	return g;
}

bool
sn_capability_mqtt_same(const struct sn_capability *c,
			sn_mqtt_grant_ref presented)
{
	struct sn_capability p;

	if (presented.pos == 0)
		return c->mqtt_version == 0;
	if (c->mqtt_version == 0 || sn_capability_mqtt_read(&p, presented) < 0)
		return false;
	return p.mqtt_version == c->mqtt_version &&
	       p.mqtt_plaintext == c->mqtt_plaintext &&
	       p.mqtt_publish == c->mqtt_publish &&
	       p.mqtt_subscribe == c->mqtt_subscribe &&
	       p.mqtt_filter_bytes == c->mqtt_filter_bytes &&
	       memcmp(p.mqtt_filters, c->mqtt_filters, c->mqtt_filter_bytes) ==
		   0 &&
	       strcmp(p.mqtt_credentials, c->mqtt_credentials) == 0;
}
