/* The control sockets: non-blocking sends with a bounded queue, and the
 * two messages a compartment may send. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "deaths.h"
#include "log.h"
#include "notify.h"
#include "pipes.h"
#include "report.h"
#include "sealnet_msg.h"
#include "supervisor.h"

/* ---- what a compartment may send us ---- */

static void refuse(struct control_message *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct control_message *out, const char *fmt, ...)
{
	va_list ap;

	out->kind = CONTROL_REFUSED;
	va_start(ap, fmt);
	/* A reason longer than the field is still a reason, cut. */
	(void)vsnprintf(out->why, sizeof(out->why), fmt, ap);
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

/* ---- sending to a compartment, never waiting ---- */

void
control_attach(struct child *ch, int fd)
{
	ch->control_fd = fd;
}

static int
send_with_fds(int sock, const uint8_t *msg, size_t len, const int *fds,
	      unsigned nfds)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * SN_MAX_CONTROL_FDS)];
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
		close_descriptor(q->fds[i]);
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

void
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

/* Copies a message and its descriptors into the queue's next slot. */
static int
enqueue(struct child *ch, const uint8_t *msg, size_t len, const int *fds,
	unsigned nfds)
{
	struct queued_message *q =
	    &ch->queue[(ch->queue_head + ch->queue_len) % CONTROL_QUEUE_MAX];

	q->bytes = malloc(len);
	if (q->bytes == NULL)
		return -ENOMEM;
	memcpy(q->bytes, msg, len);
	q->len = len;
	q->nfds = 0;
	for (unsigned i = 0; i < nfds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			int rc = -errno;

			free_message(q);
			return rc;
		}
		q->fds[q->nfds++] = fd;
	}
	q->queued_ns = sn_now_ns();
	ch->queue_len++;
	return 0;
}

int
control_send(struct supervisor *sv, struct child *ch, const uint8_t *msg,
	     size_t len, const int *fds, unsigned nfds)
{
	if (ch->control_fd < 0)
		return -EPIPE;
	if (ch->queue_len == 0) {
		int rc = send_with_fds(ch->control_fd, msg, len, fds, nfds);

		if (rc != -EAGAIN)
			return rc;
	}
	/* Its peers' channels cannot wait for it. */
	if (ch->queue_len == CONTROL_QUEUE_MAX) {
		kill_child(sv, ch, KILLED_CONTROL_QUEUE_FULL,
			   "its control queue is full: it does not read its "
			   "control socket");
		return -ENOBUFS;
	}
	return enqueue(ch, msg, len, fds, nfds);
}

bool
control_has_queued(const struct child *ch)
{
	return ch->queue_len > 0;
}

uint64_t
control_stall_due_ns(const struct child *ch)
{
	if (ch->queue_len == 0)
		return 0;
	return ch->queue[ch->queue_head].queued_ns + CONTROL_STALL_NS + 1;
}

void
control_check_stalls(struct supervisor *sv, uint64_t now_ns)
{
	for (unsigned i = 0; i < sv->img->ncompartments; i++) {
		struct child *ch = &sv->child[i];

		if (ch->state == CHILD_RUNNING && ch->queue_len > 0 &&
		    now_ns - ch->queue[ch->queue_head].queued_ns >
			CONTROL_STALL_NS)
			kill_child(sv, ch, KILLED_CONTROL_QUEUE_STALLED,
				   "a control message waited more than 2 s: "
				   "it does not read its control socket");
	}
}

void
control_close(struct child *ch)
{
	if (ch->control_fd >= 0)
		close_descriptor(ch->control_fd);
	ch->control_fd = -1;
	drop_queue(ch);
}

/* ---- what comes back ---- */

static void
became_ready(struct supervisor *sv, struct child *ch)
{
	uint64_t now = sn_now_ns();

	ch->ready = true;
	ch->ever_ready = true;
	if (ch->incarnation > 1)
		say("%s ready again, %.1f ms after it died", ch->ic->name,
		    ms_between(ch->died_ns, now));
	report_event(sv, "ready", ch,
		     json_pack("{s:i, s:i, s:f}", "pid", (int)ch->pid,
			       "incarnation", (int)ch->incarnation,
			       "ms_after_start",
			       ms_between(ch->started_ns, now)));
	for (unsigned i = 0; i < sv->img->ncompartments; i++)
		if (!sv->child[i].ever_ready)
			return;
	if (!sv->all_ready_reported) {
		sv->all_ready_reported = true;
		say("all %u compartments ready, %.1f ms after start",
		    sv->img->ncompartments, ms_between(sv->boot_ns, now));
		report_event(sv, "all_ready", NULL,
			     json_pack("{s:i, s:f}", "compartments",
				       (int)sv->img->ncompartments, "ms",
				       ms_between(sv->boot_ns, now)));
	}
}

/* Its log message: "LEVEL: text", through the same filter and allowance
 * as its output. */
static void
log_message(struct child *ch, const struct control_message *cm)
{
	char line[OUTPUT_LINE_MAX];
	size_t len = cm->len;
	int k = snprintf(line, sizeof(line), "%s: ", cm->level);

	if (k < 0 || (size_t)k >= sizeof(line))
		return;
	if (len > sizeof(line) - (size_t)k)
		len = sizeof(line) - (size_t)k;
	memcpy(line + k, cm->text, len);
	pipes_log_message(ch, (const uint8_t *)line, (size_t)k + len);
}

static void
refused_message(struct child *ch, const char *why)
{
	if (sn_log_worth(++ch->refused_messages))
		say("%s: control message refused: %s (%llu so far)",
		    ch->ic->name, why,
		    (unsigned long long)ch->refused_messages);
}

void
control_readable(struct supervisor *sv, struct child *ch)
{
	static _Alignas(8) uint8_t buf[SN_MAX_MESSAGE];

	if (ch->control_fd >= 0 && notify_expects_listener(sv, ch)) {
		notify_take_listener(sv, ch);
		return;
	}
	for (unsigned i = 0; i < CONTROL_READS_PER_TURN && ch->control_fd >= 0;
	     i++) {
		struct control_message cm;
		ssize_t n =
		    recv(ch->control_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			control_close(ch);
			return;
		}
		supervisor_control_message(ch->ic->name, buf, (size_t)n, &cm);
		switch (cm.kind) {
		case CONTROL_READY:
			if (!ch->ready)
				became_ready(sv, ch);
			break;
		case CONTROL_LOG:
			log_message(ch, &cm);
			break;
		case CONTROL_REFUSED:
			refused_message(ch, cm.why);
			break;
		}
	}
}
