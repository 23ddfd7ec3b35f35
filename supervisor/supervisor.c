/* sealnet run: the supervisor's event loop. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "channel.h"
#include "restart.h"
#include "sandbox.h"
#include "sealnet_msg.h"

#define RING_BYTES	  (256u * 1024u)
#define MAX_LINKS	  (IMAGE_MAX_COMPARTMENTS * (IMAGE_MAX_COMPARTMENTS - 1) / 2)
#define STOP_GRACE_NS	  (2000ull * 1000000ull)

/* One channel between two compartments, as long as both incarnations
 * that hold it live. */
struct link {
	unsigned a, b; /* compartment indices, a < b; a is side 0 */
	struct sn_channel_fds fds;
	bool open;
};

enum child_state { CHILD_STOPPED, CHILD_RUNNING, CHILD_WAITING, CHILD_GAVE_UP };

struct child {
	const struct image_compartment *ic;
	enum child_state state;
	pid_t pid;
	int control_fd; /* our end */
	int note_fd;	/* read end of the death note */
	int exe_fd;	/* the verified binary */
	uint32_t incarnation;
	bool ready;	 /* this incarnation said so */
	bool ever_ready; /* some incarnation did: for the start-up figure */
	uint64_t started_ns, died_ns, restart_at_ns;
	struct restart_history restarts;
};

static struct {
	const struct image *img;
	struct child child[IMAGE_MAX_COMPARTMENTS];
	struct link links[MAX_LINKS];
	unsigned nlinks;
	int signal_fd, devnull_fd, device_fd;
	uint64_t boot_ns;
	uint8_t hardware_address[6];
	bool all_ready_reported;
	bool stopping;
} sv;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double
ms_since(uint64_t t)
{
	return (double)(now_ns() - t) / 1e6;
}

/* ---- what a compartment may send us ---- */

int
supervisor_control_message(const char *from, const uint8_t *msg, size_t len)
{
	sn_verify_error err;
	sn_message_ref m;
	uint32_t n;
	const char *text;

	if (sn_message_verify(msg, len, &m, &err) < 0) {
		fprintf(stderr,
			"sealnet: %s: control message rejected at byte %u: "
			"%s\n",
			from, err.offset, err.reason);
		return -EBADMSG;
	}
	if (sn_message_call_type(m) != SN_CALL_TYPE_REQUEST)
		return -EINVAL;
	switch (sn_message_export(m)) {
	case SN_EXPORT_SUPERVISOR_READY:
		text = sn_ready_compartment(sn_message_body_as_ready(m), &n);
		/* Who is speaking is known from the socket; a message that
		 * claims otherwise is refused. */
		if (text == NULL || strlen(from) != n ||
		    memcmp(text, from, n) != 0) {
			fprintf(stderr,
				"sealnet: %s: ready message names another "
				"compartment; refused\n",
				from);
			return -EPERM;
		}
		return 1;
	case SN_EXPORT_SUPERVISOR_LOG: {
		sn_log_ref log = sn_message_body_as_log(m);

		text = sn_log_text(log, &n);
		fprintf(stderr, "%s: %s: ", from,
			sn_log_level_name(sn_log_level(log)));
		/* Printable bytes only: a compartment does not get to drive
		 * the operator's terminal. */
		for (uint32_t i = 0; i < n && i < 1024; i++)
			fputc(text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?',
			      stderr);
		fputc('\n', stderr);
		return 0;
	}
	default:
		fprintf(stderr, "sealnet: %s: %s is not a control message\n",
			from, sn_export_name(sn_message_export(m)));
		return -EPERM;
	}
}

/* ---- boot messages ---- */

static bool
imports_from(const struct image_compartment *caller, const char *callee)
{
	for (unsigned i = 0; i < caller->ncalls; i++)
		if (strcmp(caller->calls[i].compartment, callee) == 0)
			return true;
	return false;
}

