/* A supervised compartment: boot message, control socket, stopping. */
#include "boot.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot_self.h"
#include "callbacks.h"
#include "log.h"
#include "sealnet/compartment.h"

#define FDS_PER_PEER	3u
#define MAX_CONTROL_FDS SN_MAX_CONTROL_FDS

static struct sn_peer peers[SN_MAX_PEERS];
/* The eventfds of each peer's current channel.  The channel maps the
 * shared memory, so its descriptor is closed once mapped; the eventfds
 * stay open until a successor's channel replaces them.  A peer that
 * restarts a thousand times must leave us holding three descriptors for
 * it, not three thousand. */
static struct sn_channel_fds held_fds[SN_MAX_PEERS] = {
    [0 ... SN_MAX_PEERS - 1] = {-1, {-1, -1}}};
static uint64_t control_truncated;
static struct sn_compartment *self;
static char compartment_name[SN_PEER_NAME_MAX];
static uint32_t incarnation;
static uint8_t hardware_address[6];
static bool have_hardware_address;
static bool device_offloads;
static struct sn_network_config network_config;
/* The files of the boot message, until the compartment takes them. */
static struct {
	char name[SN_BOOT_FILE_NAME_MAX + 1];
	uint8_t sha256[32];
	bool has_sha256;
	int fd;
} boot_files[SN_MAX_BOOT_FILES];
static unsigned nboot_files;
static _Alignas(8) uint8_t control_buf[SN_MAX_MESSAGE];

struct sn_compartment *
sn_compartment_self(void)
{
	return self;
}

bool
sn_compartment_device_offloads(void)
{
	return device_offloads;
}

bool
sn_compartment_hardware_address(uint8_t out[6])
{
	memcpy(out, hardware_address, sizeof(hardware_address));
	return have_hardware_address;
}

void
sn_compartment_network_config(struct sn_network_config *out)
{
	*out = network_config;
}

/* The image's addresses, each checked for its family's length. */
static void
take_network_config(sn_network_config_ref n)
{
	uint32_t len;
	const uint8_t *a;

	memset(&network_config, 0, sizeof(network_config));
	if (n.pos == 0)
		return;
	sn_endpoint_ref ip = sn_network_config_ipv4(n);
	sn_endpoint_ref gw = sn_network_config_gateway(n);
	sn_endpoint_ref dns = sn_network_config_dns(n);
	if (ip.pos && gw.pos && sn_network_config_prefix_length(n) <= 32 &&
	    (a = sn_endpoint_address(ip, &len)) != NULL && len == 4) {
		memcpy(network_config.ipv4, a, 4);
		a = sn_endpoint_address(gw, &len);
		if (a != NULL && len == 4) {
			memcpy(network_config.gateway, a, 4);
			network_config.prefix_length =
			    sn_network_config_prefix_length(n);
			network_config.static_ipv4 = true;
		}
	}
	if (dns.pos && (a = sn_endpoint_address(dns, &len)) != NULL &&
	    (len == 4 || len == 16)) {
		memcpy(network_config.dns, a, len);
		network_config.dns_family =
		    len == 4 ? SN_ADDRESS_FAMILY_IPV4 : SN_ADDRESS_FAMILY_IPV6;
	}
}

uint32_t
sn_compartment_incarnation(void)
{
	return incarnation;
}

/* The exit status after SIGTERM: what a shell reports for a process
 * the signal killed. */
#define STOPPED_BY_SIGTERM (128 + SIGTERM)

/*
 * The supervisor stops a compartment with SIGTERM.  As the init of its
 * pid namespace the compartment would ignore it without a handler, so
 * here it ends at once.  Only async-signal-safe calls.
 */
static void
on_sigterm(int sig)
{
	(void)sig;
	_exit(STOPPED_BY_SIGTERM);
}

