/* sealnet run: the supervisor's event loop. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "bounds.h"
#include "channel.h"
#include "events.h"
#include "log.h"
#include "output.h"
#include "restart.h"
#include "sandbox.h"
#include "sealnet_msg.h"
#include "uids.h"

#define MAX_LINKS    (IMAGE_MAX_COMPARTMENTS * (IMAGE_MAX_COMPARTMENTS - 1) / 2)
#define FDS_PER_LINK 3u
/* A compartment binary bigger than this is refused: the copy is held in
 * memory for the whole run. */
#define BINARY_MAX_BYTES (256ull << 20)
/* Control messages read from one compartment per turn of the loop. */
#define CONTROL_READS_PER_TURN 16u

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u
#endif

/* One channel between two compartments, as long as both incarnations
 * that hold it live. */
struct link {
	unsigned a, b; /* compartment indices, a < b; a is side 0 */
	struct sn_channel_fds fds;
	bool open;
};

/* A message the control socket did not take yet, with its own copies of
 * the descriptors it carries. */
struct queued_message {
	uint8_t *bytes;
	size_t len;
	int fds[FDS_PER_LINK * SN_MAX_PEERS];
	unsigned nfds;
	uint64_t queued_ns;
};

enum child_state { CHILD_STOPPED, CHILD_RUNNING, CHILD_WAITING, CHILD_GAVE_UP };

/* Why the supervisor killed an incarnation, if it did. */
enum kill_reason {
	KILLED_NOT,
	KILLED_FORBIDDEN_SYSCALL,
	KILLED_CONTROL_QUEUE_FULL,
	KILLED_CONTROL_QUEUE_STALLED,
	KILLED_BAD_START,
};

struct child {
	const struct image_compartment *ic;
	enum child_state state;
	pid_t pid;
	uid_t uid;
	int control_fd; /* our end; -1 once it hung up */
	/* Read ends of its stdout and stderr pipes; -1 at end of file. */
	int output_fd[OUTPUT_STREAMS];
	int listener_fd;   /* its seccomp listener; -1 until handed over */
	bool exec_allowed; /* the one exec, of the binary, went through */
	int exe_fd;	   /* the verified binary */
	bool exe_sealed;   /* ... in a sealed memfd (else its file) */
	uint32_t incarnation;
	bool ready;	 /* this incarnation said so */
	bool ever_ready; /* some incarnation did: for the start-up figure */
	uint64_t started_ns, died_ns, restart_at_ns;
	struct restart_history restarts;
	struct output_stream output;
	struct queued_message queue[CONTROL_QUEUE_MAX];
	unsigned queue_head, queue_len;
	enum kill_reason killed;
	int forbidden_nr;
	uint64_t refused_messages;
};

static struct {
	const struct image *img;
	struct child child[IMAGE_MAX_COMPARTMENTS];
	struct link links[MAX_LINKS];
	unsigned nlinks;
	int signal_fd, devnull_fd, device_fd;
	struct uid_block uids;
	struct event_log events;
	bool notify; /* seccomp user notification */
	uint64_t boot_ns;
	uint8_t hardware_address[6];
	bool all_ready_reported;
	bool stopping;
	int stop_signal; /* SIGTERM or SIGINT received, else 0 */
} sv;

/* The kernel doubles what SO_SNDBUF asks for; this is the result. */
#define CONTROL_SOCKET_BUFFER (SN_MAX_MESSAGE + 4096)

static uint64_t
now_ns(void)
{
	return sn_now_ns();
}

static double
ms_between(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1e6;
}

/* ---- the log: one write() per line ---- */

static void write_line(int fd, const char *line, size_t len);

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of the supervisor's own, "sealnet: ..." */
static void
say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "sealnet: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	write_line(STDERR_FILENO, line, (size_t)n);
}

static void
write_line(int fd, const char *line, size_t len)
{
	char buf[1100];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write per line, so lines never interleave; a failed write
	 * to our own output has nowhere to be reported. */
	if (write(fd, buf, len + 1) < 0)
		return;
}

static void
event(const char *kind, const struct child *ch, json_t *fields)
{
	static uint64_t failures;
	int rc = event_log_write(&sv.events, kind, ch ? ch->ic->name : NULL,
				 now_ns(), fields);

	/* The human log still says what happened; it says this once. */
	if (rc < 0 && failures++ == 0)
		say("cannot write the event file: %s", strerror(-rc));
}

/* ---- what a compartment may send us ---- */

