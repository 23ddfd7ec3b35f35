/*
 * Building an image from binaries: each one's ELF sections
 * "sealnet_manifest" (its declarations) and "sealnet_handlers" (the
 * functions that serve its exports), read without running it.
 */
#include "image.h"
#include "image_private.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema_hash.h"
#include "sealnet/compartment.h"

static bool
terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static int
declare_export(struct image_compartment *c, const char *name, char *err,
	       size_t errlen)
{
	const sn_export_info *e = sn_export_info_by_name(name);

	if (e == NULL)
		return image_fail(err, errlen,
				  "exports %s, which the schema does not "
				  "define",
				  name);
	if (c->nexports >= IMAGE_MAX_EXPORTS)
		return image_fail(err, errlen, "too many exports");
	c->exports[c->nexports++] = e->id;
	return 0;
}

/* The compartment a call reaches is the schema's, never the binary's. */
static int
declare_import(struct image_compartment *c, const char *name, uint64_t how,
	       char *err, size_t errlen)
{
	const sn_export_info *e = sn_export_info_by_name(name);
	struct image_call *call;

	if (how != SEALNET_IMPORT_REQUIRED && how != SEALNET_IMPORT_IF_PRESENT)
		return image_fail(err, errlen,
				  "imports %s in an unknown way (%llu)", name,
				  (unsigned long long)how);
	if (e == NULL)
		return image_fail(err, errlen,
				  "imports %s, which the schema does not "
				  "define",
				  name);
	if (c->ncalls >= IMAGE_MAX_CALLS)
		return image_fail(err, errlen, "too many imports");
	call = &c->calls[c->ncalls++];
	if (!image_copy_name(call->compartment, sizeof(call->compartment),
			     e->compartment))
		return image_fail(err, errlen, "%s: no compartment", name);
	call->export_id = e->id;
	call->if_present = how == SEALNET_IMPORT_IF_PRESENT;
	return 0;
}

static int
declare_connection(struct image_capability *ic,
		   const struct sealnet_declaration *d, char *err,
		   size_t errlen)
{
	ic->cap.kind = SN_CAPABILITY_CONNECTION;
	ic->cap.protocol = d->protocol;
	if (!image_host_name(d->text))
		return image_fail(err, errlen,
				  "capability %s: \"%s\" is not a lower-case "
				  "host name",
				  d->name, d->text);
	if (d->protocol != SN_PROTOCOL_TCP && d->protocol != SN_PROTOCOL_UDP)
		return image_fail(err, errlen,
				  "capability %s: protocol is neither TCP nor "
				  "UDP",
				  d->name);
	strcpy(ic->cap.host, d->text);
	return 0;
}

static int
declare_capability(struct image_compartment *c,
		   const struct sealnet_declaration *d, char *err,
		   size_t errlen)
{
	struct image_capability *ic;

	if (c->ncaps >= SN_MAX_HELD_CAPABILITIES)
		return image_fail(err, errlen, "too many capabilities");
	ic = &c->caps[c->ncaps];
	memset(ic, 0, sizeof(*ic));
	if (!image_plain_name(d->name) || strlen(d->name) >= sizeof(ic->name))
		return image_fail(err, errlen, "bad capability name");
	strcpy(ic->name, d->name);
	ic->cap.port = d->port;
	if (d->kind == SEALNET_DECLARE_CONNECTION) {
		if (declare_connection(ic, d, err, errlen) < 0)
			return -1;
	} else {
		if (d->number == 0 || d->number > UINT16_MAX)
			return image_fail(err, errlen,
					  "capability %s: max_connections "
					  "out of range",
					  d->name);
		ic->cap.kind = SN_CAPABILITY_BIND;
		ic->cap.max_connections = (uint16_t)d->number;
		ic->cap.ipv6 = d->ipv6 != 0;
	}
	if (d->port == 0)
		return image_fail(err, errlen, "capability %s: port 0",
				  d->name);
	c->ncaps++;
	return 0;
}

/* SEALNET_CONNECTION_IDENTITY records, in whatever order the section has
 * them beside the capabilities they name: applied once all are read. */
