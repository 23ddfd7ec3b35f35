/*
 * sealnet's side of the TCP benchmark: BYTES sent to a sink, BYTES
 * received from a source, and the median and the slowest of 20 connects
 * (DNS, Firewall and handshake), each printed as one JSON line on standard
 * output once all three have succeeded; otherwise nothing is printed and the
 * exit status is 1.  The benchmark's script serves the same BYTES to the
 * kernel's client, and checks that the figures say so.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("tcp_bench");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_CONNECTION_CAPABILITY(sink, SEALNET_TCP, "bench.test", 7101);
SEALNET_CONNECTION_CAPABILITY(source, SEALNET_TCP, "bench.test", 7102);
SEALNET_RESTART(never, 0);
SEALNET_SYSCALL(sysinfo); /* qsort */

/* A gigabyte: half a second through the kernel.  100 MB lasted 50 ms,
 * less than the scheduler's noise, and mostly the senders' start-up. */
#define BYTES (1000ull * 1000 * 1000)
#define CHUNK (120u * 1024)

static uint8_t buf[CHUNK];

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 20 connects and closes; the median and the slowest in microseconds
 * (a median alone hid a connect whose SYN was sent again 3 s later). */
static int
measure_connect(double *median_us, double *max_us)
{
	uint64_t times[20];
	sealnet_socket s;

	for (int i = 0; i < 20; i++) {
		uint64_t t0 = sealnet_now_ns();
		int rc = network_socket_connect_tcp(
		    5000 * SEALNET_MS, SEALNET_CAPABILITY(sink), &s);

		if (rc < 0) {
			sealnet_log("connect %d failed: %s", i, strerror(-rc));
			return rc;
		}
		times[i] = sealnet_now_ns() - t0;
		rc = network_socket_close(1000 * SEALNET_MS, s);
		if (rc < 0) {
			sealnet_log("close %d failed: %s", i, strerror(-rc));
			return rc;
		}
	}
	qsort(times, 20, sizeof(times[0]), cmp);
	*median_us = (double)times[10] / 1e3;
	*max_us = (double)times[19] / 1e3;
	return 0;
}

/* BYTES to the sink or from the source, all of them; MB/s. */
static int
transfer(bool sending, double *mbytes_per_s)
{
	const char *what = sending ? "send" : "receive";
	uint64_t t0, done = 0;
	sealnet_socket s;
	int rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS,
	    sending ? SEALNET_CAPABILITY(sink) : SEALNET_CAPABILITY(source),
	    &s);

	if (rc < 0) {
		sealnet_log("%s: connect failed: %s", what, strerror(-rc));
		return rc;
	}
	t0 = sealnet_now_ns();
	while (done < BYTES) {
		size_t want =
		    BYTES - done < CHUNK ? (size_t)(BYTES - done) : CHUNK;
		ssize_t n = sending ? network_socket_send(10000 * SEALNET_MS, s,
							  buf, want)
				    : network_socket_receive_preallocated(
					  10000 * SEALNET_MS, s, buf, want);

		if (n <= 0) {
			/* A figure from part of a transfer would not be the
			 * transfer's: none is given. */
			sealnet_log(
			    "%s failed after %llu of %llu bytes: %s", what,
			    (unsigned long long)done, (unsigned long long)BYTES,
			    n < 0 ? strerror((int)-n) : "nothing moved");
			network_socket_close(1000 * SEALNET_MS, s);
			return n < 0 ? (int)n : -EIO;
		}
		done += (uint64_t)n;
	}
	*mbytes_per_s =
	    (double)done / 1e6 / ((double)(sealnet_now_ns() - t0) / 1e9);
	rc = network_socket_close(1000 * SEALNET_MS, s);
	if (rc < 0)
		sealnet_log("%s: close failed: %s", what, strerror(-rc));
	return rc;
}

/* Figures are printed only once every step has succeeded, all at once: a
 * failed run prints none, and exits 1. */
int
main(void)
{
	double connect_us, connect_max_us, send_mbs, recv_mbs;

	if (sealnet_start() < 0 || network_start(30000 * SEALNET_MS) < 0)
		return 1;
	if (measure_connect(&connect_us, &connect_max_us) < 0)
		return 1;
	sealnet_log("connect: median %.0f us; sending %llu bytes", connect_us,
		    BYTES);
	if (transfer(true, &send_mbs) < 0)
		return 1;
	sealnet_log("sent; receiving %llu bytes", BYTES);
	if (transfer(false, &recv_mbs) < 0)
		return 1;
	printf("{\"bench\": \"sealnet_connect\", \"median_us\": %.0f, "
	       "\"max_us\": %.0f}\n",
	       connect_us, connect_max_us);
	printf("{\"bench\": \"sealnet_tcp_send\", \"mbytes_per_s\": %.1f, "
	       "\"bytes\": %llu}\n",
	       send_mbs, BYTES);
	printf("{\"bench\": \"sealnet_tcp_recv\", \"mbytes_per_s\": %.1f, "
	       "\"bytes\": %llu}\n",
	       recv_mbs, BYTES);
	if (fflush(stdout) != 0)
		return 1;
	sealnet_log("done");
	return 0;
}
