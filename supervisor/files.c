/* The TLS compartment's files: see files.h. */
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "report.h"
#include "start.h"

static int
hex_to_bytes(const char *hex, uint8_t out[32])
{
	for (unsigned i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* One file into a sealed memfd, refused unless its bytes there are the
 * ones the image hashed: changed since `image build`, it is not what the
 * image was audited with. */
static int
load_file(struct supervisor *sv, const char *name, const struct image_file *f,
	  bool mqtt)
{
	struct boot_file *b = &sv->files[sv->nfiles];
	char why[512], hash[IMAGE_SHA256_HEX], shown[IMAGE_PATH_MAX];
	int src, mem, rc;

	image_escape(shown, sizeof(shown), f->path);
	if (sv->nfiles >= SN_MAX_BOOT_FILES ||
	    strlen(name) > SN_BOOT_FILE_NAME_MAX) {
		say("%s: too many files for the TLS compartment", shown);
		return -1;
	}
	src = image_open_regular(f->path, why, sizeof(why));
	if (src < 0) {
		say("%s (%s); refusing to start", why, name);
		return -1;
	}
	mem = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	rc = mem < 0 ? -errno : copy_and_seal(src, mem);
	close_descriptor(src);
	if (rc == 0 && image_sha256_fd(mem, hash) < 0)
		rc = -EIO;
	if (rc < 0) {
		say("%s (%s): %s; refusing to start", shown, name,
		    strerror(-rc));
	} else if (strcmp(hash, f->sha256) != 0) {
		say("%s (%s) has SHA-256 %s, the image says %s; refusing to "
		    "start",
		    shown, name, hash, f->sha256);
		rc = -EPERM;
	}
	if (rc < 0) {
		if (mem >= 0)
			close_descriptor(mem);
		return -1;
	}
	snprintf(b->name, sizeof(b->name), "%s", name);
	hex_to_bytes(f->sha256, b->sha256);
	b->fd = mem;
	b->mqtt = mqtt;
	sv->nfiles++;
	return 0;
}

int
files_load(struct supervisor *sv)
{
	const struct image_tls *tls = &sv->img->tls;
	char name[SN_BOOT_FILE_NAME_MAX + 1];

	if (tls->has_trust_anchors &&
	    load_file(sv, "trust_anchors", &tls->trust_anchors, false) < 0)
		return -1;
	for (unsigned i = 0; i < tls->nidentities; i++) {
		const struct image_identity *id = &tls->identities[i];

		snprintf(name, sizeof(name), "identity/%s/certificate",
			 id->name);
		if (load_file(sv, name, &id->certificate, false) < 0)
			return -1;
		snprintf(name, sizeof(name), "identity/%s/key", id->name);
		if (load_file(sv, name, &id->key, false) < 0)
			return -1;
	}
	for (unsigned i = 0; i < sv->img->mqtt.ncredentials; i++) {
		const struct image_credentials *c =
		    &sv->img->mqtt.credentials[i];

		snprintf(name, sizeof(name), "credentials/%s", c->name);
		if (load_file(sv, name, &c->file, true) < 0)
			return -1;
	}
	return 0;
}

bool
files_for(const struct supervisor *sv, const struct child *ch)
{
	return ch->ic == image_tls_compartment(sv->img) ||
	       ch->ic == image_mqtt_compartment(sv->img);
}

bool
files_give(const struct supervisor *sv, const struct child *ch,
	   const struct boot_file *f)
{
	return ch->ic == (f->mqtt ? image_mqtt_compartment(sv->img)
				  : image_tls_compartment(sv->img));
}

void
files_release(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->nfiles; i++)
		close_descriptor(sv->files[i].fd);
	sv->nfiles = 0;
}
