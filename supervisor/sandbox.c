/*
 * Entering a compartment's sandbox, in the order that makes each step
 * possible: descriptors first, then namespaces and the empty root (which
 * need privilege), then the uid (which gives privilege up), then limits,
 * no_new_privs and the syscall filter, and last the exec of the binary
 * that was hashed, through its descriptor.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot.h"

static void
step_failed(const char *name, const char *step)
{
	fprintf(stderr, "sealnet: %s: sandbox: %s: %s\n", name, step,
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
	int note = fcntl(p->note_fd, F_DUPFD_CLOEXEC, 64);
	int exe = fcntl(p->exe_fd, F_DUPFD_CLOEXEC, 64);
	int dev =
	    p->device_fd >= 0 ? fcntl(p->device_fd, F_DUPFD_CLOEXEC, 64) : -1;

	if (control < 0 || note < 0 || exe < 0 ||
	    (p->device_fd >= 0 && dev < 0))
		return -1;
	if (dup2(p->devnull_fd, 0) < 0 || move_fd(control, SN_CONTROL_FD) ||
	    move_fd(note, SN_DEATH_NOTE_FD) || dup2(exe, SANDBOX_EXE_FD) < 0 ||
	    (dev >= 0 && move_fd(dev, SANDBOX_DEVICE_FD)))
		return -1;
	/* The binary's descriptor closes on exec: once running, the
	 * compartment cannot exec it again. */
	if (fcntl(SANDBOX_EXE_FD, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	/* Nothing else crosses into the compartment. */
	return syscall(SYS_close_range, dev >= 0 ? 7 : 6, ~0u, 0) < 0 ? -1 : 0;
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
drop_user(unsigned index)
{
	uid_t uid = SANDBOX_UID_BASE + index;

	if (geteuid() != 0)
		return 0; /* already unprivileged */
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return 0;
}

static int
limits(const struct image_compartment *c)
{
	struct rlimit mem = {c->quota[QUOTA_MEMORY_BYTES],
			     c->quota[QUOTA_MEMORY_BYTES]};
	struct rlimit files = {c->quota[QUOTA_DESCRIPTORS],
			       c->quota[QUOTA_DESCRIPTORS]};
	struct rlimit none = {0, 0};

	return setrlimit(RLIMIT_AS, &mem) || setrlimit(RLIMIT_NOFILE, &files) ||
		       setrlimit(RLIMIT_CORE, &none) ||
		       setrlimit(RLIMIT_NPROC, &none)
		   ? -1
		   : 0;
}

/*
 * The image's allowlist; anything else traps, and the runtime's handler
 * reports the number and dies.  tgkill may signal only this process, and
 * execveat may run only the verified binary's descriptor.
 */
static int
syscall_filter(const struct image_compartment *c)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	pid_t self = getpid();
	int rc = -1;

	if (f == NULL)
		return -1;
	for (unsigned i = 0; i < c->nsyscalls; i++) {
		int nr = seccomp_syscall_resolve_name(c->syscalls[i]);

		if (nr == __NR_SCMP_ERROR)
			goto out;
		if (nr == SCMP_SYS(tgkill))
			rc = seccomp_rule_add(
			    f, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self, 0));
		else
			rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			goto out;
	}
	rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 1,
			      SCMP_A0(SCMP_CMP_EQ, SANDBOX_EXE_FD, 0));
	if (rc == 0)
		rc = seccomp_load(f);
out:
	seccomp_release(f);
	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

void
sandbox_enter_and_exec(const struct sandbox_plan *p)
{
	const struct image_compartment *c = p->compartment;
	char *const argv[] = {(char *)c->name, NULL};
	char *const envp[] = {NULL};
	sigset_t all;

	/* The supervisor blocked these for its signalfd; a compartment
	 * starts with a clean mask. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return step_failed(c->name, "parent-death signal");
	if (place_descriptors(p) < 0)
		return step_failed(c->name, "descriptors");
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) <
	    0)
		return step_failed(c->name, "namespaces");
	if (empty_root() < 0)
		return step_failed(c->name, "empty root");
	if (drop_user(p->index) < 0)
		return step_failed(c->name, "unprivileged user");
	if (limits(c) < 0)
		return step_failed(c->name, "resource limits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return step_failed(c->name, "no_new_privs");
	if (syscall_filter(c) < 0)
		return step_failed(c->name, "seccomp");
	fexecve(SANDBOX_EXE_FD, argv, envp);
	step_failed(c->name, "exec");
}
