/*
 * Entering a compartment's sandbox, in the order that makes each step
 * possible.  The child is already in its own pid namespace (the clone
 * made it so).  Then: a session of its own, new mount, network, IPC and
 * UTS namespaces, descriptors, the empty root (which needs privilege),
 * the uid (which gives privilege up), the parent-death signal (which the
 * uid change would clear), limits, no_new_privs, the syscall filter, and
 * last the exec of the verified copy of the binary.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include "boot.h"

/*
 * ioctl requests a compartment may make: TCGETS only, which is how the C
 * library's isatty() asks whether a stream is a terminal.  It changes
 * nothing, and no compartment holds a terminal to ask about.  Nothing
 * that drives a terminal (TIOCSTI above all) or a network device (the
 * TUN and SIOCS* requests): the Firewall reads and writes the TAP device
 * the supervisor set up and needs no request on it.
 */
static const unsigned long allowed_ioctls[] = {TCGETS};

/* fcntl commands: descriptor and status flags only.  Never F_DUPFD or
 * F_DUPFD_CLOEXEC (which place a descriptor on a chosen number), nor
 * locks, leases, owners, signals, seals or pipe sizes. */
static const unsigned long allowed_fcntls[] = {F_GETFD, F_SETFD, F_GETFL,
					       F_SETFL};

static void
step_failed(const char *name, const char *step)
{
	/* Goes to the output pipe, where the supervisor names us.  If even
	 * that fails, the exit status still says the start failed. */
	(void)fprintf(stderr, "sandbox of %s: %s: %s\n", name, step,
		      strerror(errno));
}

static int
move_fd(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

static int
place_descriptors(const struct sandbox_plan *p)
{
	/* Lift every source above the targets first, so no dup2 clobbers a
	 * descriptor still to be moved. */
	int control = fcntl(p->control_fd, F_DUPFD_CLOEXEC, 64);
	int out = fcntl(p->stdout_fd, F_DUPFD_CLOEXEC, 64);
	int err = fcntl(p->stderr_fd, F_DUPFD_CLOEXEC, 64);
	int exe = fcntl(p->exe_fd, F_DUPFD_CLOEXEC, 64);
	int dev =
	    p->device_fd >= 0 ? fcntl(p->device_fd, F_DUPFD_CLOEXEC, 64) : -1;

	if (control < 0 || out < 0 || err < 0 || exe < 0 ||
	    (p->device_fd >= 0 && dev < 0))
		return -1;
	if (dup2(p->devnull_fd, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0 || move_fd(control, SN_CONTROL_FD) ||
	    dup2(exe, SANDBOX_EXE_FD) < 0 ||
	    (dev >= 0 && move_fd(dev, SN_DEVICE_FD)))
		return -1;
	/* The binary's descriptor closes on exec: once running, the
	 * compartment cannot exec it again. */
	if (fcntl(SANDBOX_EXE_FD, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	/* Nothing else crosses into the compartment: not the supervisor's
	 * terminal or log, nor any of its own descriptors. */
	if (syscall(SYS_close_range, SN_CONTROL_FD + 1, SANDBOX_EXE_FD - 1, 0) <
	    0)
		return -1;
	return syscall(SYS_close_range,
		       dev >= 0 ? SN_DEVICE_FD + 1 : SANDBOX_EXE_FD + 1, ~0u,
		       0) < 0
		   ? -1
		   : 0;
}

/* An empty, read-only root: the compartment sees no file at all. */
static int
empty_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sealnet", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=0555") < 0 ||
	    mkdir("/tmp/old", 0) < 0 ||
	    syscall(SYS_pivot_root, "/tmp", "/tmp/old") < 0 || chdir("/") < 0 ||
	    umount2("/old", MNT_DETACH) < 0 || rmdir("/old") < 0)
		return -1;
	return mount(NULL, "/", NULL,
		     MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
			 MS_NOEXEC,
		     NULL);
}

static int
drop_user(uid_t uid)
{
	if (uid == 0)
		return 0; /* the supervisor is not root: nothing to drop */
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return 0;
}

/*
 * Dies with the supervisor.  The uid change clears the parent-death
 * signal, so it is set after it; and the supervisor may have died before
 * it was set, which its end of the control socket tells (getppid() says
 * nothing in a new pid namespace).
 */
static int
die_with_supervisor(void)
{
	struct pollfd p = {SN_CONTROL_FD, 0, 0};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&p, 1, 0) < 0)
		return -1;
	if (p.revents & (POLLHUP | POLLERR)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

static int
limits(const struct image_compartment *c)
{
	struct rlimit mem = {c->quota[QUOTA_MEMORY_BYTES],
			     c->quota[QUOTA_MEMORY_BYTES]};
	struct rlimit files = {c->quota[QUOTA_DESCRIPTORS],
			       c->quota[QUOTA_DESCRIPTORS]};
	/* Soft and hard alike: at the limit the kernel sends SIGKILL (a
	 * SIGXCPU first would be ignored by a pid namespace's init). */
	struct rlimit cpu = {c->quota[QUOTA_CPU_SECONDS],
			     c->quota[QUOTA_CPU_SECONDS]};
	struct rlimit none = {0, 0};

	/* No files to write (RLIMIT_FSIZE): a descriptor that reaches a
	 * file by mistake still cannot grow it. */
	return setrlimit(RLIMIT_AS, &mem) || setrlimit(RLIMIT_NOFILE, &files) ||
		       setrlimit(RLIMIT_CPU, &cpu) ||
		       setrlimit(RLIMIT_FSIZE, &none) ||
		       setrlimit(RLIMIT_CORE, &none) ||
		       setrlimit(RLIMIT_NPROC, &none)
		   ? -1
		   : 0;
}

/* An argument compared as the kernel reads it: these are unsigned int
 * there, so the upper half of the register does not count. */
#define LOW32 0xffffffffull

static int
allow_each(scmp_filter_ctx f, int nr, unsigned arg, const unsigned long *v,
	   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct scmp_arg_cmp cmp = {arg, SCMP_CMP_MASKED_EQ, LOW32,
					   v[i]};
		int rc = seccomp_rule_add_array(f, SCMP_ACT_ALLOW, nr, 1, &cmp);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One syscall of the image's list, with the argument checks some need. */
static int
allow(scmp_filter_ctx f, int nr)
{
	if (nr == SCMP_SYS(execve) || nr == SCMP_SYS(execveat))
		return 0; /* never after boot, whatever the image says */
	if (nr == SCMP_SYS(tgkill)) /* itself only */
		return seccomp_rule_add(
		    f, SCMP_ACT_ALLOW, nr, 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)SANDBOX_SELF_PID, 0));
	if (nr == SCMP_SYS(prlimit64)) /* its own limits only: pid 0 */
		return seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, 0, 0));
	if (nr == SCMP_SYS(ioctl))
		return allow_each(f, nr, 1, allowed_ioctls,
				  sizeof(allowed_ioctls) /
				      sizeof(allowed_ioctls[0]));
	if (nr == SCMP_SYS(fcntl))
		return allow_each(f, nr, 1, allowed_fcntls,
				  sizeof(allowed_fcntls) /
				      sizeof(allowed_fcntls[0]));
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
}