static ssize_t
receive_control(uint8_t *buf, size_t cap, int *fds, unsigned *nfds)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * MAX_CONTROL_FDS)];
	} control;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.space,
			    .msg_controllen = sizeof(control.space)};
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(SN_CONTROL_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (*nfds < MAX_CONTROL_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	/* A truncated message or descriptor list is not a message.  It is
	 * never expected from the supervisor, so it is reported: a channel
	 * it carried will not open. */
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (unsigned i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		if (sn_log_worth(++control_truncated))
			sn_log("control message truncated (%s); refused "
			       "(%llu so far)",
			       mh.msg_flags & MSG_CTRUNC ? "descriptors"
							 : "bytes",
			       (unsigned long long)control_truncated);
		return -EMSGSIZE;
	}
	return n;
}

/* Whom the peer may hand its sockets to. */
static int
apply_delegations(struct sn_peer *p, sn_boot_peer_ref bp)
{
	p->ndelegates = 0;
	for (uint32_t i = 0; i < sn_boot_peer_delegates_to_count(bp); i++) {
		char name[SN_PEER_NAME_MAX];
		uint32_t len;
		const char *s = sn_compartment_name_name(
		    sn_boot_peer_delegates_to_at(bp, i), &len);

		if (sn_boot_copy_text(name, sizeof(name), s, len) < 0 ||
		    sn_peer_allow_delegation(p, name) < 0)
			return -EINVAL;
	}
	return 0;
}

/* The permissions and capabilities the image gives a peer. */
static int
apply_grants(struct sn_peer *p, sn_boot_peer_ref bp)
{
	memset(p->may_call, 0, sizeof(p->may_call));
	p->nheld = 0;
	p->quota[SN_QUOTA_SOCKETS] = sn_boot_peer_sockets(bp);
	p->quota[SN_QUOTA_BUFFERED_BYTES] = sn_boot_peer_buffered_bytes(bp);
	p->quota[SN_QUOTA_TLS_SESSIONS] = sn_boot_peer_tls_sessions(bp);
	p->quota[SN_QUOTA_MQTT_CONNECTIONS] = sn_boot_peer_mqtt_connections(bp);
	for (uint32_t i = 0; i < sn_boot_peer_may_call_count(bp); i++)
		sn_peer_allow(
		    p, sn_permission_export(sn_boot_peer_may_call_at(bp, i)));
	for (uint32_t i = 0; i < sn_boot_peer_connections_count(bp); i++) {
		struct sn_capability cap;

		if (sn_boot_connection_of(sn_boot_peer_connections_at(bp, i),
					  &cap) < 0 ||
		    sn_peer_grant(p, &cap) < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < sn_boot_peer_binds_count(bp); i++) {
		sn_bind_capability_ref r = sn_boot_peer_binds_at(bp, i);
		struct sn_capability cap = {
		    .kind = SN_CAPABILITY_BIND,
		    .port = sn_bind_capability_port(r),
		    .max_connections = sn_bind_capability_max_connections(r),
		    .ipv6 = sn_bind_capability_ipv6(r),
		};

		if (sn_peer_grant(p, &cap) < 0)
			return -EINVAL;
	}
	return apply_delegations(p, bp);
}

static int
peer_fds(sn_boot_peer_ref bp, const int *fds, struct sn_channel_fds *out,
	 unsigned *side)
{
	*side = sn_boot_peer_side(bp);
	if (*side > 1)
		return -EINVAL;
	out->shm = fds[0];
	out->eventfd[0] = fds[1];
	out->eventfd[1] = fds[2];
	return 0;
}

/*
 * Records that peer `index` now uses the channel whose descriptors are
 * fds[0..2], and takes them: the mapped shared memory's descriptor is
 * closed, the eventfds are kept, and the predecessor's are closed.
 */
static void
take_channel_fds(unsigned index, int *fds)
{
	struct sn_channel_fds *held = &held_fds[index];

	close(fds[0]);
	for (unsigned s = 0; s < 2; s++) {
		if (held->eventfd[s] >= 0)
			close(held->eventfd[s]);
		held->eventfd[s] = fds[1 + s];
	}
	fds[0] = fds[1] = fds[2] = -1;
}

struct sn_peer *
sn_compartment_peer(struct sn_compartment *c, const char *name)
{
	for (unsigned i = 0; i < c->npeers; i++)
		if (strcmp(c->peers[i]->name, name) == 0)
			return c->peers[i];
	return NULL;
}

/* The boot message's files: their names, hashes and descriptors, kept
 * until the compartment takes them. */
static int
take_files(sn_boot_ref boot, int *fds, uint32_t nfiles)
{
	for (uint32_t i = 0; i < nfiles; i++) {
		sn_boot_file_ref f = sn_boot_files_at(boot, i);
		uint32_t len;
		const char *name = sn_boot_file_name(f, &len);
		const uint8_t *hash = sn_boot_file_sha256(f, &len);

		if (sn_boot_copy_text(boot_files[i].name,
				      sizeof(boot_files[i].name), name,
				      (uint32_t)strnlen(name, len + 1)) < 0)
			return -EINVAL;
		boot_files[i].has_sha256 = hash != NULL && len == 32;
		if (boot_files[i].has_sha256)
			memcpy(boot_files[i].sha256, hash, 32);
		boot_files[i].fd = fds[i];
		fds[i] = -1;
		nboot_files = i + 1;
	}
	return 0;
}

int
sn_compartment_take_file(const char *name, int *fd, uint8_t sha256[32])
{
	for (unsigned i = 0; i < nboot_files; i++) {
		if (boot_files[i].fd < 0 || strcmp(boot_files[i].name, name))
			continue;
		if (!boot_files[i].has_sha256)
			return -EINVAL;
		*fd = boot_files[i].fd;
		memcpy(sha256, boot_files[i].sha256, 32);
		boot_files[i].fd = -1;
		return 0;
	}
	return -ENOENT;
}

unsigned
sn_compartment_file_names(const char *names[], unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nboot_files && n < max; i++)
		if (boot_files[i].fd >= 0)
			names[n++] = boot_files[i].name;
	return n;
}

static int
apply_boot(struct sn_compartment *c, sn_boot_ref boot, int *fds, unsigned nfds)
{
	uint32_t npeers = sn_boot_peers_count(boot), len;
	const char *name = sn_boot_compartment(boot, &len);

	if (sn_boot_copy_text(compartment_name, sizeof(compartment_name), name,
			      len) < 0)
		return -EINVAL;
	uint32_t nfiles = sn_boot_files_count(boot);

	if (npeers > SN_MAX_PEERS || nfiles > SN_MAX_BOOT_FILES ||
	    nfds !=
		FDS_PER_PEER * npeers + nfiles + sn_boot_time_record_fds(boot))
		return -EINVAL;
	/* The shared time record's descriptor comes last, if at all. */
	int taken = sn_boot_take_self(boot, fds, nfds);

	if (taken < 0)
		return taken;
	c->name = compartment_name;
	sn_log_set_name(compartment_name);
	incarnation = sn_boot_incarnation(boot);
	const uint8_t *hw = sn_boot_hardware_address(boot, &len);
	if (hw != NULL && len == sizeof(hardware_address)) {
		memcpy(hardware_address, hw, len);
		have_hardware_address = true;
	}
	take_network_config(sn_boot_network(boot));
	device_offloads = sn_boot_device_offloads(boot);
	for (uint32_t i = 0; i < npeers; i++) {
		sn_boot_peer_ref bp = sn_boot_peers_at(boot, i);
		const char *peer_name = sn_boot_peer_name(bp, &len);
		char pname[SN_PEER_NAME_MAX];
		struct sn_channel_fds cf;
		unsigned side;
		int rc;

		if (sn_boot_copy_text(pname, sizeof(pname), peer_name, len) <
			0 ||
		    sn_compartment_peer(c, pname) != NULL ||
		    peer_fds(bp, fds + FDS_PER_PEER * i, &cf, &side) < 0)
			return -EINVAL;
		rc = sn_compartment_attach_peer(c, &peers[i], &cf, side, pname);
		if (rc < 0)
			return rc;
		take_channel_fds(i, fds + FDS_PER_PEER * i);
		rc = apply_grants(&peers[i], bp);
		if (rc < 0)
			return rc;
	}
	return take_files(boot, fds + FDS_PER_PEER * npeers, nfiles);
}

static int
apply_peer_restarted(struct sn_compartment *c, sn_peer_restarted_ref pr,
		     int *fds, unsigned nfds)
{
	sn_boot_peer_ref bp = sn_peer_restarted_peer(pr);
	const char *peer_name;
	char pname[SN_PEER_NAME_MAX];
	struct sn_channel_fds cf;
	struct sn_peer *p;
	unsigned side;
	uint32_t len;
	int rc;

	peer_name = sn_boot_peer_name(bp, &len);
	if (nfds != FDS_PER_PEER ||
	    sn_boot_copy_text(pname, sizeof(pname), peer_name, len) < 0 ||
	    (p = sn_compartment_peer(c, pname)) == NULL ||
	    peer_fds(bp, fds, &cf, &side) < 0)
		return -EINVAL;
	rc = sn_peer_reattach(p, &cf, side);
	if (rc < 0)
		return rc;
	take_channel_fds((unsigned)(p - peers), fds);
	rc = apply_grants(p, bp);
	if (rc == 0) {
		sn_log("%s restarted (incarnation %u); new channel open", pname,
		       sn_peer_restarted_incarnation(pr));
		sn_callbacks_peer_restarted(c, p);
	}
	return rc;
}

int
sn_control_message(struct sn_compartment *c, const uint8_t *msg, size_t len,
		   const int *fds, unsigned nfds)
{
	sn_verify_error err;
	sn_message_ref m;
	int owned[MAX_CONTROL_FDS];
	int rc = -EINVAL;

	/* What is applied takes its descriptors out of `owned`; whatever
	 * is left there afterwards, refused or surplus, is closed. */
	if (nfds > MAX_CONTROL_FDS)
		nfds = MAX_CONTROL_FDS;
	for (unsigned i = 0; i < nfds; i++)
		owned[i] = fds[i];
	/* msg is already a private copy: recvmsg wrote it here. */
	if (sn_message_verify(msg, len, &m, &err) < 0) {
		sn_log("control message rejected at byte %u: %s", err.offset,
		       err.reason);
		rc = -EBADMSG;
	} else if (sn_message_call_type(m) != SN_CALL_TYPE_REQUEST) {
		rc = -EINVAL;
	} else if (sn_message_export(m) == SN_EXPORT_COMPARTMENT_BOOT) {
		/* Boot happens once; a second one is refused. */
		rc = c->name == compartment_name
			 ? -EALREADY
			 : apply_boot(c, sn_message_body_as_boot(m), owned,
				      nfds);
	} else if (sn_message_export(m) ==
		   SN_EXPORT_COMPARTMENT_PEER_RESTARTED) {
		rc = apply_peer_restarted(
		    c, sn_message_body_as_peer_restarted(m), owned, nfds);
	}
	for (unsigned i = 0; i < nfds; i++)
		if (owned[i] >= 0)
			close(owned[i]);
	return rc;
}

static void
control_readable(void *ctx, int fd, short revents)
{
	struct sn_compartment *c = ctx;
	int fds[MAX_CONTROL_FDS];
	unsigned nfds;
	ssize_t n;

	(void)fd;
	n = receive_control(control_buf, sizeof(control_buf), fds, &nfds);
	if (n == 0 || (n < 0 && n != -EAGAIN && n != -EMSGSIZE)) {
		/* The supervisor is gone: so are we. */
		sn_loop_stop(&c->loop);
		return;
	}
	if (n > 0) {
		int rc =
		    sn_control_message(c, control_buf, (size_t)n, fds, nfds);

		if (rc < 0)
			sn_log("control message refused: %s", strerror(-rc));
	}
	(void)revents;
}

static int
send_ready(struct sn_compartment *c)
{
	_Alignas(8) static uint8_t buf[512];
	sn_builder b;
	uint32_t ready, msg;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, 1);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_SUPERVISOR_READY);
	ready = sn_ready_start(&b);
	sn_ready_add_compartment(&b, ready, c->name, strlen(c->name));
	sn_message_add_body(&b, msg, SN_BODY_READY, ready);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	return write(SN_CONTROL_FD, buf, len) == (ssize_t)len ? 0 : -errno;
}

