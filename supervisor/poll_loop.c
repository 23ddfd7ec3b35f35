/* The poll loop, signals and stopping. */
#include "poll_loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "deaths.h"
#include "notify.h"
#include "pipes.h"
#include "report.h"

enum fd_role {
	ROLE_SIGNAL,
	ROLE_CONTROL,
	ROLE_STDOUT,
	ROLE_STDERR,
	ROLE_LISTENER
};
#define FDS_PER_CHILD 4 /* control, stdout, stderr, listener */
#define POLL_SET_MAX  (1 + FDS_PER_CHILD * IMAGE_MAX_COMPARTMENTS)

/* What one turn watches: each descriptor, whose it is and why. */
struct poll_set {
	struct pollfd pfd[POLL_SET_MAX];
	unsigned who[POLL_SET_MAX];
	enum fd_role role[POLL_SET_MAX];
	unsigned n;
	int64_t deadline_ns; /* -1: none */
};

static void
watch(struct poll_set *ps, int fd, short events, unsigned who,
      enum fd_role role)
{
	ps->pfd[ps->n] = (struct pollfd){fd, events, 0};
	ps->who[ps->n] = who;
	ps->role[ps->n++] = role;
}

static void
earliest(int64_t *deadline, uint64_t t)
{
	if (t != 0 && (*deadline < 0 || t < (uint64_t)*deadline))
		*deadline = (int64_t)t;
}

static void
watch_child(struct supervisor *sv, struct poll_set *ps, unsigned i)
{
	struct child *ch = &sv->child[i];

	earliest(&ps->deadline_ns, output_report_due_ns(&ch->output));
	if (ch->state == CHILD_WAITING && !sv->stopping)
		earliest(&ps->deadline_ns, ch->restart_at_ns);
	if (ch->state != CHILD_RUNNING)
		return;
	if (ch->control_fd >= 0) {
		short events = POLLIN;

		if (control_has_queued(ch)) {
			events |= POLLOUT;
			earliest(&ps->deadline_ns, control_stall_due_ns(ch));
		}
		watch(ps, ch->control_fd, events, i, ROLE_CONTROL);
	}
	for (unsigned k = 0; k < OUTPUT_STREAMS; k++)
		if (ch->output_fd[k] >= 0)
			watch(ps, ch->output_fd[k], POLLIN, i,
			      k == OUTPUT_STDOUT ? ROLE_STDOUT : ROLE_STDERR);
	if (ch->listener_fd >= 0)
		watch(ps, ch->listener_fd, POLLIN, i, ROLE_LISTENER);
}

/* Seccomp first: a compartment held in a forbidden syscall is killed
 * before anything else it did is looked at. */
static void
serve_listeners(struct supervisor *sv, const struct poll_set *ps)
{
	for (unsigned k = 1; k < ps->n; k++) {
		struct child *ch = &sv->child[ps->who[k]];

		if (ps->role[k] != ROLE_LISTENER || ch->state != CHILD_RUNNING)
			continue;
		if (ps->pfd[k].revents & POLLIN)
			notify_listener_readable(sv, ch);
		else if (ps->pfd[k].revents & (POLLHUP | POLLERR))
			notify_close(ch);
	}
}

static void
serve_control_and_output(struct supervisor *sv, const struct poll_set *ps)
{
	for (unsigned k = 1; k < ps->n; k++) {
		struct child *ch = &sv->child[ps->who[k]];
		short revents = ps->pfd[k].revents;

		if (ch->state != CHILD_RUNNING || revents == 0)
			continue;
		if (ps->role[k] == ROLE_STDOUT || ps->role[k] == ROLE_STDERR)
			pipes_read(ch,
				   ps->role[k] == ROLE_STDOUT ? OUTPUT_STDOUT
							      : OUTPUT_STDERR,
				   OUTPUT_READ_PER_TURN);
		else if (ps->role[k] == ROLE_CONTROL) {
			if (revents & (POLLIN | POLLHUP | POLLERR))
				control_readable(sv, ch);
			if (ch->control_fd >= 0 && (revents & POLLOUT))
				control_flush(ch);
		}
	}
}

/* SIGTERM and SIGINT ask us to stop; SIGCHLD says someone died. */
static void
serve_signals(struct supervisor *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->signal_fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			sv->stop_signal = (int)si.ssi_signo;
	reap_all(sv);
}

/*
 * One turn: waits until something is ready or `until` (0: no bound)
 * passes, and handles everything ready.
 */
static void
turn(struct supervisor *sv, uint64_t until)
{
	struct poll_set ps = {.n = 0,
			      .deadline_ns = until ? (int64_t)until : -1};
	uint64_t now = sn_now_ns();
	int timeout = -1;

	watch(&ps, sv->signal_fd, POLLIN, 0, ROLE_SIGNAL);
	for (unsigned i = 0; i < sv->img->ncompartments; i++)
		watch_child(sv, &ps, i);
	if (ps.deadline_ns >= 0)
		timeout =
		    (uint64_t)ps.deadline_ns > now
			? (int)(((uint64_t)ps.deadline_ns - now) / SN_MS) + 1
			: 0;
	if (poll(ps.pfd, ps.n, timeout) < 0 && errno != EINTR)
		return;
	serve_listeners(sv, &ps);
	serve_control_and_output(sv, &ps);
	if (ps.pfd[0].revents & POLLIN)
		serve_signals(sv);
	now = sn_now_ns();
	control_check_stalls(sv, now);
	for (unsigned i = 0; i < sv->img->ncompartments; i++)
		pipes_report_drops(sv, &sv->child[i], false);
	if (!sv->stopping)
		restart_due(sv);
}

void
loop_run(struct supervisor *sv)
{
	while (sv->stop_signal == 0)
		turn(sv, 0);
}

static bool
any_running(const struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->img->ncompartments; i++)
		if (sv->child[i].state == CHILD_RUNNING)
			return true;
	return false;
}

/* Sends sig to every running incarnation.  One that has just died, not
 * yet reaped, is not an error: the loop reaps it. */
static void
signal_running(const struct supervisor *sv, int sig)
{
	for (unsigned i = 0; i < sv->img->ncompartments; i++) {
		const struct child *ch = &sv->child[i];

		if (ch->state == CHILD_RUNNING && kill(ch->pid, sig) < 0 &&
		    errno != ESRCH)
			say("%s: cannot send %s to pid %d: %s", ch->ic->name,
			    sigabbrev_np(sig), (int)ch->pid, strerror(errno));
	}
}

void
loop_stop_all(struct supervisor *sv)
{
	uint64_t end = sn_now_ns() + STOP_GRACE_NS;

	sv->stopping = true;
	report_event(sv, "stopping", NULL,
		     json_pack("{s:s}", "signal",
			       sv->stop_signal ? sigabbrev_np(sv->stop_signal)
					       : "none"));
	signal_running(sv, SIGTERM);
	while (any_running(sv) && sn_now_ns() < end)
		turn(sv, end);
	signal_running(sv, SIGKILL);
	while (any_running(sv))
		turn(sv, sn_now_ns() + 100 * SN_MS);
	for (unsigned i = 0; i < sv->img->ncompartments; i++)
		if (sv->child[i].state == CHILD_WAITING)
			sv->child[i].state = CHILD_STOPPED;
	say("stopped; no compartment is left running");
	report_event(sv, "stopped", NULL, NULL);
}
