/*
 * MQTT in the image: the part of a connection capability that names an
 * MQTT broker (protocol level, TLS or plaintext, the topic filters the
 * holder may publish to and subscribe to, its credentials), and the
 * credentials files the image gives the MQTT compartment alone, each
 * recorded by path and SHA-256 as the TLS compartment's identities are.
 */
#include "image.h"
#include "image_private.h"

#include <jansson.h>
#include <string.h>

const struct image_compartment *
image_mqtt_compartment(const struct image *img)
{
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (image_exports(&img->compartments[i],
				  SN_EXPORT_MQTT_CONNECT))
			return &img->compartments[i];
	return NULL;
}

/* ---- a binary's MQTT records ---- */

/* Records of one binary, in the order its section has them, applied to
 * its capabilities once all are read. */
#define MAX_RECORDS (2 * SN_MQTT_FILTERS_MAX * SN_MAX_HELD_CAPABILITIES)
static struct sealnet_declaration records[MAX_RECORDS];
static unsigned nrecords;

void
image_mqtt_begin(void)
{
	nrecords = 0;
}

int
image_mqtt_declare(const struct sealnet_declaration *d, char *err,
		   size_t errlen)
{
	if (nrecords >= MAX_RECORDS)
		return image_fail(err, errlen, "too many MQTT declarations");
	records[nrecords++] = *d;
	return 0;
}

/* A topic filter as a capability may grant it: '+' and '#' fill whole
 * levels, '#' only the last; nothing a terminal would escape. */
static bool
filter_ok(const char *f)
{
	size_t len = strlen(f);

	if (len == 0 || len >= SN_MQTT_FILTER_BYTES || image_needs_escape(f))
		return false;
	for (size_t i = 0; i < len; i++) {
		bool starts = i == 0 || f[i - 1] == '/';
		bool ends = i + 1 == len || f[i + 1] == '/';

		if ((f[i] == '+' && !(starts && ends)) ||
		    (f[i] == '#' && !(starts && i + 1 == len)))
			return false;
	}
	return true;
}

static struct sn_capability *
capability_named(struct image_compartment *c, const char *name)
{
	for (unsigned k = 0; k < c->ncaps; k++)
		if (strcmp(c->caps[k].name, name) == 0)
			return &c->caps[k].cap;
	return NULL;
}

static int
apply_record(struct image_compartment *c, const struct sealnet_declaration *d,
	     int kind, char *err, size_t errlen)
{
	struct sn_capability *cap = capability_named(c, d->name);

	if (d->kind != kind)
		return 0;
	if (cap == NULL || cap->mqtt_version == 0)
		return image_fail(err, errlen,
				  "%s names %s, which is not an MQTT "
				  "capability of this compartment",
				  d->text[0] ? d->text : "an MQTT record",
				  d->name);
	if (kind == SEALNET_DECLARE_MQTT_CREDENTIALS) {
		if (cap->mqtt_credentials[0] || !image_plain_name(d->text) ||
		    !image_copy_name(cap->mqtt_credentials,
				     sizeof(cap->mqtt_credentials), d->text))
			return image_fail(err, errlen,
					  "capability %s: credentials \"%s\" "
					  "repeated, or not 1 to %u letters, "
					  "digits, _ - .",
					  d->name, d->text, SN_IDENTITY_MAX);
		return 0;
	}
	if (!filter_ok(d->text))
		return image_fail(err, errlen,
				  "capability %s: \"%s\" is not a topic filter",
				  d->name, d->text);
	if (sn_capability_add_mqtt_filter(cap,
					  kind == SEALNET_DECLARE_MQTT_PUBLISH,
					  d->text, strlen(d->text)) < 0)
		return image_fail(err, errlen,
				  "capability %s: more than %u topic filters "
				  "or %u bytes of them",
				  d->name, SN_MQTT_FILTERS_MAX,
				  SN_MQTT_FILTER_BYTES);
	return 0;
}

/* The broker's record first, then publish filters, subscribe filters
 * and credentials, each in the section's order: the order the SDK
 * presents them in. */
