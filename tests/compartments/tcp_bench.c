/*
 * sealnet's side of the TCP benchmark: 100 MB sent to a sink, 100 MB
 * received from a source, and the median of 20 connects (DNS, Firewall
 * and handshake), each printed as one JSON line on standard output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "sealnet/network.h"

SEALNET_COMPARTMENT("tcp_bench");
SEALNET_IMPORT(NetAPI, network_socket_connect_tcp);
SEALNET_IMPORT(NetAPI, network_host_get);
SEALNET_IMPORT(TCPIP, network_socket_send);
SEALNET_IMPORT(TCPIP, network_socket_receive);
SEALNET_IMPORT(TCPIP, network_socket_close);
SEALNET_CONNECTION_CAPABILITY(sink, SEALNET_TCP, "bench.test", 7101);
SEALNET_CONNECTION_CAPABILITY(source, SEALNET_TCP, "bench.test", 7102);
SEALNET_RESTART(never, 0);
SEALNET_SYSCALL(sysinfo); /* qsort */

#define MS    1000000ull
#define BYTES (100ull * 1000 * 1000)
#define CHUNK (60u * 1024)

static struct sn_compartment compartment;
static uint8_t buf[CHUNK];

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	sealnet_socket s;
	uint64_t t0, done = 0, times[20];
	ssize_t n;

	if (sn_compartment_boot(&compartment, NULL, 0, NULL) < 0 ||
	    network_start(30000 * MS) < 0)
		return 1;
	for (int i = 0; i < 20; i++) {
		t0 = sn_now_ns();
		int rc = network_socket_connect_tcp(
		    5000 * MS, SEALNET_CAPABILITY(sink), &s);

		if (rc < 0) {
			sn_log("connect failed: %s", strerror(-rc));
			return 1;
		}
		times[i] = sn_now_ns() - t0;
		network_socket_close(1000 * MS, s);
	}
	qsort(times, 20, sizeof(times[0]), cmp);
	sn_log("connect: median %.0f us; sending 100 MB",
	       (double)times[10] / 1e3);
	printf("{\"bench\": \"sealnet_connect\", \"median_us\": %.0f}\n",
	       (double)times[10] / 1e3);

	if (network_socket_connect_tcp(5000 * MS, SEALNET_CAPABILITY(sink),
				       &s) < 0)
		return 1;
	t0 = sn_now_ns();
	while (done < BYTES) {
		n = network_socket_send(10000 * MS, s, buf, CHUNK);
		if (n < 0) {
			sn_log("send failed after %llu bytes: %s",
			       (unsigned long long)done, strerror((int)-n));
			return 1;
		}
		done += (uint64_t)n;
	}
	printf("{\"bench\": \"sealnet_tcp_send\", \"mbytes_per_s\": %.1f}\n",
	       (double)done / 1e6 / ((double)(sn_now_ns() - t0) / 1e9));
	network_socket_close(1000 * MS, s);
	sn_log("sent; receiving 100 MB");

	if (network_socket_connect_tcp(5000 * MS, SEALNET_CAPABILITY(source),
				       &s) < 0)
		return 1;
	t0 = sn_now_ns();
	for (done = 0; done < BYTES;) {
		n = network_socket_receive_preallocated(10000 * MS, s, buf,
							CHUNK);
		if (n < 0) {
			sn_log("receive failed after %llu bytes: %s",
			       (unsigned long long)done, strerror((int)-n));
			break;
		}
		done += (uint64_t)n;
	}
	printf("{\"bench\": \"sealnet_tcp_recv\", \"mbytes_per_s\": %.1f}\n",
	       (double)done / 1e6 / ((double)(sn_now_ns() - t0) / 1e9));
	network_socket_close(1000 * MS, s);
	fflush(stdout);
	sn_log("done");
	return done < BYTES;
}
