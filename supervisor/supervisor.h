/*
 * The supervisor: boots an image and keeps it running.
 *
 * It is the one privileged process.  It checks each binary against the
 * image, makes one channel per pair of compartments that the image joins
 * by an import, starts each compartment in its sandbox, and hands it its
 * channels and grants in a boot message.  It watches them: a compartment
 * that dies has its channels marked dead at once (its callers' calls fail
 * with -ENOTRECOVERABLE), and is restarted with backoff on fresh channels,
 * which its peers receive over their control sockets.  A crash loop is
 * bounded by the image's restart limit and reported.
 */
#ifndef SEALNET_SUPERVISOR_H
#define SEALNET_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

struct supervisor_options {
	const char *tap; /* device name for the compartment that holds it */
};

/* Runs the image until SIGTERM or SIGINT.  Returns the exit status. */
int supervisor_run(const struct image *img,
		   const struct supervisor_options *opt);

/*
 * Handles one message a compartment sent on its control socket.  Returns
 * 1 for supervisor_ready, 0 for a message handled otherwise, negative for
 * one refused.  Exposed for the fuzz target: this is everything the
 * supervisor accepts from a compartment.
 */
int supervisor_control_message(const char *from, const uint8_t *msg,
			       size_t len);

#endif
