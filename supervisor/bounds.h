/*
 * Every bound the supervisor applies to a compartment, in one place.
 * The reasons are in docs/supervisor.md; what each bounds is said here.
 */
#ifndef SEALNET_SUPERVISOR_BOUNDS_H
#define SEALNET_SUPERVISOR_BOUNDS_H

#include "call.h"  /* SN_MAX_MESSAGE */
#include "clock.h" /* SN_MS, SN_SECOND */

/* Each direction of a channel between two compartments: four of the
 * largest messages (a message may take at most half a ring), so a bulk
 * transfer keeps a few in flight.  Pages are touched only as used. */
#define CHANNEL_RING_BYTES (512u * 1024u)

/* Frames the kernel queues on the TAP device for the Firewall to read
 * (the device's txqueuelen, raised to this if lower).  Linux's 1000 was
 * overrun whenever the Firewall waited a few milliseconds for a core
 * while one application's one-byte sends brought back an acknowledgement
 * each: 15-20% of what came in was dropped, everyone's alike, and an
 * honest round trip took up to 5 s.  At this length none was.  What it
 * may hold is bounded: 4096 frames, of at most 64 KiB each with the
 * offloads, a few MiB for ordinary frames. */
#define DEVICE_QUEUE_FRAMES 4096u

/* Restarts: an incarnation that became ready and then died waits the
 * base delay; each death before ready doubles it, up to the maximum.
 * The image's restart limit counts restarts within the window. */
#define RESTART_BASE_DELAY_NS (10ull * SN_MS)
#define RESTART_MAX_DELAY_NS  (5000ull * SN_MS)
#define RESTART_WINDOW_NS     (60ull * SN_SECOND)
/* More than any image may ask for (its limit is at most 1000 a minute). */
#define RESTART_HISTORY 1024u

/* Stopping: SIGTERM, then SIGKILL for whatever is left after this. */
#define STOP_GRACE_NS (2000ull * SN_MS)

/* A compartment's standard output and error: each line keeps at most
 * OUTPUT_LINE_MAX bytes; at most OUTPUT_LINES_PER_SECOND lines a second
 * on average pass, with bursts of OUTPUT_BURST_LINES.  Drops are
 * reported at most once per OUTPUT_REPORT_NS. */
#define OUTPUT_LINE_MAX		512u
#define OUTPUT_LINES_PER_SECOND 100u
#define OUTPUT_BURST_LINES	200u
#define OUTPUT_REPORT_NS	(1000ull * SN_MS)
/* Bytes read from one compartment's pipe per turn of the loop, so that
 * one flooding compartment cannot keep the supervisor from the others. */
#define OUTPUT_READ_PER_TURN (256u * 1024u)

/* Messages to a compartment that its control socket has not taken yet.
 * One that would overflow the queue, or a queue whose oldest message has
 * waited longer than CONTROL_STALL_NS, gets the compartment killed. */
#define CONTROL_QUEUE_MAX 32u
#define CONTROL_STALL_NS  (2000ull * SN_MS)
/* What the kernel holds unread on a control socket: room for the largest
 * message, little more.  The kernel doubles what SO_SNDBUF asks for;
 * this is the result. */
#define CONTROL_SOCKET_BUFFER (SN_MAX_MESSAGE + 4096)
/* Control messages read from one compartment per turn of the loop. */
#define CONTROL_READS_PER_TURN 16u

/* A dead incarnation's last words, read before its death is reported:
 * control reads (each up to CONTROL_READS_PER_TURN messages), and reads
 * of each output pipe (each up to 64 KiB). */
#define LAST_WORDS_CONTROL_READS 1024u
#define LAST_WORDS_OUTPUT_READS	 64u

/* A compartment binary bigger than this is refused: the copy is held in
 * memory for the whole run. */
#define BINARY_MAX_BYTES (256ull << 20)

/* Compartment uids: blocks of UID_BLOCK_SIZE, one block per running
 * supervisor, taken from UID_BLOCKS blocks starting at UID_FIRST. */
#define UID_FIRST      61000u
#define UID_BLOCK_SIZE 16u /* IMAGE_MAX_COMPARTMENTS */
#define UID_BLOCKS     64u
#define UID_LOCK_DIR   "/run/sealnet"

#endif
