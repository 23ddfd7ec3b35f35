/*
 * What an image gives its TLS compartment: the trust anchors (a PEM
 * bundle) and the client identities (a certificate chain and a key each),
 * every file recorded by path and SHA-256; and the rules that tie them to
 * the compartments and capabilities that use them.
 */
#include "image.h"
#include "image_private.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct image_compartment *
image_tls_compartment(const struct image *img)
{
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (image_exports(&img->compartments[i],
				  SN_EXPORT_TLS_CONNECTION_CREATE))
			return &img->compartments[i];
	return NULL;
}

const struct image_identity *
image_identity(const struct image *img, const char *name)
{
	for (unsigned i = 0; i < img->tls.nidentities; i++)
		if (strcmp(img->tls.identities[i].name, name) == 0)
			return &img->tls.identities[i];
	return NULL;
}

static bool
sha256_hex(const char *s)
{
	if (strlen(s) != IMAGE_SHA256_HEX - 1)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* The file's absolute path and the hash of what it holds now. */
int
image_record_file(struct image_file *f, const char *path, const char *what,
		  char *err, size_t errlen)
{
	char why[512], shown[256];
	char *real = realpath(path, NULL);
	int fd, rc;

	image_escape(shown, sizeof(shown), path);
	if (real == NULL || strlen(real) >= sizeof(f->path) ||
	    image_needs_escape(real)) {
		free(real);
		return image_fail(err, errlen,
				  "%s %s: not found, or a path "
				  "a terminal would have to escape",
				  what, shown);
	}
	strcpy(f->path, real);
	free(real);
	fd = image_open_regular(f->path, why, sizeof(why));
	if (fd < 0)
		return image_fail(err, errlen, "%s: %s", what, why);
	rc = image_sha256_fd(fd, f->sha256);
	close(fd);
	if (rc < 0)
		return image_fail(err, errlen, "%s %s: cannot hash", what,
				  shown);
	return 0;
}

/* "NAME=CERT,KEY" */
static int
record_identity(struct image_tls *tls, const char *spec, char *err,
		size_t errlen)
{
	char copy[2 * IMAGE_PATH_MAX + IMAGE_NAME_MAX], shown[256];
	struct image_identity *id;
	char *eq, *comma;

	image_escape(shown, sizeof(shown), spec);
	if (strlen(spec) >= sizeof(copy) || (eq = strchr(spec, '=')) == NULL)
		return image_fail(err, errlen,
				  "--identity %s: not NAME=CERTIFICATE,KEY",
				  shown);
	strcpy(copy, spec);
	eq = copy + (eq - spec);
	*eq = 0;
	comma = strchr(eq + 1, ',');
	if (comma == NULL)
		return image_fail(err, errlen,
				  "--identity %s: not NAME=CERTIFICATE,KEY",
				  shown);
	*comma = 0;
	if (tls->nidentities >= IMAGE_MAX_IDENTITIES)
		return image_fail(err, errlen, "more than %d identities",
				  IMAGE_MAX_IDENTITIES);
	id = &tls->identities[tls->nidentities];
	memset(id, 0, sizeof(*id));
	if (!image_plain_name(copy) ||
	    !image_copy_name(id->name, sizeof(id->name), copy))
		return image_fail(err, errlen,
				  "--identity %s: the name is not 1 to %u "
				  "letters, digits, _ - .",
				  shown, SN_IDENTITY_MAX);
	if (image_record_file(&id->certificate, eq + 1, "identity certificate",
			      err, errlen) < 0 ||
	    image_record_file(&id->key, comma + 1, "identity key", err,
			      errlen) < 0)
		return -1;
	tls->nidentities++;
	return 0;
}

int
image_tls_build(struct image *img, const struct image_tls_options *opt,
		char *err, size_t errlen)
{
	static const struct image_tls_options none = {0};

	if (opt == NULL)
		opt = &none;
	memset(&img->tls, 0, sizeof(img->tls));
	if (image_tls_compartment(img) == NULL) {
		if (opt->trust_anchors != NULL || opt->nidentities > 0)
			return image_fail(err, errlen,
					  "trust anchors or identities, but no "
					  "compartment serves "
					  "tls_connection_create");
		return 0;
	}
	if (image_record_file(&img->tls.trust_anchors,
			      opt->trust_anchors ? opt->trust_anchors
						 : IMAGE_SYSTEM_TRUST_ANCHORS,
			      "trust anchors", err, errlen) < 0)
		return -1;
	img->tls.has_trust_anchors = true;
	for (unsigned i = 0; i < opt->nidentities; i++)
		if (record_identity(&img->tls, opt->identities[i], err,
				    errlen) < 0)
			return -1;
	return 0;
}

bool
image_file_ok(const struct image_file *f)
{
	return f->path[0] == '/' && !image_needs_escape(f->path) &&
	       sha256_hex(f->sha256);
}

/* Every identity a capability names is the image's. */
static int
check_capability_identities(const struct image *img, char *err, size_t errlen)
{
	for (unsigned i = 0; i < img->ncompartments; i++) {
		const struct image_compartment *c = &img->compartments[i];

		for (unsigned k = 0; k < c->ncaps; k++) {
			const char *name = c->caps[k].cap.identity;

			if (name[0] && image_identity(img, name) == NULL)
				return image_fail(
				    err, errlen,
				    "%s's capability %s presents the identity "
				    "%s, which the image does not have (give "
				    "it with --identity %s=CERT,KEY)",
				    c->name, c->caps[k].name, name, name);
		}
	}
	return 0;
}

int
image_tls_check(const struct image *img, char *err, size_t errlen)
{
	const struct image_tls *tls = &img->tls;

	if (image_tls_compartment(img) == NULL) {
		if (tls->has_trust_anchors || tls->nidentities > 0)
			return image_fail(err, errlen,
					  "tls: trust anchors or identities, "
					  "but no compartment serves "
					  "tls_connection_create");
	} else if (!tls->has_trust_anchors) {
		return image_fail(err, errlen,
				  "tls: %s serves TLS, and the image gives it "
				  "no trust anchors",
				  image_tls_compartment(img)->name);
	}
	if (tls->has_trust_anchors && !image_file_ok(&tls->trust_anchors))
		return image_fail(err, errlen,
				  "tls.trust_anchors: not an absolute path "
				  "and a SHA-256");
	for (unsigned i = 0; i < tls->nidentities; i++) {
		const struct image_identity *id = &tls->identities[i];

		if (!image_plain_name(id->name) ||
		    image_identity(img, id->name) != id)
			return image_fail(err, errlen,
					  "tls.identities: a bad or repeated "
					  "name");
		if (!image_file_ok(&id->certificate) ||
		    !image_file_ok(&id->key))
			return image_fail(err, errlen,
					  "tls.identities.%s: not an absolute "
					  "path and a SHA-256 for each file",
					  id->name);
	}
	return check_capability_identities(img, err, errlen);
}

/* ---- JSON ---- */

static json_t *
file_json(const struct image_file *f)
{
	return json_pack("{s:s, s:s}", "path", f->path, "sha256", f->sha256);
}

json_t *
image_tls_json(const struct image_tls *tls)
{
	json_t *ids = json_array();

	for (unsigned i = 0; i < tls->nidentities; i++) {
		const struct image_identity *id = &tls->identities[i];

		json_array_append_new(
		    ids, json_pack("{s:s, s:o, s:o}", "name", id->name,
				   "certificate", file_json(&id->certificate),
				   "key", file_json(&id->key)));
	}
	return json_pack("{s:o, s:o}", "trust_anchors",
			 tls->has_trust_anchors ? file_json(&tls->trust_anchors)
						: json_null(),
			 "identities", ids);
}

int
image_parse_file(struct image_file *f, json_t *o, const char *where, char *err,
		 size_t errlen)
{
	json_t *path = json_object_get(o, "path");
	json_t *hash = json_object_get(o, "sha256");

	if (!json_is_object(o) || json_object_size(o) != 2 ||
	    !json_is_string(path) || !json_is_string(hash) ||
	    !image_copy_name(f->path, sizeof(f->path),
			     json_string_value(path)) ||
	    strlen(json_string_value(path)) != json_string_length(path) ||
	    !image_copy_name(f->sha256, sizeof(f->sha256),
			     json_string_value(hash)))
		return image_fail(err, errlen,
				  "%s: not an object of exactly \"path\" and "
				  "\"sha256\"",
				  where);
	return 0;
}

static int
parse_identity(struct image_identity *id, json_t *o, char *err, size_t errlen)
{
	json_t *name = json_object_get(o, "name");

	if (!json_is_object(o) || json_object_size(o) != 3 ||
	    !json_is_string(name) ||
	    !image_copy_name(id->name, sizeof(id->name),
			     json_string_value(name)))
		return image_fail(err, errlen,
				  "tls.identities: an entry is not "
				  "{name, certificate, key}");
	return image_parse_file(
		   &id->certificate, json_object_get(o, "certificate"),
		   "tls.identities.certificate", err, errlen) < 0 ||
		       image_parse_file(&id->key, json_object_get(o, "key"),
					"tls.identities.key", err, errlen) < 0
		   ? -1
		   : 0;
}

int
image_tls_parse(struct image_tls *tls, json_t *o, char *err, size_t errlen)
{
	json_t *anchors = json_object_get(o, "trust_anchors");
	json_t *ids = json_object_get(o, "identities"), *v;
	size_t i;

	memset(tls, 0, sizeof(*tls));
	if (!json_is_object(o) || json_object_size(o) != 2 || anchors == NULL ||
	    !json_is_array(ids) || json_array_size(ids) > IMAGE_MAX_IDENTITIES)
		return image_fail(err, errlen,
				  "image.tls: not {trust_anchors, identities} "
				  "with at most %d identities",
				  IMAGE_MAX_IDENTITIES);
	if (!json_is_null(anchors)) {
		if (image_parse_file(&tls->trust_anchors, anchors,
				     "tls.trust_anchors", err, errlen) < 0)
			return -1;
		tls->has_trust_anchors = true;
	}
	json_array_foreach(ids, i, v)
	{
		if (parse_identity(&tls->identities[i], v, err, errlen) < 0)
			return -1;
		tls->nidentities++;
	}
	return 0;
}
