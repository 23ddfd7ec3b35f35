/* The image: built from binaries' manifests, stored as JSON, checked on
 * every load. */
#include "image.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <jansson.h>
#include <libelf.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema_hash.h"
#include "sealnet/compartment.h"

const char *const image_base_syscalls[] = {
    /* memory and the C library's start-up */
    "brk", "mmap", "munmap", "mprotect", "madvise", "arch_prctl",
    "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom",
    /* static glibc asks for /proc/self/exe; the empty root answers ENOENT */
    "readlink",
    /* the event loop and channels */
    "read", "write", "close", "futex", "futex_waitv", "ppoll", "poll",
    "clock_gettime", "clock_nanosleep", "nanosleep", "recvmsg", "sendmsg",
    "fstat", "newfstatat", "lseek", "fcntl", "ioctl",
    /* signals and ending */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getpid", "gettid",
    "tgkill", "exit", "exit_group", NULL};

/* Why each is dangerous is printed in the refusal, so it says what the
 * syscall gives a compartment that the sandbox otherwise takes away. */
const struct image_dangerous_syscall image_dangerous_syscalls[] = {
    {"ptrace", true, "controls other processes"},
    {"process_vm_readv", true, "reads other processes' memory"},
    {"process_vm_writev", true, "writes other processes' memory"},
    {"io_uring_setup", true, "starts work the syscall filter never sees"},
    {"io_uring_enter", true, "starts work the syscall filter never sees"},
    {"io_uring_register", true, "starts work the syscall filter never sees"},
    {"bpf", true, "loads programs into the kernel"},
    {"mount", true, "changes the files the sandbox sees"},
    {"umount2", true, "changes the files the sandbox sees"},
    {"pivot_root", true, "changes the files the sandbox sees"},
    {"fsopen", true, "changes the files the sandbox sees"},
    {"fsmount", true, "changes the files the sandbox sees"},
    {"move_mount", true, "changes the files the sandbox sees"},
    {"open_tree", true, "changes the files the sandbox sees"},
    {"unshare", true, "makes namespaces of its own"},
    {"setns", true, "enters other namespaces"},
    {"execve", true, "runs code the image did not hash"},
    {"execveat", true, "runs code the image did not hash"},
    /* Named by the audit, not refused: the uid of each compartment is
     * its own, so a signal reaches only itself, and its network
     * namespace is empty, so a socket reaches only its own loopback. */
    {"kill", false, "signals other processes"},
    {"tkill", false, "signals other processes"},
    {"socket", false, "opens sockets beside the network stack"},
    {NULL, false, NULL},
};

static const char *const quota_names[QUOTA_COUNT] = {
    "memory_bytes", "descriptors",	"sockets",     "buffered_bytes",
    "tls_sessions", "mqtt_connections", "cpu_seconds",
};
static const char *const quota_keys[QUOTA_COUNT + 1] = {
    "memory_bytes", "descriptors",	"sockets",     "buffered_bytes",
    "tls_sessions", "mqtt_connections", "cpu_seconds", NULL,
};
/* Without a declaration: enough sockets and buffer for a client or a
 * small server; no TLS sessions or MQTT connections; an hour of CPU time
 * per incarnation. */
static const uint64_t quota_defaults[QUOTA_COUNT] = {
    64u << 20, 64, 16, 1u << 20, 0, 0, 3600,
};
static const uint64_t quota_limits[QUOTA_COUNT] = {
    1ull << 34, 4096, 1024, (1ull << 32) - 1, 256, 256, (1ull << 32) - 1,
};
static const char *const restart_names[] = {"always", "on_failure", "never"};

const char *
image_quota_name(enum image_quota q)
{
	return quota_names[q];
}

const char *
image_restart_name(enum image_restart r)
{
	return restart_names[r];
}

const struct image_dangerous_syscall *
image_syscall_danger(const char *name)
{
	for (unsigned i = 0; image_dangerous_syscalls[i].name; i++)
		if (strcmp(image_dangerous_syscalls[i].name, name) == 0)
			return &image_dangerous_syscalls[i];
	return NULL;
}

/* The length of the UTF-8 sequence at s if it is valid and no control
 * character, else 0.  Overlong forms, surrogates and C1 controls
 * (U+0080-U+009F, which some terminals obey as escapes) are not. */
static size_t
printable_utf8(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	/* A continuation byte is never 0, so this stops at the end. */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp <= 0x9f)
		return 0;
	return n;
}

char *
image_escape(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t out = 0;

	if (cap == 0)
		return dst;
	while (*s) {
		char piece[5];
		size_t n = 1;
		const void *from = s;

		if (*s >= 0x80)
			n = printable_utf8(s);
		if (n == 0 || *s < 0x20 || *s == 0x7f) {
			snprintf(piece, sizeof(piece), "\\x%02x", *s);
			from = piece;
			n = 4;
		}
		if (n >= cap - out)
			break;
		memcpy(dst + out, from, n);
		out += n;
		/* An escaped byte stands for one input byte. */
		s += from == (const void *)piece ? 1 : n;
	}
	dst[out] = 0;
	return dst;
}

