/* Deaths, their causes, and restarts. */
#include "deaths.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "clock.h"
#include "control.h"
#include "links.h"
#include "notify.h"
#include "pipes.h"
#include "report.h"
#include "start.h"
#include "time_share.h"

static const char *const kill_reasons[] = {
    [KILLED_FORBIDDEN_SYSCALL] = "forbidden_syscall",
    [KILLED_CONTROL_QUEUE_FULL] = "control_queue_full",
    [KILLED_CONTROL_QUEUE_STALLED] = "control_queue_stalled",
    [KILLED_BAD_START] = "bad_start",
};

void
kill_child(struct supervisor *sv, struct child *ch, enum kill_reason why,
	   const char *words)
{
	if (ch->state != CHILD_RUNNING || ch->killed != KILLED_NOT)
		return;
	ch->killed = why;
	if (kill(ch->pid, SIGKILL) < 0 && errno != ESRCH)
		say("%s: cannot kill pid %d: %s", ch->ic->name, (int)ch->pid,
		    strerror(errno));
	say("%s (pid %d, incarnation %u) killed: %s", ch->ic->name,
	    (int)ch->pid, ch->incarnation, words);
	report_event(sv, "killed", ch,
		     json_pack("{s:i, s:i, s:s, s:s}", "pid", (int)ch->pid,
			       "incarnation", (int)ch->incarnation, "reason",
			       kill_reasons[why], "why", words));
}

/* A death by signal we did not send: the CPU limit, a syscall of
 * another architecture, or any other signal. */
static json_t *
describe_signal(const struct supervisor *sv, const struct child *ch, int signo,
		double cpu_s, char *out, size_t cap)
{
	/* The kernel's SIGKILL at RLIMIT_CPU: nothing else of ours sends
	 * one to a running incarnation without saying so. */
	if (signo == SIGKILL &&
	    cpu_s + 0.5 >= (double)ch->ic->quota[QUOTA_CPU_SECONDS]) {
		(void)snprintf(
		    out, cap,
		    "killed by the kernel: it used its %llu s of CPU time",
		    (unsigned long long)ch->ic->quota[QUOTA_CPU_SECONDS]);
		return json_pack("{s:s, s:i, s:f}", "cause", "cpu_limit",
				 "signal", SIGKILL, "cpu_seconds", cpu_s);
	}
	/* SIGSYS cannot come from elsewhere: a pid namespace's init
	 * ignores signals it has no handler for. */
	if (signo == SIGSYS) {
		(void)snprintf(out, cap,
			       sv->notify
				   ? "killed by the kernel for a syscall of "
				     "another architecture"
				   : "killed for a forbidden syscall (this "
				     "kernel does not say which)");
		return json_pack("{s:s, s:i}", "cause", "forbidden_syscall",
				 "signal", SIGSYS);
	}
	(void)snprintf(out, cap, "killed by signal %d (%s)", signo,
		       strsignal(signo));
	return json_pack("{s:s, s:i, s:s}", "cause", "signal", "signal", signo,
			 "signal_name",
			 sigabbrev_np(signo) ? sigabbrev_np(signo) : "?");
}

/* Why it died, in words for the log (out, cut to cap) and as the died
 * event's fields. */