static void refuse(struct control_message *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct control_message *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = CONTROL_REFUSED;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

void
supervisor_control_message(const char *from, const uint8_t *msg, size_t len,
			   struct control_message *out)
{
	sn_verify_error err;
	sn_message_ref m;
	uint32_t n;
	const char *text;

	memset(out, 0, sizeof(*out));
	if (sn_message_verify(msg, len, &m, &err) < 0)
		return refuse(out, "rejected at byte %u: %s", err.offset,
			      err.reason);
	if (sn_message_call_type(m) != SN_CALL_TYPE_REQUEST)
		return refuse(out, "not a request");
	switch (sn_message_export(m)) {
	case SN_EXPORT_SUPERVISOR_READY:
		text = sn_ready_compartment(sn_message_body_as_ready(m), &n);
		/* Who is speaking is known from the socket; a message that
		 * claims otherwise is refused. */
		if (text == NULL || strlen(from) != n ||
		    memcmp(text, from, n) != 0)
			return refuse(out, "ready message names another "
					   "compartment");
		out->kind = CONTROL_READY;
		return;
	case SN_EXPORT_SUPERVISOR_LOG: {
		sn_log_ref log = sn_message_body_as_log(m);

		out->kind = CONTROL_LOG;
		out->level = sn_log_level_name(sn_log_level(log));
		out->text = (const uint8_t *)sn_log_text(log, &out->len);
		if (out->text == NULL)
			out->len = 0;
		return;
	}
	default:
		return refuse(out, "%s is not a control message",
			      sn_export_name(sn_message_export(m)));
	}
}

/* ---- what a compartment writes ---- */

/* A line that passed the output filter, under the compartment's name,
 * on our stream of the same kind.  The runtime names itself at the start
 * of its lines; one name is enough. */
static void
emit_output(void *ctx, enum output_stream_kind which, const char *text,
	    size_t len, bool cut)
{
	const struct child *ch = ctx;
	size_t name_len = strlen(ch->ic->name);
	char line[IMAGE_NAME_MAX + OUTPUT_LINE_MAX + 16];
	size_t n = 0;

	if (len > name_len + 1 && memcmp(text, ch->ic->name, name_len) == 0 &&
	    text[name_len] == ':' && text[name_len + 1] == ' ') {
		text += name_len + 2;
		len -= name_len + 2;
	}
	memcpy(line, ch->ic->name, name_len);
	n += name_len;
	memcpy(line + n, ": ", 2);
	n += 2;
	memcpy(line + n, text, len);
	n += len;
	if (cut) {
		memcpy(line + n, " [cut]", 6);
		n += 6;
	}
	write_line(which == OUTPUT_STDOUT ? STDOUT_FILENO : STDERR_FILENO, line,
		   n);
}

static void
report_drops(struct child *ch, bool now)
{
	uint64_t lines, bytes;

	if (!output_take_drops(&ch->output, now_ns(), now, &lines, &bytes))
		return;
	say("%s: output over %u lines a second or %u bytes a line: dropped "
	    "%llu lines, %llu bytes",
	    ch->ic->name, OUTPUT_LINES_PER_SECOND, OUTPUT_LINE_MAX,
	    (unsigned long long)lines, (unsigned long long)bytes);
	event("output_dropped", ch,
	      json_pack("{s:I, s:I}", "lines", (json_int_t)lines, "bytes",
			(json_int_t)bytes));
}

/* Reads what is there on one stream, up to a bound per turn; closes at
 * end of file. */
static void
output_readable(struct child *ch, enum output_stream_kind which, size_t budget)
{
	static uint8_t buf[65536];
	size_t taken = 0;
	int *fd = &ch->output_fd[which];

	while (*fd >= 0 && taken < budget) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n > 0) {
			output_feed(&ch->output, which, buf, (size_t)n,
				    now_ns(), emit_output, ch);
			taken += (size_t)n;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			output_end(&ch->output, which, emit_output, ch);
			close(*fd);
			*fd = -1;
		} else if (errno == EAGAIN) {
			break;
		}
	}
}

/* ---- sending to a compartment, never waiting ---- */

static int
send_with_fds(int sock, const uint8_t *msg, size_t len, const int *fds,
	      unsigned nfds)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * FDS_PER_LINK *
				      SN_MAX_PEERS)];
	} control;
	struct iovec iov = {(void *)msg, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

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
	n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

static void
free_message(struct queued_message *q)
{
	for (unsigned i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	free(q->bytes);
	memset(q, 0, sizeof(*q));
}

static void
drop_queue(struct child *ch)
{
	while (ch->queue_len > 0) {
		free_message(&ch->queue[ch->queue_head]);
		ch->queue_head = (ch->queue_head + 1) % CONTROL_QUEUE_MAX;
		ch->queue_len--;
	}
	ch->queue_head = 0;
}

static const char *const kill_reasons[] = {
    [KILLED_FORBIDDEN_SYSCALL] = "forbidden_syscall",
    [KILLED_CONTROL_QUEUE_FULL] = "control_queue_full",
    [KILLED_CONTROL_QUEUE_STALLED] = "control_queue_stalled",
    [KILLED_BAD_START] = "bad_start",
};

/* Kills the running incarnation for a reason of ours; its death is
 * reported, with the reason, when it is reaped. */
static void
kill_child(struct child *ch, enum kill_reason why, const char *words)
{
	if (ch->state != CHILD_RUNNING || ch->killed != KILLED_NOT)
		return;
	ch->killed = why;
	if (kill(ch->pid, SIGKILL) < 0 && errno != ESRCH)
		say("%s: cannot kill pid %d: %s", ch->ic->name, (int)ch->pid,
		    strerror(errno));
	say("%s (pid %d, incarnation %u) killed: %s", ch->ic->name,
	    (int)ch->pid, ch->incarnation, words);
	event("killed", ch,
	      json_pack("{s:i, s:i, s:s, s:s}", "pid", (int)ch->pid,
			"incarnation", (int)ch->incarnation, "reason",
			kill_reasons[why], "why", words));
}

/* Sends what is queued, in order, while the socket takes it. */
static void
control_flush(struct child *ch)
{
	while (ch->queue_len > 0 && ch->control_fd >= 0) {
		struct queued_message *q = &ch->queue[ch->queue_head];
		int rc = send_with_fds(ch->control_fd, q->bytes, q->len, q->fds,
				       q->nfds);

		if (rc == -EAGAIN)
			return;
		if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET)
			say("%s: control message not sent: %s", ch->ic->name,
			    strerror(-rc));
		free_message(q);
		ch->queue_head = (ch->queue_head + 1) % CONTROL_QUEUE_MAX;
		ch->queue_len--;
	}
	if (ch->control_fd < 0)
		drop_queue(ch);
}

/*
 * Sends a message with descriptors to a compartment, at once if its
 * socket takes it, else queued with copies of the descriptors.  A
 * compartment whose queue is full is killed: its peers' channels cannot
 * wait for it.
 */
static int
control_send(struct child *ch, const uint8_t *msg, size_t len, const int *fds,
	     unsigned nfds)
{
	struct queued_message *q;
	int rc;

	if (ch->control_fd < 0)
		return -EPIPE;
	if (ch->queue_len == 0) {
		rc = send_with_fds(ch->control_fd, msg, len, fds, nfds);
		if (rc != -EAGAIN)
			return rc;
	}
	if (ch->queue_len == CONTROL_QUEUE_MAX) {
		kill_child(ch, KILLED_CONTROL_QUEUE_FULL,
			   "its control queue is full: it does not read its "
			   "control socket");
		return -ENOBUFS;
	}
	q = &ch->queue[(ch->queue_head + ch->queue_len) % CONTROL_QUEUE_MAX];
	q->bytes = malloc(len);
	if (q->bytes == NULL)
		return -ENOMEM;
	memcpy(q->bytes, msg, len);
	q->len = len;
	q->nfds = 0;
	for (unsigned i = 0; i < nfds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			rc = -errno;
			free_message(q);
			return rc;
		}
		q->fds[q->nfds++] = fd;
	}
	q->queued_ns = now_ns();
	ch->queue_len++;
	return 0;
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
	int fds[FDS_PER_LINK * SN_MAX_PEERS];
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
	return control_send(ch, buf, len, fds, nfds);
}