bool
image_needs_escape(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = *p >= 0x80 ? printable_utf8(p) : 1;

		if (n == 0 || *p < 0x20 || *p == 0x7f)
			return true;
		p += n;
	}
	return false;
}

int
image_open_regular(const char *path, char *err, size_t errlen)
{
	char shown[256];
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO with no writer would wait forever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s",
			 image_escape(shown, sizeof(shown), path),
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "%s: not a regular file",
			 image_escape(shown, sizeof(shown), path));
		close(fd);
		return -1;
	}
	return fd;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap);

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Names people will type into queries: letters, digits, _ - . only. */
static bool
plain_name(const char *s)
{
	if (*s == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

/* A DNS name as RFC 1123 allows, lower case only so that comparison is
 * exact. */
static bool
host_name(const char *s)
{
	size_t n = strlen(s), label = 0;
	unsigned char a6[16];
	char canonical[INET6_ADDRSTRLEN];

	if (n == 0 || n > SN_HOST_MAX)
		return false;
	/* An IPv6 address, written one way only, so that two capabilities
	 * for one address are one string. */
	if (strchr(s, ':') != NULL)
		return inet_pton(AF_INET6, s, a6) == 1 &&
		       inet_ntop(AF_INET6, a6, canonical, sizeof(canonical)) &&
		       strcmp(canonical, s) == 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      (ch == '-' && label > 0)))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

const struct image_compartment *
image_find(const struct image *img, const char *name)
{
	int i = image_index(img, name);

	return i < 0 ? NULL : &img->compartments[i];
}

int
image_index(const struct image *img, const char *name)
{
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (strcmp(img->compartments[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
exports(const struct image_compartment *c, uint16_t id)
{
	for (unsigned i = 0; i < c->nexports; i++)
		if (c->exports[i] == id)
			return true;
	return false;
}

static int
add_syscall(struct image_compartment *c, const char *name, char *err,
	    size_t errlen)
{
	for (unsigned i = 0; i < c->nsyscalls; i++)
		if (strcmp(c->syscalls[i], name) == 0)
			return 0;
	if (c->nsyscalls >= IMAGE_MAX_SYSCALLS)
		return fail(err, errlen, "%s: too many syscalls", c->name);
	if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
		return fail(err, errlen, "%s: unknown syscall \"%s\"", c->name,
			    name);
	if (!copy_name(c->syscalls[c->nsyscalls], sizeof(c->syscalls[0]), name))
		return fail(err, errlen, "%s: syscall name too long", c->name);
	c->nsyscalls++;
	return 0;
}

/*
 * Rules that hold across compartments, checked after building and after
 * parsing alike: unique names, one implementer per export, calls aimed at
 * what exists, one device holder at most.
 */
static int
check_image(const struct image *img, char *err, size_t errlen)
{
	unsigned devices = 0;

	if (img->ncompartments == 0)
		return fail(err, errlen, "the image has no compartments");
	for (unsigned i = 0; i < img->ncompartments; i++) {
		const struct image_compartment *c = &img->compartments[i];

		if (image_index(img, c->name) != (int)i)
			return fail(err, errlen,
				    "two compartments are named %s", c->name);
		devices += c->device;
		for (unsigned k = 0; k < c->nsyscalls; k++) {
			const struct image_dangerous_syscall *d =
			    image_syscall_danger(c->syscalls[k]);

			if (d != NULL && d->refused &&
			    !c->allow_dangerous_syscalls)
				return fail(err, errlen,
					    "%s may call %s, which %s; "
					    "refused unless the image is "
					    "built with "
					    "--allow-dangerous-syscalls",
					    c->name, d->name, d->why);
		}
		for (unsigned e = 0; e < c->nexports; e++)
			for (unsigned j = 0; j < i; j++)
				if (exports(&img->compartments[j],
					    c->exports[e]))
					return fail(
					    err, errlen,
					    "%s and %s both export %s",
					    img->compartments[j].name, c->name,
					    sn_export_name(c->exports[e]));
		for (unsigned k = 0; k < c->ncalls; k++) {
			const struct image_compartment *callee =
			    image_find(img, c->calls[k].compartment);

			if (callee == NULL)
				return fail(err, errlen,
					    "%s imports from %s, which is not "
					    "in the image",
					    c->name, c->calls[k].compartment);
			if (callee == c)
				return fail(err, errlen,
					    "%s imports from itself", c->name);
			if (!exports(callee, c->calls[k].export_id))
				return fail(
				    err, errlen,
				    "%s imports %s from %s, which does "
				    "not export it",
				    c->name,
				    sn_export_name(c->calls[k].export_id),
				    callee->name);
		}
	}
	if (devices > 1)
		return fail(err, errlen,
			    "more than one compartment holds the device");
	return 0;
}

static void
compartment_defaults(struct image_compartment *c)
{
	memcpy(c->quota, quota_defaults, sizeof(c->quota));
	c->restart = RESTART_ON_FAILURE;
	c->max_restarts = 5;
}

/* ---- building from binaries ---- */

int
image_sha256_fd(int fd, char hex[IMAGE_SHA256_HEX])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32], buf[65536];
	unsigned mdlen = 0;
	off_t off = 0;
	ssize_t n;
	int rc = -1;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			goto out;
		off += n;
	}
	if (n < 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
		goto out;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static bool
terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static int
apply_declaration(struct image_compartment *c,
		  const struct sealnet_declaration *d, char *err, size_t errlen)
{
	const sn_export_info *e;

	if (d->magic != SEALNET_MANIFEST_MAGIC ||
	    !terminated(d->name, sizeof(d->name)) ||
	    !terminated(d->text, sizeof(d->text)))
		return fail(err, errlen, "malformed manifest record");
	switch (d->kind) {
	case SEALNET_DECLARE_COMPARTMENT:
		if (c->name[0] || !plain_name(d->name))
			return fail(err, errlen,
				    "bad or repeated compartment name");
		strcpy(c->name, d->name);
		return 0;
	case SEALNET_DECLARE_EXPORT:
		e = sn_export_info_by_name(d->name);
		if (e == NULL)
			return fail(err, errlen,
				    "exports %s, which the schema does not "
				    "define",
				    d->name);
		if (c->nexports >= IMAGE_MAX_EXPORTS)
			return fail(err, errlen, "too many exports");
		c->exports[c->nexports++] = e->id;
		return 0;
	case SEALNET_DECLARE_IMPORT:
		e = sn_export_info_by_name(d->text);
		if (e == NULL || !plain_name(d->name))
			return fail(err, errlen,
				    "imports %s.%s, which the schema does not "
				    "define",
				    d->name, d->text);
		if (c->ncalls >= IMAGE_MAX_CALLS)
			return fail(err, errlen, "too many imports");
		strcpy(c->calls[c->ncalls].compartment, d->name);
		c->calls[c->ncalls++].export_id = e->id;
		return 0;
	case SEALNET_DECLARE_CONNECTION:
	case SEALNET_DECLARE_BIND: {
		struct image_capability *ic;

		if (c->ncaps >= SN_MAX_HELD_CAPABILITIES)
			return fail(err, errlen, "too many capabilities");
		ic = &c->caps[c->ncaps];
		memset(ic, 0, sizeof(*ic));
		if (!plain_name(d->name) || strlen(d->name) >= sizeof(ic->name))
			return fail(err, errlen, "bad capability name");
		strcpy(ic->name, d->name);
		ic->cap.port = d->port;
		if (d->kind == SEALNET_DECLARE_CONNECTION) {
			ic->cap.kind = SN_CAPABILITY_CONNECTION;
			ic->cap.protocol = d->protocol;
			if (!host_name(d->text))
				return fail(err, errlen,
					    "capability %s: \"%s\" is not a "
					    "lower-case host name",
					    d->name, d->text);
			if (d->protocol != SN_PROTOCOL_TCP &&
			    d->protocol != SN_PROTOCOL_UDP)
				return fail(err, errlen,
					    "capability %s: protocol is "
					    "neither TCP nor UDP",
					    d->name);
			strcpy(ic->cap.host, d->text);
		} else {
			if (d->number == 0 || d->number > UINT16_MAX)
				return fail(err, errlen,
					    "capability %s: max_connections "
					    "out of range",
					    d->name);
			ic->cap.kind = SN_CAPABILITY_BIND;
			ic->cap.max_connections = (uint16_t)d->number;
			ic->cap.ipv6 = d->ipv6 != 0;
		}
		if (d->port == 0)
			return fail(err, errlen, "capability %s: port 0",
				    d->name);
		c->ncaps++;
		return 0;
	}
	case SEALNET_DECLARE_QUOTA:
		for (int q = 0; q < QUOTA_COUNT; q++)
			if (strcmp(d->name, quota_names[q]) == 0) {
				if (d->number > quota_limits[q])
					return fail(err, errlen,
						    "quota %s too large",
						    d->name);
				c->quota[q] = d->number;
				return 0;
			}
		return fail(err, errlen, "unknown quota %s", d->name);
	case SEALNET_DECLARE_RESTART:
		for (int r = 0; r <= RESTART_NEVER; r++)
			if (strcmp(d->name, restart_names[r]) == 0) {
				c->restart = (enum image_restart)r;
				if (d->number > 1000)
					return fail(err, errlen,
						    "restart limit too large");
				c->max_restarts = (unsigned)d->number;
				return 0;
			}
		return fail(err, errlen, "unknown restart policy %s", d->name);
	case SEALNET_DECLARE_SYSCALL:
		return add_syscall(c, d->name, err, errlen);
	case SEALNET_DECLARE_DEVICE:
		if (strcmp(d->name, "tap") != 0)
			return fail(err, errlen, "unknown device %s", d->name);
		c->device = true;
		return 0;
	default:
		return fail(err, errlen, "unknown manifest record kind %u",
			    d->kind);
	}
}

static int
read_manifest(struct image_compartment *c, int fd, char *err, size_t errlen)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int rc = fail(err, errlen, "no sealnet_manifest section");

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errlen, "libelf: %s", elf_errmsg(-1));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0) {
		elf_end(elf);
		return fail(err, errlen, "not an ELF file");
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;

		if (gelf_getshdr(scn, &sh) == NULL)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name == NULL || strcmp(name, "sealnet_manifest") != 0)
			continue;
		data = elf_getdata(scn, NULL);
		if (data == NULL || data->d_buf == NULL ||
		    data->d_size % sizeof(struct sealnet_declaration) != 0) {
			rc = fail(err, errlen, "malformed manifest section");
			break;
		}
		rc = 0;
		for (size_t off = 0; rc == 0 && off < data->d_size;
		     off += sizeof(struct sealnet_declaration)) {
			struct sealnet_declaration d;

			memcpy(&d, (const char *)data->d_buf + off, sizeof(d));
			rc = apply_declaration(c, &d, err, errlen);
		}
		break;
	}
	elf_end(elf);
	return rc;
}

