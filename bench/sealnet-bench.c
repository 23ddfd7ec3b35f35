/*
 * sealnet-bench: figures, not pass/fail.  Every comparison is measured in
 * the same run, side by side, because the machines are shared and noisy.
 *
 *   sealnet-bench call [--iterations N] [--seconds S]
 *   sealnet-bench tcp | churn | tls | sntp | mqtt
 *                                      (scripts/bench-*.sh, as root)
 *
 * prints one JSON object per line.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"
#include "transport.h"

#define RUNTIME_NAME "Runtime"
#define MAX_CALLERS  4u

static void
serve_null(void *ctx, struct sn_incoming *in)
{
	struct sn_compartment *c = ctx;
	sn_builder *b = sn_reply_builder(c);

	sn_reply_ok(in, SN_BODY_EMPTY, sn_empty_start(b));
}

static const struct sn_handler runtime_handlers[] = {
    {SN_EXPORT_RUNTIME_NULL, serve_null},
};

/* The callee: a compartment that answers runtime_null on every channel. */
static void
run_callee(struct sn_channel_fds *fds, unsigned n)
{
	static struct sn_compartment c;
	static struct sn_peer peers[MAX_CALLERS];
	char err[256];

	if (sn_compartment_init(&c, RUNTIME_NAME, runtime_handlers, 1, &c) < 0)
		_exit(1);
	for (unsigned i = 0; i < n; i++) {
		if (sn_compartment_add_peer(&c, &peers[i], &fds[i], 1, "bench",
					    sn_now_ns() + 5000000000ull, err,
					    sizeof(err)) < 0) {
			fprintf(stderr, "callee: %s\n", err);
			_exit(1);
		}
		sn_peer_allow(&peers[i], SN_EXPORT_RUNTIME_NULL);
	}
	_exit(sn_compartment_serve(&c) < 0);
}

static struct sn_compartment caller;
static struct sn_peer callee_peer;
static _Alignas(8) uint8_t reply_buf[256];

static int
caller_attach(struct sn_channel_fds *fds)
{
	char err[256];
	int rc;

	sn_compartment_init(&caller, "bench", NULL, 0, NULL);
	rc = sn_compartment_add_peer(&caller, &callee_peer, fds, 0,
				     RUNTIME_NAME, sn_now_ns() + 5000000000ull,
				     err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "sealnet-bench: channel: %s\n", err);
	return rc;
}

static int
null_call(void)
{
	sn_message_ref reply;
	sn_builder *b = sn_call_builder(&caller);
	uint32_t body = sn_empty_start(b);

	return sn_call(&callee_peer, SN_EXPORT_RUNTIME_NULL, SN_BODY_EMPTY,
		       body, 1000000000ull, reply_buf, sizeof(reply_buf),
		       &reply);
}

static int
spawn_callee(struct sn_channel_fds *fds, unsigned n, pid_t *pid)
{
	for (unsigned i = 0; i < n; i++)
		if (sn_channel_create(256 * 1024, &fds[i]) < 0)
			return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0)
		run_callee(fds, n);
	return 0;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int
bench_sealnet_call(unsigned iterations, struct bench_result *out)
{
	struct sn_channel_fds fds;
	uint64_t *samples;
	pid_t pid;
	int rc = -1;

	samples = calloc(iterations, sizeof(*samples));
	if (samples == NULL || spawn_callee(&fds, 1, &pid) < 0) {
		free(samples);
		return -1;
	}
	if (caller_attach(&fds) < 0)
		goto done;
	for (unsigned i = 0; i < iterations / 10; i++)
		if (null_call() < 0)
			goto done;
	for (unsigned i = 0; i < iterations; i++) {
		uint64_t t0 = sn_now_ns();
		if (null_call() < 0)
			goto done;
		samples[i] = sn_now_ns() - t0;
	}
	bench_summarise(samples, iterations, out);
	rc = 0;
done:
	stop(pid);
	sn_channel_fds_close(&fds);
	free(samples);
	return rc;
}

/* Calls per second with `callers` caller processes on one callee.  Each
 * caller reports its count only if every call it made succeeded and it
 * ran for the whole time; otherwise there is no figure. */