int
image_mqtt_apply(struct image_compartment *c, char *err, size_t errlen)
{
	static const int order[] = {SEALNET_DECLARE_MQTT_PUBLISH,
				    SEALNET_DECLARE_MQTT_SUBSCRIBE,
				    SEALNET_DECLARE_MQTT_CREDENTIALS};

	for (unsigned i = 0; i < nrecords; i++) {
		const struct sealnet_declaration *d = &records[i];
		struct sn_capability *cap = capability_named(c, d->name);

		if (d->kind != SEALNET_DECLARE_MQTT)
			continue;
		if (cap == NULL || cap->kind != SN_CAPABILITY_CONNECTION ||
		    cap->protocol != SN_PROTOCOL_TCP || cap->mqtt_version)
			return image_fail(err, errlen,
					  "MQTT capability %s: not one TCP "
					  "connection capability",
					  d->name);
		if ((d->number != SEALNET_MQTT_V5 &&
		     d->number != SEALNET_MQTT_V311) ||
		    d->protocol > SEALNET_MQTT_PLAINTEXT)
			return image_fail(err, errlen,
					  "MQTT capability %s: an unknown "
					  "version or transport",
					  d->name);
		cap->mqtt_version = (uint8_t)d->number;
		cap->mqtt_plaintext = d->protocol == SEALNET_MQTT_PLAINTEXT;
	}
	for (unsigned o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (unsigned i = 0; i < nrecords; i++)
			if (apply_record(c, &records[i], order[o], err,
					 errlen) < 0)
				return -1;
	return 0;
}

/* ---- credentials ---- */

static const struct image_credentials *
credentials_named(const struct image_mqtt *m, const char *name)
{
	for (unsigned i = 0; i < m->ncredentials; i++)
		if (strcmp(m->credentials[i].name, name) == 0)
			return &m->credentials[i];
	return NULL;
}

/* "NAME=FILE" */
static int
record_credentials(struct image_mqtt *m, const char *spec, char *err,
		   size_t errlen)
{
	char shown[256], name[SN_IDENTITY_MAX + 1];
	const char *eq = strchr(spec, '=');
	struct image_credentials *c;

	image_escape(shown, sizeof(shown), spec);
	if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof(name))
		return image_fail(
		    err, errlen, "--mqtt-credentials %s: not NAME=FILE", shown);
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = 0;
	if (!image_plain_name(name) || credentials_named(m, name) != NULL)
		return image_fail(err, errlen,
				  "--mqtt-credentials %s: a repeated name, or "
				  "not letters, digits, _ - .",
				  shown);
	if (m->ncredentials >= IMAGE_MAX_CREDENTIALS)
		return image_fail(err, errlen, "more than %d credentials",
				  IMAGE_MAX_CREDENTIALS);
	c = &m->credentials[m->ncredentials];
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	if (image_record_file(&c->file, eq + 1, "MQTT credentials", err,
			      errlen) < 0)
		return -1;
	m->ncredentials++;
	return 0;
}

int
image_mqtt_build(struct image *img, const struct image_tls_options *opt,
		 char *err, size_t errlen)
{
	unsigned n = opt != NULL ? opt->nmqtt_credentials : 0;

	memset(&img->mqtt, 0, sizeof(img->mqtt));
	if (n > 0 && image_mqtt_compartment(img) == NULL)
		return image_fail(err, errlen,
				  "MQTT credentials, but no compartment serves "
				  "mqtt_connect");
	for (unsigned i = 0; i < n; i++)
		if (record_credentials(&img->mqtt, opt->mqtt_credentials[i],
				       err, errlen) < 0)
			return -1;
	return 0;
}

/* Every credentials name a capability gives is the image's. */
int
image_mqtt_check(const struct image *img, char *err, size_t errlen)
{
	const struct image_mqtt *m = &img->mqtt;

	if (m->ncredentials > 0 && image_mqtt_compartment(img) == NULL)
		return image_fail(err, errlen,
				  "mqtt: credentials, but no compartment "
				  "serves mqtt_connect");
	for (unsigned i = 0; i < m->ncredentials; i++)
		if (!image_plain_name(m->credentials[i].name) ||
		    credentials_named(m, m->credentials[i].name) !=
			&m->credentials[i] ||
		    !image_file_ok(&m->credentials[i].file))
			return image_fail(err, errlen,
					  "mqtt.credentials: a bad or "
					  "repeated name, or not an absolute "
					  "path and a SHA-256");
	for (unsigned i = 0; i < img->ncompartments; i++) {
		const struct image_compartment *c = &img->compartments[i];

		for (unsigned k = 0; k < c->ncaps; k++) {
			const char *name = c->caps[k].cap.mqtt_credentials;

			if (name[0] && credentials_named(m, name) == NULL)
				return image_fail(
				    err, errlen,
				    "%s's capability %s logs in with the "
				    "credentials %s, which the image does not "
				    "have (give them with --mqtt-credentials "
				    "%s=FILE)",
				    c->name, c->caps[k].name, name, name);
		}
	}
	return 0;
}

/* ---- JSON ---- */