int
image_build(struct image *img, char *const binaries[], unsigned n,
	    bool allow_dangerous, char *err, size_t errlen)
{
	char why[256];

	memset(img, 0, sizeof(*img));
	strcpy(img->schema_sha256, SEALNET_SCHEMA_SHA256_HEX);
	if (n > IMAGE_MAX_COMPARTMENTS)
		return fail(err, errlen, "more than %d compartments",
			    IMAGE_MAX_COMPARTMENTS);
	for (unsigned i = 0; i < n; i++) {
		struct image_compartment *c = &img->compartments[i];
		char *path = realpath(binaries[i], NULL);
		char shown[256];
		int fd, rc;

		image_escape(shown, sizeof(shown), binaries[i]);
		if (path == NULL || strlen(path) >= sizeof(c->binary)) {
			free(path);
			return fail(err, errlen, "%s: %s", shown,
				    strerror(errno ? errno : ENAMETOOLONG));
		}
		/* The path is printed by the supervisor and the audit. */
		if (image_needs_escape(path)) {
			free(path);
			return fail(err, errlen,
				    "%s: the path holds control characters",
				    shown);
		}
		strcpy(c->binary, path);
		free(path);
		compartment_defaults(c);
		for (unsigned k = 0; image_base_syscalls[k]; k++)
			if (add_syscall(c, image_base_syscalls[k], err,
					errlen) < 0)
				return -1;
		fd = image_open_regular(c->binary, err, errlen);
		if (fd < 0)
			return -1;
		rc = read_manifest(c, fd, why, sizeof(why));
		if (rc == 0 && image_sha256_fd(fd, c->sha256) < 0)
			rc = fail(why, sizeof(why), "cannot hash");
		close(fd);
		if (rc == 0 && c->name[0] == 0)
			rc = fail(why, sizeof(why),
				  "no SEALNET_COMPARTMENT declaration");
		if (rc < 0)
			return fail(err, errlen, "%s: %s", shown, why);
		for (unsigned k = 0; allow_dangerous && k < c->nsyscalls; k++) {
			const struct image_dangerous_syscall *d =
			    image_syscall_danger(c->syscalls[k]);

			/* Only where it is needed, so the audit shows who. */
			if (d != NULL && d->refused)
				c->allow_dangerous_syscalls = true;
		}
		img->ncompartments++;
	}
	return check_image(img, err, errlen);
}

