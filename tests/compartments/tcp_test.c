/*
 * An application compartment for the network tests.  It waits for an
 * address, echoes 10 MiB through the server's echo port and compares
 * checksums, then tries a host it holds no capability for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

#include "netapi_flood.h"
#include "tcp_test/tcp_test.h"

SEALNET_COMPARTMENT("tcptest");
SEALNET_IMPORT(network_socket_connect_tcp);
SEALNET_IMPORT(network_host_get);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_IMPORT(network_socket_udp);
SEALNET_IMPORT(network_socket_send_to);
SEALNET_IMPORT(network_socket_receive_from);
SEALNET_IMPORT(network_socket_udp_authorise_host);
SEALNET_CONNECTION_CAPABILITY(echo_server, SEALNET_TCP, "echo.test", 7007);
SEALNET_CONNECTION_CAPABILITY(udp_echo, SEALNET_UDP, "echo.test", 7009);
/* A name the test's DNS server answers with a new address each time. */
SEALNET_CONNECTION_CAPABILITY(rotating, SEALNET_UDP, "rotating.test", 7009);
/* The test opens these ports when it wants the next step to begin. */
SEALNET_CONNECTION_CAPABILITY(go_signal, SEALNET_TCP, "echo.test", 7008);
SEALNET_CONNECTION_CAPABILITY(spoof_done, SEALNET_TCP, "echo.test", 7011);
/* Names the test's DNS server answers with a forgery first. */
SEALNET_CONNECTION_CAPABILITY(wrongid, SEALNET_TCP, "wrongid.test", 7007);
SEALNET_CONNECTION_CAPABILITY(wrongserver, SEALNET_TCP, "wrongserver.test",
			      7007);
SEALNET_CONNECTION_CAPABILITY(wrongport, SEALNET_TCP, "wrongport.test", 7007);
/* Answered with a CNAME to another name, then that name's address. */
SEALNET_CONNECTION_CAPABILITY(alias, SEALNET_TCP, "alias.test", 7007);
/* The echo server again, over IPv6, at the address SLAAC's prefix gives. */
SEALNET_CONNECTION_CAPABILITY(echo6, SEALNET_TCP, "fd00::1", 7007);
/* A name the test's DNS server never answers. */
SEALNET_CONNECTION_CAPABILITY(silent, SEALNET_TCP, "silent.test", 7012);
/* Answers each request with two small writes, Nagle's algorithm on. */
SEALNET_CONNECTION_CAPABILITY(pairs, SEALNET_TCP, "echo.test", 7013);
SEALNET_RESTART(never, 0);
/* Small, so the test can reach it; more than any step needs at once. */
SEALNET_QUOTA(sockets, 4);

/* Not declared with the macro, so not in the image: the same host, a
 * port this compartment was never granted. */
static const struct sealnet_declaration not_granted = {
    .magic = SEALNET_MANIFEST_MAGIC,
    .kind = SEALNET_DECLARE_CONNECTION,
    .protocol = SEALNET_TCP,
    .port = 22,
    .text = "10.0.0.1",
};

uint8_t out[CHUNK], in[CHUNK];

/* The capabilities, for the steps in tcp_test/ (they are file-local). */
const struct sealnet_declaration *const cap_echo_server =
    SEALNET_CAPABILITY(echo_server);
const struct sealnet_declaration *const cap_udp_echo =
    SEALNET_CAPABILITY(udp_echo);
const struct sealnet_declaration *const cap_rotating =
    SEALNET_CAPABILITY(rotating);
const struct sealnet_declaration *const cap_go_signal =
    SEALNET_CAPABILITY(go_signal);
const struct sealnet_declaration *const cap_spoof_done =
    SEALNET_CAPABILITY(spoof_done);
const struct sealnet_declaration *const cap_wrongid =
    SEALNET_CAPABILITY(wrongid);
const struct sealnet_declaration *const cap_wrongserver =
    SEALNET_CAPABILITY(wrongserver);
