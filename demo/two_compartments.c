/*
 * The demo: a parent starts two compartments, "app" and "Runtime", joined
 * by one channel, and the app shows what crosses the boundary and what
 * does not.  The parent plays the supervisor's part: it makes the channel,
 * watches both processes, and marks the channel dead when one dies.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"

#define SECOND 1000000000ull

static struct sn_compartment compartment;
static struct sn_peer peer;

static void
serve_echo(void *ctx, struct sn_incoming *in)
{
	struct sn_compartment *c = ctx;
	sn_bytes_ref req = sn_message_body_as_bytes(in->request);
	uint32_t len;
	const uint8_t *data = sn_bytes_data(req, &len);
	sn_builder *b = sn_reply_builder(c);
	uint32_t body = sn_bytes_start(b);

	sn_bytes_add_data(b, body, data, len);
	sn_reply_ok(in, SN_BODY_BYTES, body);
}

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	struct sn_compartment *c = ctx;

	sn_reply_ok(in, SN_BODY_EMPTY, sn_empty_start(sn_reply_builder(c)));
}

static const struct sn_handler runtime_handlers[] = {
    {SN_EXPORT_RUNTIME_ECHO, serve_echo},
    {SN_EXPORT_RUNTIME_NULL, serve_null},
};

static void
runtime_main(const struct sn_channel_fds *fds)
{
	char err[256];

	sn_compartment_init(&compartment, "Runtime", runtime_handlers, 2,
			    &compartment);
	if (sn_compartment_add_peer(&compartment, &peer, fds, 1, "app",
				    sn_now_ns() + 5 * SECOND, err,
				    sizeof(err)) < 0) {
		fprintf(stderr, "Runtime: channel refused: %s\n", err);
		_exit(1);
	}
	/* What the image would say: app imports runtime_echo and
	 * runtime_null, nothing else. */
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_ECHO);
	sn_peer_allow(&peer, SN_EXPORT_RUNTIME_NULL);
	_exit(sn_compartment_serve(&compartment) < 0);
}

static const char *
describe(int rc)
{
	static char text[64];

	if (rc == 0)
		return "ok";
	snprintf(text, sizeof(text), "-%s (%s)",
		 rc == -EPERM		       ? "EPERM"
		 : rc == -SEALNET_ECOMPARTMENT ? "ENOTRECOVERABLE"
		 : rc == -ETIMEDOUT	       ? "ETIMEDOUT"
					       : "E?",
		 strerror(-rc));
	return text;
}

static int
call_echo(const char *text, char *out, size_t outlen)
{
	static _Alignas(8) uint8_t reply_buf[4096];
	sn_message_ref reply;
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_bytes_start(b);
	uint32_t len;
	const uint8_t *data;
	int rc;

	sn_bytes_add_data(b, body, text, strlen(text));
	rc = sn_call(&peer, SN_EXPORT_RUNTIME_ECHO, SN_BODY_BYTES, body, SECOND,
		     reply_buf, sizeof(reply_buf), &reply);
	if (rc < 0)
		return rc;
	data = sn_bytes_data(sn_message_body_as_bytes(reply), &len);
	snprintf(out, outlen, "%.*s", (int)len, (const char *)data);
	return 0;
}

static int
call_null(uint16_t export_id)
{
	static _Alignas(8) uint8_t reply_buf[256];
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_empty_start(b);

	return sn_call(&peer, export_id, SN_BODY_EMPTY, body, SECOND, reply_buf,
		       sizeof(reply_buf), NULL);
}

