/*
 * What the SDK tests play: the supervisor that boots the compartment (the
 * test process itself), and the compartments it is joined to.  Also the
 * log, captured, and the headers' own words about each function's
 * errors.
 */
#ifndef SEALNET_TESTS_SDK_HARNESS_H
#define SEALNET_TESTS_SDK_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "channel.h"
#include "sealnet_msg.h"

/* A compartment the test compartment is joined to, by a channel whose
 * other side (1) the test serves. */
struct fake_peer {
	const char *name;
	struct sn_channel_fds fds;
	struct sn_channel end;
};

/*
 * Makes each peer's channel, puts one end of a control socket on
 * descriptor 3 (as `sealnet run` does) and sends the boot message for
 * compartment `self`, incarnation 1, joined to the peers.  Returns the
 * supervisor's end of the control socket, or -1.
 */
int fake_supervisor_boot(const char *self, struct fake_peer *peers,
			 unsigned npeers);

/* Attaches and announces the test's side of a peer's channel. */
int fake_peer_attach(struct fake_peer *p);

/* The answer to each request a peer receives. */
typedef void (*fake_answer_fn)(struct fake_peer *p, const sn_message_ref *m);

/*
 * The stack the test compartment calls, in a child the test forked:
 * attaches each peer, then answers every request that verifies with
 * `answer`, forever.  The child exits with status 1 if a channel fails.
 */
_Noreturn void fake_peers_serve(struct fake_peer *peers, unsigned npeers,
				fake_answer_fn answer);

/*
 * A reply to a request: fake_reply_begin starts it in buf (a body may be
 * built in b after it), fake_reply_send finishes it, with status or
 * (status 0) the body, and sends it on p.  0 or a negative errno.
 */
uint32_t fake_reply_begin(sn_builder *b, void *buf, size_t cap);
int fake_reply_send(struct fake_peer *p, sn_builder *b, uint32_t msg,
		    const sn_message_ref *request, int status,
		    uint8_t body_type, uint32_t body);

/* Standard error goes to a file until log_capture_end(), which copies
 * what was written, NUL-terminated, into out. */
void log_capture_begin(void);
void log_capture_end(char *out, size_t cap);

/*
 * Whether the header `header` (a file in include/sealnet/) documents
 * -CODE for `function`: in the comment just above its declaration, or
 * in the header's first comment, which lists the codes every function
 * in it may return.
 */
bool documented(const char *header, const char *function, int negative_code);

#endif