static uint32_t
endpoint(sn_builder *b, const uint8_t *address, bool ipv6)
{
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(
	    b, ep, ipv6 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, ep, address, ipv6 ? 16 : 4);
	return ep;
}

/* The image's addresses, for TCPIP (the others ignore them). */
static uint32_t
build_network(sn_builder *b)
{
	const struct image_network *n = &sv.img->network;
	uint32_t nc = sn_network_config_start(b);

	if (n->static_ipv4) {
		sn_network_config_add_prefix_length(b, nc, n->prefix_length);
		sn_network_config_add_ipv4(b, nc, endpoint(b, n->ipv4, false));
		sn_network_config_add_gateway(b, nc,
					      endpoint(b, n->gateway, false));
	}
	if (n->has_dns)
		sn_network_config_add_dns(b, nc,
					  endpoint(b, n->dns, n->dns_ipv6));
	return nc;
}

/* The peer entry that tells compartment `self` about its link to
 * `other`. */
static uint32_t
build_peer(sn_builder *b, unsigned self, unsigned other, unsigned side)
{
	const struct image_compartment *me = sv.child[self].ic;
	const struct image_compartment *them = sv.child[other].ic;
	uint32_t peer = sn_boot_peer_start(b), vec;
	unsigned nperm = 0;

	sn_boot_peer_add_name(b, peer, them->name, strlen(them->name));
	sn_boot_peer_add_side(b, peer, (uint8_t)side);
	sn_boot_peer_add_sockets(b, peer, (uint32_t)them->quota[QUOTA_SOCKETS]);
	sn_boot_peer_add_buffered_bytes(
	    b, peer, (uint32_t)them->quota[QUOTA_BUFFERED_BYTES]);
	sn_boot_peer_add_tls_sessions(
	    b, peer, (uint32_t)them->quota[QUOTA_TLS_SESSIONS]);
	sn_boot_peer_add_mqtt_connections(
	    b, peer, (uint32_t)them->quota[QUOTA_MQTT_CONNECTIONS]);
	for (unsigned i = 0; i < them->ncalls; i++)
		nperm += strcmp(them->calls[i].compartment, me->name) == 0;
	vec = sn_boot_peer_start_may_call(b, peer, nperm);
	for (unsigned i = 0, k = 0; i < them->ncalls; i++) {
		if (strcmp(them->calls[i].compartment, me->name) != 0)
			continue;
		uint32_t perm = sn_permission_start(b);
		sn_permission_add_export(b, perm, them->calls[i].export_id);
		sn_builder_set_table_at(b, vec, k++, perm);
	}
	unsigned nconn = 0, nbind = 0;
	for (unsigned i = 0; i < them->ncaps; i++) {
		nconn += them->caps[i].cap.kind == SN_CAPABILITY_CONNECTION;
		nbind += them->caps[i].cap.kind == SN_CAPABILITY_BIND;
	}
	uint32_t conns = sn_boot_peer_start_connections(b, peer, nconn);
	for (unsigned i = 0, k = 0; i < them->ncaps; i++) {
		const struct sn_capability *c = &them->caps[i].cap;
		if (c->kind != SN_CAPABILITY_CONNECTION)
			continue;
		uint32_t t = sn_connection_capability_start(b);
		sn_connection_capability_add_protocol(b, t, c->protocol);
		sn_connection_capability_add_host(b, t, c->host,
						  strlen(c->host));
		sn_connection_capability_add_port(b, t, c->port);
		sn_builder_set_table_at(b, conns, k++, t);
	}
	uint32_t binds = sn_boot_peer_start_binds(b, peer, nbind);
	for (unsigned i = 0, k = 0; i < them->ncaps; i++) {
		const struct sn_capability *c = &them->caps[i].cap;
		if (c->kind != SN_CAPABILITY_BIND)
			continue;
		uint32_t t = sn_bind_capability_start(b);
		sn_bind_capability_add_port(b, t, c->port);
		sn_bind_capability_add_max_connections(b, t,
						       c->max_connections);
		sn_bind_capability_add_ipv6(b, t, c->ipv6);
		sn_builder_set_table_at(b, binds, k++, t);
	}
	return peer;
}