/*
 * The image's allowlist.  Anything else stops the compartment: with
 * notification, the syscall waits while the supervisor reads its number
 * from the kernel and kills the process; without, the kernel kills it.
 * Either way the first exec, of the verified binary, is the only one:
 * with notification the supervisor lets exactly one execveat through;
 * without, execveat is allowed on the binary's descriptor alone, which
 * closes on exec.  Syscalls of another ABI kill at once.
 */
static int
syscall_filter(const struct image_compartment *c, bool notify, int *listener)
{
	scmp_filter_ctx f =
	    seccomp_init(notify ? SCMP_ACT_NOTIFY : SCMP_ACT_KILL_PROCESS);
	int rc = -EINVAL;

	*listener = -1;
	if (f == NULL)
		return -1;
	rc =
	    seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (unsigned i = 0; rc == 0 && i < c->nsyscalls; i++) {
		int nr = seccomp_syscall_resolve_name(c->syscalls[i]);

		rc = nr == __NR_SCMP_ERROR ? -EINVAL : allow(f, nr);
	}
	if (rc == 0 && !notify)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 1,
				      SCMP_A0(SCMP_CMP_EQ, SANDBOX_EXE_FD, 0));
	if (rc == 0)
		rc = seccomp_load(f);
	if (rc == 0 && notify) {
		*listener = seccomp_notify_fd(f);
		if (*listener < 0)
			rc = *listener;
	}
	seccomp_release(f);
	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

/* Hands the filter's listener to the supervisor, and keeps no copy. */
static int
send_listener(int listener)
{
	char tag = SANDBOX_LISTENER_TAG;
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {&tag, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.space,
			    .msg_controllen = sizeof(control.space)};
	struct cmsghdr *cm;
	ssize_t n;

	memset(&control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &listener, sizeof(int));
	n = sendmsg(SN_CONTROL_FD, &mh, MSG_NOSIGNAL);
	/* Sent or not, no copy stays here; a failed close leaves nothing
	 * to undo. */
	(void)close(listener);
	return n == 1 ? 0 : -1;
}

void
sandbox_enter_and_exec(const struct sandbox_plan *p)
{
	const struct image_compartment *c = p->compartment;
	char *const argv[] = {(char *)c->name, NULL};
	char *const envp[] = {NULL};
	sigset_t all;
	int listener;

	/* The supervisor blocked these for its signalfd; a compartment
	 * starts with a clean mask. */
	if (sigemptyset(&all) < 0 || sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		return step_failed(c->name, "signal mask");
	/* No controlling terminal, and out of the operator's process
	 * group: ^C at the terminal is for the supervisor. */
	if (setsid() < 0)
		return step_failed(c->name, "new session");
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) <
	    0)
		return step_failed(c->name, "namespaces");
	if (place_descriptors(p) < 0)
		return step_failed(c->name, "descriptors");
	if (empty_root() < 0)
		return step_failed(c->name, "empty root");
	if (drop_user(p->uid) < 0)
		return step_failed(c->name, "unprivileged user");
	if (die_with_supervisor() < 0)
		return step_failed(c->name, "parent-death signal");
	if (limits(c) < 0)
		return step_failed(c->name, "resource limits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return step_failed(c->name, "no_new_privs");
	if (syscall_filter(c, p->notify, &listener) < 0)
		return step_failed(c->name, "seccomp");
	if (listener >= 0 && send_listener(listener) < 0)
		return step_failed(c->name, "seccomp listener");
	/* Returns only if the exec failed. */
	(void)syscall(SYS_execveat, SANDBOX_EXE_FD, "", argv, envp,
		      AT_EMPTY_PATH);
	step_failed(c->name, "exec");
}

static bool
kernel_at_least(unsigned major, unsigned minor)
{
	struct utsname u;
	unsigned ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

bool
sandbox_notify_supported(void)
{
	/* API level 5: SCMP_ACT_NOTIFY and the notify calls.  5.5: the
	 * supervisor may let a notified syscall continue. */
	return seccomp_api_get() >= 5 && kernel_at_least(5, 5);
}