static int
send_peer_restarted(unsigned self, const struct link *l)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	unsigned other = link_other(l, self);
	int fds[FDS_PER_LINK];
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
	return control_send(&sv.child[self], buf, len, fds, nfds);
}

/* ---- starting ---- */

static int
open_links(unsigned self)
{
	for (unsigned i = 0; i < sv.nlinks; i++) {
		struct link *l = &sv.links[i];
		unsigned other;
		int rc;

		if ((l->a != self && l->b != self) || l->open)
			continue;
		rc = sn_channel_create(CHANNEL_RING_BYTES, &l->fds);
		if (rc < 0)
			return rc;
		l->open = true;
		/* A peer that is running learns of the new channel now; one
		 * that is not gets it in its boot message. */
		other = link_other(l, self);
		if (sv.child[other].state == CHILD_RUNNING &&
		    (rc = send_peer_restarted(other, l)) < 0 && rc != -ENOBUFS)
			say("%s: could not hand over the new channel to %s: %s",
			    sv.child[other].ic->name, sv.child[self].ic->name,
			    strerror(-rc));
	}
	return 0;
}

/* The file, if the copy in a sealed memfd is not to be had: then it is
 * hashed again before every start. */
static int
exe_matches_image(struct child *ch)
{
	char hash[IMAGE_SHA256_HEX];

	if (image_sha256_fd(ch->exe_fd, hash) < 0)
		return -EIO;
	if (strcmp(hash, ch->ic->sha256) != 0) {
		char shown[IMAGE_PATH_MAX];

		say("%s: %s has SHA-256 %s, the image says %s; refusing to "
		    "start",
		    ch->ic->name,
		    image_escape(shown, sizeof(shown), ch->ic->binary), hash,
		    ch->ic->sha256);
		return -EPERM;
	}
	return 0;
}