static unsigned
link_side(const struct link *l, unsigned self)
{
	return l->a == self ? 0 : 1;
}

static unsigned
link_other(const struct link *l, unsigned self)
{
	return l->a == self ? l->b : l->a;
}

static int
send_with_fds(int sock, const uint8_t *msg, size_t len, const int *fds,
	      unsigned nfds)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * 3 * SN_MAX_PEERS)];
	} control;
	struct iovec iov = {(void *)msg, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.space;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

static void
push_fds(int *fds, unsigned *n, const struct link *l)
{
	fds[(*n)++] = l->fds.shm;
	fds[(*n)++] = l->fds.eventfd[0];
	fds[(*n)++] = l->fds.eventfd[1];
}

static int
send_boot(unsigned self)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	struct child *ch = &sv.child[self];
	int fds[3 * SN_MAX_PEERS];
	unsigned nfds = 0, npeers = 0, k = 0;
	uint32_t msg, boot, vec;
	sn_builder b;
	size_t len;

	for (unsigned i = 0; i < sv.nlinks; i++)
		npeers += sv.links[i].a == self || sv.links[i].b == self;
	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, ch->incarnation);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_COMPARTMENT_BOOT);
	boot = sn_boot_start(&b);
	sn_boot_add_compartment(&b, boot, ch->ic->name, strlen(ch->ic->name));
	sn_boot_add_incarnation(&b, boot, ch->incarnation);
	sn_boot_add_hardware_address(&b, boot, sv.hardware_address,
				     sizeof(sv.hardware_address));
	if (sv.img->network.static_ipv4 || sv.img->network.has_dns)
		sn_boot_add_network(&b, boot, build_network(&b));
	vec = sn_boot_start_peers(&b, boot, npeers);
	for (unsigned i = 0; i < sv.nlinks; i++) {
		struct link *l = &sv.links[i];

		if (l->a != self && l->b != self)
			continue;
		sn_builder_set_table_at(&b, vec, k++,
					build_peer(&b, self,
						   link_other(l, self),
						   link_side(l, self)));
		push_fds(fds, &nfds, l);
	}
	sn_message_add_body(&b, msg, SN_BODY_BOOT, boot);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	return send_with_fds(ch->control_fd, buf, len, fds, nfds);
}

static int
send_peer_restarted(unsigned self, const struct link *l)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	unsigned other = link_other(l, self);
	int fds[3];
	unsigned nfds = 0;
	uint32_t msg, body;
	sn_builder b;
	size_t len;

	sn_builder_init(&b, buf, sizeof(buf));
	msg = sn_message_start(&b);
	sn_message_add_call_id(&b, msg, sv.child[other].incarnation);
	sn_message_add_call_type(&b, msg, SN_CALL_TYPE_REQUEST);
	sn_message_add_export(&b, msg, SN_EXPORT_COMPARTMENT_PEER_RESTARTED);
	body = sn_peer_restarted_start(&b);
	sn_peer_restarted_add_incarnation(&b, body,
					  sv.child[other].incarnation);
	sn_peer_restarted_add_peer(
	    &b, body, build_peer(&b, self, other, link_side(l, self)));
	sn_message_add_body(&b, msg, SN_BODY_PEER_RESTARTED, body);
	if (sn_builder_finish(&b, msg, &len) < 0)
		return -ENOBUFS;
	push_fds(fds, &nfds, l);
	return send_with_fds(sv.child[self].control_fd, buf, len, fds, nfds);
}

/* ---- starting ---- */

