/*
 * Tries to run code the image never hashed.  A channel's shared memory is
 * a memfd: if it still holds one, it writes a small ELF program there;
 * either way it asks to execute a descriptor (the memfd, else its control
 * socket), one way per incarnation:
 *   1. fcntl(F_DUPFD) puts the descriptor on fd 5, where the binary was,
 *      then execveat(5);
 *   2. execveat on the descriptor where it is;
 *   3. execve of a path.
 * The program, if it ever runs, prints UNHASHED CODE RAN.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("exec");
SEALNET_IMPORT(runtime_echo);
SEALNET_RESTART(on_failure, 5);

#define BINARY_FD 5

static struct sn_compartment compartment;

/* A static x86-64 ELF executable: write(2, message), exit(0). */
static const uint8_t program[] = {
    /* ELF header */
    0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ident */
    2, 0, 0x3e, 0, 1, 0, 0, 0,				     /* exec, x86-64 */
    0x78, 0, 0x40, 0, 0, 0, 0, 0,			     /* entry */
    64, 0, 0, 0, 0, 0, 0, 0,				     /* phoff */
    0, 0, 0, 0, 0, 0, 0, 0,				     /* shoff */
    0, 0, 0, 0, 64, 0, 56, 0, 1, 0, 0, 0, 0, 0, 0, 0,
    /* one program header: load the whole file at 0x400000, r-x */
    1, 0, 0, 0, 5, 0, 0, 0,    /* PT_LOAD, R+X */
    0, 0, 0, 0, 0, 0, 0, 0,    /* offset */
    0, 0, 0x40, 0, 0, 0, 0, 0, /* vaddr */
    0, 0, 0x40, 0, 0, 0, 0, 0, /* paddr */
    171, 0, 0, 0, 0, 0, 0, 0,  /* filesz */
    171, 0, 0, 0, 0, 0, 0, 0,  /* memsz */
    0, 0x10, 0, 0, 0, 0, 0, 0, /* align */
    /* code at 0x400078 */
    0xb8, 1, 0, 0, 0,		     /* mov eax, 1 (write) */
    0xbf, 2, 0, 0, 0,		     /* mov edi, 2 */
    0x48, 0x8d, 0x35, 0x10, 0, 0, 0, /* lea rsi, [rip + 16] */
    0xba, 18, 0, 0, 0,		     /* mov edx, 18 */
    0x0f, 0x05,			     /* syscall */
    0xb8, 60, 0, 0, 0,		     /* mov eax, 60 (exit) */
    0x31, 0xff,			     /* xor edi, edi */
    0x0f, 0x05,			     /* syscall */
    'U', 'N', 'H', 'A', 'S', 'H', 'E', 'D', ' ', 'C', 'O', 'D', 'E', ' ', 'R',
    'A', 'N', '\n'};

_Static_assert(sizeof(program) == 171, "the header gives this size");

/* A descriptor of a memfd: a regular file without a path. */
static int
find_memfd(void)
{
	for (int fd = 3; fd < 64; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size >= (off_t)sizeof(program))
			return fd;
	}
	return -1;
}

/* Through a shared mapping, as the channel itself is written. */
static void
write_program(int fd)
{
	void *at = mmap(NULL, sizeof(program), PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);

	if (at == MAP_FAILED) {
		sn_log("ATTACK cannot map fd %d: %s", fd, strerror(errno));
		return;
	}
	memcpy(at, program, sizeof(program));
	munmap(at, sizeof(program));
	sn_log("ATTACK program written into fd %d", fd);
}

int
main(void)
{
	char *const argv[] = {"unhashed", NULL};
	char *const envp[] = {NULL};
	uint32_t n;
	int memfd, fd;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	n = sn_compartment_incarnation();
	memfd = find_memfd();
	if (memfd < 0)
		sn_log("ATTACK no memfd to write a program into; the control "
		       "socket will do to ask for an exec");
	else
		write_program(memfd);
	fd = memfd >= 0 ? memfd : SN_CONTROL_FD;
	if (n == 1) {
		int moved;

		sn_log("ATTACK fcntl(F_DUPFD) onto fd %d next", BINARY_FD);
		/* Whatever holds fd 5 makes room, unless it is the memfd. */
		if (fd != BINARY_FD)
			close(BINARY_FD);
		moved = fcntl(fd, F_DUPFD, BINARY_FD);
		sn_log("ATTACK F_DUPFD gave fd %d; execveat next", moved);
		syscall(SYS_execveat, moved, "", argv, envp, AT_EMPTY_PATH);
		sn_log("ATTACK execveat(%d) returned: %s", moved,
		       strerror(errno));
	} else if (n == 2) {
		sn_log("ATTACK execveat on fd %d next", fd);
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		sn_log("ATTACK execveat returned: %s", strerror(errno));
	} else if (n == 3) {
		sn_log("ATTACK execve(\"/proc/self/exe\") next");
		execve("/proc/self/exe", argv, envp);
		sn_log("ATTACK execve returned: %s", strerror(errno));
	} else {
		sn_log("incarnation %u: no more attacks", n);
	}
	return sn_compartment_run(&compartment) < 0;
}