/* Closes those of fds that are open (>= 0). */
static void
close_all(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int
start(unsigned self)
{
	struct child *ch = &sv.child[self];
	int control[2], out[2] = {-1, -1}, err[2] = {-1, -1}, rc;
	pid_t pid;

	if (!ch->exe_sealed && exe_matches_image(ch) < 0)
		return -EPERM;
	ch->incarnation++;
	rc = open_links(self);
	if (rc < 0)
		return rc;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) < 0)
		return -errno;
	/* What the kernel holds unread for the compartment: room for the
	 * largest message, little more; past it, our own queue counts.  Our
	 * ends of its output pipes are read without blocking. */
	if (setsockopt(control[0], SOL_SOCKET, SO_SNDBUF,
		       &(int){CONTROL_SOCKET_BUFFER / 2}, sizeof(int)) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(err[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		close_all(control, 2);
		close_all(out, 2);
		close_all(err, 2);
		return rc;
	}
	ch->ready = false;
	ch->exec_allowed = false;
	ch->killed = KILLED_NOT;
	ch->forbidden_nr = -1;
	ch->started_ns = now_ns();
	/* A raw clone, like fork, into the sandbox's namespaces: the child
	 * is pid 1 of a pid namespace of its own. */
	pid = (pid_t)syscall(SYS_clone,
			     (unsigned long)(SANDBOX_CLONE_FLAGS | SIGCHLD),
			     NULL, NULL, NULL, NULL);
	if (pid == 0) {
		struct sandbox_plan plan = {
		    .compartment = ch->ic,
		    .uid = ch->uid,
		    .control_fd = control[1],
		    .stdout_fd = out[1],
		    .stderr_fd = err[1],
		    .exe_fd = ch->exe_fd,
		    .device_fd = ch->ic->device ? sv.device_fd : -1,
		    .devnull_fd = sv.devnull_fd,
		    .notify = sv.notify,
		};
		sandbox_enter_and_exec(&plan);
		_exit(127);
	}
	close(control[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		rc = -errno;
		close(control[0]);
		close(out[0]);
		close(err[0]);
		return rc;
	}
	ch->pid = pid;
	ch->control_fd = control[0];
	ch->output_fd[OUTPUT_STDOUT] = out[0];
	ch->output_fd[OUTPUT_STDERR] = err[0];
	ch->listener_fd = -1;
	ch->state = CHILD_RUNNING;
	say("started %s (pid %d, incarnation %u)", ch->ic->name, (int)pid,
	    ch->incarnation);
	event("started", ch,
	      json_pack("{s:i, s:i, s:i}", "pid", (int)pid, "incarnation",
			(int)ch->incarnation, "uid", (int)ch->uid));
	if (send_boot(self) < 0) {
		say("%s: boot message not sent", ch->ic->name);
		kill_child(ch, KILLED_BAD_START,
			   "its boot message was not sent");
	}
	return 0;
}

/* ---- deaths and restarts ---- */

static void
syscall_name(int nr, char *out, size_t cap)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	snprintf(out, cap, "%s", name ? name : "unknown");
	free(name);
}

static json_t *
describe_death(struct child *ch, int status, const struct rusage *ru, char *out,
	       size_t cap)
{
	double cpu_s =
	    (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
	char name[64];

	if (ch->killed == KILLED_FORBIDDEN_SYSCALL) {
		syscall_name(ch->forbidden_nr, name, sizeof(name));
		snprintf(out, cap, "killed for a forbidden syscall: %s (%d)",
			 name, ch->forbidden_nr);
		return json_pack("{s:s, s:s, s:i}", "cause",
				 "forbidden_syscall", "syscall", name,
				 "syscall_nr", ch->forbidden_nr);
	}
	if (ch->killed != KILLED_NOT) {
		snprintf(out, cap, "killed by the supervisor (%s)",
			 kill_reasons[ch->killed]);
		return json_pack("{s:s}", "cause", kill_reasons[ch->killed]);
	}
	if (WIFEXITED(status)) {
		snprintf(out, cap, "exited with status %d",
			 WEXITSTATUS(status));
		return json_pack("{s:s, s:i}", "cause", "exit", "exit_status",
				 WEXITSTATUS(status));
	}
	/* The kernel's SIGKILL at RLIMIT_CPU: nothing else of ours sends
	 * one to a running incarnation without saying so above. */
	if (WTERMSIG(status) == SIGKILL &&
	    cpu_s + 0.5 >= (double)ch->ic->quota[QUOTA_CPU_SECONDS]) {
		snprintf(out, cap,
			 "killed by the kernel: it used its %llu s of CPU time",
			 (unsigned long long)ch->ic->quota[QUOTA_CPU_SECONDS]);
		return json_pack("{s:s, s:i, s:f}", "cause", "cpu_limit",
				 "signal", SIGKILL, "cpu_seconds", cpu_s);
	}
	/* SIGSYS cannot come from elsewhere: a pid namespace's init
	 * ignores signals it has no handler for. */
	if (WTERMSIG(status) == SIGSYS) {
		snprintf(out, cap,
			 sv.notify ? "killed by the kernel for a syscall of "
				     "another architecture"
				   : "killed for a forbidden syscall (this "
				     "kernel does not say which)");
		return json_pack("{s:s, s:i}", "cause", "forbidden_syscall",
				 "signal", SIGSYS);
	}
	snprintf(out, cap, "killed by signal %d (%s)", WTERMSIG(status),
		 strsignal(WTERMSIG(status)));
	return json_pack("{s:s, s:i, s:s}", "cause", "signal", "signal",
			 WTERMSIG(status), "signal_name",
			 sigabbrev_np(WTERMSIG(status))
			     ? sigabbrev_np(WTERMSIG(status))
			     : "?");
}

static void control_readable(unsigned self);

static void
close_child_fds(struct child *ch)
{
	if (ch->control_fd >= 0)
		close(ch->control_fd);
	if (ch->listener_fd >= 0)
		close(ch->listener_fd);
	for (unsigned k = 0; k < OUTPUT_STREAMS; k++) {
		if (ch->output_fd[k] >= 0)
			close(ch->output_fd[k]);
		ch->output_fd[k] = -1;
	}
	ch->control_fd = ch->listener_fd = -1;
	drop_queue(ch);
}

static void
reaped(struct child *ch, int status, const struct rusage *ru)
{
	unsigned self = (unsigned)(ch - sv.child);
	char why[160];
	uint64_t now = now_ns();
	bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_t *fields;

	/* What it said and wrote before dying still counts: it may have
	 * been ready, and its last words explain the death. */
	for (unsigned i = 0; i < 1024 && ch->control_fd >= 0; i++)
		control_readable(self);
	for (unsigned k = 0; k < OUTPUT_STREAMS; k++)
		for (unsigned i = 0; i < 64 && ch->output_fd[k] >= 0; i++)
			output_readable(ch, k, SIZE_MAX);
	report_drops(ch, true);
	fields = describe_death(ch, status, ru, why, sizeof(why));
	ch->died_ns = now;
	json_object_set_new(fields, "pid", json_integer(ch->pid));
	json_object_set_new(fields, "incarnation",
			    json_integer(ch->incarnation));
	json_object_set_new(fields, "was_ready", json_boolean(ch->ready));
	json_object_set_new(fields, "why", json_string(why));
	ch->pid = 0;
	close_child_fds(ch);
	/* Its peers stop waiting on it now, not at the restart. */
	for (unsigned i = 0; i < sv.nlinks; i++) {
		struct link *l = &sv.links[i];

		if ((l->a != self && l->b != self) || !l->open)
			continue;
		sn_channel_mark_dead(&l->fds);
		sn_channel_fds_close(&l->fds);
		l->open = false;
	}
	say("%s (incarnation %u) %s", ch->ic->name, ch->incarnation, why);
	event("died", ch, fields);
	if (sv.stopping) {
		ch->state = CHILD_STOPPED;
		return;
	}
	struct restart_plan plan =
	    restart_decide(&ch->restarts, ch->ic->restart, ch->ic->max_restarts,
			   failed, ch->ready, now);
	switch (plan.verdict) {
	case RESTART_NOT_NEEDED:
		ch->state = CHILD_STOPPED;
		return;
	case RESTART_CRASH_LOOP:
		say("%s: crash loop: %u restarts in the last minute, the image "
		    "allows %u; not restarting",
		    ch->ic->name, plan.recent, ch->ic->max_restarts);
		event("crash_loop", ch,
		      json_pack("{s:i, s:i}", "restarts", (int)plan.recent,
				"limit", (int)ch->ic->max_restarts));
		ch->state = CHILD_GAVE_UP;
		return;
	case RESTART_AFTER:
		break;
	}
	ch->restart_at_ns = now + plan.delay_ns;
	ch->state = CHILD_WAITING;
	say("%s: restarting in %llu ms", ch->ic->name,
	    (unsigned long long)(plan.delay_ns / SN_MS));
	event("restart_scheduled", ch,
	      json_pack("{s:f, s:i}", "delay_ms",
			(double)plan.delay_ns / (double)SN_MS, "incarnation",
			(int)ch->incarnation + 1));
}

static void
reap_all(void)
{
	struct rusage ru;
	int status;
	pid_t pid;

	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0)
		for (unsigned i = 0; i < sv.img->ncompartments; i++)
			if (sv.child[i].pid == pid &&
			    sv.child[i].state == CHILD_RUNNING)
				reaped(&sv.child[i], status, &ru);
}

static void
restart_due(void)
{
	uint64_t now = now_ns();

	for (unsigned i = 0; i < sv.img->ncompartments; i++) {
		struct child *ch = &sv.child[i];
		int rc;

		if (ch->state != CHILD_WAITING || now < ch->restart_at_ns)
			continue;
		restart_record(&ch->restarts, now);
		rc = start(i);
		if (rc < 0) {
			say("%s: restart failed: %s", ch->ic->name,
			    strerror(-rc));
			event("gave_up", ch,
			      json_pack("{s:s}", "why", strerror(-rc)));
			ch->state = CHILD_GAVE_UP;
		}
	}
}

/* ---- what comes back on the control socket ---- */

static void
became_ready(unsigned self)
{
	struct child *ch = &sv.child[self];
	uint64_t now = now_ns();

	ch->ready = true;
	ch->ever_ready = true;
	if (ch->incarnation > 1)
		say("%s ready again, %.1f ms after it died", ch->ic->name,
		    ms_between(ch->died_ns, now));
	event("ready", ch,
	      json_pack("{s:i, s:i, s:f}", "pid", (int)ch->pid, "incarnation",
			(int)ch->incarnation, "ms_after_start",
			ms_between(ch->started_ns, now)));
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (!sv.child[i].ever_ready)
			return;
	if (!sv.all_ready_reported) {
		sv.all_ready_reported = true;
		say("all %u compartments ready, %.1f ms after start",
		    sv.img->ncompartments, ms_between(sv.boot_ns, now));
		event("all_ready", NULL,
		      json_pack("{s:i, s:f}", "compartments",
				(int)sv.img->ncompartments, "ms",
				ms_between(sv.boot_ns, now)));
	}
}

static void control_hung_up(struct child *ch);

/* Is fd a seccomp listener?  The kernel names the file it stands for. */
static bool
is_seccomp_listener(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

/*
 * The first message of an incarnation, sent by the sandbox before the
 * exec (no code of the compartment has run yet): its seccomp listener.
 */
static void
take_listener(struct child *ch)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	char tag = 0;
	struct iovec iov = {&tag, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.space,
			    .msg_controllen = sizeof(control.space)};
	int fds[4];
	unsigned nfds = 0;
	ssize_t n =
	    recvmsg(ch->control_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 0) { /* it ended before the exec */
		control_hung_up(ch);
		return;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (nfds < 4)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 1 && tag == SANDBOX_LISTENER_TAG && nfds == 1 &&
	    !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	    is_seccomp_listener(fds[0])) {
		ch->listener_fd = fds[0];
		return;
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	/* Something is badly wrong: it must not run unwatched. */
	kill_child(ch, KILLED_BAD_START,
		   "its sandbox did not hand over its syscall filter's "
		   "listener");
	control_hung_up(ch);
}

static void
control_hung_up(struct child *ch)
{
	/* No more messages will come: stop polling the socket (it would
	 * be readable forever).  Its death comes by SIGCHLD. */
	close(ch->control_fd);
	ch->control_fd = -1;
	drop_queue(ch);
}

static void
refused_message(struct child *ch, const char *why)
{
	if (sn_log_worth(++ch->refused_messages))
		say("%s: control message refused: %s (%llu so far)",
		    ch->ic->name, why,
		    (unsigned long long)ch->refused_messages);
}

/* Handles what is waiting, up to a bound per turn. */
static void
control_readable(unsigned self)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];
	struct child *ch = &sv.child[self];

	if (ch->control_fd >= 0 && ch->listener_fd < 0 && sv.notify &&
	    !ch->exec_allowed) {
		take_listener(ch);
		return;
	}
	for (unsigned i = 0; i < CONTROL_READS_PER_TURN && ch->control_fd >= 0;
	     i++) {
		struct control_message cm;
		ssize_t n =
		    recv(ch->control_fd, buf, sizeof(buf), MSG_DONTWAIT);
		char line[OUTPUT_LINE_MAX];
		int k;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			control_hung_up(ch);
			return;
		}
		supervisor_control_message(ch->ic->name, buf, (size_t)n, &cm);
		switch (cm.kind) {
		case CONTROL_READY:
			if (!ch->ready)
				became_ready(self);
			break;
		case CONTROL_LOG:
			/* The same filter and allowance as its output. */
			k = snprintf(line, sizeof(line), "%s: ", cm.level);
			if (k < 0 || (size_t)k >= sizeof(line))
				break;
			if (cm.len > sizeof(line) - (size_t)k)
				cm.len = (uint32_t)(sizeof(line) - (size_t)k);
			memcpy(line + k, cm.text, cm.len);
			output_message(&ch->output, (const uint8_t *)line,
				       (size_t)k + cm.len, now_ns(),
				       emit_output, ch);
			break;
		case CONTROL_REFUSED:
			refused_message(ch, cm.why);
			break;
		}
	}
}