static struct {
	char capability[SEALNET_MANIFEST_NAME_MAX];
	char identity[SN_IDENTITY_MAX + 1];
} identities[SN_MAX_HELD_CAPABILITIES];
static unsigned nidentities;

static int
declare_identity(const struct sealnet_declaration *d, char *err, size_t errlen)
{
	if (nidentities >= SN_MAX_HELD_CAPABILITIES)
		return image_fail(err, errlen, "too many identities");
	if (!image_plain_name(d->text) ||
	    !image_copy_name(identities[nidentities].identity,
			     sizeof(identities[0].identity), d->text))
		return image_fail(err, errlen,
				  "capability %s: identity \"%s\" is not 1 "
				  "to %u letters, digits, _ - .",
				  d->name, d->text, SN_IDENTITY_MAX);
	strcpy(identities[nidentities++].capability, d->name);
	return 0;
}

/* Each identity to its capability: a TCP connection capability of the
 * same compartment, given one identity at most. */
static int
apply_identities(struct image_compartment *c, char *err, size_t errlen)
{
	for (unsigned i = 0; i < nidentities; i++) {
		struct sn_capability *cap = NULL;

		for (unsigned k = 0; k < c->ncaps; k++)
			if (strcmp(c->caps[k].name, identities[i].capability) ==
			    0)
				cap = &c->caps[k].cap;
		if (cap == NULL || cap->kind != SN_CAPABILITY_CONNECTION ||
		    cap->protocol != SN_PROTOCOL_TCP)
			return image_fail(err, errlen,
					  "identity %s names %s, which is not "
					  "a TCP connection capability of "
					  "this compartment",
					  identities[i].identity,
					  identities[i].capability);
		if (cap->identity[0])
			return image_fail(err, errlen,
					  "capability %s is given two "
					  "identities",
					  identities[i].capability);
		strcpy(cap->identity, identities[i].identity);
	}
	return 0;
}

static int
declare_quota(struct image_compartment *c, const struct sealnet_declaration *d,
	      char *err, size_t errlen)
{
	for (int q = 0; q < QUOTA_COUNT; q++)
		if (strcmp(d->name, image_quota_names[q]) == 0) {
			if (d->number > image_quota_limits[q])
				return image_fail(
				    err, errlen, "quota %s too large", d->name);
			c->quota[q] = d->number;
			return 0;
		}
	return image_fail(err, errlen, "unknown quota %s", d->name);
}

static int
declare_restart(struct image_compartment *c,
		const struct sealnet_declaration *d, char *err, size_t errlen)
{
	for (int r = 0; r <= RESTART_NEVER; r++)
		if (strcmp(d->name, image_restart_names[r]) == 0) {
			c->restart = (enum image_restart)r;
			if (d->number > IMAGE_MAX_RESTARTS)
				return image_fail(err, errlen,
						  "restart limit too large");
			c->max_restarts = (unsigned)d->number;
			return 0;
		}
	return image_fail(err, errlen, "unknown restart policy %s", d->name);
}