/* Each SEALNET_EXPORT puts one record here; a binary without exports has
 * none, and the section's bounds are then null. */
extern const struct sealnet_handler_record __start_sealnet_handlers[]
    __attribute__((weak));
extern const struct sealnet_handler_record __stop_sealnet_handlers[]
    __attribute__((weak));
static struct sn_handler declared_handlers[SN_MAX_HANDLERS];

/* The handlers the binary declared, by export id.  A record the schema
 * does not know cannot come from a binary `sealnet image build` took. */
static int
collect_handlers(unsigned *n)
{
	const struct sealnet_handler_record *h = __start_sealnet_handlers;

	*n = 0;
	for (; h != NULL && h < __stop_sealnet_handlers; h++) {
		const sn_export_info *e;

		if (h->magic != SEALNET_HANDLER_MAGIC ||
		    memchr(h->export_name, 0, sizeof(h->export_name)) == NULL ||
		    (e = sn_export_info_by_name(h->export_name)) == NULL ||
		    *n >= SN_MAX_HANDLERS) {
			sn_log("a handler record this binary carries is "
			       "malformed or unknown to the schema");
			return -EINVAL;
		}
		declared_handlers[(*n)++] =
		    (struct sn_handler){.export_id = e->id, .serve = h->serve};
	}
	return 0;
}

