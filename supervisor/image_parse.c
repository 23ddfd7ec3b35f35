/*
 * Reading an image file: every key checked, nothing unknown accepted,
 * every value in range, and then the same cross-compartment rules a
 * freshly built image obeys.
 */
#include "image.h"
#include "image_private.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema_hash.h"

/* ---- parsing ---- */

/* Every object must have exactly the keys listed: a typo or an unknown
 * setting rejects the image rather than being ignored. */
static int
only_keys(json_t *o, const char *const keys[], const char *where, char *err,
	  size_t errlen)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return image_fail(err, errlen, "%s: not an object", where);
	json_object_foreach(o, k, v)
	{
		unsigned i;

		for (i = 0; keys[i]; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (!keys[i])
			return image_fail(err, errlen, "%s: unknown key \"%s\"",
					  where, k);
	}
	for (unsigned i = 0; keys[i]; i++)
		if (!json_object_get(o, keys[i]))
			return image_fail(err, errlen, "%s: missing \"%s\"",
					  where, keys[i]);
	return 0;
}

static int
get_string(json_t *o, const char *key, char *dst, size_t cap, const char *where,
	   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v) ||
	    !image_copy_name(dst, cap, s))
		return image_fail(err, errlen,
				  "%s.%s: not a string of 1 to %zu "
				  "characters",
				  where, key, cap - 1);
	return 0;
}

static int
get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out,
	 const char *where, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return image_fail(err, errlen,
				  "%s.%s: not an integer from 0 to %llu", where,
				  key, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static bool
string_is(json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static bool
hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int
parse_call(struct image_compartment *c, json_t *o, const char *where, char *err,
	   size_t errlen)
{
	static const char *const keys[] = {"kind", "compartment", "export",
					   NULL};
	char text[IMAGE_NAME_MAX];
	const sn_export_info *e;
	struct image_call *call;

	if (only_keys(o, keys, where, err, errlen) < 0)
		return -1;
	if (c->ncalls >= IMAGE_MAX_CALLS)
		return image_fail(err, errlen, "%s: too many", where);
	call = &c->calls[c->ncalls];
	if (get_string(o, "compartment", call->compartment,
		       sizeof(call->compartment), where, err, errlen) < 0 ||
	    get_string(o, "export", text, sizeof(text), where, err, errlen) < 0)
		return -1;
	e = sn_export_info_by_name(text);
	if (e == NULL)
		return image_fail(err, errlen, "%s: unknown export %s", where,
				  text);
	call->export_id = e->id;
	c->ncalls++;
	return 0;
}

static int
parse_connection(struct image_capability *ic, json_t *o, const char *where,
		 uint64_t *port, char *err, size_t errlen)
{
	const char *keys[8] = {"kind", "name", "type", "host", "port"};
	bool has_identity = json_object_get(o, "identity") != NULL;
	json_t *mqtt = json_object_get(o, "mqtt");
	unsigned nkeys = 5;
	const char *type;

	/* The optional keys count only when present. */
	if (has_identity)
		keys[nkeys++] = "identity";
	if (mqtt != NULL)
		keys[nkeys++] = "mqtt";
	keys[nkeys] = NULL;
	if (only_keys(o, keys, where, err, errlen) < 0 ||
	    (has_identity &&
	     get_string(o, "identity", ic->cap.identity,
			sizeof(ic->cap.identity), where, err, errlen) < 0) ||
	    get_string(o, "name", ic->name, sizeof(ic->name), where, err,
		       errlen) < 0 ||
	    get_string(o, "host", ic->cap.host, sizeof(ic->cap.host), where,
		       err, errlen) < 0 ||
	    get_uint(o, "port", UINT16_MAX, port, where, err, errlen) < 0)
		return -1;
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL ||
	    (strcmp(type, "TCP") != 0 && strcmp(type, "UDP") != 0))
		return image_fail(err, errlen,
				  "%s: type is neither TCP nor UDP", where);
	if (has_identity && !image_plain_name(ic->cap.identity))
		return image_fail(err, errlen, "%s: a bad identity name",
				  where);
	if (mqtt != NULL &&
	    (strcmp(type, "TCP") != 0 ||
	     image_mqtt_grant_parse(&ic->cap, mqtt, where, err, errlen) < 0))
		return strcmp(type, "TCP") != 0
			   ? image_fail(err, errlen,
					"%s: an MQTT broker over UDP", where)
			   : -1;
	if (!image_host_name(ic->cap.host))
		return image_fail(err, errlen,
				  "%s: \"%s\" is not a lower-case host name "
				  "or address",
				  where, ic->cap.host);
	ic->cap.kind = SN_CAPABILITY_CONNECTION;
	ic->cap.protocol =
	    strcmp(type, "TCP") == 0 ? SN_PROTOCOL_TCP : SN_PROTOCOL_UDP;
	return 0;
}

static int
parse_bind(struct image_capability *ic, json_t *o, const char *where,
	   uint64_t *port, char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "kind", "name", "port", "max_connections", "ipv6", NULL};
	json_t *ipv6 = json_object_get(o, "ipv6");
	uint64_t max;

	if (only_keys(o, keys, where, err, errlen) < 0 ||
	    get_string(o, "name", ic->name, sizeof(ic->name), where, err,
		       errlen) < 0 ||
	    get_uint(o, "port", UINT16_MAX, port, where, err, errlen) < 0 ||
	    get_uint(o, "max_connections", UINT16_MAX, &max, where, err,
		     errlen) < 0)
		return -1;
	if (!json_is_boolean(ipv6))
		return image_fail(err, errlen, "%s: ipv6 is not a boolean",
				  where);
	if (max == 0)
		return image_fail(err, errlen, "%s: max_connections is 0",
				  where);
	ic->cap.kind = SN_CAPABILITY_BIND;
	ic->cap.max_connections = (uint16_t)max;
	ic->cap.ipv6 = json_is_true(ipv6);
	return 0;
}

