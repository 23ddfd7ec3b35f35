/*
 * The image's model: its tables, the names it accepts, and the rules that
 * hold across compartments, checked after building and after parsing
 * alike.  Building (manifest.c), writing (image_json.c) and parsing
 * (image_parse.c) all end in image_check().
 */
#include "image.h"
#include "image_private.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

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

const char *const image_quota_names[QUOTA_COUNT] = {
    "memory_bytes", "descriptors",	"sockets",     "buffered_bytes",
    "tls_sessions", "mqtt_connections", "cpu_seconds",
};
const char *const image_quota_keys[QUOTA_COUNT + 1] = {
    "memory_bytes", "descriptors",	"sockets",     "buffered_bytes",
    "tls_sessions", "mqtt_connections", "cpu_seconds", NULL,
};
/* Without a declaration: enough sockets and buffer for a client or a
 * small server; no TLS sessions or MQTT connections; an hour of CPU time
 * per incarnation. */
const uint64_t image_quota_defaults[QUOTA_COUNT] = {
    64u << 20, 64, 16, 1u << 20, 0, 0, 3600,
};
const uint64_t image_quota_limits[QUOTA_COUNT] = {
    1ull << 34, 4096, 1024, (1ull << 32) - 1, 256, 256, (1ull << 32) - 1,
};
const char *const image_restart_names[] = {"always", "on_failure", "never"};

const char *
image_quota_name(enum image_quota q)
{
	return image_quota_names[q];
}

const char *
image_restart_name(enum image_restart r)
{
	return image_restart_names[r];
}

const struct image_dangerous_syscall *
image_syscall_danger(const char *name)
{
	for (unsigned i = 0; image_dangerous_syscalls[i].name; i++)
		if (strcmp(image_dangerous_syscalls[i].name, name) == 0)
			return &image_dangerous_syscalls[i];
	return NULL;
}

int
image_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

bool
image_copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap);

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Names people will type into queries: letters, digits, _ - . only. */
bool
image_plain_name(const char *s)
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
bool
image_host_name(const char *s)
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

bool
image_exports(const struct image_compartment *c, uint16_t id)
{
	for (unsigned i = 0; i < c->nexports; i++)
		if (c->exports[i] == id)
			return true;
	return false;
}

int
image_add_syscall(struct image_compartment *c, const char *name, char *err,
		  size_t errlen)
{
	for (unsigned i = 0; i < c->nsyscalls; i++)
		if (strcmp(c->syscalls[i], name) == 0)
			return 0;
	if (c->nsyscalls >= IMAGE_MAX_SYSCALLS)
		return image_fail(err, errlen, "%s: too many syscalls",
				  c->name);
	if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
		return image_fail(err, errlen, "%s: unknown syscall \"%s\"",
				  c->name, name);
	if (!image_copy_name(c->syscalls[c->nsyscalls], sizeof(c->syscalls[0]),
			     name))
		return image_fail(err, errlen, "%s: syscall name too long",
				  c->name);
	c->nsyscalls++;
	return 0;
}

/* Exports that many compartments may implement: the callbacks a service
 * makes into the applications that use it (the schema's Application). */
static bool
is_callback(const sn_export_info *e)
{
	return strcmp(e->compartment, IMAGE_CALLBACK_SERVICE) == 0;
}

static bool
handles(const struct image_compartment *c, uint16_t id)
{
	for (unsigned i = 0; i < c->nhandlers; i++)
		if (c->handlers[i] == id)
			return true;
	return false;
}

static int
check_grants(const struct image_compartment *c, char *err, size_t errlen)
{
	for (unsigned k = 0; k < c->nsyscalls; k++) {
		const struct image_dangerous_syscall *d =
		    image_syscall_danger(c->syscalls[k]);

		if (d != NULL && d->refused && !c->allow_dangerous_syscalls)
			return image_fail(err, errlen,
					  "%s may call %s, which %s; refused "
					  "unless the image is built with "
					  "--allow-dangerous-syscalls",
					  c->name, d->name, d->why);
	}
	return 0;
}

/* What a compartment offers is what the schema assigns it, each with
 * the function that serves it. */
static int
check_exports(const struct image_compartment *c, char *err, size_t errlen)
{
	for (unsigned e = 0; e < c->nexports; e++) {
		const sn_export_info *x = sn_export_info_get(c->exports[e]);

		if (!is_callback(x) && strcmp(x->compartment, c->name) != 0)
			return image_fail(err, errlen,
					  "%s declares the export %s, which "
					  "the schema assigns to %s",
					  c->name, x->name, x->compartment);
		if (!handles(c, x->id))
			return image_fail(err, errlen,
					  "%s declares the export %s but has "
					  "no handler for it",
					  c->name, x->name);
	}
	for (unsigned h = 0; h < c->nhandlers; h++)
		if (!image_exports(c, c->handlers[h]))
			return image_fail(err, errlen,
					  "%s has a handler for %s but does "
					  "not declare the export",
					  c->name,
					  sn_export_name(c->handlers[h]));
	return 0;
}

/* A call reaches the compartment the schema names for its export, and
 * that compartment must be in the image and offer it. */
static int
check_calls(const struct image *img, const struct image_compartment *c,
	    char *err, size_t errlen)
{
	for (unsigned k = 0; k < c->ncalls; k++) {
		const struct image_call *call = &c->calls[k];
		const sn_export_info *x = sn_export_info_get(call->export_id);
		const struct image_compartment *callee;

		if (strcmp(call->compartment, x->compartment) != 0)
			return image_fail(err, errlen,
					  "%s's call to %s goes to %s, but the "
					  "schema assigns %s to %s",
					  c->name, x->name, call->compartment,
					  x->name, x->compartment);
		if (is_callback(x))
			continue;
		callee = image_find(img, x->compartment);
		if (callee == NULL)
			return image_fail(err, errlen,
					  "%s imports %s, which the schema "
					  "assigns to %s, and the image has no "
					  "compartment named %s",
					  c->name, x->name, x->compartment,
					  x->compartment);
		if (callee == c)
			return image_fail(err, errlen,
					  "%s imports its own export %s",
					  c->name, x->name);
		if (!image_exports(callee, x->id))
			return image_fail(err, errlen,
					  "%s imports %s from %s, which does "
					  "not export it",
					  c->name, x->name, callee->name);
	}
	return 0;
}

int
image_check(const struct image *img, char *err, size_t errlen)
{
	unsigned devices = 0;

	if (img->ncompartments == 0)
		return image_fail(err, errlen, "the image has no compartments");
	for (unsigned i = 0; i < img->ncompartments; i++) {
		const struct image_compartment *c = &img->compartments[i];

		if (image_index(img, c->name) != (int)i)
			return image_fail(err, errlen,
					  "two compartments are named %s",
					  c->name);
		devices += c->device;
		if (check_grants(c, err, errlen) < 0 ||
		    check_exports(c, err, errlen) < 0)
			return -1;
	}
	/* Calls last: a compartment renamed is then reported as what it
	 * is, an export in the wrong place, not as every call it breaks. */
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (check_calls(img, &img->compartments[i], err, errlen) < 0)
			return -1;
	if (devices > 1)
		return image_fail(err, errlen,
				  "more than one compartment holds the device");
	if (image_tls_check(img, err, errlen) < 0 ||
	    image_sntp_check(img, err, errlen) < 0)
		return -1;
	return image_mqtt_check(img, err, errlen);
}

void
image_compartment_defaults(struct image_compartment *c)
{
	memcpy(c->quota, image_quota_defaults, sizeof(c->quota));
	c->restart = RESTART_ON_FAILURE;
	c->max_restarts = 5;
}

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