struct sn_peer *
sn_export_peer(struct sn_compartment *c, uint16_t export_id)
{
	const sn_export_info *e = sn_export_info_get(export_id);

	return e != NULL ? sn_compartment_peer(c, e->compartment) : NULL;
}

int
sn_compartment_boot(struct sn_compartment *c, void *ctx)
{
	unsigned nhandlers;
	struct sigaction sa = {.sa_handler = on_sigterm};
	int fds[MAX_CONTROL_FDS];
	unsigned nfds;
	ssize_t n;
	int rc;

	if (sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	rc = collect_handlers(&nhandlers);
	if (rc < 0)
		return rc;
	rc = sn_compartment_init(c, "booting", declared_handlers, nhandlers,
				 ctx);
	if (rc < 0)
		return rc;
	n = receive_control(control_buf, sizeof(control_buf), fds, &nfds);
	if (n <= 0) {
		sn_log("no boot message from the supervisor");
		return n < 0 ? (int)n : -EPIPE;
	}
	rc = sn_control_message(c, control_buf, (size_t)n, fds, nfds);
	if (rc < 0) {
		sn_log("boot message refused: %s", strerror(-rc));
		return rc;
	}
	self = c;
	rc = sn_loop_add_fd(&c->loop, SN_CONTROL_FD, POLLIN, control_readable,
			    c);
	if (rc == 0)
		rc = send_ready(c);
	return rc;
}

int
sn_compartment_run(struct sn_compartment *c)
{
#ifdef SEALNET_FUZZING
	/* A fuzz target turns the loop itself, one input at a time. */
	return 0;
#else
	return sn_compartment_serve(c);
#endif
}