/* ---- JSON ---- */

static json_t *
capability_json(const struct image_capability *ic)
{
	const struct sn_capability *c = &ic->cap;

	if (c->kind == SN_CAPABILITY_CONNECTION)
		return json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind",
				 "connection", "name", ic->name, "type",
				 c->protocol == SN_PROTOCOL_TCP ? "TCP" : "UDP",
				 "host", c->host, "port", (json_int_t)c->port);
	return json_pack("{s:s, s:s, s:i, s:i, s:b}", "kind", "bind", "name",
			 ic->name, "port", (json_int_t)c->port,
			 "max_connections", (json_int_t)c->max_connections,
			 "ipv6", c->ipv6);
}

/* What the schema says the export does, for the audit's policy. */
static json_t *
roles_json(uint16_t export_id)
{
	const sn_export_info *e = sn_export_info_get(export_id);
	json_t *roles = json_array();

	for (unsigned i = 0; e != NULL && e->roles[i] != NULL; i++)
		json_array_append_new(roles, json_string(e->roles[i]));
	return roles;
}

static json_t *
compartment_json(const struct image_compartment *c, bool audit_view)
{
	json_t *o = json_object(), *exports = json_array(),
	       *imports = json_array(), *quotas = json_object(),
	       *syscalls = json_array();

	json_object_set_new(o, "binary", json_string(c->binary));
	json_object_set_new(o, "binary_sha256", json_string(c->sha256));
	for (unsigned i = 0; i < c->nexports; i++)
		json_array_append_new(
		    exports, json_string(sn_export_name(c->exports[i])));
	json_object_set_new(o, "exports", exports);
	for (unsigned i = 0; i < c->ncalls; i++) {
		json_t *call =
		    json_pack("{s:s, s:s, s:s}", "kind", "call", "compartment",
			      c->calls[i].compartment, "export",
			      sn_export_name(c->calls[i].export_id));

		/* Roles come from this sealnet's schema, not from the image
		 * file, so the file does not carry them. */
		if (audit_view)
			json_object_set_new(call, "roles",
					    roles_json(c->calls[i].export_id));
		json_array_append_new(imports, call);
	}
	for (unsigned i = 0; i < c->ncaps; i++)
		json_array_append_new(imports, capability_json(&c->caps[i]));
	json_object_set_new(o, "imports", imports);
	for (int q = 0; q < QUOTA_COUNT; q++)
		json_object_set_new(quotas, quota_names[q],
				    json_integer((json_int_t)c->quota[q]));
	json_object_set_new(o, "quotas", quotas);
	json_object_set_new(
	    o, "restart",
	    json_pack("{s:s, s:i}", "policy", restart_names[c->restart],
		      "max_restarts_per_minute", (json_int_t)c->max_restarts));
	for (unsigned i = 0; i < c->nsyscalls; i++)
		json_array_append_new(syscalls, json_string(c->syscalls[i]));
	json_t *sandbox = json_pack(
	    "{s:o, s:s, s:b, s:s, s:s, s:b, s:b}", "syscalls", syscalls,
	    "network", c->device ? "device" : "none", "device", c->device,
	    "mounts", "empty", "user", "unprivileged", "no_new_privs", 1,
	    "allow_dangerous_syscalls", c->allow_dangerous_syscalls);
	/* Derived from the syscalls by this sealnet, for the policy; the
	 * image file does not carry it. */
	if (audit_view) {
		json_t *dangerous = json_array();

		for (unsigned i = 0; i < c->nsyscalls; i++)
			if (image_syscall_danger(c->syscalls[i]) != NULL)
				json_array_append_new(
				    dangerous, json_string(c->syscalls[i]));
		json_object_set_new(sandbox, "dangerous_syscalls", dangerous);
	}
	json_object_set_new(o, "sandbox", sandbox);
	return o;
}