static int
bench_throughput(unsigned callers, double seconds, double *calls_per_s)
{
	struct sn_channel_fds fds[MAX_CALLERS];
	pid_t callee, workers[MAX_CALLERS];
	int pipefd[2], rc = 0;
	uint64_t total = 0;
	unsigned started = 0;

	/* The pipe after the callee, which must not hold its write end: a
	 * caller that fails writes nothing, and the read must then end. */
	if (spawn_callee(fds, callers, &callee) < 0)
		return -1;
	if (pipe(pipefd) < 0) {
		stop(callee);
		return -1;
	}
	for (; started < callers; started++) {
		workers[started] = fork();
		if (workers[started] < 0) {
			rc = -1;
			break;
		}
		if (workers[started] == 0) {
			uint64_t count = 0, end;
			int call = 0;

			if (caller_attach(&fds[started]) < 0)
				_exit(1);
			end = sn_now_ns() + (uint64_t)(seconds * 1e9);
			while (sn_now_ns() < end && (call = null_call()) == 0)
				count++;
			if (call < 0) {
				fprintf(stderr,
					"sealnet-bench: a call failed after "
					"%llu: %d\n",
					(unsigned long long)count, call);
				_exit(1);
			}
			_exit(write(pipefd[1], &count, sizeof(count)) !=
			      sizeof(count));
		}
	}
	close(pipefd[1]);
	for (unsigned i = 0; i < started; i++) {
		uint64_t count = 0;
		int status;

		if (read(pipefd[0], &count, sizeof(count)) == sizeof(count))
			total += count;
		else
			rc = -1;
		if (waitpid(workers[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = -1;
	}
	close(pipefd[0]);
	stop(callee);
	for (unsigned i = 0; i < callers; i++)
		sn_channel_fds_close(&fds[i]);
	*calls_per_s = (double)total / seconds;
	return rc;
}

static void
print_result(const char *name, const struct bench_result *r)
{
	printf("{\"bench\": \"%s\", \"median_ns\": %.0f, \"p99_ns\": %.0f, "
	       "\"iterations\": %u}\n",
	       name, r->median_ns, r->p99_ns, r->iterations);
	fflush(stdout);
}

/* Long enough for the echoing side to have stopped spinning and slept:
 * the round trip then costs what each hand-over between compartments on
 * the data path costs when the next one is idle. */
#define WOKEN_PAUSE_NS 1000000u

static int
cmd_call(unsigned iterations, double seconds)
{
	struct bench_result call, pair, func, chan, woken;
	double cps;

	if (bench_sealnet_call(iterations, &call) < 0 ||
	    bench_socketpair_rtt(iterations, &pair) < 0 ||
	    bench_channel_rtt(iterations, 0, &chan) < 0 ||
	    bench_channel_rtt(iterations / 10, WOKEN_PAUSE_NS, &woken) < 0 ||
	    bench_function_call(iterations * 100, &func) < 0) {
		fprintf(stderr, "sealnet-bench: a measurement failed\n");
		return 1;
	}
	print_result("sealnet_call", &call);
	print_result("socketpair_seqpacket", &pair);
	print_result("channel_raw", &chan);
	print_result("channel_woken", &woken);
	print_result("function_call", &func);
	for (unsigned callers = 1; callers <= MAX_CALLERS; callers *= 4) {
		if (bench_throughput(callers, seconds, &cps) < 0) {
			fprintf(stderr, "sealnet-bench: throughput failed\n");
			return 1;
		}
		printf("{\"bench\": \"sealnet_call_throughput\", "
		       "\"callers\": %u, \"calls_per_s\": %.0f}\n",
		       callers, cps);
		fflush(stdout);
	}
	printf("{\"bench\": \"sealnet_call_vs_socketpair\", \"ratio\": %.3f, "
	       "\"target_max\": 0.2}\n",
	       call.median_ns / pair.median_ns);
	return 0;
}

/* The TCP, churn, TLS, SNTP and MQTT benchmarks need namespaces, servers and
 * the whole stack: each is a script beside the tools, run with this binary's
 * build directory. */
static int
bench_script(const char *name)
{
	char bin[4096], script[4096 + 64], build[4096];
	ssize_t n = readlink("/proc/self/exe", bin, sizeof(bin) - 1);

	if (n <= 0)
		return 1;
	bin[n] = 0;
	/* build/bin/sealnet-bench -> build, and the tree above it. */
	snprintf(build, sizeof(build), "%s", dirname(dirname(bin)));
	snprintf(script, sizeof(script), "%s/../scripts/bench-%s.sh", build,
		 name);
	execl(script, script, build, (char *)NULL);
	perror(script);
	return 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sealnet-bench call [--iterations N] "
			"[--seconds S]\n"
			"       sealnet-bench tcp   (root: builds its own "
			"namespaces)\n"
			"       sealnet-bench churn (root: likewise)\n"
			"       sealnet-bench tls   (root: likewise)\n"
			"       sealnet-bench sntp  (root: likewise)\n"
			"       sealnet-bench mqtt  (root: likewise)\n");
}

int
main(int argc, char **argv)
{
	unsigned iterations = 20000;
	double seconds = 2.0;

	if (argc == 2 &&
	    (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "churn") == 0 ||
	     strcmp(argv[1], "tls") == 0 || strcmp(argv[1], "sntp") == 0 ||
	     strcmp(argv[1], "mqtt") == 0))
		return bench_script(argv[1]);
	if (argc < 2 || strcmp(argv[1], "call") != 0) {
		usage();
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iterations = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else {
			usage();
			return 2;
		}
	}
	if (iterations < 100 || seconds <= 0) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmd_call(iterations, seconds);
}
