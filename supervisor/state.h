/*
 * What the running supervisor knows, in one place, shared by its modules.
 * Each group of fields names the module that writes it; the others only
 * read it.  supervisor_run() owns the one struct supervisor and passes it
 * to every module: nothing here is a global.
 */
#ifndef SEALNET_SUPERVISOR_STATE_H
#define SEALNET_SUPERVISOR_STATE_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "boot.h" /* SN_MAX_CONTROL_FDS */
#include "bounds.h"
#include "call.h" /* SN_MAX_PEERS */
#include "channel.h"
#include "events.h"
#include "image.h"
#include "output.h"
#include "restart.h"
#include "time_record.h"
#include "uids.h"

#define MAX_LINKS    (IMAGE_MAX_COMPARTMENTS * (IMAGE_MAX_COMPARTMENTS - 1) / 2)
#define FDS_PER_LINK 3u /* the shared memory and the two eventfds */

/* One channel between two compartments, as long as both incarnations
 * that hold it live.  links.c writes it. */
struct link {
	unsigned a, b; /* compartment indices, a < b; a is side 0 */
	struct sn_channel_fds fds;
	bool open;
};

/* A message the control socket did not take yet, with its own copies of
 * the descriptors it carries.  control.c writes it. */
struct queued_message {
	uint8_t *bytes;
	size_t len;
	int fds[SN_MAX_CONTROL_FDS];
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

/* One compartment of the image, and its current incarnation.  Its
 * descriptors are -1 when not open; supervisor.c starts them so. */
struct child {
	/* Set up once (supervisor.c; start.c loads the binary). */
	const struct image_compartment *ic;
	uid_t uid;
	int exe_fd;	 /* the verified binary */
	bool exe_sealed; /* ... in a sealed memfd (else its file) */

	/* Its life: start.c begins an incarnation, deaths.c ends it and
	 * schedules the next, poll_loop.c's stop leaves it stopped. */
	enum child_state state;
	pid_t pid;
	uint32_t incarnation;
	uint64_t started_ns, died_ns, restart_at_ns;
	struct restart_history restarts;
	/* deaths.c's kill_child(); start.c clears it for each incarnation. */
	enum kill_reason killed;

	/* The control socket: control.c (start.c hands it our end).  -1
	 * once it hung up. */
	int control_fd;
	struct queued_message queue[CONTROL_QUEUE_MAX];
	unsigned queue_head, queue_len;
	uint64_t refused_messages;
	bool ready;	 /* this incarnation said so; start.c clears it */
	bool ever_ready; /* some incarnation did: for the start-up figure */

	/* Its syscall filter: notify.c (start.c resets them). */
	int listener_fd;   /* its seccomp listener; -1 until handed over */
	bool exec_allowed; /* the one exec, of the binary, went through */
	int forbidden_nr;  /* the syscall it was killed for */

	/* Its stdout and stderr: pipes.c (start.c hands it the read ends,
	 * -1 at end of file). */
	int output_fd[OUTPUT_STREAMS];
	struct output_stream output;
};

/* A file the image gives a compartment, in a sealed memfd whose bytes
 * match the image's hash.  files.c loads them. */
struct boot_file {
	char name[SN_BOOT_FILE_NAME_MAX + 1];
	uint8_t sha256[32];
	int fd;
	/* The MQTT compartment's (credentials), else the TLS compartment's. */
	bool mqtt;
};

struct supervisor {
	/* Set up once by supervisor.c, read by all. */
	const struct image *img;
	int devnull_fd, device_fd;
	bool device_offloads; /* virtio-net headers on the device's frames */
	int signal_fd;	      /* SIGCHLD, SIGTERM and SIGINT, for poll_loop.c */
	struct uid_block uids;
	bool notify; /* seccomp user notification */
	uint64_t boot_ns;
	uint8_t hardware_address[6];

	struct child child[IMAGE_MAX_COMPARTMENTS];

	/* links.c */
	struct link links[MAX_LINKS];
	unsigned nlinks;

	/* files.c: the TLS compartment's trust anchors and identities. */
	struct boot_file files[SN_MAX_BOOT_FILES];
	unsigned nfiles;
	/* time_share.c: the shared time record, its two descriptors
	 * (read-write for its writer, read-only for readers) and which
	 * compartment writes it (-1: none). */
	int time_fd, time_read_fd;
	struct sn_time_record *time_record;
	int time_writer;

	/* report.c (supervisor.c opens and closes the file) */
	struct event_log events;
	uint64_t event_write_failures;

	/* control.c */
	bool all_ready_reported;

	/* notify.c: the kernel's notification, sized by the kernel. */
	struct seccomp_notif *notification;
	size_t notification_size;

	/* poll_loop.c */
	bool stopping;
	int stop_signal; /* SIGTERM or SIGINT received, else 0 */
};

static inline unsigned
child_index(const struct supervisor *sv, const struct child *ch)
{
	return (unsigned)(ch - sv->child);
}

/*
 * Closes one of the supervisor's own descriptors.  Linux frees the number
 * even when close() reports an error, and nothing written through these
 * (sockets, pipes, memfds, a device) waits in a cache to be lost, so an
 * error leaves nothing to do.
 */
static inline void
close_descriptor(int fd)
{
	(void)close(fd);
}

#endif
