/*
 * The supervisor: boots an image and keeps it running.
 *
 * It is the one privileged process.  It copies each binary into a sealed
 * memfd and checks the copy against the image, makes one channel per
 * pair of compartments that the image joins by an import, starts each
 * compartment in its sandbox, and hands it its channels and grants in a
 * boot message.  It watches them: a compartment that dies has its
 * channels marked dead at once (its callers' calls fail with
 * -ENOTRECOVERABLE), and is restarted with backoff on fresh channels,
 * which its peers receive over their control sockets.  A crash loop is
 * bounded by the image's restart limit and reported.
 *
 * It never waits on a compartment: control messages go out without
 * blocking and queue up to a bound, output pipes and seccomp listeners
 * are read only when ready, and a compartment that stops taking its
 * messages is killed.
 */
#ifndef SEALNET_SUPERVISOR_H
#define SEALNET_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct supervisor_options {
	const char *tap;    /* device name for the compartment that holds it */
	const char *events; /* file for the JSON event stream, or NULL */
	bool no_offloads;   /* the device without TSO and checksum offload */
};

/* Runs the image until SIGTERM or SIGINT.  Returns the exit status. */
int supervisor_run(const struct image *img,
		   const struct supervisor_options *opt);

enum control_kind {
	CONTROL_READY,	 /* supervisor_ready, naming the sender */
	CONTROL_LOG,	 /* supervisor_log: level and text */
	CONTROL_REFUSED, /* anything else; why says what was wrong */
};

struct control_message {
	enum control_kind kind;
	const char *level;   /* CONTROL_LOG */
	const uint8_t *text; /* CONTROL_LOG: inside the message, unchecked */
	uint32_t len;	     /* bytes of text */
	char why[160];	     /* CONTROL_REFUSED */
};

/*
 * Reads one message a compartment sent on its control socket: verified,
 * then sorted into what the supervisor acts on.  Prints nothing: the
 * caller decides what reaches the log, and how often.  Exposed for the
 * fuzz target: this is everything the supervisor accepts from a
 * compartment.
 */
void supervisor_control_message(const char *from, const uint8_t *msg,
				size_t len, struct control_message *out);

#endif
