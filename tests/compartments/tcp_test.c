/*
 * An application compartment for the network tests.  It waits for an
 * address, echoes 10 MiB through the server's echo port and compares
 * checksums, then tries a host it holds no capability for.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealnet/sealnet.h>

#include "netapi_flood.h"

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
SEALNET_RESTART(never, 0);
/* Small, so the test can reach it; more than any step needs at once. */
SEALNET_QUOTA(sockets, 4);

#define TOTAL (10u << 20)
#define CHUNK (32u << 10)

/* Not declared with the macro, so not in the image: the same host, a
 * port this compartment was never granted. */
static const struct sealnet_declaration not_granted = {
    .magic = SEALNET_MANIFEST_MAGIC,
    .kind = SEALNET_DECLARE_CONNECTION,
    .protocol = SEALNET_TCP,
    .port = 22,
    .text = "10.0.0.1",
};

static uint8_t out[CHUNK], in[CHUNK];

/* FNV-1a, 64 bits: enough to see a lost, reordered or changed byte. */
static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* All of it, or the error that stopped it: a short send is followed by
 * another, which meets the error. */
static int
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

/* Waits until the stack has an IPv4 address, or an IPv6 one; with
 * prefix_byte set, one that starts with it (not link-local). */
static int
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

static void
echo_test(void)
{
	sealnet_socket s;
	uint64_t sent_sum = 0xcbf29ce484222325ull, got_sum = sent_sum;
	uint64_t t0, t1;
	size_t sent = 0, got = 0;
	int rc;

	t0 = sealnet_now_ns();
	rc = network_socket_connect_tcp(5000 * SEALNET_MS,
					SEALNET_CAPABILITY(echo_server), &s);
	t1 = sealnet_now_ns();
	if (rc < 0) {
		sealnet_log("RESULT connect: %s", strerror(-rc));
		return;
	}
	sealnet_log("RESULT connect: ok in %.2f ms", (double)(t1 - t0) / 1e6);
	t0 = sealnet_now_ns();
	while (sent < TOTAL) {
		for (size_t i = 0; i < CHUNK; i++)
			out[i] = (uint8_t)((sent + i) * 2654435761u >> 13);
		rc = send_all(5000 * SEALNET_MS, s, out, CHUNK);
		if (rc < 0) {
			sealnet_log("RESULT echo: send failed: %s",
				    strerror(-rc));
			return;
		}
		sent_sum = fnv(sent_sum, out, CHUNK);
		sent += CHUNK;
		while (got < sent) {
			ssize_t n = network_socket_receive_preallocated(
			    5000 * SEALNET_MS, s, in, sent - got);
			if (n < 0) {
				sealnet_log(
				    "RESULT echo: receive failed after %zu "
				    "bytes: %s",
				    got, strerror((int)-n));
				return;
			}
			got_sum = fnv(got_sum, in, (size_t)n);
			got += (size_t)n;
		}
	}
	t1 = sealnet_now_ns();
	sealnet_log(
	    "RESULT echo: %zu bytes sent, %zu back in %.0f ms, checksums %s",
	    sent, got, (double)(t1 - t0) / 1e6,
	    sent_sum == got_sum ? "match" : "DIFFER");
	rc = network_socket_close(1000 * SEALNET_MS, s);
	sealnet_log("RESULT close: %s", rc == 0 ? "ok" : strerror(-rc));
}

/* Echoes n bytes over s; 0 if they all came back unchanged. */
static int
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

static void
wait_for_signal(const struct sealnet_declaration *signal)
{
	sealnet_socket s;

	while (network_socket_connect_tcp(1000 * SEALNET_MS, signal, &s) < 0)
		sealnet_wait(200 * SEALNET_MS);
	network_socket_close(1000 * SEALNET_MS, s);
}

/* Each name's first answer is forged to send us elsewhere; only the true
 * one reaches the echo server. */
static void
forged_dns_answers(void)
{
	static const struct {
		const char *what;
		const struct sealnet_declaration *cap;
	} names[] = {
	    {"wrong id", SEALNET_CAPABILITY(wrongid)},
	    {"wrong server", SEALNET_CAPABILITY(wrongserver)},
	    {"wrong port", SEALNET_CAPABILITY(wrongport)},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sealnet_socket s;
		int rc = network_socket_connect_tcp(3000 * SEALNET_MS,
						    names[i].cap, &s);

		if (rc == 0) {
			rc = echo_some(s, 4096);
			network_socket_close(1000 * SEALNET_MS, s);
		}
		sealnet_log("RESULT dns answer with the %s: %s", names[i].what,
			    rc == 0 ? "ignored, the real server answered"
				    : strerror(-rc));
	}
}