static int
parse_import(struct image_compartment *c, json_t *o, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	char where[IMAGE_NAME_MAX + 16];
	struct image_capability *ic;
	uint64_t port = 0;
	int rc;

	snprintf(where, sizeof(where), "%s.imports", c->name);
	if (kind == NULL)
		return image_fail(err, errlen, "%s: an import without a kind",
				  where);
	if (strcmp(kind, "call") == 0)
		return parse_call(c, o, where, err, errlen);
	if (c->ncaps >= SN_MAX_HELD_CAPABILITIES)
		return image_fail(err, errlen, "%s: too many capabilities",
				  where);
	ic = &c->caps[c->ncaps];
	memset(ic, 0, sizeof(*ic));
	if (strcmp(kind, "connection") == 0)
		rc = parse_connection(ic, o, where, &port, err, errlen);
	else if (strcmp(kind, "bind") == 0)
		rc = parse_bind(ic, o, where, &port, err, errlen);
	else
		rc = image_fail(err, errlen, "%s: unknown kind \"%s\"", where,
				kind);
	if (rc < 0)
		return -1;
	if (port == 0)
		return image_fail(err, errlen, "%s: port 0", where);
	if (!image_plain_name(ic->name))
		return image_fail(err, errlen, "%s: bad capability name",
				  where);
	ic->cap.port = (uint16_t)port;
	c->ncaps++;
	return 0;
}

/* A list of export names, into ids: the compartment's exports or its
 * handlers. */
static int
parse_export_list(json_t *arr, const char *where, uint16_t *ids, unsigned *n,
		  char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) > IMAGE_MAX_EXPORTS)
		return image_fail(err, errlen, "%s: not a list of at most %d",
				  where, IMAGE_MAX_EXPORTS);
	json_array_foreach(arr, i, v)
	{
		const sn_export_info *e =
		    json_is_string(v)
			? sn_export_info_by_name(json_string_value(v))
			: NULL;

		if (e == NULL)
			return image_fail(err, errlen, "%s[%zu]: unknown",
					  where, i);
		ids[(*n)++] = e->id;
	}
	return 0;
}

static int
parse_binary(struct image_compartment *c, json_t *o, char *err, size_t errlen)
{
	if (get_string(o, "binary", c->binary, sizeof(c->binary), c->name, err,
		       errlen) < 0 ||
	    get_string(o, "binary_sha256", c->sha256, sizeof(c->sha256),
		       c->name, err, errlen) < 0)
		return -1;
	if (c->binary[0] != '/')
		return image_fail(err, errlen,
				  "%s.binary: not an absolute path", c->name);
	if (image_needs_escape(c->binary))
		return image_fail(err, errlen,
				  "%s.binary: the path holds control "
				  "characters",
				  c->name);
	if (!hex64(c->sha256))
		return image_fail(err, errlen,
				  "%s.binary_sha256: not 64 lower-case hex "
				  "digits",
				  c->name);
	return 0;
}

