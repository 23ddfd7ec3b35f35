/*
 * Start-up and the loop of an application compartment: the compartment
 * itself is kept here, so an application never sees the runtime's state.
 */
#include "sealnet/start.h"
#include "sdk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

static struct sn_compartment compartment;
static bool start_tried, started;

/* A callback an application registered, and what the runtime calls. */
struct app_callback {
	sealnet_compartment_fn fn;
	void *ctx;
};

static struct app_callback died[SEALNET_MAX_CALLBACKS];
static struct app_callback restarted[SEALNET_MAX_CALLBACKS];

/* What the supervisor hands over: a socket, never a file or nothing. */
static int
check_control_socket(void)
{
	struct stat st;

	if (fstat(SN_CONTROL_FD, &st) == 0 && S_ISSOCK(st.st_mode))
		return 0;
	sn_log("not started by `sealnet run`: descriptor %d is not the "
	       "supervisor's control socket",
	       SN_CONTROL_FD);
	return -EBADF;
}

int
sealnet_start(void)
{
	int rc;

	if (start_tried)
		return -EALREADY;
	start_tried = true;
	rc = check_control_socket();
	if (rc == 0)
		rc = sn_compartment_boot(&compartment, NULL);
	if (rc < 0) {
		sn_log("cannot start: %s", strerror(-rc));
		return rc;
	}
	started = true;
	return 0;
}

int
sealnet_run(void)
{
	if (!started)
		return -ESRCH;
	return sn_compartment_run(&compartment);
}

int
sealnet_wait(uint64_t timeout_ns)
{
	uint64_t end = sn_now_ns() + timeout_ns;

	if (!started)
		return -ESRCH;
	do {
		int rc = sn_compartment_serve_step_until(&compartment, end);

		if (rc < 0)
			return rc;
	} while (sn_now_ns() < end);
	return 0;
}

uint32_t
sealnet_incarnation(void)
{
	return started ? sn_compartment_incarnation() : 0;
}

const char *
sealnet_compartment_name(void)
{
	return started ? compartment.name : NULL;
}

static void
call_app_callback(void *ctx, struct sn_peer *p)
{
	const struct app_callback *a = ctx;

	a->fn(a->ctx, p->name);
}

static int
register_app_callback(struct app_callback *table,
		      int (*enrol)(struct sn_compartment *, sn_peer_event_fn,
				   void *),
		      sealnet_compartment_fn fn, void *ctx)
{
	if (!started)
		return -ESRCH;
	if (fn == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < SEALNET_MAX_CALLBACKS; i++) {
		struct app_callback *a = &table[i];
		int rc;

		if (a->fn == fn && a->ctx == ctx)
			return -EEXIST;
		if (a->fn != NULL)
			continue;
		/* Filled in first: the runtime may call it from now on. */
		*a = (struct app_callback){fn, ctx};
		rc = enrol(&compartment, call_app_callback, a);
		if (rc < 0)
			*a = (struct app_callback){NULL, NULL};
		return rc;
	}
	return -ENOSPC;
}

int
sealnet_on_compartment_died(sealnet_compartment_fn fn, void *ctx)
{
	return register_app_callback(died, sn_compartment_on_peer_died, fn,
				     ctx);
}

int
sealnet_on_compartment_restarted(sealnet_compartment_fn fn, void *ctx)
{
	return register_app_callback(restarted,
				     sn_compartment_on_peer_restarted, fn, ctx);
}

/* ---- the peer serving an export ---- */

/* Each SEALNET_IMPORT puts one record here, beside the binary's other
 * declarations; a binary without any has no section, and null bounds. */
extern const struct sealnet_declaration __start_sealnet_manifest[]
    __attribute__((weak));
extern const struct sealnet_declaration __stop_sealnet_manifest[]
    __attribute__((weak));

bool
sn_sdk_imports(uint16_t export_id)
{
	const char *name = sn_export_name(export_id);

	if (name == NULL)
		return false;
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d != NULL && d < __stop_sealnet_manifest; d++)
		if (d->magic == SEALNET_MANIFEST_MAGIC &&
		    d->kind == SEALNET_DECLARE_IMPORT &&
		    strncmp(d->name, name, sizeof(d->name)) == 0)
			return true;
	return false;
}

const char *
sn_sdk_identity_of(const struct sealnet_declaration *capability)
{
	for (const struct sealnet_declaration *d = __start_sealnet_manifest;
	     d != NULL && d < __stop_sealnet_manifest; d++)
		if (d->magic == SEALNET_MANIFEST_MAGIC &&
		    d->kind == SEALNET_DECLARE_IDENTITY &&
		    memchr(d->text, 0, sizeof(d->text)) != NULL &&
		    strncmp(d->name, capability->name, sizeof(d->name)) == 0)
			return d->text;
	return NULL;
}