/*
 * A syscall the filter does not allow, held by the kernel until we
 * answer.  The first execveat of an incarnation is the sandbox's exec of
 * the verified binary: it goes through.  Anything else, including any
 * later exec, kills the compartment, and the kernel's own record of the
 * syscall names it.
 */
static void
listener_readable(struct child *ch)
{
	static struct seccomp_notif *req;
	static size_t req_size;
	struct seccomp_notif_resp resp;
	char name[64], words[128];

	if (req == NULL) {
		/* The kernel's structure may be bigger than ours; it wants
		 * every byte of its size zeroed. */
		struct seccomp_notif_sizes sizes;

		if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) <
		    0)
			sizes.seccomp_notif = sizeof(*req);
		req_size = sizes.seccomp_notif > sizeof(*req)
			       ? sizes.seccomp_notif
			       : sizeof(*req);
		req = calloc(1, req_size);
		if (req == NULL) {
			kill_child(ch, KILLED_BAD_START,
				   "no memory to judge its syscalls");
			return;
		}
	}
	memset(req, 0, req_size);
	if (ioctl(ch->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		if (errno == ENOENT || errno == EINTR)
			return; /* the task was killed meanwhile */
		/* The notification stays pending: polling again would spin. */
		kill_child(ch, KILLED_BAD_START,
			   "its syscall could not be read from the kernel");
		return;
	}
	if (!ch->exec_allowed && req->data.nr == SCMP_SYS(execveat) &&
	    req->data.arch == seccomp_arch_native() &&
	    req->data.args[0] == SANDBOX_EXE_FD) {
		memset(&resp, 0, sizeof(resp));
		resp.id = req->id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (ioctl(ch->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) ==
		    0) {
			ch->exec_allowed = true;
			return;
		}
	}
	/* Killed, not answered: it never returns from the syscall. */
	ch->forbidden_nr = req->data.nr;
	syscall_name(req->data.nr, name, sizeof(name));
	snprintf(words, sizeof(words), "forbidden syscall %s (%d)", name,
		 req->data.nr);
	kill_child(ch, KILLED_FORBIDDEN_SYSCALL, words);
}