/* SLAAC from the network's router advertisements, then TCP over IPv6
 * through the Firewall's IPv6 rules. */
static void
ipv6_echo(void)
{
	sealnet_socket s;
	int rc = wait_for_family(true, 0xfd, 15000 * SEALNET_MS);

	if (rc < 0) {
		sealnet_log("RESULT ipv6: no address from SLAAC: %s",
			    strerror(-rc));
		return;
	}
	rc = network_socket_connect_tcp(3000 * SEALNET_MS,
					SEALNET_CAPABILITY(echo6), &s);
	if (rc == 0) {
		rc = echo_some(s, 65536);
		network_socket_close(1000 * SEALNET_MS, s);
	}
	sealnet_log("RESULT ipv6: %s",
		    rc == 0 ? "address by SLAAC, 64 KiB echoed, checksums match"
			    : strerror(-rc));
}

static void
cname_followed(void)
{
	sealnet_socket s;
	int rc = network_socket_connect_tcp(3000 * SEALNET_MS,
					    SEALNET_CAPABILITY(alias), &s);

	if (rc == 0) {
		rc = echo_some(s, 4096);
		network_socket_close(1000 * SEALNET_MS, s);
	}
	sealnet_log("RESULT dns cname: %s",
		    rc == 0 ? "followed to the address" : strerror(-rc));
}

/* The test injects forged segments into this connection meanwhile. */
static void
spoofed_segments(void)
{
	sealnet_socket s;
	int rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &s);

	if (rc == 0)
		rc = echo_some(s, 65536);
	if (rc < 0) {
		sealnet_log("RESULT spoof: no connection to attack: %s",
			    strerror(-rc));
		return;
	}
	sealnet_log("RESULT spoof: holding a connection");
	wait_for_signal(SEALNET_CAPABILITY(spoof_done));
	rc = echo_some(s, 1u << 20);
	sealnet_log("RESULT spoof: after the attack, %s",
		    rc == 0 ? "1 MiB echoed, checksums match" : strerror(-rc));
	network_socket_close(1000 * SEALNET_MS, s);
}

/* A datagram to the UDP echo port: dropped by the Firewall until that
 * peer is authorised, then echoed. */
static void
udp_round_trip(void)
{
	static const char ping[] = "sealnet udp ping";
	char back[64];
	sealnet_address to, from;
	sealnet_socket s;
	uint64_t t0;
	ssize_t n;
	int rc;

	rc = network_socket_udp(1000 * SEALNET_MS, 0, &s);
	if (rc < 0) {
		sealnet_log("RESULT udp: no socket: %s", strerror(-rc));
		return;
	}
	/* The address, but no Firewall rule for it yet.  TCPIP takes the
	 * datagram; the Firewall must drop it, which only the wire can show.
	 * What send_to said is printed, so the test knows it was tried. */
	memset(&to, 0, sizeof(to));
	memcpy(to.address, (const uint8_t[]){10, 0, 0, 1}, 4);
	to.port = 7009;
	n = network_socket_send_to(1000 * SEALNET_MS, s, &to, ping,
				   sizeof(ping));
	if (n != (ssize_t)sizeof(ping)) {
		sealnet_log("RESULT udp before authorising: not sent: %s",
			    n < 0 ? strerror((int)-n) : "short");
		network_socket_close(1000 * SEALNET_MS, s);
		return;
	}
	n = network_socket_receive_from(500 * SEALNET_MS, s, back, sizeof(back),
					&from);
	sealnet_log("RESULT udp before authorising: %zu bytes sent, %s",
		    sizeof(ping),
		    n == -ETIMEDOUT ? "nothing came back" : "an answer came");
	rc = network_socket_udp_authorise_host(
	    5000 * SEALNET_MS, s, SEALNET_CAPABILITY(udp_echo), &to);
	if (rc < 0) {
		sealnet_log("RESULT udp: authorise failed: %s", strerror(-rc));
		network_socket_close(1000 * SEALNET_MS, s);
		return;
	}
	t0 = sealnet_now_ns();
	n = network_socket_send_to(1000 * SEALNET_MS, s, &to, ping,
				   sizeof(ping));
	if (n == (ssize_t)sizeof(ping))
		n = network_socket_receive_from(2000 * SEALNET_MS, s, back,
						sizeof(back), &from);
	if (n == (ssize_t)sizeof(ping) && memcmp(back, ping, sizeof(ping)) == 0)
		sealnet_log("RESULT udp round trip: ok in %.2f ms, from "
			    "%u.%u.%u.%u:%u",
			    (double)(sealnet_now_ns() - t0) / 1e6,
			    from.address[0], from.address[1], from.address[2],
			    from.address[3], from.port);
	else
		sealnet_log("RESULT udp round trip: failed: %s",
			    n < 0 ? strerror((int)-n) : "wrong bytes");
	network_socket_close(1000 * SEALNET_MS, s);
}

