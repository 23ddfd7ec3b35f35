/*
 * sealnet run: setting up, running and stopping the supervisor.
 *
 * The parts, each owning its own state in struct supervisor (state.h):
 *   start.c      the verified binaries, and starting an incarnation
 *   links.c      channels between compartments, boot and peer messages
 *   control.c    the control sockets, their queues, ready and log
 *   notify.c     the seccomp listener
 *   pipes.c      the output pipes
 *   deaths.c     kills, deaths, backoff and restarts
 *   poll_loop.c  the loop, signals and stopping
 *   report.c     the log and the event stream
 */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounds.h"
#include "clock.h"
#include "files.h"
#include "links.h"
#include "notify.h"
#include "poll_loop.h"
#include "report.h"
#include "sandbox.h"
#include "start.h"
#include "state.h"
#include "time_share.h"

/* The offloads asked of a TAP device: checksums left to it, and TCP
 * segments up to 64 KiB either way (TSO on writes, GSO/GRO on reads). */
#define DEVICE_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

/* Raises the device's queue to DEVICE_QUEUE_FRAMES (bounds.h says why),
 * never lowers it; says so if it cannot, and goes on with what it has. */
static void
enlarge_device_queue(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (fd >= 0 && ioctl(fd, SIOCGIFTXQLEN, &ifr) == 0 &&
	    ifr.ifr_qlen >= (int)DEVICE_QUEUE_FRAMES) {
		close_descriptor(fd);
		return;
	}
	ifr.ifr_qlen = (int)DEVICE_QUEUE_FRAMES;
	if (fd < 0 || ioctl(fd, SIOCSIFTXQLEN, &ifr) < 0)
		say("device %s: its queue stays as it was (%s): a burst "
		    "longer than it is lost while the Firewall waits for a "
		    "core",
		    name, strerror(errno));
	if (fd >= 0)
		close_descriptor(fd);
}

static int
attach_device(const char *name, bool offloads)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0);
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (offloads && ioctl(fd, TUNSETOFFLOAD, DEVICE_OFFLOADS) < 0)) {
		int saved = errno;

		close_descriptor(fd);
		errno = saved;
		return -1;
	}
	enlarge_device_queue(name);
	return fd;
}

/* The TAP device named, for the compartment that holds it, with its
 * offloads on if the kernel and the device have them (the compartment
 * cannot ask: its ioctls are limited to TCGETS).  -1 with errno set if
 * it cannot be had: a name too long for the kernel is refused rather
 * than cut to another device's name. */
static int
open_device(const char *name, bool want_offloads, bool *offloads)
{
	int fd;

	*offloads = false;
	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (want_offloads) {
		fd = attach_device(name, true);
		if (fd >= 0) {
			*offloads = true;
			say("device %s: offloads on (virtio-net header, "
			    "checksums, TSO and GSO up to 64 KiB)",
			    name);
			return fd;
		}
		say("device %s: no offloads (%s): one frame per read and "
		    "write",
		    name, strerror(errno));
	} else
		say("device %s: offloads off, as asked: one frame per read "
		    "and write",
		    name);
	return attach_device(name, false);
}

/* One compartment: its uid, its verified binary, and its device if it
 * holds one.  0, or -1 after saying why. */