int
image_network_set(struct image_network *n, const char *ipv4,
		  const char *gateway, const char *dns, char *err,
		  size_t errlen)
{
	if ((ipv4 == NULL) != (gateway == NULL))
		return fail(err, errlen,
			    "network: a static address needs a gateway, and "
			    "a gateway an address");
	if (ipv4 != NULL) {
		char addr[INET_ADDRSTRLEN];
		const char *slash = strchr(ipv4, '/');
		char *end;
		long prefix;

		if (slash == NULL || (size_t)(slash - ipv4) >= sizeof(addr))
			return fail(err, errlen,
				    "network.ipv4: \"%s\" is not "
				    "ADDRESS/PREFIX",
				    ipv4);
		memcpy(addr, ipv4, (size_t)(slash - ipv4));
		addr[slash - ipv4] = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (inet_pton(AF_INET, addr, n->ipv4) != 1 || *end != 0 ||
		    end == slash + 1 || prefix < 1 || prefix > 32)
			return fail(err, errlen,
				    "network.ipv4: \"%s\" is not "
				    "ADDRESS/PREFIX",
				    ipv4);
		if (inet_pton(AF_INET, gateway, n->gateway) != 1)
			return fail(err, errlen,
				    "network.gateway: \"%s\" is not an IPv4 "
				    "address",
				    gateway);
		n->prefix_length = (uint8_t)prefix;
		n->static_ipv4 = true;
	}
	if (dns != NULL) {
		if (inet_pton(AF_INET, dns, n->dns) == 1) {
			n->dns_ipv6 = false;
		} else if (inet_pton(AF_INET6, dns, n->dns) == 1) {
			n->dns_ipv6 = true;
		} else {
			return fail(err, errlen,
				    "network.dns: \"%s\" is not an address",
				    dns);
		}
		n->has_dns = true;
	}
	return 0;
}