static int
open_links(unsigned self)
{
	for (unsigned i = 0; i < sv.nlinks; i++) {
		struct link *l = &sv.links[i];
		unsigned other;

		if ((l->a != self && l->b != self) || l->open)
			continue;
		if (sn_channel_create(RING_BYTES, &l->fds) < 0)
			return -1;
		l->open = true;
		/* A peer that is running learns of the new channel now; one
		 * that is not gets it in its boot message. */
		other = link_other(l, self);
		if (sv.child[other].state == CHILD_RUNNING &&
		    send_peer_restarted(other, l) < 0)
			fprintf(stderr,
				"sealnet: %s: could not hand over the new "
				"channel to %s\n",
				sv.child[other].ic->name,
				sv.child[self].ic->name);
	}
	return 0;
}

static int
start(unsigned self)
{
	struct child *ch = &sv.child[self];
	int sv_pair[2], note[2];
	pid_t pid;

	ch->incarnation++;
	if (open_links(self) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv_pair) < 0)
		return -1;
	if (pipe2(note, O_CLOEXEC | O_NONBLOCK) < 0) {
		close(sv_pair[0]);
		close(sv_pair[1]);
		return -1;
	}
	ch->ready = false;
	ch->started_ns = now_ns();
	pid = fork();
	if (pid == 0) {
		struct sandbox_plan plan = {
		    .compartment = ch->ic,
		    .index = self,
		    .control_fd = sv_pair[1],
		    .note_fd = note[1],
		    .exe_fd = ch->exe_fd,
		    .device_fd = ch->ic->device ? sv.device_fd : -1,
		    .devnull_fd = sv.devnull_fd,
		};
		sandbox_enter_and_exec(&plan);
		_exit(127);
	}
	close(sv_pair[1]);
	close(note[1]);
	if (pid < 0) {
		close(sv_pair[0]);
		close(note[0]);
		return -1;
	}
	ch->pid = pid;
	ch->control_fd = sv_pair[0];
	ch->note_fd = note[0];
	ch->state = CHILD_RUNNING;
	fprintf(stderr, "sealnet: started %s (pid %d, incarnation %u)\n",
		ch->ic->name, (int)pid, ch->incarnation);
	if (send_boot(self) < 0) {
		fprintf(stderr, "sealnet: %s: boot message not sent\n",
			ch->ic->name);
		kill(pid, SIGKILL);
	}
	return 0;
}

/* ---- deaths and restarts ---- */

static void
describe_death(struct child *ch, int status, char *out, size_t cap)
{
	if (WIFEXITED(status)) {
		snprintf(out, cap, "exited with status %d",
			 WEXITSTATUS(status));
	} else if (WTERMSIG(status) == SIGSYS) {
		int nr = -1;
		char *name = NULL;

		if (read(ch->note_fd, &nr, sizeof(nr)) == sizeof(nr))
			name = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);
		snprintf(out, cap, "killed for a forbidden syscall: %s (%d)",
			 name ? name : "unknown", nr);
		free(name);
	} else {
		snprintf(out, cap, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	}
}

static bool control_readable(unsigned self);

static void
reaped(struct child *ch, int status)
{
	unsigned self = (unsigned)(ch - sv.child);
	char why[160];
	uint64_t now = now_ns();
	bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* What it said before dying still counts: it may have been ready. */
	while (control_readable(self))
		;
	describe_death(ch, status, why, sizeof(why));
	ch->died_ns = now;
	ch->pid = 0;
	close(ch->control_fd);
	close(ch->note_fd);
	/* Its peers stop waiting on it now, not at the restart. */
	for (unsigned i = 0; i < sv.nlinks; i++) {
		struct link *l = &sv.links[i];

		if ((l->a != self && l->b != self) || !l->open)
			continue;
		sn_channel_mark_dead(&l->fds);
		sn_channel_fds_close(&l->fds);
		l->open = false;
	}
	fprintf(stderr, "sealnet: %s (incarnation %u) %s\n", ch->ic->name,
		ch->incarnation, why);
	if (sv.stopping) {
		ch->state = CHILD_STOPPED;
		return;
	}
	struct restart_plan plan =
	    restart_decide(&ch->restarts, ch->ic->restart, ch->ic->max_restarts,
			   failed, ch->ready, now);
	if (plan.verdict == RESTART_NOT_NEEDED) {
		ch->state = CHILD_STOPPED;
		return;
	}
	if (plan.verdict == RESTART_CRASH_LOOP) {
		fprintf(stderr,
			"sealnet: %s: crash loop: %u restarts in the last "
			"minute, the image allows %u; not restarting\n",
			ch->ic->name, plan.recent, ch->ic->max_restarts);
		ch->state = CHILD_GAVE_UP;
		return;
	}
	ch->restart_at_ns = now + plan.delay_ns;
	ch->state = CHILD_WAITING;
	fprintf(stderr, "sealnet: %s: restarting in %llu ms\n", ch->ic->name,
		(unsigned long long)(plan.delay_ns / MS_NS));
}

