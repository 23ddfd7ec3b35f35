/*
 * Goes after the operator through standard output and error: lines that
 * pose as the supervisor's, terminal escape sequences, a seek back over
 * the log to overwrite it, a 256 MiB flood, and last TIOCSTI, which on a
 * terminal with dev.tty.legacy_tiocsti=1 pushes a command into the
 * operator's shell.  It reports what each returned; the test looks at the
 * terminal and the log from outside.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("terminal");
SEALNET_RESTART(never, 0);

#define FLOOD_MIB   256u
#define LINE_BYTES  64u
#define CHUNK_BYTES 65536u

static struct sn_compartment compartment;

static void
idle(uint64_t ms)
{
	uint64_t end = sn_now_ns() + ms * SN_MS;

	while (sn_now_ns() < end)
		sn_loop_run_once(&compartment.loop, end);
}

static void
write_all(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		sn_log("write to fd %d failed: %s", fd, strerror(errno));
}

static void
forged_lines(void)
{
	write_all(2, "sealnet: all 9 compartments ready, 0.1 ms after start\n");
	write_all(1, "sealnet: Runtime (incarnation 7) exited with status 0\n");
	/* Retitle the window, clear the screen, turn the text red. */
	write_all(2,
		  "\033]0;terminal-owned\007\033[2J\033[31mred text\033[0m\n");
	sn_log("ATTACK forged lines and escape sequences written");
}

static void
seek_back(void)
{
	off_t out = lseek(1, 0, SEEK_SET);
	int out_errno = errno;
	off_t err = lseek(2, 0, SEEK_SET);
	int err_errno = errno;

	write_all(2, "OVERWRITTEN by the terminal compartment\n");
	sn_log("ATTACK lseek to the start: stdout %lld (%s), stderr %lld (%s)",
	       (long long)out, out < 0 ? strerror(out_errno) : "moved",
	       (long long)err, err < 0 ? strerror(err_errno) : "moved");
}

static void
flood(void)
{
	static char chunk[CHUNK_BYTES];
	uint64_t t0 = sn_now_ns(), written = 0;

	for (unsigned i = 0; i < sizeof(chunk); i++)
		chunk[i] = i % LINE_BYTES == LINE_BYTES - 1 ? '\n' : 'f';
	sn_log("ATTACK flood begins");
	while (written < (uint64_t)FLOOD_MIB << 20) {
		ssize_t n = write(1, chunk, sizeof(chunk));

		if (n <= 0)
			break;
		written += (uint64_t)n;
	}
	double seconds = (double)(sn_now_ns() - t0) / 1e9;

	/* The flood spent our allowance of lines: wait for a few more, or
	 * this one is dropped like the rest. */
	idle(100);
	sn_log("ATTACK flood: %llu MiB written in %.2f s",
	       (unsigned long long)(written >> 20), seconds);
}

/* Each byte of the command, pushed into the terminal's input queue as if
 * typed.  The marker is assembled here so that no line we print contains
 * it: if the test sees it, it came through the terminal's input. */
static void
inject(void)
{
	char command[64] = "\n#INJ";
	int result[3];

	strcat(command, "ECTED-7f3a\n");
	sn_log("ATTACK TIOCSTI next");
	for (int fd = 0; fd < 3; fd++) {
		result[fd] = 0;
		for (size_t i = 0; command[i] && result[fd] == 0; i++)
			result[fd] = ioctl(fd, TIOCSTI, &command[i]);
	}
	sn_log("ATTACK TIOCSTI returned %d, %d, %d", result[0], result[1],
	       result[2]);
}

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	/* The app measures a calm second first. */
	idle(1500);
	sn_log("attack begins");
	forged_lines();
	seek_back();
	flood();
	/* Time for the test to look at our descriptors, and for the app to
	 * measure the quiet after the flood. */
	idle(1500);
	inject();
	sn_log("attack over");
	return sn_compartment_run(&compartment) < 0;
}