static json_t *
network_json(const struct image_network *n)
{
	json_t *o = json_object();
	char a[INET6_ADDRSTRLEN + 4];

	/* Every key is always there: "dhcp" says where the value comes
	 * from. */
	if (n->static_ipv4) {
		inet_ntop(AF_INET, n->ipv4, a, sizeof(a));
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u",
			 n->prefix_length);
		json_object_set_new(o, "ipv4", json_string(a));
		inet_ntop(AF_INET, n->gateway, a, sizeof(a));
		json_object_set_new(o, "gateway", json_string(a));
	} else {
		json_object_set_new(o, "ipv4", json_string("dhcp"));
		json_object_set_new(o, "gateway", json_string("dhcp"));
	}
	if (n->has_dns)
		inet_ntop(n->dns_ipv6 ? AF_INET6 : AF_INET, n->dns, a,
			  sizeof(a));
	json_object_set_new(o, "dns", json_string(n->has_dns ? a : "dhcp"));
	return o;
}

int
image_write(const struct image *img, FILE *out, bool audit_view)
{
	json_t *root = json_object(), *all = json_object();
	int rc;

	if (!audit_view) {
		json_object_set_new(root, "sealnet_image",
				    json_integer(IMAGE_VERSION));
		json_object_set_new(root, "schema_sha256",
				    json_string(img->schema_sha256));
	}
	for (unsigned i = 0; i < img->ncompartments; i++)
		json_object_set_new(
		    all, img->compartments[i].name,
		    compartment_json(&img->compartments[i], audit_view));
	json_object_set_new(root, "compartments", all);
	json_object_set_new(root, "network", network_json(&img->network));
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc < 0 || ferror(out) ? -1 : 0;
}

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
		return fail(err, errlen, "%s: not an object", where);
	json_object_foreach(o, k, v)
	{
		unsigned i;

		for (i = 0; keys[i]; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (!keys[i])
			return fail(err, errlen, "%s: unknown key \"%s\"",
				    where, k);
	}
	for (unsigned i = 0; keys[i]; i++)
		if (!json_object_get(o, keys[i]))
			return fail(err, errlen, "%s: missing \"%s\"", where,
				    keys[i]);
	return 0;
}