static void
reap_all(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (unsigned i = 0; i < sv.img->ncompartments; i++)
			if (sv.child[i].pid == pid &&
			    sv.child[i].state == CHILD_RUNNING)
				reaped(&sv.child[i], status);
}

static void
restart_due(void)
{
	uint64_t now = now_ns();

	for (unsigned i = 0; i < sv.img->ncompartments; i++) {
		struct child *ch = &sv.child[i];

		if (ch->state != CHILD_WAITING || now < ch->restart_at_ns)
			continue;
		restart_record(&ch->restarts, now);
		if (start(i) < 0) {
			fprintf(stderr, "sealnet: %s: restart failed: %s\n",
				ch->ic->name, strerror(errno));
			ch->state = CHILD_GAVE_UP;
		}
	}
}

/* Handles one message if there is one; false when there was none. */
static bool
control_readable(unsigned self)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	struct child *ch = &sv.child[self];
	ssize_t n = recv(ch->control_fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n <= 0)
		return false; /* death is reported by SIGCHLD */
	if (supervisor_control_message(ch->ic->name, buf, (size_t)n) != 1 ||
	    ch->ready)
		return true;
	ch->ready = true;
	ch->ever_ready = true;
	if (ch->incarnation > 1)
		fprintf(stderr,
			"sealnet: %s ready again, %.1f ms after it died\n",
			ch->ic->name, (double)(now_ns() - ch->died_ns) / 1e6);
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (!sv.child[i].ever_ready)
			return true;
	if (!sv.all_ready_reported) {
		sv.all_ready_reported = true;
		fprintf(stderr,
			"sealnet: all %u compartments ready, %.1f ms after "
			"start\n",
			sv.img->ncompartments, ms_since(sv.boot_ns));
	}
	return true;
}

/* ---- set-up and the loop ---- */

static int
open_device(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
prepare(const struct image *img, const struct supervisor_options *opt)
{
	memset(&sv, 0, sizeof(sv));
	sv.img = img;
	sv.device_fd = -1;
	sv.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sv.devnull_fd < 0)
		return -1;
	for (unsigned i = 0; i < img->ncompartments; i++) {
		struct child *ch = &sv.child[i];
		char hash[IMAGE_SHA256_HEX];

		ch->ic = &img->compartments[i];
		restart_history_init(&ch->restarts);
		/* Hash the very file that will run: the exec goes through
		 * this descriptor, so the path cannot be swapped between. */
		ch->exe_fd = open(ch->ic->binary, O_RDONLY | O_CLOEXEC);
		if (ch->exe_fd < 0) {
			fprintf(stderr, "sealnet: %s: %s: %s\n", ch->ic->name,
				ch->ic->binary, strerror(errno));
			return -1;
		}
		if (image_sha256_fd(ch->exe_fd, hash) < 0 ||
		    strcmp(hash, ch->ic->sha256) != 0) {
			fprintf(stderr,
				"sealnet: %s: %s has SHA-256 %s, the image "
				"says %s; refusing to start\n",
				ch->ic->name, ch->ic->binary, hash,
				ch->ic->sha256);
			return -1;
		}
		if (ch->ic->device) {
			if (opt->tap == NULL) {
				fprintf(stderr,
					"sealnet: %s holds the network device: "
					"give one with --tap IFNAME\n",
					ch->ic->name);
				return -1;
			}
			sv.device_fd = open_device(opt->tap);
			if (sv.device_fd < 0) {
				fprintf(stderr, "sealnet: --tap %s: %s\n",
					opt->tap, strerror(errno));
				return -1;
			}
		}
	}
	/* One channel per pair of compartments joined by an import. */
	for (unsigned a = 0; a < img->ncompartments; a++)
		for (unsigned b = a + 1; b < img->ncompartments; b++)
			if (imports_from(&img->compartments[a],
					 img->compartments[b].name) ||
			    imports_from(&img->compartments[b],
					 img->compartments[a].name))
				sv.links[sv.nlinks++] =
				    (struct link){.a = a, .b = b};
	return 0;
}

