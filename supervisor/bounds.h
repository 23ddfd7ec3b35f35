/*
 * Every bound the supervisor applies to a compartment, in one place.
 * The reasons are in docs/supervisor.md; what each bounds is said here.
 */
#ifndef SEALNET_SUPERVISOR_BOUNDS_H
#define SEALNET_SUPERVISOR_BOUNDS_H

#include "clock.h" /* SN_MS, SN_SECOND */

/* Each direction of a channel between two compartments. */
#define CHANNEL_RING_BYTES (256u * 1024u)

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

/* Compartment uids: blocks of UID_BLOCK_SIZE, one block per running
 * supervisor, taken from UID_BLOCKS blocks starting at UID_FIRST. */
#define UID_FIRST      61000u
#define UID_BLOCK_SIZE 16u /* IMAGE_MAX_COMPARTMENTS */
#define UID_BLOCKS     64u
#define UID_LOCK_DIR   "/run/sealnet"

#endif