static json_t *
describe_death(const struct supervisor *sv, const struct child *ch, int status,
	       const struct rusage *ru, char *out, size_t cap)
{
	double cpu_s =
	    (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
	char name[64];

	if (ch->killed == KILLED_FORBIDDEN_SYSCALL) {
		syscall_name(ch->forbidden_nr, name, sizeof(name));
		(void)snprintf(out, cap,
			       "killed for a forbidden syscall: %s (%d)", name,
			       ch->forbidden_nr);
		return json_pack("{s:s, s:s, s:i}", "cause",
				 "forbidden_syscall", "syscall", name,
				 "syscall_nr", ch->forbidden_nr);
	}
	if (ch->killed != KILLED_NOT) {
		(void)snprintf(out, cap, "killed by the supervisor (%s)",
			       kill_reasons[ch->killed]);
		return json_pack("{s:s}", "cause", kill_reasons[ch->killed]);
	}
	if (WIFEXITED(status)) {
		(void)snprintf(out, cap, "exited with status %d",
			       WEXITSTATUS(status));
		return json_pack("{s:s, s:i}", "cause", "exit", "exit_status",
				 WEXITSTATUS(status));
	}
	return describe_signal(sv, ch, WTERMSIG(status), cpu_s, out, cap);
}

/* What it said and wrote before dying still counts: it may have been
 * ready, and its last words explain the death. */
static void
take_last_words(struct supervisor *sv, struct child *ch)
{
	for (unsigned i = 0;
	     i < LAST_WORDS_CONTROL_READS && ch->control_fd >= 0; i++)
		control_readable(sv, ch);
	for (unsigned k = 0; k < OUTPUT_STREAMS; k++)
		for (unsigned i = 0;
		     i < LAST_WORDS_OUTPUT_READS && ch->output_fd[k] >= 0; i++)
			pipes_read(ch, k, SIZE_MAX);
	pipes_report_drops(sv, ch, true);
}

/* Adds who and what it was to the died event's fields.  The first field
 * that finds no memory ends it: the event goes out without the rest, and
 * the log line still says it all. */
static void
add_identity(json_t *fields, const struct child *ch, const char *why)
{
	if (json_object_set_new(fields, "pid", json_integer(ch->pid)) < 0 ||
	    json_object_set_new(fields, "incarnation",
				json_integer(ch->incarnation)) < 0 ||
	    json_object_set_new(fields, "was_ready", json_boolean(ch->ready)) <
		0 ||
	    json_object_set_new(fields, "why", json_string(why)) < 0)
		return;
}

/* Acts on the restart policy's verdict about a death. */
static void
plan_restart(struct supervisor *sv, struct child *ch, bool failed, uint64_t now)
{
	struct restart_plan plan =
	    restart_decide(&ch->restarts, ch->ic->restart, ch->ic->max_restarts,
			   failed, ch->ready, now);

	switch (plan.verdict) {
	case RESTART_NOT_NEEDED:
		ch->state = CHILD_STOPPED;
		return;
	case RESTART_CRASH_LOOP:
		say("%s: crash loop: %u restarts in the last minute, the image "
		    "allows %u; not restarting",
		    ch->ic->name, plan.recent, ch->ic->max_restarts);
		report_event(sv, "crash_loop", ch,
			     json_pack("{s:i, s:i}", "restarts",
				       (int)plan.recent, "limit",
				       (int)ch->ic->max_restarts));
		ch->state = CHILD_GAVE_UP;
		return;
	case RESTART_AFTER:
		break;
	}
	ch->restart_at_ns = now + plan.delay_ns;
	ch->state = CHILD_WAITING;
	say("%s: restarting in %llu ms", ch->ic->name,
	    (unsigned long long)(plan.delay_ns / SN_MS));
	report_event(sv, "restart_scheduled", ch,
		     json_pack("{s:f, s:i}", "delay_ms",
			       (double)plan.delay_ns / (double)SN_MS,
			       "incarnation", (int)ch->incarnation + 1));
}

static void
reaped(struct supervisor *sv, struct child *ch, int status,
       const struct rusage *ru)
{
	char why[160];
	uint64_t now = sn_now_ns();
	bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_t *fields;

	take_last_words(sv, ch);
	fields = describe_death(sv, ch, status, ru, why, sizeof(why));
	ch->died_ns = now;
	add_identity(fields, ch, why);
	ch->pid = 0;
	control_close(ch);
	notify_close(ch);
	pipes_close(ch);
	/* The shared time record says it is no longer updated before any
	 * peer learns of the death, so a peer's death callback reads that. */
	time_share_writer_died(sv, child_index(sv, ch));
	/* Its peers stop waiting on it now, not at the restart. */
	links_close(sv, child_index(sv, ch));
	say("%s (incarnation %u) %s", ch->ic->name, ch->incarnation, why);
	report_event(sv, "died", ch, fields);
	if (sv->stopping) {
		ch->state = CHILD_STOPPED;
		return;
	}
	plan_restart(sv, ch, failed, now);
}

void
reap_all(struct supervisor *sv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0)
		for (unsigned i = 0; i < sv->img->ncompartments; i++)
			if (sv->child[i].pid == pid &&
			    sv->child[i].state == CHILD_RUNNING)
				reaped(sv, &sv->child[i], status, &ru);
}

void
restart_due(struct supervisor *sv)
{
	uint64_t now = sn_now_ns();

	for (unsigned i = 0; i < sv->img->ncompartments; i++) {
		struct child *ch = &sv->child[i];
		int rc;

		if (ch->state != CHILD_WAITING || now < ch->restart_at_ns)
			continue;
		restart_record(&ch->restarts, now);
		rc = start_incarnation(sv, i);
		if (rc < 0) {
			say("%s: restart failed: %s", ch->ic->name,
			    strerror(-rc));
			report_event(sv, "gave_up", ch,
				     json_pack("{s:s}", "why", strerror(-rc)));
			ch->state = CHILD_GAVE_UP;
		}
	}
}