static bool
any_running(void)
{
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			return true;
	return false;
}

static void
stop_all(void)
{
	uint64_t end = now_ns() + STOP_GRACE_NS;

	sv.stopping = true;
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			kill(sv.child[i].pid, SIGTERM);
	while (any_running() && now_ns() < end) {
		struct pollfd p = {sv.signal_fd, POLLIN, 0};
		struct signalfd_siginfo si;

		if (poll(&p, 1, 50) > 0 &&
		    read(sv.signal_fd, &si, sizeof(si)) < 0)
			break;
		reap_all();
	}
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			kill(sv.child[i].pid, SIGKILL);
	while (any_running()) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0)
			break;
		for (unsigned i = 0; i < sv.img->ncompartments; i++)
			if (sv.child[i].pid == pid)
				reaped(&sv.child[i], status);
	}
	fprintf(stderr, "sealnet: stopped; no compartment is left running\n");
}

int
supervisor_run(const struct image *img, const struct supervisor_options *opt)
{
	sigset_t mask;

	if (prepare(img, opt) < 0)
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sv.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sv.signal_fd < 0)
		return 1;
	sv.boot_ns = now_ns();
	/* Random and locally administered, fixed for this run. */
	if (getrandom(sv.hardware_address, sizeof(sv.hardware_address), 0) !=
	    sizeof(sv.hardware_address))
		return 1;
	sv.hardware_address[0] =
	    (uint8_t)((sv.hardware_address[0] & 0xfe) | 0x02);
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (start(i) < 0) {
			fprintf(stderr, "sealnet: cannot start %s: %s\n",
				img->compartments[i].name, strerror(errno));
			stop_all();
			return 1;
		}
	for (;;) {
		struct pollfd pfd[1 + IMAGE_MAX_COMPARTMENTS];
		unsigned who[1 + IMAGE_MAX_COMPARTMENTS], n = 1;
		int timeout = -1;
		uint64_t now = now_ns();

		pfd[0] = (struct pollfd){sv.signal_fd, POLLIN, 0};
		for (unsigned i = 0; i < img->ncompartments; i++) {
			struct child *ch = &sv.child[i];

			if (ch->state == CHILD_RUNNING) {
				pfd[n] =
				    (struct pollfd){ch->control_fd, POLLIN, 0};
				who[n++] = i;
			} else if (ch->state == CHILD_WAITING) {
				int ms = ch->restart_at_ns > now
					     ? (int)((ch->restart_at_ns - now) /
						     1000000) +
						   1
					     : 0;
				if (timeout < 0 || ms < timeout)
					timeout = ms;
			}
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sv.signal_fd, &si, sizeof(si)) == sizeof(si) &&
			    (si.ssi_signo == SIGTERM ||
			     si.ssi_signo == SIGINT)) {
				fprintf(stderr, "sealnet: %s: stopping\n",
					strsignal((int)si.ssi_signo));
				stop_all();
				return 0;
			}
			reap_all();
		}
		for (unsigned k = 1; k < n; k++)
			if (pfd[k].revents & POLLIN &&
			    sv.child[who[k]].state == CHILD_RUNNING)
				control_readable(who[k]);
		restart_due();
	}
	stop_all();
	return 1;
}