static int
parse_interface(struct image_compartment *c, json_t *o, char *err,
		size_t errlen)
{
	char where[IMAGE_NAME_MAX + 16];
	json_t *arr, *v;
	size_t i;

	snprintf(where, sizeof(where), "%s.exports", c->name);
	if (parse_export_list(json_object_get(o, "exports"), where, c->exports,
			      &c->nexports, err, errlen) < 0)
		return -1;
	snprintf(where, sizeof(where), "%s.handlers", c->name);
	if (parse_export_list(json_object_get(o, "handlers"), where,
			      c->handlers, &c->nhandlers, err, errlen) < 0)
		return -1;
	arr = json_object_get(o, "imports");
	if (!json_is_array(arr))
		return image_fail(err, errlen, "%s.imports: not a list",
				  c->name);
	json_array_foreach(arr, i, v)
	{
		if (parse_import(c, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
parse_limits(struct image_compartment *c, json_t *o, char *err, size_t errlen)
{
	static const char *const restart_keys[] = {
	    "policy", "max_restarts_per_minute", NULL};
	json_t *quotas = json_object_get(o, "quotas");
	json_t *restart = json_object_get(o, "restart"), *policy;
	uint64_t n;

	if (only_keys(quotas, image_quota_keys, c->name, err, errlen) < 0)
		return -1;
	for (int q = 0; q < QUOTA_COUNT; q++)
		if (get_uint(quotas, image_quota_names[q],
			     image_quota_limits[q], &c->quota[q], c->name, err,
			     errlen) < 0)
			return -1;
	if (only_keys(restart, restart_keys, c->name, err, errlen) < 0 ||
	    get_uint(restart, "max_restarts_per_minute", IMAGE_MAX_RESTARTS, &n,
		     c->name, err, errlen) < 0)
		return -1;
	c->max_restarts = (unsigned)n;
	policy = json_object_get(restart, "policy");
	for (n = 0; n <= RESTART_NEVER; n++)
		if (string_is(policy, image_restart_names[n]))
			break;
	if (n > RESTART_NEVER)
		return image_fail(err, errlen, "%s.restart.policy: unknown",
				  c->name);
	c->restart = (enum image_restart)n;
	return 0;
}

static int
parse_flag(json_t *sandbox, const char *key, bool *out, const char *who,
	   char *err, size_t errlen)
{
	json_t *v = json_object_get(sandbox, key);

	if (!json_is_boolean(v))
		return image_fail(err, errlen, "%s.sandbox.%s: not a boolean",
				  who, key);
	*out = json_is_true(v);
	return 0;
}

static int
parse_sandbox(struct image_compartment *c, json_t *sandbox, char *err,
	      size_t errlen)
{
	static const char *const keys[] = {"syscalls",
					   "network",
					   "device",
					   "mounts",
					   "user",
					   "no_new_privs",
					   "allow_dangerous_syscalls",
					   NULL};
	json_t *arr, *v;
	size_t i;

	if (only_keys(sandbox, keys, c->name, err, errlen) < 0 ||
	    parse_flag(sandbox, "device", &c->device, c->name, err, errlen) <
		0 ||
	    parse_flag(sandbox, "allow_dangerous_syscalls",
		       &c->allow_dangerous_syscalls, c->name, err, errlen) < 0)
		return -1;
	/* The remaining keys describe what the supervisor always does; an
	 * image cannot ask for less. */
	if (!string_is(json_object_get(sandbox, "network"),
		       c->device ? "device" : "none") ||
	    !string_is(json_object_get(sandbox, "mounts"), "empty") ||
	    !string_is(json_object_get(sandbox, "user"), "unprivileged") ||
	    !json_is_true(json_object_get(sandbox, "no_new_privs")))
		return image_fail(err, errlen,
				  "%s.sandbox: asks for less isolation than "
				  "sealnet always applies",
				  c->name);
	arr = json_object_get(sandbox, "syscalls");
	if (!json_is_array(arr))
		return image_fail(err, errlen,
				  "%s.sandbox.syscalls: not a list", c->name);
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return image_fail(err, errlen,
					  "%s.sandbox.syscalls[%zu]: not a "
					  "string",
					  c->name, i);
		if (image_add_syscall(c, json_string_value(v), err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
parse_compartment(struct image_compartment *c, const char *name, json_t *o,
		  char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "binary", "binary_sha256", "exports", "handlers", "imports",
	    "quotas", "restart",       "sandbox", NULL};

	memset(c, 0, sizeof(*c));
	if (!image_copy_name(c->name, sizeof(c->name), name) ||
	    !image_plain_name(name))
		return image_fail(err, errlen, "bad compartment name \"%.64s\"",
				  name);
	if (only_keys(o, keys, c->name, err, errlen) < 0 ||
	    parse_binary(c, o, err, errlen) < 0 ||
	    parse_interface(c, o, err, errlen) < 0 ||
	    parse_limits(c, o, err, errlen) < 0)
		return -1;
	return parse_sandbox(c, json_object_get(o, "sandbox"), err, errlen);
}

static int
parse_network(struct image_network *n, json_t *v, char *err, size_t errlen)
{
	static const char *const keys[] = {"ipv4", "gateway", "dns", NULL};
	const char *text[3] = {NULL, NULL, NULL};

	if (!json_is_object(v))
		return image_fail(err, errlen, "image.network: not an object");
	if (only_keys(v, keys, "network", err, errlen) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		json_t *s = json_object_get(v, keys[i]);

		if (!json_is_string(s))
			return image_fail(
			    err, errlen,
			    "network.%s: not an address or \"dhcp\"", keys[i]);
		text[i] = strcmp(json_string_value(s), "dhcp") == 0
			      ? NULL
			      : json_string_value(s);
	}
	return image_network_set(n, text[0], text[1], text[2], err, errlen);
}

int
image_parse(struct image *img, const char *json, size_t len, char *err,
	    size_t errlen)
{
	static const char *const keys[] = {"sealnet_image", "schema_sha256",
					   "compartments",  "network",
					   "tls",	    NULL};
	static const char *const keys_with_mqtt[] = {"sealnet_image",
						     "schema_sha256",
						     "compartments",
						     "network",
						     "tls",
						     "mqtt",
						     NULL};
	json_error_t jerr;
	json_t *root, *all, *v;
	const char *name;
	int rc = -1;

	memset(img, 0, sizeof(*img));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return image_fail(err, errlen, "line %d: %s", jerr.line,
				  jerr.text);
	/* "mqtt" only in an image with an MQTT compartment. */
	if (only_keys(root,
		      json_object_get(root, "mqtt") != NULL ? keys_with_mqtt
							    : keys,
		      "image", err, errlen) < 0)
		goto out;
	if (!json_is_integer(json_object_get(root, "sealnet_image")) ||
	    json_integer_value(json_object_get(root, "sealnet_image")) !=
		IMAGE_VERSION) {
		image_fail(err, errlen, "image: sealnet_image is not %d",
			   IMAGE_VERSION);
		goto out;
	}
	if (get_string(root, "schema_sha256", img->schema_sha256,
		       sizeof(img->schema_sha256), "image", err, errlen) < 0)
		goto out;
	if (!hex64(img->schema_sha256)) {
		image_fail(err, errlen,
			   "image.schema_sha256: not 64 hex digits");
		goto out;
	}
	all = json_object_get(root, "compartments");
	if (!json_is_object(all) ||
	    json_object_size(all) > IMAGE_MAX_COMPARTMENTS) {
		image_fail(err, errlen,
			   "image.compartments: not an object of at "
			   "most %d",
			   IMAGE_MAX_COMPARTMENTS);
		goto out;
	}
	json_object_foreach(all, name, v)
	{
		if (parse_compartment(&img->compartments[img->ncompartments],
				      name, v, err, errlen) < 0)
			goto out;
		img->ncompartments++;
	}
	if (parse_network(&img->network, json_object_get(root, "network"), err,
			  errlen) < 0 ||
	    image_tls_parse(&img->tls, json_object_get(root, "tls"), err,
			    errlen) < 0 ||
	    (json_object_get(root, "mqtt") != NULL &&
	     image_mqtt_parse(&img->mqtt, json_object_get(root, "mqtt"), err,
			      errlen) < 0))
		goto out;
	rc = image_check(img, err, errlen);
out:
	json_decref(root);
	return rc;
}

int
image_load(struct image *img, const char *path, char *err, size_t errlen)
{
	int fd = image_open_regular(path, err, errlen);
	char shown[256];
	FILE *f;
	char *buf;
	long len;
	int rc;

	if (fd < 0)
		return -1;
	image_escape(shown, sizeof(shown), path);
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return image_fail(err, errlen, "%s: %s", shown,
				  strerror(errno));
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    len > (1 << 22) || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return image_fail(err, errlen,
				  "%s: unreadable or larger than 4 MiB", shown);
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return image_fail(err, errlen, "%s: read failed", shown);
	}
	fclose(f);
	rc = image_parse(img, buf, (size_t)len, err, errlen);
	free(buf);
	if (rc == 0 &&
	    strcmp(img->schema_sha256, SEALNET_SCHEMA_SHA256_HEX) != 0)
		return image_fail(
		    err, errlen,
		    "%s was built for schema %s; this sealnet has %s", shown,
		    img->schema_sha256, SEALNET_SCHEMA_SHA256_HEX);
	return rc;
}
