/* One process serving every connection of a test server: conn_loop.h. */
#include "conn_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connections made or finished at once in one wake-up; more wait for
 * the next. */
#define EVENTS_AT_ONCE 64

bool
conn_would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

int
conn_flush(struct conn *c)
{
	while (c->pending_off < c->pending_len) {
		ssize_t n = write(c->fd, c->pending + c->pending_off,
				  c->pending_len - c->pending_off);

		if (n < 0)
			return conn_would_block() ? 1 : -1;
		c->pending_off += (size_t)n;
	}
	free(c->pending);
	c->pending = NULL;
	c->pending_len = c->pending_off = 0;
	return 0;
}

int
conn_send(struct conn *c, const void *p, size_t len)
{
	size_t had;
	char *grown;
	ssize_t n = 0;
	int rc = conn_flush(c);

	if (rc < 0)
		return rc;
	if (rc == 0 && (n = write(c->fd, p, len)) < 0) {
		if (!conn_would_block())
			return -1;
		n = 0;
	}
	if ((size_t)n == len)
		return 0;
	/* Kept in order behind what was waiting already. */
	had = c->pending_len - c->pending_off;
	grown = malloc(had + len - (size_t)n);
	if (grown == NULL)
		return -1;
	if (had > 0)
		memcpy(grown, c->pending + c->pending_off, had);
	memcpy(grown + had, (const char *)p + n, len - (size_t)n);
	free(c->pending);
	c->pending = grown;
	c->pending_len = had + len - (size_t)n;
	c->pending_off = 0;
	return 1;
}

static uint32_t
events_for(enum conn_next next)
{
	return next == CONN_WRITE ? EPOLLOUT : EPOLLIN;
}

static void
conn_close(struct conn *c)
{
	if (close(c->fd) < 0)
		perror("conn_loop: close");
	free(c->pending);
	free(c);
}

/* Serves c once; closes it when it is done, or re-arms what it waits
 * for. */
static void
conn_step(int ep, struct conn *c, conn_serve_fn serve, void *ctx)
{
	enum conn_next next = serve(c, ctx);
	struct epoll_event ev = {.events = events_for(next), .data.ptr = c};

	if (next == CONN_CLOSE) {
		/* Closing the descriptor takes it out of the epoll set. */
		conn_close(c);
		return;
	}
	/* A system call only when what it waits for changes: a bulk
	 * transfer waits for the same thing every time. */
	if (ev.events == c->armed)
		return;
	c->armed = ev.events;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		perror("conn_loop: epoll_ctl");
		conn_close(c);
	}
}

static void
accept_all(int ep, int listener, int first_write, conn_accepted_fn accepted,
	   conn_serve_fn serve, void *ctx)
{
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
		struct conn *c;
		struct epoll_event ev;

		if (fd < 0) {
			if (!conn_would_block() && errno != EINTR &&
			    errno != ECONNABORTED)
				perror("conn_loop: accept");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			perror("conn_loop");
			if (close(fd) < 0)
				perror("conn_loop: close");
			continue;
		}
		c->fd = fd;
		if (accepted != NULL && accepted(c, ctx) < 0) {
			conn_close(c);
			continue;
		}
		c->armed = first_write ? EPOLLOUT : EPOLLIN;
		ev = (struct epoll_event){.events = c->armed, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			perror("conn_loop: epoll_ctl");
			conn_close(c);
		}
	}
}

int
conn_loop_run(int listener, int first_write, conn_accepted_fn accepted,
	      conn_serve_fn serve, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct rlimit files;
	int ep = epoll_create1(0);
	int flags = fcntl(listener, F_GETFL);

	/* A test holds a thousand connections at once, each a descriptor
	 * here: as many as the system lets this process have. */
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
	    files.rlim_cur < files.rlim_max) {
		files.rlim_cur = files.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &files) < 0)
			perror("conn_loop: setrlimit");
	}
	if (ep < 0 || flags < 0 ||
	    fcntl(listener, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0) {
		perror("conn_loop");
		return 1;
	}
	for (;;) {
		struct epoll_event ready[EVENTS_AT_ONCE];
		int n = epoll_wait(ep, ready, EVENTS_AT_ONCE, -1);

		if (n < 0 && errno != EINTR) {
			perror("conn_loop: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (ready[i].data.ptr == NULL)
				accept_all(ep, listener, first_write, accepted,
					   serve, ctx);
			else
				conn_step(ep, ready[i].data.ptr, serve, ctx);
		}
	}
}
