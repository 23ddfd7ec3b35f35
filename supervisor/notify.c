/* The seccomp listener: taken over from the sandbox, then judged. */
#include "notify.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control.h"
#include "deaths.h"
#include "sandbox.h"

/* More descriptors than the one expected are taken only to be closed. */
#define LISTENER_MESSAGE_FDS 4

void
notify_reset(struct child *ch)
{
	ch->listener_fd = -1;
	ch->exec_allowed = false;
	ch->forbidden_nr = -1;
}

bool
notify_expects_listener(const struct supervisor *sv, const struct child *ch)
{
	return sv->notify && ch->listener_fd < 0 && !ch->exec_allowed;
}

void
syscall_name(int nr, char *out, size_t cap)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	/* Every name the kernel has fits the callers' buffers. */
	(void)snprintf(out, cap, "%s", name ? name : "unknown");
	free(name);
}

/* Is fd a seccomp listener?  The kernel names the file it stands for. */
static bool
is_seccomp_listener(int fd)
{
	char path[64], target[64];
	ssize_t n;

	if (snprintf(path, sizeof(path), "/proc/self/fd/%d", fd) < 0)
		return false;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return strcmp(target, "anon_inode:seccomp notify") == 0;
}

/* The descriptors a message carried, up to `cap` of them; any more are
 * closed at once. */
static unsigned
received_fds(struct msghdr *mh, int *fds, unsigned cap)
{
	unsigned nfds = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (nfds < cap)
				fds[nfds++] = fd;
			else
				close_descriptor(fd);
		}
	}
	return nfds;
}

/*
 * The first message of an incarnation, sent by the sandbox before the
 * exec (no code of the compartment has run yet): its seccomp listener.
 */
void
notify_take_listener(struct supervisor *sv, struct child *ch)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * LISTENER_MESSAGE_FDS)];
	} control;
	char tag = 0;
	struct iovec iov = {&tag, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.space,
			    .msg_controllen = sizeof(control.space)};
	int fds[LISTENER_MESSAGE_FDS];
	unsigned nfds = 0;
	ssize_t n =
	    recvmsg(ch->control_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 0) { /* it ended before the exec */
		control_close(ch);
		return;
	}
	if (n >= 0)
		nfds = received_fds(&mh, fds, LISTENER_MESSAGE_FDS);
	if (n == 1 && tag == SANDBOX_LISTENER_TAG && nfds == 1 &&
	    !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	    is_seccomp_listener(fds[0])) {
		ch->listener_fd = fds[0];
		return;
	}
	for (unsigned i = 0; i < nfds; i++)
		close_descriptor(fds[i]);
	/* Something is badly wrong: it must not run unwatched. */
	kill_child(sv, ch, KILLED_BAD_START,
		   "its sandbox did not hand over its syscall filter's "
		   "listener");
	control_close(ch);
}

/* The kernel's notification structure may be bigger than ours; it wants
 * every byte of its size zeroed.  Made once, on first use. */
static struct seccomp_notif *
notification(struct supervisor *sv)
{
	struct seccomp_notif_sizes sizes;

	if (sv->notification != NULL)
		return sv->notification;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		sizes.seccomp_notif = sizeof(struct seccomp_notif);
	sv->notification_size =
	    sizes.seccomp_notif > sizeof(struct seccomp_notif)
		? sizes.seccomp_notif
		: sizeof(struct seccomp_notif);
	sv->notification = calloc(1, sv->notification_size);
	return sv->notification;
}

/* The sandbox's exec of the verified binary, the first execveat of the
 * incarnation: let through once. */
static bool
allow_boot_exec(struct child *ch, const struct seccomp_notif *req)
{
	struct seccomp_notif_resp resp;

	if (ch->exec_allowed || req->data.nr != SCMP_SYS(execveat) ||
	    req->data.arch != seccomp_arch_native() ||
	    req->data.args[0] != SANDBOX_EXE_FD)
		return false;
	memset(&resp, 0, sizeof(resp));
	resp.id = req->id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(ch->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
		return false;
	ch->exec_allowed = true;
	return true;
}

/*
 * A syscall the filter does not allow, held by the kernel until we
 * answer.  The first execveat of an incarnation is the sandbox's exec of
 * the verified binary: it goes through.  Anything else, including any
 * later exec, kills the compartment, and the kernel's own record of the
 * syscall names it.
 */
void
notify_listener_readable(struct supervisor *sv, struct child *ch)
{
	struct seccomp_notif *req = notification(sv);
	char name[64], words[128];

	if (req == NULL) {
		kill_child(sv, ch, KILLED_BAD_START,
			   "no memory to judge its syscalls");
		return;
	}
	memset(req, 0, sv->notification_size);
	if (ioctl(ch->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		if (errno == ENOENT || errno == EINTR)
			return; /* the task was killed meanwhile */
		/* The notification stays pending: polling again would spin. */
		kill_child(sv, ch, KILLED_BAD_START,
			   "its syscall could not be read from the kernel");
		return;
	}
	if (allow_boot_exec(ch, req))
		return;
	/* Killed, not answered: it never returns from the syscall. */
	ch->forbidden_nr = req->data.nr;
	syscall_name(req->data.nr, name, sizeof(name));
	(void)snprintf(words, sizeof(words), "forbidden syscall %s (%d)", name,
		       req->data.nr);
	kill_child(sv, ch, KILLED_FORBIDDEN_SYSCALL, words);
}

void
notify_close(struct child *ch)
{
	if (ch->listener_fd >= 0)
		close_descriptor(ch->listener_fd);
	ch->listener_fd = -1;
}

void
notify_release(struct supervisor *sv)
{
	free(sv->notification);
	sv->notification = NULL;
	sv->notification_size = 0;
}