static int
apply_declaration(struct image_compartment *c,
		  const struct sealnet_declaration *d, char *err, size_t errlen)
{
	if (d->magic != SEALNET_MANIFEST_MAGIC ||
	    !terminated(d->name, sizeof(d->name)) ||
	    !terminated(d->text, sizeof(d->text)))
		return image_fail(err, errlen, "malformed manifest record");
	switch (d->kind) {
	case SEALNET_DECLARE_COMPARTMENT:
		if (c->name[0] || !image_plain_name(d->name))
			return image_fail(err, errlen,
					  "bad or repeated compartment name");
		strcpy(c->name, d->name);
		return 0;
	case SEALNET_DECLARE_EXPORT:
		return declare_export(c, d->name, err, errlen);
	case SEALNET_DECLARE_IMPORT:
		return declare_import(c, d->name, d->number, err, errlen);
	case SEALNET_DECLARE_CONNECTION:
	case SEALNET_DECLARE_BIND:
		return declare_capability(c, d, err, errlen);
	case SEALNET_DECLARE_QUOTA:
		return declare_quota(c, d, err, errlen);
	case SEALNET_DECLARE_RESTART:
		return declare_restart(c, d, err, errlen);
	case SEALNET_DECLARE_SYSCALL:
		return image_add_syscall(c, d->name, err, errlen);
	case SEALNET_DECLARE_IDENTITY:
		return declare_identity(d, err, errlen);
	case SEALNET_DECLARE_MQTT:
	case SEALNET_DECLARE_MQTT_PUBLISH:
	case SEALNET_DECLARE_MQTT_SUBSCRIBE:
	case SEALNET_DECLARE_MQTT_CREDENTIALS:
		return image_mqtt_declare(d, err, errlen);
	case SEALNET_DECLARE_DEVICE:
		if (strcmp(d->name, "tap") != 0)
			return image_fail(err, errlen, "unknown device %s",
					  d->name);
		c->device = true;
		return 0;
	default:
		return image_fail(err, errlen,
				  "unknown manifest record kind %u", d->kind);
	}
}

/* A handler names its export; the function pointer is the runtime's
 * business, not the image's. */
static int
apply_handler(struct image_compartment *c,
	      const struct sealnet_handler_record *h, char *err, size_t errlen)
{
	const sn_export_info *e;

	if (h->magic != SEALNET_HANDLER_MAGIC ||
	    !terminated(h->export_name, sizeof(h->export_name)))
		return image_fail(err, errlen, "malformed handler record");
	e = sn_export_info_by_name(h->export_name);
	if (e == NULL)
		return image_fail(err, errlen,
				  "has a handler for %s, which the schema does "
				  "not define",
				  h->export_name);
	if (c->nhandlers >= IMAGE_MAX_EXPORTS)
		return image_fail(err, errlen, "too many handlers");
	c->handlers[c->nhandlers++] = e->id;
	return 0;
}

/* Calls fn on each record of the section, in order. */
static int
each_record(Elf_Data *data, size_t size,
	    int (*fn)(struct image_compartment *, const void *, char *, size_t),
	    struct image_compartment *c, char *err, size_t errlen)
{
	_Alignas(8) unsigned char record[sizeof(struct sealnet_declaration) +
					 sizeof(struct sealnet_handler_record)];