/* ---- set-up ---- */

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
copy_all(int from, int to)
{
	static uint8_t buf[65536];
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EINTR ? copy_all(from, to) : -errno;
		total += (uint64_t)n;
		if (total > BINARY_MAX_BYTES)
			return -EFBIG;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));

			if (w < 0 && errno != EINTR)
				return -errno;
			if (w > 0)
				off += w;
		}
	}
}

/*
 * The binary, copied once into a memfd that is then sealed against any
 * change, and hashed there: every incarnation runs exactly these bytes,
 * whatever happens to the file afterwards.  If the kernel forbids
 * executable memfds, the file itself is used and hashed before every
 * start.
 */
static int
load_binary(struct child *ch, bool *sealed)
{
	char why[512];
	int src, mem, rc;

	*sealed = false;
	/* A FIFO or a device would hang the copy, or never end. */
	src = image_open_regular(ch->ic->binary, why, sizeof(why));
	if (src < 0) {
		say("%s: %s; refusing to start", ch->ic->name, why);
		return -EPERM;
	}
	mem = memfd_create(ch->ic->name,
			   MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mem < 0 && errno == EINVAL) /* before Linux 6.3 */
		mem =
		    memfd_create(ch->ic->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0) {
		say("%s: no executable memfd (%s): running the file itself, "
		    "hashed before every start",
		    ch->ic->name, strerror(errno));
		ch->exe_fd = src;
		return exe_matches_image(ch);
	}
	rc = copy_all(src, mem);
	close(src);
	if (rc == 0 &&
	    fcntl(mem, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		rc = -errno;
	ch->exe_fd = mem;
	if (rc == 0)
		rc = exe_matches_image(ch);
	if (rc < 0) {
		close(mem);
		ch->exe_fd = -1;
		return rc;
	}
	*sealed = true;
	return 0;
}

static int
prepare(const struct image *img, const struct supervisor_options *opt)
{
	char why[256];

	memset(&sv, 0, sizeof(sv));
	sv.img = img;
	sv.device_fd = -1;
	sv.uids.lock_fd = -1;
	event_log_none(&sv.events);
	if (opt->events != NULL &&
	    event_log_open(&sv.events, opt->events) < 0) {
		say("--events %s: %s", opt->events, strerror(errno));
		return -1;
	}
	sv.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sv.devnull_fd < 0)
		return -1;
	sv.notify = sandbox_notify_supported();
	if (!sv.notify)
		say("this kernel cannot report syscalls to the supervisor "
		    "(seccomp user notification, Linux 5.5): a forbidden "
		    "syscall kills without being named, and the binary's exec "
		    "is limited by descriptor number instead");
	if (geteuid() == 0 && uid_block_take(&sv.uids, why, sizeof(why)) < 0) {
		say("no uids for the compartments: %s", why);
		return -1;
	}
	for (unsigned i = 0; i < img->ncompartments; i++) {
		struct child *ch = &sv.child[i];
		int rc;

		ch->ic = &img->compartments[i];
		ch->control_fd = ch->listener_fd = -1;
		ch->output_fd[OUTPUT_STDOUT] = ch->output_fd[OUTPUT_STDERR] =
		    -1;
		ch->uid = sv.uids.lock_fd >= 0 ? sv.uids.first + i : 0;
		restart_history_init(&ch->restarts);
		output_init(&ch->output, now_ns());
		rc = load_binary(ch, &ch->exe_sealed);
		if (rc < 0) {
			char shown[IMAGE_PATH_MAX];

			if (rc != -EPERM)
				say("%s: %s: %s", ch->ic->name,
				    image_escape(shown, sizeof(shown),
						 ch->ic->binary),
				    strerror(-rc));
			return -1;
		}
		if (ch->ic->device) {
			if (opt->tap == NULL) {
				say("%s holds the network device: give one "
				    "with --tap IFNAME",
				    ch->ic->name);
				return -1;
			}
			sv.device_fd = open_device(opt->tap);
			if (sv.device_fd < 0) {
				say("--tap %s: %s", opt->tap, strerror(errno));
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
	event("boot", NULL,
	      json_pack("{s:i, s:i, s:s, s:i}", "pid", (int)getpid(),
			"compartments", (int)img->ncompartments, "seccomp",
			sv.notify ? "notify" : "kill", "uid_first",
			sv.uids.lock_fd >= 0 ? (int)sv.uids.first : -1));
	return 0;
}

/* ---- the loop ---- */

static bool
any_running(void)
{
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			return true;
	return false;
}

static void
earliest(int64_t *deadline, uint64_t t)
{
	if (t != 0 && (*deadline < 0 || t < (uint64_t)*deadline))
		*deadline = (int64_t)t;
}

/* Kills a compartment whose oldest queued message waited too long. */
static void
check_stalls(uint64_t now)
{
	for (unsigned i = 0; i < sv.img->ncompartments; i++) {
		struct child *ch = &sv.child[i];

		if (ch->state == CHILD_RUNNING && ch->queue_len > 0 &&
		    now - ch->queue[ch->queue_head].queued_ns >
			CONTROL_STALL_NS)
			kill_child(ch, KILLED_CONTROL_QUEUE_STALLED,
				   "a control message waited more than 2 s: "
				   "it does not read its control socket");
	}
}

enum fd_role {
	ROLE_SIGNAL,
	ROLE_CONTROL,
	ROLE_STDOUT,
	ROLE_STDERR,
	ROLE_LISTENER
};
#define FDS_PER_CHILD 4 /* control, stdout, stderr, listener */

/*
 * One turn: waits until something is ready or `until` (0: no bound)
 * passes, and handles everything ready.
 */
static void
turn(uint64_t until)
{
	struct pollfd pfd[1 + FDS_PER_CHILD * IMAGE_MAX_COMPARTMENTS];
	unsigned who[1 + FDS_PER_CHILD * IMAGE_MAX_COMPARTMENTS];
	enum fd_role role[1 + FDS_PER_CHILD * IMAGE_MAX_COMPARTMENTS];
	unsigned n = 0;
	int64_t deadline = until ? (int64_t)until : -1;
	uint64_t now = now_ns();
	int timeout = -1;

	pfd[n] = (struct pollfd){sv.signal_fd, POLLIN, 0};
	role[n++] = ROLE_SIGNAL;
	for (unsigned i = 0; i < sv.img->ncompartments; i++) {
		struct child *ch = &sv.child[i];

		earliest(&deadline, output_report_due_ns(&ch->output));
		if (ch->state == CHILD_WAITING && !sv.stopping)
			earliest(&deadline, ch->restart_at_ns);
		if (ch->state != CHILD_RUNNING)
			continue;
		if (ch->control_fd >= 0) {
			short events = POLLIN;

			if (ch->queue_len > 0) {
				events |= POLLOUT;
				earliest(&deadline,
					 ch->queue[ch->queue_head].queued_ns +
					     CONTROL_STALL_NS + 1);
			}
			pfd[n] = (struct pollfd){ch->control_fd, events, 0};
			who[n] = i;
			role[n++] = ROLE_CONTROL;
		}
		for (unsigned k = 0; k < OUTPUT_STREAMS; k++) {
			if (ch->output_fd[k] < 0)
				continue;
			pfd[n] = (struct pollfd){ch->output_fd[k], POLLIN, 0};
			who[n] = i;
			role[n++] =
			    k == OUTPUT_STDOUT ? ROLE_STDOUT : ROLE_STDERR;
		}
		if (ch->listener_fd >= 0) {
			pfd[n] = (struct pollfd){ch->listener_fd, POLLIN, 0};
			who[n] = i;
			role[n++] = ROLE_LISTENER;
		}
	}
	if (deadline >= 0)
		timeout = (uint64_t)deadline > now
			      ? (int)(((uint64_t)deadline - now) / SN_MS) + 1
			      : 0;
	if (poll(pfd, n, timeout) < 0 && errno != EINTR)
		return;
	/* Seccomp first: a compartment held in a forbidden syscall is
	 * killed before anything else it did is looked at. */
	for (unsigned k = 1; k < n; k++) {
		struct child *ch = &sv.child[who[k]];

		if (role[k] != ROLE_LISTENER || ch->state != CHILD_RUNNING)
			continue;
		if (pfd[k].revents & POLLIN)
			listener_readable(ch);
		else if (pfd[k].revents & (POLLHUP | POLLERR)) {
			close(ch->listener_fd);
			ch->listener_fd = -1;
		}
	}
	for (unsigned k = 1; k < n; k++) {
		struct child *ch = &sv.child[who[k]];

		if (ch->state != CHILD_RUNNING || pfd[k].revents == 0)
			continue;
		if (role[k] == ROLE_STDOUT || role[k] == ROLE_STDERR)
			output_readable(ch,
					role[k] == ROLE_STDOUT ? OUTPUT_STDOUT
							       : OUTPUT_STDERR,
					OUTPUT_READ_PER_TURN);
		else if (role[k] == ROLE_CONTROL) {
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				control_readable(who[k]);
			if (ch->control_fd >= 0 && (pfd[k].revents & POLLOUT))
				control_flush(ch);
		}
	}
	if (pfd[0].revents & POLLIN) {
		struct signalfd_siginfo si;

		while (read(sv.signal_fd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				sv.stop_signal = (int)si.ssi_signo;
		reap_all();
	}
	now = now_ns();
	check_stalls(now);
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		report_drops(&sv.child[i], false);
	if (!sv.stopping)
		restart_due();
}

static void
stop_all(void)
{
	uint64_t end = now_ns() + STOP_GRACE_NS;

	sv.stopping = true;
	event(
	    "stopping", NULL,
	    json_pack("{s:s}", "signal",
		      sv.stop_signal ? sigabbrev_np(sv.stop_signal) : "none"));
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			kill(sv.child[i].pid, SIGTERM);
	while (any_running() && now_ns() < end)
		turn(end);
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_RUNNING)
			kill(sv.child[i].pid, SIGKILL);
	while (any_running())
		turn(now_ns() + 100 * SN_MS);
	for (unsigned i = 0; i < sv.img->ncompartments; i++)
		if (sv.child[i].state == CHILD_WAITING)
			sv.child[i].state = CHILD_STOPPED;
	say("stopped; no compartment is left running");
	event("stopped", NULL, NULL);
}

int
supervisor_run(const struct image *img, const struct supervisor_options *opt)
{
	sigset_t mask;
	int rc = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (prepare(img, opt) < 0)
		return 1;
	sv.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sv.signal_fd < 0)
		return 1;
	sv.boot_ns = now_ns();
	/* Random and locally administered, fixed for this run. */
	if (getrandom(sv.hardware_address, sizeof(sv.hardware_address), 0) !=
	    sizeof(sv.hardware_address))
		return 1;
	sv.hardware_address[0] =
	    (uint8_t)((sv.hardware_address[0] & 0xfe) | 0x02);
	for (unsigned i = 0; i < img->ncompartments && rc == 0; i++) {
		rc = start(i);
		if (rc < 0)
			say("cannot start %s: %s", img->compartments[i].name,
			    strerror(-rc));
	}
	while (rc == 0 && sv.stop_signal == 0)
		turn(0);
	if (sv.stop_signal)
		say("%s: stopping", strsignal(sv.stop_signal));
	stop_all();
	uid_block_release(&sv.uids);
	event_log_close(&sv.events);
	return rc == 0 ? 0 : 1;
}