/* The records of SEALNET_MQTT_* that name d, of one kind, in order. */
static int
mqtt_records(const struct sealnet_declaration *d, uint16_t kind,
	     struct sn_capability *c)
{
	for (const struct sealnet_declaration *r = __start_sealnet_manifest;
	     r != NULL && r < __stop_sealnet_manifest; r++) {
		if (r->magic != SEALNET_MANIFEST_MAGIC || r->kind != kind ||
		    strncmp(r->name, d->name, sizeof(r->name)) != 0 ||
		    memchr(r->text, 0, sizeof(r->text)) == NULL)
			continue;
		if (kind == SEALNET_DECLARE_MQTT_CREDENTIALS) {
			if (strlen(r->text) >= sizeof(c->mqtt_credentials))
				return -EINVAL;
			strcpy(c->mqtt_credentials, r->text);
		} else if (sn_capability_add_mqtt_filter(
			       c, kind == SEALNET_DECLARE_MQTT_PUBLISH, r->text,
			       strlen(r->text)) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

int
sn_sdk_mqtt_grant_of(const struct sealnet_declaration *d,
		     struct sn_capability *c)
{
	memset(c, 0, sizeof(*c));
	for (const struct sealnet_declaration *r = __start_sealnet_manifest;
	     r != NULL && r < __stop_sealnet_manifest; r++)
		if (r->magic == SEALNET_MANIFEST_MAGIC &&
		    r->kind == SEALNET_DECLARE_MQTT &&
		    strncmp(r->name, d->name, sizeof(r->name)) == 0) {
			c->mqtt_version = (uint8_t)r->number;
			c->mqtt_plaintext =
			    r->protocol == SEALNET_MQTT_PLAINTEXT;
		}
	if (c->mqtt_version == 0)
		return -ENOENT;
	if (mqtt_records(d, SEALNET_DECLARE_MQTT_PUBLISH, c) < 0 ||
	    mqtt_records(d, SEALNET_DECLARE_MQTT_SUBSCRIBE, c) < 0 ||
	    mqtt_records(d, SEALNET_DECLARE_MQTT_CREDENTIALS, c) < 0)
		return -EINVAL;
	return 0;
}

static void
log_not_imported(const char *function, const sn_export_info *e)
{
	if (e == NULL)
		sn_log("%s calls an export the schema does not know", function);
	else if (strcmp(function, e->name) == 0)
		sn_log("%s: this compartment does not import it: declare "
		       "SEALNET_IMPORT(%s)",
		       function, e->name);
	else
		sn_log("%s calls %s, which this compartment does not import: "
		       "declare SEALNET_IMPORT(%s)",
		       function, e->name, e->name);
}

int
sn_sdk_peer(uint16_t export_id, const char *function, struct sn_peer **out)
{
	static uint64_t refused[64u * SN_EXPORT_WORDS];
	struct sn_compartment *c = sn_compartment_self();
	const sn_export_info *e = sn_export_info_get(export_id);
	uint64_t *count = &refused[export_id % (64u * SN_EXPORT_WORDS)];

	*out = NULL;
	if (c == NULL)
		return -ESRCH;
	if (e == NULL || !sn_sdk_imports(export_id)) {
		if (sn_log_worth(++*count))
			log_not_imported(function, e);
		return -EPERM;
	}
	*out = sn_export_peer(c, export_id);
	if (*out == NULL) {
		if (sn_log_worth(++*count))
			sn_log("%s: the image joins this compartment to no %s, "
			       "which serves %s",
			       function, e->compartment, e->name);
		return -EPERM;
	}
	return 0;
}

ssize_t
sn_sdk_received_copy(ssize_t n, const uint8_t *data, void **buf)
{
	if (n <= 0)
		return n;
	*buf = malloc((size_t)n);
	if (*buf == NULL)
		return -ENOMEM;
	memcpy(*buf, data, (size_t)n);
	return n;
}

int
sn_sdk_call_empty(uint16_t export_id, const char *function, uint64_t timeout_ns,
		  void *reply_buf, size_t reply_cap, sn_message_ref *reply)
{
	struct sn_peer *p;
	int rc = sn_sdk_peer(export_id, function, &p);

	if (rc < 0)
		return rc;
	return sn_call(p, export_id, SN_BODY_EMPTY,
		       sn_empty_start(sn_call_builder(p->owner)), timeout_ns,
		       reply_buf, reply_cap, reply);
}