/* A receive that timed out must not take data that arrives later: the
 * next receive gets it, so the stream stays whole. */
static void
receive_after_timeout(void)
{
	static const char msg[] = "after a timeout";
	sealnet_socket s;
	char got[sizeof(msg)];
	ssize_t n;
	int rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &s);

	if (rc < 0) {
		sealnet_log("RESULT late data: no connection: %s",
			    strerror(-rc));
		return;
	}
	n = network_socket_receive_preallocated(50 * SEALNET_MS, s, got,
						sizeof(got));
	if (n != -ETIMEDOUT) {
		sealnet_log("RESULT late data: the first receive gave %zd", n);
		network_socket_close(1000 * SEALNET_MS, s);
		return;
	}
	network_socket_send(1000 * SEALNET_MS, s, msg, sizeof(msg));
	/* The echo arrives while nobody is receiving. */
	sealnet_wait(100 * SEALNET_MS);
	n = network_socket_receive_preallocated(2000 * SEALNET_MS, s, got,
						sizeof(got));
	sealnet_log("RESULT late data: %s",
		    n == (ssize_t)sizeof(msg) &&
			    memcmp(got, msg, sizeof(msg)) == 0
			? "kept for the next receive"
		    : n < 0 ? strerror((int)-n)
			    : "wrong bytes");
	network_socket_close(1000 * SEALNET_MS, s);
}

/* A peer that stops reading stalls its own connection and no other: sends
 * on a second socket go on while the first cannot move. */
static void
stalled_peer(void)
{
	sealnet_socket stalled, other;
	size_t pushed = 0;
	ssize_t n = 0;
	int rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &stalled);

	if (rc < 0) {
		sealnet_log("RESULT stalled peer: no connection: %s",
			    strerror(-rc));
		return;
	}
	/* Its echo is never read, so both directions fill and stop. */
	while (pushed < (64u << 20)) {
		n = network_socket_send(300 * SEALNET_MS, stalled, out, CHUNK);
		if (n != CHUNK)
			break;
		pushed += CHUNK;
	}
	if (n == CHUNK || (n < 0 && n != -ETIMEDOUT)) {
		sealnet_log("RESULT stalled peer: no stall after %zu bytes: %s",
			    pushed,
			    n < 0 ? strerror((int)-n) : "still sending");
		network_socket_close(1000 * SEALNET_MS, stalled);
		return;
	}
	pushed += n > 0 ? (size_t)n : 0;
	rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &other);
	if (rc == 0) {
		rc = echo_some(other, 256 * 1024);
		network_socket_close(1000 * SEALNET_MS, other);
	}
	sealnet_log("RESULT stalled peer: stalled after %zu KiB; another "
		    "connection echoed 256 KiB meanwhile: %s",
		    pushed / 1024, rc == 0 ? "ok" : strerror(-rc));
	network_socket_close(1000 * SEALNET_MS, stalled);
}

/* TCPIP holds at most the image's quota of sockets for us. */
static void
socket_quota(void)
{
	sealnet_socket s[5];
	int n = 0, rc = 0, again;

	while (n < 5 &&
	       (rc = network_socket_udp(1000 * SEALNET_MS, 0, &s[n])) == 0)
		n++;
	network_socket_close(1000 * SEALNET_MS, s[0]);
	again = network_socket_udp(1000 * SEALNET_MS, 0, &s[0]);
	sealnet_log(
	    "RESULT socket quota: %d sockets, then %s; after a close, %s", n,
	    rc == -EDQUOT ? "refused (-EDQUOT)" : strerror(-rc),
	    again == 0 ? "another one" : strerror(-again));
	for (int i = again == 0 ? 0 : 1; i < n; i++)
		network_socket_close(1000 * SEALNET_MS, s[i]);
}

/* Connects whose timeouts end around the time a connect takes: some are
 * answered just after their caller gave up.  None may leave a socket
 * behind, or the quota would run out. */