json_t *
image_mqtt_json(const struct image_mqtt *m)
{
	json_t *list = json_array();

	for (unsigned i = 0; i < m->ncredentials; i++)
		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:s}", "name", m->credentials[i].name,
			      "path", m->credentials[i].file.path, "sha256",
			      m->credentials[i].file.sha256));
	return json_pack("{s:o}", "credentials", list);
}

int
image_mqtt_parse(struct image_mqtt *m, json_t *o, char *err, size_t errlen)
{
	json_t *list = json_object_get(o, "credentials"), *v;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o) || json_object_size(o) != 1 ||
	    !json_is_array(list) ||
	    json_array_size(list) > IMAGE_MAX_CREDENTIALS)
		return image_fail(err, errlen,
				  "image.mqtt: not {credentials} with at most "
				  "%d entries",
				  IMAGE_MAX_CREDENTIALS);
	json_array_foreach(list, i, v)
	{
		struct image_credentials *c = &m->credentials[i];
		json_t *name = json_object_get(v, "name");
		json_t *file = json_pack("{s:O?, s:O?}", "path",
					 json_object_get(v, "path"), "sha256",
					 json_object_get(v, "sha256"));
		int rc = json_is_object(v) && json_object_size(v) == 3 &&
				 json_is_string(name) &&
				 image_copy_name(c->name, sizeof(c->name),
						 json_string_value(name))
			     ? image_parse_file(&c->file, file,
						"mqtt.credentials", err, errlen)
			     : image_fail(err, errlen,
					  "mqtt.credentials: an entry is not "
					  "{name, path, sha256}");

		json_decref(file);
		if (rc < 0)
			return -1;
		m->ncredentials++;
	}
	return 0;
}

static json_t *
filters_json(const struct sn_capability *c, bool publish)
{
	json_t *list = json_array();
	unsigned first = publish ? 0 : c->mqtt_publish;
	unsigned n = publish ? c->mqtt_publish : c->mqtt_subscribe;

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(
		    list, json_string(sn_capability_mqtt_filter(c, first + i)));
	return list;
}

json_t *
image_mqtt_grant_json(const struct sn_capability *c)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:o, s:o}", "version",
	    c->mqtt_version == SEALNET_MQTT_V5 ? "5.0" : "3.1.1", "transport",
	    c->mqtt_plaintext ? "plaintext" : "tls", "publish",
	    filters_json(c, true), "subscribe", filters_json(c, false));

	if (c->mqtt_credentials[0])
		json_object_set_new(o, "credentials",
				    json_string(c->mqtt_credentials));
	return o;
}

static int
parse_filters(struct sn_capability *c, json_t *list, bool publish)
{
	json_t *v;
	size_t i;

	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, v)
	{
		const char *f = json_string_value(v);

		if (f == NULL || strlen(f) != json_string_length(v) ||
		    !filter_ok(f) ||
		    sn_capability_add_mqtt_filter(c, publish, f, strlen(f)) < 0)
			return -1;
	}
	return 0;
}

int
image_mqtt_grant_parse(struct sn_capability *c, json_t *o, const char *where,
		       char *err, size_t errlen)
{
	const char *version = json_string_value(json_object_get(o, "version"));
	const char *transport =
	    json_string_value(json_object_get(o, "transport"));
	json_t *cred = json_object_get(o, "credentials");

	if (!json_is_object(o) ||
	    json_object_size(o) != (cred != NULL ? 5u : 4u) ||
	    version == NULL || transport == NULL ||
	    (strcmp(version, "5.0") != 0 && strcmp(version, "3.1.1") != 0) ||
	    (strcmp(transport, "tls") != 0 &&
	     strcmp(transport, "plaintext") != 0))
		return image_fail(err, errlen,
				  "%s.mqtt: not {version, transport, publish, "
				  "subscribe[, credentials]}",
				  where);
	c->mqtt_version =
	    strcmp(version, "5.0") == 0 ? SEALNET_MQTT_V5 : SEALNET_MQTT_V311;
	c->mqtt_plaintext = strcmp(transport, "plaintext") == 0;
	if (parse_filters(c, json_object_get(o, "publish"), true) < 0 ||
	    parse_filters(c, json_object_get(o, "subscribe"), false) < 0)
		return image_fail(err, errlen,
				  "%s.mqtt: a bad topic filter, or too many",
				  where);
	if (cred != NULL &&
	    (!json_is_string(cred) ||
	     !image_plain_name(json_string_value(cred)) ||
	     !image_copy_name(c->mqtt_credentials, sizeof(c->mqtt_credentials),
			      json_string_value(cred))))
		return image_fail(err, errlen, "%s.mqtt: bad credentials name",
				  where);
	return 0;
}
