#include "transport.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "loop.h"

#define MESSAGE_BYTES 64

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void
bench_summarise(uint64_t *samples, unsigned n, struct bench_result *out)
{
	qsort(samples, n, sizeof(samples[0]), compare_u64);
	out->median_ns = (double)samples[n / 2];
	out->p99_ns = (double)samples[(uint64_t)n * 99 / 100];
	out->iterations = n;
}

static void
reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int
bench_socketpair_rtt(unsigned iterations, struct bench_result *out)
{
	uint8_t msg[MESSAGE_BYTES] = {0};
	unsigned warmup = iterations / 10;
	uint64_t *samples;
	int sv[2], rc = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (;;) {
			ssize_t n = read(sv[1], msg, sizeof(msg));
			if (n <= 0 || write(sv[1], msg, (size_t)n) != n)
				_exit(0);
		}
	}
	close(sv[1]);
	samples = calloc(iterations, sizeof(*samples));
	if (pid < 0 || samples == NULL)
		goto done;
	for (unsigned i = 0; i < warmup + iterations; i++) {
		uint64_t t0 = sn_now_ns();
		if (write(sv[0], msg, sizeof(msg)) != sizeof(msg) ||
		    read(sv[0], msg, sizeof(msg)) != sizeof(msg))
			goto done;
		if (i >= warmup)
			samples[i - warmup] = sn_now_ns() - t0;
	}
	bench_summarise(samples, iterations, out);
	rc = 0;
done:
	close(sv[0]);
	if (pid > 0)
		reap(pid);
	free(samples);
	return rc;
}

static void
echo_back(void *ctx, struct sn_channel *ch)
{
	_Alignas(8) uint8_t msg[MESSAGE_BYTES];
	ssize_t n;

	while ((n = sn_channel_receive(ch, msg, sizeof(msg))) > 0)
		while (sn_channel_send(ch, msg, (size_t)n) == -EAGAIN)
			;
	if (n != -EAGAIN)
		_exit(0);
}

int
bench_channel_rtt(unsigned iterations, uint64_t pause_ns,
		  struct bench_result *out)
{
	const struct timespec pause = {
	    .tv_sec = (time_t)(pause_ns / 1000000000u),
	    .tv_nsec = (long)(pause_ns % 1000000000u)};
	_Alignas(8) uint8_t msg[MESSAGE_BYTES] = {0};
	unsigned warmup = iterations / 10;
	struct sn_channel_fds fds;
	struct sn_channel ch;
	struct sn_loop loop;
	uint64_t *samples = NULL;
	char err[256];
	int rc = -1;
	pid_t pid;

	if (sn_channel_create(64 * 1024, &fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sn_loop_init(&loop);
		if (sn_channel_attach(&ch, &fds, 1, "bench") < 0 ||
		    sn_channel_open(&ch, sn_now_ns() + 5000000000ull, err,
				    sizeof(err)) < 0 ||
		    sn_loop_add_channel(&loop, &ch, echo_back, NULL) < 0)
			_exit(1);
		sn_loop_run(&loop);
		_exit(0);
	}
	sn_loop_init(&loop);
	if (pid < 0 || sn_channel_attach(&ch, &fds, 0, "echo") < 0)
		goto done;
	if (sn_channel_open(&ch, sn_now_ns() + 5000000000ull, err,
			    sizeof(err)) < 0 ||
	    sn_loop_add_channel(&loop, &ch, NULL, NULL) < 0)
		goto done;
	samples = calloc(iterations, sizeof(*samples));
	if (samples == NULL)
		goto done;
	for (unsigned i = 0; i < warmup + iterations; i++) {
		uint64_t t0;
		ssize_t n;

		if (pause_ns != 0 && nanosleep(&pause, NULL) < 0)
			goto done;
		t0 = sn_now_ns();
		if (sn_channel_send(&ch, msg, sizeof(msg)) < 0)
			goto done;
		/* Wait the way a compartment waits: through the loop's
		 * spin-then-sleep, with no callback to run. */
		while ((n = sn_channel_receive(&ch, msg, sizeof(msg))) ==
		       -EAGAIN)
			sn_loop_wait(&loop, 0);
		if (n < 0)
			goto done;
		if (i >= warmup)
			samples[i - warmup] = sn_now_ns() - t0;
	}
	bench_summarise(samples, iterations, out);
	rc = 0;
done:
	if (pid > 0) {
		sn_channel_mark_dead(&fds);
		reap(pid);
	}
	sn_channel_detach(&ch);
	sn_channel_fds_close(&fds);
	free(samples);
	return rc;
}

__attribute__((noinline)) static uint64_t
callee(uint64_t x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int
bench_function_call(unsigned iterations, struct bench_result *out)
{
	uint64_t (*volatile fn)(uint64_t) = callee;
	/* One call is below the clock's resolution: time batches. */
	enum { BATCH = 1000 };
	unsigned batches = iterations / BATCH;
	uint64_t *samples, x = 0;

	if (batches == 0)
		return -1;
	samples = calloc(batches, sizeof(*samples));
	if (samples == NULL)
		return -1;
	for (unsigned b = 0; b < batches; b++) {
		uint64_t t0 = sn_now_ns();
		for (unsigned i = 0; i < BATCH; i++)
			x = fn(x);
		samples[b] = sn_now_ns() - t0;
	}
	bench_summarise(samples, batches, out);
	free(samples);
	out->median_ns /= BATCH;
	out->p99_ns /= BATCH;
	out->iterations = batches * BATCH + (unsigned)(x & 0);
	return 0;
}