static void
connect_timeouts(void)
{
	sealnet_socket s[4];
	uint64_t t0 = sealnet_now_ns(), took;
	unsigned ok = 0, timed_out = 0, held = 0;
	int other = 0;
	int rc = network_socket_connect_tcp(
	    5000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &s[0]);

	if (rc < 0) {
		sealnet_log("RESULT connect timeouts: no connection: %s",
			    strerror(-rc));
		return;
	}
	took = sealnet_now_ns() - t0;
	network_socket_close(1000 * SEALNET_MS, s[0]);
	for (uint64_t t = took / 4; t < took * 2; t += took / 100) {
		rc = network_socket_connect_tcp(
		    t, SEALNET_CAPABILITY(echo_server), &s[0]);
		if (rc == 0) {
			ok++;
			network_socket_close(1000 * SEALNET_MS, s[0]);
		} else if (rc == -ETIMEDOUT) {
			timed_out++;
		} else {
			other = rc;
		}
	}
	/* Answers still on their way arrive meanwhile. */
	sealnet_wait(300 * SEALNET_MS);
	while (held < 4 &&
	       (rc = network_socket_connect_tcp(5000 * SEALNET_MS,
						SEALNET_CAPABILITY(echo_server),
						&s[held])) == 0)
		held++;
	for (unsigned i = 0; i < held; i++)
		network_socket_close(1000 * SEALNET_MS, s[i]);
	if (other < 0)
		sealnet_log("connect timeouts: some failed otherwise: %s",
			    strerror(-other));
	sealnet_log("RESULT connect timeouts: %u connected, %u timed out; then "
		    "%u of 4 sockets could be opened%s%s",
		    ok, timed_out, held, held < 4 ? ": " : "",
		    held < 4 ? strerror(-rc) : "");
}

/* Echoes until something breaks; returns the error and the byte count. */
static int
echo_until_error(sealnet_socket s, size_t *moved)
{
	for (;;) {
		ssize_t n = send_all(5000 * SEALNET_MS, s, out, CHUNK);
		size_t got = 0;

		if (n < 0)
			return (int)n;
		while (got < CHUNK) {
			n = network_socket_receive_preallocated(
			    5000 * SEALNET_MS, s, in, CHUNK - got);
			if (n < 0)
				return (int)n;
			got += (size_t)n;
		}
		*moved += CHUNK;
	}
}

/* A transfer that TCPIP's death interrupts: the error, then how long
 * until a new connection works again. */
static void
transfer_across_a_restart(void)
{
	sealnet_socket s;
	size_t moved = 0;
	uint64_t t_err, t_ok;
	int rc;

	sealnet_log("RESULT transfer: waiting for the signal");
	wait_for_signal(SEALNET_CAPABILITY(go_signal));
	rc = network_socket_connect_tcp(5000 * SEALNET_MS,
					SEALNET_CAPABILITY(echo_server), &s);
	if (rc < 0) {
		sealnet_log("RESULT transfer: connect failed: %s",
			    strerror(-rc));
		return;
	}
	sealnet_log("RESULT transfer: started");
	rc = echo_until_error(s, &moved);
	t_err = sealnet_now_ns();
	/* Wall-clock time, so the test can tell how long after its kill the
	 * error came: -ENOTRECOVERABLE at once, not -ETIMEDOUT 5 s later. */
	struct timespec wall = {0, 0};
	if (clock_gettime(CLOCK_REALTIME, &wall) < 0)
		sealnet_log("no wall-clock time: the test will see 0");
	sealnet_log("RESULT transfer interrupted after %zu bytes: %s (%d) at "
		    "%lld.%06ld",
		    moved,
		    rc == -SEALNET_ECOMPARTMENT ? "-ENOTRECOVERABLE"
		    : rc == -ETIMEDOUT		? "-ETIMEDOUT"
						: strerror(-rc),
		    rc, (long long)wall.tv_sec, wall.tv_nsec / 1000);
	network_socket_close(1000 * SEALNET_MS, s);
	for (int last = 0;;) {
		rc = network_socket_connect_tcp(
		    1000 * SEALNET_MS, SEALNET_CAPABILITY(echo_server), &s);
		if (rc == 0)
			break;
		if (rc != last)
			sealnet_log("reconnect: %s", strerror(-rc));
		last = rc;
		if (sealnet_now_ns() - t_err > 30000 * SEALNET_MS) {
			sealnet_log("RESULT reconnect: gave up: %s",
				    strerror(-rc));
			return;
		}
		sealnet_wait(20 * SEALNET_MS);
	}
	t_ok = sealnet_now_ns();
	moved = 0;
	network_socket_send(5000 * SEALNET_MS, s, out, CHUNK);
	while (moved < CHUNK) {
		ssize_t n = network_socket_receive_preallocated(
		    5000 * SEALNET_MS, s, in + moved, CHUNK - moved);
		if (n < 0)
			break;
		moved += (size_t)n;
	}
	sealnet_log("RESULT reconnected %.1f ms after the error; echo %s",
		    (double)(t_ok - t_err) / 1e6,
		    moved == CHUNK && memcmp(in, out, CHUNK) == 0 ? "ok"
								  : "FAILED");
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
		socket_quota();
		receive_after_timeout();
		stalled_peer();
		connect_timeouts();
		netapi_caller_limit(SEALNET_CAPABILITY(silent),
				    SEALNET_CAPABILITY(echo_server));
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