static int
get_string(json_t *o, const char *key, char *dst, size_t cap, const char *where,
	   char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v) ||
	    !copy_name(dst, cap, s))
		return fail(err, errlen,
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
		return fail(err, errlen, "%s.%s: not an integer from 0 to %llu",
			    where, key, (unsigned long long)max);
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
parse_import(struct image_compartment *c, json_t *o, char *err, size_t errlen)
{
	static const char *const call_keys[] = {"kind", "compartment", "export",
						NULL};
	static const char *const conn_keys[] = {"kind", "name", "type",
						"host", "port", NULL};
	static const char *const bind_keys[] = {
	    "kind", "name", "port", "max_connections", "ipv6", NULL};
	const char *kind = json_string_value(json_object_get(o, "kind"));
	char where[IMAGE_NAME_MAX + 16], text[SN_HOST_MAX + 1];
	uint64_t port, max;

	snprintf(where, sizeof(where), "%s.imports", c->name);
	if (kind == NULL)
		return fail(err, errlen, "%s: an import without a kind", where);
	if (strcmp(kind, "call") == 0) {
		const sn_export_info *e;
		struct image_call *call;

		if (only_keys(o, call_keys, where, err, errlen) < 0)
			return -1;
		if (c->ncalls >= IMAGE_MAX_CALLS)
			return fail(err, errlen, "%s: too many", where);
		call = &c->calls[c->ncalls];
		if (get_string(o, "compartment", call->compartment,
			       sizeof(call->compartment), where, err,
			       errlen) < 0 ||
		    get_string(o, "export", text, sizeof(text), where, err,
			       errlen) < 0)
			return -1;
		e = sn_export_info_by_name(text);
		if (e == NULL)
			return fail(err, errlen, "%s: unknown export %s", where,
				    text);
		call->export_id = e->id;
		c->ncalls++;
		return 0;
	}
	if (c->ncaps >= SN_MAX_HELD_CAPABILITIES)
		return fail(err, errlen, "%s: too many capabilities", where);
	struct image_capability *ic = &c->caps[c->ncaps];
	memset(ic, 0, sizeof(*ic));
	if (strcmp(kind, "connection") == 0) {
		const char *type;

		if (only_keys(o, conn_keys, where, err, errlen) < 0 ||
		    get_string(o, "name", ic->name, sizeof(ic->name), where,
			       err, errlen) < 0 ||
		    get_string(o, "host", ic->cap.host, sizeof(ic->cap.host),
			       where, err, errlen) < 0 ||
		    get_uint(o, "port", UINT16_MAX, &port, where, err, errlen) <
			0)
			return -1;
		type = json_string_value(json_object_get(o, "type"));
		if (type == NULL ||
		    (strcmp(type, "TCP") != 0 && strcmp(type, "UDP") != 0))
			return fail(err, errlen,
				    "%s: type is neither TCP nor UDP", where);
		if (!host_name(ic->cap.host))
			return fail(err, errlen,
				    "%s: \"%s\" is not a lower-case host name "
				    "or address",
				    where, ic->cap.host);
		ic->cap.kind = SN_CAPABILITY_CONNECTION;
		ic->cap.protocol = strcmp(type, "TCP") == 0 ? SN_PROTOCOL_TCP
							    : SN_PROTOCOL_UDP;
	} else if (strcmp(kind, "bind") == 0) {
		json_t *ipv6 = json_object_get(o, "ipv6");

		if (only_keys(o, bind_keys, where, err, errlen) < 0 ||
		    get_string(o, "name", ic->name, sizeof(ic->name), where,
			       err, errlen) < 0 ||
		    get_uint(o, "port", UINT16_MAX, &port, where, err, errlen) <
			0 ||
		    get_uint(o, "max_connections", UINT16_MAX, &max, where, err,
			     errlen) < 0)
			return -1;
		if (!json_is_boolean(ipv6))
			return fail(err, errlen, "%s: ipv6 is not a boolean",
				    where);
		if (max == 0)
			return fail(err, errlen, "%s: max_connections is 0",
				    where);
		ic->cap.kind = SN_CAPABILITY_BIND;
		ic->cap.max_connections = (uint16_t)max;
		ic->cap.ipv6 = json_is_true(ipv6);
	} else {
		return fail(err, errlen, "%s: unknown kind \"%s\"", where,
			    kind);
	}
	if (port == 0)
		return fail(err, errlen, "%s: port 0", where);
	if (!plain_name(ic->name))
		return fail(err, errlen, "%s: bad capability name", where);
	ic->cap.port = (uint16_t)port;
	c->ncaps++;
	return 0;
}

static int
parse_compartment(struct image_compartment *c, const char *name, json_t *o,
		  char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "binary", "binary_sha256", "exports", "imports",
	    "quotas", "restart",       "sandbox", NULL};
	static const char *const restart_keys[] = {
	    "policy", "max_restarts_per_minute", NULL};
	static const char *const sandbox_keys[] = {"syscalls",
						   "network",
						   "device",
						   "mounts",
						   "user",
						   "no_new_privs",
						   "allow_dangerous_syscalls",
						   NULL};
	json_t *v, *arr, *sandbox, *restart;
	size_t i;
	uint64_t n;

	memset(c, 0, sizeof(*c));
	if (!copy_name(c->name, sizeof(c->name), name) || !plain_name(name))
		return fail(err, errlen, "bad compartment name \"%.64s\"",
			    name);
	if (only_keys(o, keys, c->name, err, errlen) < 0 ||
	    get_string(o, "binary", c->binary, sizeof(c->binary), c->name, err,
		       errlen) < 0 ||
	    get_string(o, "binary_sha256", c->sha256, sizeof(c->sha256),
		       c->name, err, errlen) < 0)
		return -1;
	if (c->binary[0] != '/')
		return fail(err, errlen, "%s.binary: not an absolute path",
			    c->name);
	if (image_needs_escape(c->binary))
		return fail(err, errlen,
			    "%s.binary: the path holds control characters",
			    c->name);
	if (!hex64(c->sha256))
		return fail(err, errlen,
			    "%s.binary_sha256: not 64 lower-case hex digits",
			    c->name);
	arr = json_object_get(o, "exports");
	if (!json_is_array(arr) || json_array_size(arr) > IMAGE_MAX_EXPORTS)
		return fail(err, errlen, "%s.exports: not a list of at most %d",
			    c->name, IMAGE_MAX_EXPORTS);
	json_array_foreach(arr, i, v)
	{
		const sn_export_info *e =
		    json_is_string(v)
			? sn_export_info_by_name(json_string_value(v))
			: NULL;

		if (e == NULL)
			return fail(err, errlen, "%s.exports[%zu]: unknown",
				    c->name, i);
		c->exports[c->nexports++] = e->id;
	}
	arr = json_object_get(o, "imports");
	if (!json_is_array(arr))
		return fail(err, errlen, "%s.imports: not a list", c->name);
	json_array_foreach(arr, i, v) if (parse_import(c, v, err, errlen) <
					  0) return -1;
	v = json_object_get(o, "quotas");
	if (only_keys(v, quota_keys, c->name, err, errlen) < 0)
		return -1;
	for (int q = 0; q < QUOTA_COUNT; q++)
		if (get_uint(v, quota_names[q], quota_limits[q], &c->quota[q],
			     c->name, err, errlen) < 0)
			return -1;
	restart = json_object_get(o, "restart");
	if (only_keys(restart, restart_keys, c->name, err, errlen) < 0 ||
	    get_uint(restart, "max_restarts_per_minute", 1000, &n, c->name, err,
		     errlen) < 0)
		return -1;
	c->max_restarts = (unsigned)n;
	v = json_object_get(restart, "policy");
	for (n = 0; n <= RESTART_NEVER; n++)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), restart_names[n]) == 0)
			break;
	if (n > RESTART_NEVER)
		return fail(err, errlen, "%s.restart.policy: unknown", c->name);
	c->restart = (enum image_restart)n;
	sandbox = json_object_get(o, "sandbox");
	if (only_keys(sandbox, sandbox_keys, c->name, err, errlen) < 0)
		return -1;
	v = json_object_get(sandbox, "device");
	if (!json_is_boolean(v))
		return fail(err, errlen, "%s.sandbox.device: not a boolean",
			    c->name);
	c->device = json_is_true(v);
	v = json_object_get(sandbox, "allow_dangerous_syscalls");
	if (!json_is_boolean(v))
		return fail(err, errlen,
			    "%s.sandbox.allow_dangerous_syscalls: not a "
			    "boolean",
			    c->name);
	c->allow_dangerous_syscalls = json_is_true(v);
	/* The remaining sandbox keys describe what the supervisor always
	 * does; an image cannot ask for less. */
	if (!string_is(json_object_get(sandbox, "network"),
		       c->device ? "device" : "none") ||
	    !string_is(json_object_get(sandbox, "mounts"), "empty") ||
	    !string_is(json_object_get(sandbox, "user"), "unprivileged") ||
	    !json_is_true(json_object_get(sandbox, "no_new_privs")))
		return fail(err, errlen,
			    "%s.sandbox: asks for less isolation than sealnet "
			    "always applies",
			    c->name);
	arr = json_object_get(sandbox, "syscalls");
	if (!json_is_array(arr))
		return fail(err, errlen, "%s.sandbox.syscalls: not a list",
			    c->name);
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) ||
		    add_syscall(c, json_string_value(v), err, errlen) < 0)
			return json_is_string(v)
				   ? -1
				   : fail(err, errlen,
					  "%s.sandbox.syscalls[%zu]: not a "
					  "string",
					  c->name, i);
	}
	return 0;
}

