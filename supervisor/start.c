/* Starting compartments: the verified binary, then each incarnation. */
#include "start.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "deaths.h"
#include "links.h"
#include "notify.h"
#include "pipes.h"
#include "report.h"
#include "sandbox.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u
#endif

/* ---- the binary ---- */

/* The binary, if the copy in a sealed memfd is not to be had: then it is
 * hashed again before every start. */
static int
exe_matches_image(const struct child *ch)
{
	char hash[IMAGE_SHA256_HEX];
	char shown[IMAGE_PATH_MAX];

	if (image_sha256_fd(ch->exe_fd, hash) < 0)
		return -EIO;
	if (strcmp(hash, ch->ic->sha256) == 0)
		return 0;
	say("%s: %s has SHA-256 %s, the image says %s; refusing to start",
	    ch->ic->name, image_escape(shown, sizeof(shown), ch->ic->binary),
	    hash, ch->ic->sha256);
	return -EPERM;
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

int
copy_and_seal(int src, int mem)
{
	int rc = copy_all(src, mem);

	if (rc == 0 &&
	    fcntl(mem, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		rc = -errno;
	return rc;
}

int
load_binary(struct child *ch)
{
	char why[512];
	int src, mem, rc;

	ch->exe_sealed = false;
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
	rc = copy_and_seal(src, mem);
	close_descriptor(src);
	ch->exe_fd = mem;
	if (rc == 0)
		rc = exe_matches_image(ch);
	if (rc < 0) {
		close_descriptor(mem);
		ch->exe_fd = -1;
		return rc;
	}
	ch->exe_sealed = true;
	return 0;
}

/* ---- an incarnation ---- */

/* Our ends and the child's of an incarnation's control socket and
 * output pipes; -1 where none is open. */
struct incarnation_fds {
	int control[2], out[2], err[2];
};

static void
close_open(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close_descriptor(fds[i]);
}

/* What the kernel holds unread for the compartment: room for the largest
 * message, little more; past it, our own queue counts.  Our ends of its
 * output pipes are read without blocking. */
static int
open_incarnation_fds(struct incarnation_fds *f)
{
	int rc;

	f->control[0] = f->control[1] = -1;
	f->out[0] = f->out[1] = f->err[0] = f->err[1] = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->control) <
	    0)
		return -errno;
	if (setsockopt(f->control[0], SOL_SOCKET, SO_SNDBUF,
		       &(int){CONTROL_SOCKET_BUFFER / 2}, sizeof(int)) == 0 &&
	    pipe2(f->out, O_CLOEXEC) == 0 && pipe2(f->err, O_CLOEXEC) == 0 &&
	    fcntl(f->out[0], F_SETFL, O_NONBLOCK) == 0 &&
	    fcntl(f->err[0], F_SETFL, O_NONBLOCK) == 0)
		return 0;
	rc = -errno;
	close_open(f->control, 2);
	close_open(f->out, 2);
	close_open(f->err, 2);
	return rc;
}

/* A raw clone, like fork, into the sandbox's namespaces: the child is
 * pid 1 of a pid namespace of its own, and never returns from here. */
static pid_t
clone_into_sandbox(const struct supervisor *sv, const struct child *ch,
		   const struct incarnation_fds *f)
{
	pid_t pid = (pid_t)syscall(
	    SYS_clone, (unsigned long)(SANDBOX_CLONE_FLAGS | SIGCHLD), NULL,
	    NULL, NULL, NULL);

	if (pid == 0) {
		struct sandbox_plan plan = {
		    .compartment = ch->ic,
		    .uid = ch->uid,
		    .control_fd = f->control[1],
		    .stdout_fd = f->out[1],
		    .stderr_fd = f->err[1],
		    .exe_fd = ch->exe_fd,
		    .device_fd = ch->ic->device ? sv->device_fd : -1,
		    .devnull_fd = sv->devnull_fd,
		    .notify = sv->notify,
		};
		sandbox_enter_and_exec(&plan);
		_exit(127);
	}
	return pid;
}

/* The new incarnation runs: it gets our ends, and its boot message. */
static void
running(struct supervisor *sv, unsigned self, pid_t pid,
	const struct incarnation_fds *f)
{
	struct child *ch = &sv->child[self];

	ch->pid = pid;
	control_attach(ch, f->control[0]);
	pipes_attach(ch, f->out[0], f->err[0]);
	ch->state = CHILD_RUNNING;
	say("started %s (pid %d, incarnation %u)", ch->ic->name, (int)pid,
	    ch->incarnation);
	report_event(sv, "started", ch,
		     json_pack("{s:i, s:i, s:i}", "pid", (int)pid,
			       "incarnation", (int)ch->incarnation, "uid",
			       (int)ch->uid));
	if (send_boot(sv, self) < 0) {
		say("%s: boot message not sent", ch->ic->name);
		kill_child(sv, ch, KILLED_BAD_START,
			   "its boot message was not sent");
	}
}

int
start_incarnation(struct supervisor *sv, unsigned self)
{
	struct child *ch = &sv->child[self];
	struct incarnation_fds f;
	pid_t pid;
	int rc;

	if (!ch->exe_sealed && exe_matches_image(ch) < 0)
		return -EPERM;
	ch->incarnation++;
	rc = links_open(sv, self);
	if (rc < 0)
		return rc;
	rc = open_incarnation_fds(&f);
	if (rc < 0)
		return rc;
	ch->ready = false;
	ch->killed = KILLED_NOT;
	notify_reset(ch);
	ch->started_ns = sn_now_ns();
	pid = clone_into_sandbox(sv, ch, &f);
	rc = pid < 0 ? -errno : 0;
	close_descriptor(f.control[1]);
	close_descriptor(f.out[1]);
	close_descriptor(f.err[1]);
	if (rc < 0) {
		close_descriptor(f.control[0]);
		close_descriptor(f.out[0]);
		close_descriptor(f.err[0]);
		return rc;
	}
	running(sv, self, pid, &f);
	return 0;
}