	if (data == NULL || data->d_buf == NULL || data->d_size % size != 0 ||
	    size > sizeof(record))
		return image_fail(err, errlen, "malformed section");
	for (size_t off = 0; off < data->d_size; off += size) {
		memcpy(record, (const char *)data->d_buf + off, size);
		if (fn(c, record, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
declaration_record(struct image_compartment *c, const void *r, char *err,
		   size_t errlen)
{
	return apply_declaration(c, r, err, errlen);
}

static int
handler_record(struct image_compartment *c, const void *r, char *err,
	       size_t errlen)
{
	return apply_handler(c, r, err, errlen);
}

static int
read_sections(struct image_compartment *c, Elf *elf, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool manifest = false;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return image_fail(err, errlen, "not an ELF file");
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		int rc = 0;

		if (gelf_getshdr(scn, &sh) == NULL ||
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) == NULL)
			continue;
		if (strcmp(name, "sealnet_manifest") == 0) {
			manifest = true;
			rc = each_record(elf_getdata(scn, NULL),
					 sizeof(struct sealnet_declaration),
					 declaration_record, c, err, errlen);
		} else if (strcmp(name, "sealnet_handlers") == 0) {
			rc = each_record(elf_getdata(scn, NULL),
					 sizeof(struct sealnet_handler_record),
					 handler_record, c, err, errlen);
		}
		if (rc < 0)
			return -1;
	}
	return manifest
		   ? 0
		   : image_fail(err, errlen, "no sealnet_manifest section");
}

static int
read_manifest(struct image_compartment *c, int fd, char *err, size_t errlen)
{
	Elf *elf;
	int rc;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return image_fail(err, errlen, "libelf: %s", elf_errmsg(-1));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF)
		rc = image_fail(err, errlen, "not an ELF file");
	else
		rc = read_sections(c, elf, err, errlen);
	elf_end(elf);
	return rc;
}

/* The binary's real path, refused if a terminal would have to escape it:
 * the supervisor and the audit print it. */
static int
binary_path(struct image_compartment *c, const char *binary, char *err,
	    size_t errlen)
{
	char *path = realpath(binary, NULL);
	char shown[256];

	image_escape(shown, sizeof(shown), binary);
	if (path == NULL || strlen(path) >= sizeof(c->binary)) {
		int e = errno ? errno : ENAMETOOLONG;

		free(path);
		return image_fail(err, errlen, "%s: %s", shown, strerror(e));
	}
	if (image_needs_escape(path)) {
		free(path);
		return image_fail(err, errlen,
				  "%s: the path holds control characters",
				  shown);
	}
	strcpy(c->binary, path);
	free(path);
	return 0;
}

/* One binary: its declarations and handlers, and the hash of its bytes. */
static int
build_compartment(struct image_compartment *c, const char *binary,
		  bool allow_dangerous, char *err, size_t errlen)
{
	char why[256], shown[256];
	int fd, rc;

	if (binary_path(c, binary, err, errlen) < 0)
		return -1;
	image_compartment_defaults(c);
	for (unsigned k = 0; image_base_syscalls[k]; k++)
		if (image_add_syscall(c, image_base_syscalls[k], err, errlen) <
		    0)
			return -1;
	fd = image_open_regular(c->binary, err, errlen);
	if (fd < 0)
		return -1;
	nidentities = 0;
	image_mqtt_begin();
	rc = read_manifest(c, fd, why, sizeof(why));
	if (rc == 0)
		rc = apply_identities(c, why, sizeof(why));
	if (rc == 0)
		rc = image_mqtt_apply(c, why, sizeof(why));
	if (rc == 0 && image_sha256_fd(fd, c->sha256) < 0)
		rc = image_fail(why, sizeof(why), "cannot hash");
	close(fd);
	if (rc == 0 && c->name[0] == 0)
		rc = image_fail(why, sizeof(why),
				"no SEALNET_COMPARTMENT declaration");
	if (rc < 0)
		return image_fail(err, errlen, "%s: %s",
				  image_escape(shown, sizeof(shown), binary),
				  why);
	for (unsigned k = 0; allow_dangerous && k < c->nsyscalls; k++) {
		const struct image_dangerous_syscall *d =
		    image_syscall_danger(c->syscalls[k]);

		/* Only where it is needed, so the audit shows who. */
		if (d != NULL && d->refused)
			c->allow_dangerous_syscalls = true;
	}
	return 0;
}

/* SEALNET_IMPORT_OPTIONAL: a call to a compartment the image lacks is
 * left out, not refused. */
static void
drop_absent_optional_calls(const struct image *img, struct image_compartment *c)
{
	unsigned kept = 0;

	for (unsigned k = 0; k < c->ncalls; k++)
		if (!c->calls[k].if_present ||
		    image_find(img, c->calls[k].compartment) != NULL)
			c->calls[kept++] = c->calls[k];
	c->ncalls = kept;
}

int
image_build(struct image *img, char *const binaries[], unsigned n,
	    bool allow_dangerous, const struct image_tls_options *tls,
	    char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	strcpy(img->schema_sha256, SEALNET_SCHEMA_SHA256_HEX);
	if (n > IMAGE_MAX_COMPARTMENTS)
		return image_fail(err, errlen, "more than %d compartments",
				  IMAGE_MAX_COMPARTMENTS);
	for (unsigned i = 0; i < n; i++) {
		if (build_compartment(&img->compartments[i], binaries[i],
				      allow_dangerous, err, errlen) < 0)
			return -1;
		img->ncompartments++;
	}
	for (unsigned i = 0; i < n; i++)
		drop_absent_optional_calls(img, &img->compartments[i]);
	if (image_tls_build(img, tls, err, errlen) < 0 ||
	    image_mqtt_build(img, tls, err, errlen) < 0)
		return -1;
	return image_check(img, err, errlen);
}