static int
call_log(const char *text)
{
	static _Alignas(8) uint8_t reply_buf[256];
	sn_builder *b = sn_call_builder(&compartment);
	uint32_t body = sn_log_start(b);

	sn_log_add_level(b, body, SN_LOG_LEVEL_INFO);
	sn_log_add_text(b, body, text, strlen(text));
	return sn_call(&peer, SN_EXPORT_SUPERVISOR_LOG, SN_BODY_LOG, body,
		       SECOND, reply_buf, sizeof(reply_buf), NULL);
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void
app_main(const struct sn_channel_fds *fds)
{
	static uint64_t samples[10000];
	char err[256], echoed[256];
	int rc;

	sn_compartment_init(&compartment, "app", NULL, 0, NULL);
	if (sn_compartment_add_peer(&compartment, &peer, fds, 0, "Runtime",
				    sn_now_ns() + 5 * SECOND, err,
				    sizeof(err)) < 0) {
		fprintf(stderr, "app: channel refused: %s\n", err);
		_exit(1);
	}
	printf("[app] channel to Runtime open (schema hashes match)\n");

	rc = call_echo("hello across the boundary", echoed, sizeof(echoed));
	printf("[app] runtime_echo(\"hello across the boundary\") -> %s: "
	       "\"%s\"\n",
	       describe(rc), rc == 0 ? echoed : "");

	for (unsigned i = 0; i < 10000; i++) {
		uint64_t t0 = sn_now_ns();
		if ((rc = call_null(SN_EXPORT_RUNTIME_NULL)) < 0)
			break;
		samples[i] = sn_now_ns() - t0;
	}
	if (rc == 0) {
		qsort(samples, 10000, sizeof(samples[0]), compare_u64);
		printf("[app] 10000 x runtime_null -> ok, median %.2f us per "
		       "call, p99 %.2f us\n",
		       samples[5000] / 1e3, samples[9900] / 1e3);
	} else {
		printf("[app] runtime_null -> %s\n", describe(rc));
	}

	/* A well-formed call to an export app never imported: the callee
	 * refuses it from what it knows about the channel. */
	rc = call_log("let me in");
	printf("[app] supervisor_log (not imported) -> %s\n", describe(rc));

	printf("[app] asking the parent to kill Runtime\n");
	fflush(stdout);
	kill(getppid(), SIGUSR1);
	for (uint64_t end = sn_now_ns() + 5 * SECOND;
	     !peer.dead && sn_now_ns() < end;)
		sn_loop_run_once(&compartment.loop, end);
	rc = call_echo("anyone there?", echoed, sizeof(echoed));
	printf("[app] runtime_echo after Runtime died -> %s\n", describe(rc));
	_exit(rc == -SEALNET_ECOMPARTMENT ? 0 : 1);
}

static volatile sig_atomic_t kill_requested;

static void
on_usr1(int sig)
{
	(void)sig;
	kill_requested = 1;
}

int
main(void)
{
	struct sn_channel_fds fds;
	pid_t runtime, app;
	int status, app_status = -1;

	struct sigaction sa = {.sa_handler = on_usr1};

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No SA_RESTART: the request must interrupt waitpid(). */
	sigaction(SIGUSR1, &sa, NULL);
	if (sn_channel_create(64 * 1024, &fds) < 0) {
		perror("channel");
		return 1;
	}
	runtime = fork();
	if (runtime == 0)
		runtime_main(&fds);
	app = fork();
	if (app == 0)
		app_main(&fds);
	printf("[parent] started Runtime (pid %d) and app (pid %d), one "
	       "channel between them\n",
	       (int)runtime, (int)app);

	for (;;) {
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0 && errno == EINTR) {
			if (kill_requested) {
				kill_requested = 0;
				kill(runtime, SIGKILL);
			}
			continue;
		}
		if (pid < 0)
			break;
		if (pid == runtime) {
			printf("[parent] Runtime died (%s); marking its "
			       "channel dead\n",
			       WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
						   : "exited");
			sn_channel_mark_dead(&fds);
		} else if (pid == app) {
			app_status = status;
		}
	}
	sn_channel_fds_close(&fds);
	if (WIFEXITED(app_status) && WEXITSTATUS(app_status) == 0) {
		printf("[parent] demo finished: every step behaved as "
		       "described\n");
		return 0;
	}
	printf("[parent] demo FAILED: the app saw something unexpected\n");
	return 1;
}
