/*
 * Looks for other processes from inside its sandbox, as a compartment of
 * another run would look for its victims: process_vm_readv (which the
 * image grants it) on every pid, counting the pids that exist and those
 * whose memory it can read; then prlimit64 on other pids, which would
 * read and change their limits (and say which pids exist): RLIMIT_FSIZE
 * 0 kills a process whose output goes to a file.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("spy");
SEALNET_SYSCALL(process_vm_readv);
SEALNET_RESTART(never, 0);

/* Twice the usual pid_max; the test says whether its victims' pids are
 * within reach. */
#define PID_SCAN_MAX (1 << 16)

static struct sn_compartment compartment;
static uint64_t target = 0x5eca1e7;

static void
scan_memory(void)
{
	unsigned seen = 0, readable = 0, first_seen = 0;
	pid_t self = getpid();
	uint64_t t0 = sn_now_ns();

	for (pid_t pid = 1; pid <= PID_SCAN_MAX; pid++) {
		uint64_t value;
		struct iovec local = {&value, sizeof(value)};
		struct iovec remote = {&target, sizeof(target)};
		ssize_t n;

		if (pid == self)
			continue;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n < 0 && errno == ESRCH)
			continue;
		seen++;
		if (first_seen == 0)
			first_seen = (unsigned)pid;
		readable += n >= 0 || errno == EFAULT;
	}
	sn_log("ATTACK process_vm_readv on pids 1 to %u: %u other processes "
	       "seen (first %u), %u readable, in %.1f s (my pid is %d)",
	       PID_SCAN_MAX, seen, first_seen, readable,
	       (double)(sn_now_ns() - t0) / 1e9, (int)self);
}

/* RLIMIT_FSIZE 0: a process whose output is a file dies (SIGXFSZ) the
 * next time it writes a line there. */
static void
change_limits(void)
{
	unsigned seen = 0, changed = 0;

	sn_log("ATTACK prlimit64 on other pids next");
	for (pid_t pid = 2; pid <= PID_SCAN_MAX; pid++) {
		struct rlimit old, none = {0, 0};

		if (prlimit(pid, RLIMIT_FSIZE, NULL, &old) < 0) {
			seen += errno != ESRCH;
			continue;
		}
		seen++;
		changed += prlimit(pid, RLIMIT_FSIZE, &none, NULL) == 0;
	}
	sn_log("ATTACK prlimit64: %u other processes seen, %u left no room "
	       "to write a file",
	       seen, changed);
}

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	sn_log("attack begins");
	scan_memory();
	change_limits();
	sn_log("attack over");
	return sn_compartment_run(&compartment) < 0;
}
