/*
 * tcp_test's steps that move data: TCP over IPv4 and IPv6, UDP once
 * authorised, a receive after a timeout, a stalled peer beside a moving
 * one, and a connection that forged segments must not disturb.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp_test.h"

void
echo_test(void)
{
	sealnet_socket s;
	uint64_t sent_sum = 0xcbf29ce484222325ull, got_sum = sent_sum;
	uint64_t t0, t1;
	size_t sent = 0, got = 0;
	int rc;

	t0 = sealnet_now_ns();
	rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server, &s);
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

/* A datagram to the UDP echo port: dropped by the Firewall until that
 * peer is authorised, then echoed. */
void
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
	rc = network_socket_udp_authorise_host(5000 * SEALNET_MS, s,
					       cap_udp_echo, &to);
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
void
receive_after_timeout(void)
{
	static const char msg[] = "after a timeout";
	sealnet_socket s;
	char got[sizeof(msg)];
	ssize_t n;
	int rc =
	    network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server, &s);

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
void
stalled_peer(void)
{
	sealnet_socket stalled, other;
	size_t pushed = 0;
	ssize_t n = 0;
	int rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server,
					    &stalled);

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
	rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server,
					&other);
	if (rc == 0) {
		rc = echo_some(other, 256 * 1024);
		network_socket_close(1000 * SEALNET_MS, other);
	}
	sealnet_log("RESULT stalled peer: stalled after %zu KiB; another "
		    "connection echoed 256 KiB meanwhile: %s",
		    pushed / 1024, rc == 0 ? "ok" : strerror(-rc));
	network_socket_close(1000 * SEALNET_MS, stalled);
}

/* A peer with Nagle's algorithm on that answers with two small writes
 * sends the second only once the first is acknowledged.  TCPIP
 * acknowledges a small segment at once; lwIP alone would hold the
 * acknowledgement for its timer, up to 250 ms, once the connection's
 * first QUICK_ACK_SEGMENTS (16) are past: SMALL_ROUNDS requests would
 * then take seconds, not the milliseconds they take when nothing waits
 * for a timer. */
#define SMALL_ROUNDS   60u
#define SMALL_LIMIT_MS 2000u

static int
request_pair(sealnet_socket s)
{
	size_t got = 0;
	int rc = send_all(SMALL_LIMIT_MS * SEALNET_MS, s, out, 1);

	while (rc == 0 && got < 2) {
		ssize_t n = network_socket_receive_preallocated(
		    SMALL_LIMIT_MS * SEALNET_MS, s, in + got, 2 - got);

		if (n < 0)
			rc = (int)n;
		else
			got += (size_t)n;
	}
	return rc == 0 && memcmp(in, "ab", 2) != 0 ? -EBADMSG : rc;
}

void
small_segments(void)
{
	sealnet_socket s;
	uint64_t t0;
	unsigned round = 0;
	int rc = network_socket_connect_tcp(5000 * SEALNET_MS, cap_pairs, &s);

	if (rc < 0) {
		sealnet_log("RESULT small segments: no connection: %s",
			    strerror(-rc));
		return;
	}
	t0 = sealnet_now_ns();
	while (rc == 0 && round < SMALL_ROUNDS &&
	       sealnet_now_ns() - t0 < SMALL_LIMIT_MS * SEALNET_MS) {
		rc = request_pair(s);
		round += rc == 0;
	}
	if (rc < 0)
		sealnet_log("RESULT small segments: round %u: %s", round,
			    strerror(-rc));
	else
		sealnet_log("RESULT small segments: %u of %u rounds in %u ms, "
			    "%.1f ms in all",
			    round, SMALL_ROUNDS, SMALL_LIMIT_MS,
			    (double)(sealnet_now_ns() - t0) / 1e6);
	network_socket_close(1000 * SEALNET_MS, s);
}

/* SLAAC from the network's router advertisements, then TCP over IPv6
 * through the Firewall's IPv6 rules. */
void
ipv6_echo(void)
{
	sealnet_socket s;
	int rc = wait_for_family(true, 0xfd, 15000 * SEALNET_MS);

	if (rc < 0) {
		sealnet_log("RESULT ipv6: no address from SLAAC: %s",
			    strerror(-rc));
		return;
	}
	rc = network_socket_connect_tcp(3000 * SEALNET_MS, cap_echo6, &s);
	if (rc == 0) {
		rc = echo_some(s, 65536);
		network_socket_close(1000 * SEALNET_MS, s);
	}
	sealnet_log("RESULT ipv6: %s",
		    rc == 0 ? "address by SLAAC, 64 KiB echoed, checksums match"
			    : strerror(-rc));
}

/* The test injects forged segments into this connection meanwhile. */
void
spoofed_segments(void)
{
	sealnet_socket s;
	int rc =
	    network_socket_connect_tcp(5000 * SEALNET_MS, cap_echo_server, &s);

	if (rc == 0)
		rc = echo_some(s, 65536);
	if (rc < 0) {
		sealnet_log("RESULT spoof: no connection to attack: %s",
			    strerror(-rc));
		return;
	}
	sealnet_log("RESULT spoof: holding a connection");
	wait_for_signal(cap_spoof_done);
	rc = echo_some(s, 1u << 20);
	sealnet_log("RESULT spoof: after the attack, %s",
		    rc == 0 ? "1 MiB echoed, checksums match" : strerror(-rc));
	network_socket_close(1000 * SEALNET_MS, s);
}

/* One socket authorising a name whose every lookup gives a new address:
 * the peers it may have are bounded (the Firewall's rules are everyone's),
 * and a new socket has the bound again once the first is closed. */
void
udp_peers_bounded(void)
{
	sealnet_address to;
	sealnet_socket s;
	unsigned ok = 0;
	int rc = 0;

	for (int round = 0; round < 2; round++) {
		rc = network_socket_udp(1000 * SEALNET_MS, 0, &s);
		if (rc < 0) {
			sealnet_log("RESULT udp peers: no socket: %s",
				    strerror(-rc));
			return;
		}
		for (ok = 0; ok < 64; ok++)
			if ((rc = network_socket_udp_authorise_host(
				 5000 * SEALNET_MS, s, cap_rotating, &to)) < 0)
				break;
		sealnet_log(
		    "RESULT udp peers, socket %d: %u authorised, then %s",
		    round + 1, ok, rc < 0 ? strerror(-rc) : "no refusal");
		if (network_socket_close(1000 * SEALNET_MS, s) < 0)
			sealnet_log("RESULT udp peers: a close failed");
	}
}