static int
parse_network(struct image_network *n, json_t *v, char *err, size_t errlen)
{
	static const char *const keys[] = {"ipv4", "gateway", "dns", NULL};
	const char *text[3] = {NULL, NULL, NULL};

	if (!json_is_object(v))
		return fail(err, errlen, "image.network: not an object");
	if (only_keys(v, keys, "network", err, errlen) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		json_t *s = json_object_get(v, keys[i]);

		if (!json_is_string(s))
			return fail(err, errlen,
				    "network.%s: not an address or \"dhcp\"",
				    keys[i]);
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
					   "compartments", "network", NULL};
	json_error_t jerr;
	json_t *root, *all, *v;
	const char *name;
	int rc = -1;

	memset(img, 0, sizeof(*img));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fail(err, errlen, "line %d: %s", jerr.line, jerr.text);
	if (only_keys(root, keys, "image", err, errlen) < 0)
		goto out;
	if (!json_is_integer(json_object_get(root, "sealnet_image")) ||
	    json_integer_value(json_object_get(root, "sealnet_image")) !=
		IMAGE_VERSION) {
		fail(err, errlen, "image: sealnet_image is not %d",
		     IMAGE_VERSION);
		goto out;
	}
	if (get_string(root, "schema_sha256", img->schema_sha256,
		       sizeof(img->schema_sha256), "image", err, errlen) < 0)
		goto out;
	if (!hex64(img->schema_sha256)) {
		fail(err, errlen, "image.schema_sha256: not 64 hex digits");
		goto out;
	}
	all = json_object_get(root, "compartments");
	if (!json_is_object(all) ||
	    json_object_size(all) > IMAGE_MAX_COMPARTMENTS) {
		fail(err, errlen,
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
			  errlen) < 0)
		goto out;
	rc = check_image(img, err, errlen);
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
		return fail(err, errlen, "%s: %s", shown, strerror(errno));
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
	    len > (1 << 22) || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return fail(err, errlen, "%s: unreadable or larger than 4 MiB",
			    shown);
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return fail(err, errlen, "%s: read failed", shown);
	}
	fclose(f);
	rc = image_parse(img, buf, (size_t)len, err, errlen);
	free(buf);
	if (rc == 0 &&
	    strcmp(img->schema_sha256, SEALNET_SCHEMA_SHA256_HEX) != 0)
		return fail(err, errlen,
			    "%s was built for schema %s; this sealnet has %s",
			    shown, img->schema_sha256,
			    SEALNET_SCHEMA_SHA256_HEX);
	return rc;
}