const struct sealnet_declaration *const cap_wrongport =
    SEALNET_CAPABILITY(wrongport);
const struct sealnet_declaration *const cap_alias = SEALNET_CAPABILITY(alias);
const struct sealnet_declaration *const cap_echo6 = SEALNET_CAPABILITY(echo6);
const struct sealnet_declaration *const cap_silent = SEALNET_CAPABILITY(silent);
const struct sealnet_declaration *const cap_pairs = SEALNET_CAPABILITY(pairs);

/* FNV-1a, 64 bits: enough to see a lost, reordered or changed byte. */
uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* All of it, or the error that stopped it: a short send is followed by
 * another, which meets the error. */
int
send_all(uint64_t timeout_ns, sealnet_socket s, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = network_socket_send(timeout_ns, s, p, len);

		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits until the stack has an address of this family; with prefix_byte
 * set, one that starts with it (not link-local). */
int
wait_for_family(bool ipv6, int prefix_byte, uint64_t timeout_ns)
{
	uint64_t end = sealnet_now_ns() + timeout_ns;

	while (sealnet_now_ns() < end) {
		sealnet_host_info info;
		int rc = network_host_get(1000 * SEALNET_MS, &info);

		for (unsigned i = 0; rc == 0 && i < info.naddresses; i++) {
			const sealnet_address *a = &info.addresses[i];

			if (a->ipv6 == ipv6 &&
			    (prefix_byte < 0 || a->address[0] == prefix_byte))
				return 0;
		}
		sealnet_wait(100 * SEALNET_MS);
	}
	return -ETIMEDOUT;
}

static int
wait_for_address(void)
{
	return wait_for_family(false, -1, 30000 * SEALNET_MS);
}

/* Echoes n bytes over s; 0 if they all came back unchanged. */
int
echo_some(sealnet_socket s, size_t n)
{
	uint64_t sent_sum = 0xcbf29ce484222325ull, got_sum = sent_sum;
	size_t sent = 0, got = 0;

	while (sent < n) {
		size_t k = n - sent < CHUNK ? n - sent : CHUNK;
		ssize_t r;

		for (size_t i = 0; i < k; i++)
			out[i] = (uint8_t)((sent + i) * 40503u >> 7);
		r = send_all(5000 * SEALNET_MS, s, out, k);
		if (r < 0)
			return (int)r;
		sent_sum = fnv(sent_sum, out, k);
		sent += k;
		while (got < sent) {
			r = network_socket_receive_preallocated(
			    5000 * SEALNET_MS, s, in, sent - got);
			if (r < 0)
				return (int)r;
			got_sum = fnv(got_sum, in, (size_t)r);
			got += (size_t)r;
		}
	}
	return sent_sum == got_sum ? 0 : -EBADMSG;
}

void
wait_for_signal(const struct sealnet_declaration *signal)
{
	sealnet_socket s;

	while (network_socket_connect_tcp(1000 * SEALNET_MS, signal, &s) < 0)
		sealnet_wait(200 * SEALNET_MS);
	network_socket_close(1000 * SEALNET_MS, s);
}

int
main(void)
{
	sealnet_socket s;
	int rc;

	if (sealnet_start() < 0)
		return 1;
	rc = wait_for_address();
	sealnet_log("RESULT address: %s", rc == 0 ? "ok" : strerror(-rc));
	if (rc == 0) {
		echo_test();
		udp_round_trip();
		udp_peers_bounded();
		socket_quota();
		receive_after_timeout();
		stalled_peer();
		small_segments();
		connect_timeouts();
		netapi_caller_limit(cap_silent, cap_echo_server);
	}
	rc = network_socket_connect_tcp(2000 * SEALNET_MS, &not_granted, &s);
	sealnet_log("RESULT not granted: %s",
		    rc == -EPERM ? "refused (-EPERM)" : strerror(-rc));
	forged_dns_answers();
	cname_followed();
	ipv6_echo();
	spoofed_segments();
	transfer_across_a_restart();
	sealnet_log("RESULT done");
	return 0;
}
