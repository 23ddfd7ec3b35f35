/*
 * One process serving every connection of a test server through epoll.
 *
 * The servers the tests and benchmarks talk to forked a child for each
 * connection.  On the 2-CPU virtual machines the project runs on, a fork,
 * its exit and its reaping cost about 1.4 ms of CPU, and a churn of short
 * connections had the echo server take 0.6 of a CPU, as much as the whole
 * stack it was there to measure, and delay the stack's own wake-ups.
 *
 * A server gives a function that serves one connection as far as it can
 * without blocking; the loop calls it whenever the connection is ready
 * for what it last said it waits for.
 */
#ifndef SEALNET_TEST_CONN_LOOP_H
#define SEALNET_TEST_CONN_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a connection waits for next, or that it is done. */
enum conn_next { CONN_READ, CONN_WRITE, CONN_CLOSE };

struct conn {
	int fd;
	uint32_t armed; /* the epoll events it waits for now */
	/* Each server's own state; zero when the connection is accepted. */
	long long left;
	int stage;
	char *pending;
	size_t pending_len, pending_off;
};

/* Whether the call that just failed would have blocked: the socket had
 * nothing to read, or no room to write. */
bool conn_would_block(void);

/* Writes what c still holds of an earlier conn_send: 0 once all of it
 * has gone, 1 while some waits for room (wait for CONN_WRITE), -1 on an
 * error. */
int conn_flush(struct conn *c);
/* Writes p after what c still holds, keeping what the socket has no room
 * for: as conn_flush. */
int conn_send(struct conn *c, const void *p, size_t len);

/* Serves c as far as it can without blocking. */
typedef enum conn_next (*conn_serve_fn)(struct conn *c, void *ctx);
/* Called once for each accepted connection before it is served: 0 to
 * serve it, -1 to close it at once. */
typedef int (*conn_accepted_fn)(struct conn *c, void *ctx);

/* Never returns but on failure: the listening socket, made non-blocking
 * here, and every connection it accepts, served by serve (first when it
 * is readable, as a server that waits for its client; or at once, when
 * first_write is set, as one that speaks first).  Prints why on
 * failure. */
int conn_loop_run(int listener, int first_write, conn_accepted_fn accepted,
		  conn_serve_fn serve, void *ctx);

#endif