static int
prepare_child(struct supervisor *sv, unsigned i,
	      const struct supervisor_options *opt)
{
	struct child *ch = &sv->child[i];
	int rc;

	ch->ic = &sv->img->compartments[i];
	ch->control_fd = ch->listener_fd = -1;
	ch->output_fd[OUTPUT_STDOUT] = ch->output_fd[OUTPUT_STDERR] = -1;
	ch->uid = sv->uids.lock_fd >= 0 ? sv->uids.first + i : 0;
	restart_history_init(&ch->restarts);
	output_init(&ch->output, sn_now_ns());
	rc = load_binary(ch);
	if (rc < 0) {
		char shown[IMAGE_PATH_MAX];

		if (rc != -EPERM)
			say("%s: %s: %s", ch->ic->name,
			    image_escape(shown, sizeof(shown), ch->ic->binary),
			    strerror(-rc));
		return -1;
	}
	if (!ch->ic->device)
		return 0;
	if (opt->tap == NULL) {
		say("%s holds the network device: give one with --tap IFNAME",
		    ch->ic->name);
		return -1;
	}
	sv->device_fd =
	    open_device(opt->tap, !opt->no_offloads, &sv->device_offloads);
	if (sv->device_fd < 0) {
		say("--tap %s: %s", opt->tap, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything before the first start.  0, or -1 after saying why. */
static int
prepare(struct supervisor *sv, const struct image *img,
	const struct supervisor_options *opt)
{
	char why[256];

	memset(sv, 0, sizeof(*sv));
	sv->img = img;
	sv->device_fd = -1;
	sv->signal_fd = -1;
	sv->uids.lock_fd = -1;
	sv->time_fd = sv->time_read_fd = -1;
	event_log_none(&sv->events);
	if (opt->events != NULL &&
	    event_log_open(&sv->events, opt->events) < 0) {
		say("--events %s: %s", opt->events, strerror(errno));
		return -1;
	}
	sv->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sv->devnull_fd < 0)
		return -1;
	sv->notify = sandbox_notify_supported();
	if (!sv->notify)
		say("this kernel cannot report syscalls to the supervisor "
		    "(seccomp user notification, Linux 5.5): a forbidden "
		    "syscall kills without being named, and the binary's exec "
		    "is limited by descriptor number instead");
	if (geteuid() == 0 && uid_block_take(&sv->uids, why, sizeof(why)) < 0) {
		say("no uids for the compartments: %s", why);
		return -1;
	}
	/* The files first: one that changed since the image was built
	 * stops the start before anything is opened for a compartment. */
	if (files_load(sv) < 0)
		return -1;
	for (unsigned i = 0; i < img->ncompartments; i++)
		if (prepare_child(sv, i, opt) < 0)
			return -1;
	links_plan(sv);
	if (time_share_prepare(sv) < 0)
		return -1;
	report_event(
	    sv, "boot", NULL,
	    json_pack("{s:i, s:i, s:s, s:i}", "pid", (int)getpid(),
		      "compartments", (int)img->ncompartments, "seccomp",
		      sv->notify ? "notify" : "kill", "uid_first",
		      sv->uids.lock_fd >= 0 ? (int)sv->uids.first : -1));
	return 0;
}

/* SIGCHLD, SIGTERM and SIGINT arrive only through the loop's signalfd. */
static int
block_signals(sigset_t *mask)
{
	if (sigemptyset(mask) < 0 || sigaddset(mask, SIGCHLD) < 0 ||
	    sigaddset(mask, SIGTERM) < 0 || sigaddset(mask, SIGINT) < 0)
		return -1;
	return sigprocmask(SIG_BLOCK, mask, NULL);
}

/* Random and locally administered, fixed for this run. */
static int
choose_hardware_address(uint8_t address[6])
{
	if (getrandom(address, 6, 0) != 6)
		return -1;
	address[0] = (uint8_t)((address[0] & 0xfe) | 0x02);
	return 0;
}

int
supervisor_run(const struct image *img, const struct supervisor_options *opt)
{
	/* Too big for the stack; there is one supervisor per process. */
	static struct supervisor sv;
	sigset_t mask;
	int rc = 0, close_rc;

	if (block_signals(&mask) < 0)
		return 1;
	if (prepare(&sv, img, opt) < 0)
		return 1;
	sv.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sv.signal_fd < 0)
		return 1;
	sv.boot_ns = sn_now_ns();
	if (choose_hardware_address(sv.hardware_address) < 0)
		return 1;
	for (unsigned i = 0; i < img->ncompartments && rc == 0; i++) {
		rc = start_incarnation(&sv, i);
		if (rc < 0)
			say("cannot start %s: %s", img->compartments[i].name,
			    strerror(-rc));
	}
	if (rc == 0)
		loop_run(&sv);
	if (sv.stop_signal)
		say("%s: stopping", strsignal(sv.stop_signal));
	loop_stop_all(&sv);
	notify_release(&sv);
	files_release(&sv);
	time_share_release(&sv);
	uid_block_release(&sv.uids);
	close_rc = event_log_close(&sv.events);
	if (close_rc < 0)
		say("the event file may have lost events: %s",
		    strerror(-close_rc));
	return rc == 0 ? 0 : 1;
}
