/*
 * NetAPI's flows (flow.c) fed arbitrary outcomes, checking what flow.h
 * promises whatever the other compartments answer: the caller is answered
 * exactly once and the flow does nothing after; a DNS hole opened is
 * closed before the answer; an error answer leaves no rule or server
 * port behind; no close matches a hole that was not opened; every flow
 * ends within FLOW_MAX_STEPS events.  The holes are kept by
 * tests/flow_world.c, as the Firewall would keep them.
 *
 * A connection's rule and socket are asked for at once, and an abort may
 * follow while the connect is in flight: with more than one call in
 * flight, a byte picks the one answered next, so every order is tried;
 * the flow must never wait on nothing, nor answer with a call in flight,
 * and a socket answer must leave exactly one socket, an error none.
 *
 * Input: one byte picks the call (below); then each event takes a status
 * byte (0: success; 1-11: an errno, EADDRINUSE among them; else that
 * byte as a negative or, from 0xf0, a positive status), an address byte
 * (1: four address bytes follow, 2: sixteen, else none), a random draw
 * and a local port (two bytes each).  When the input runs out, every
 * step fails with -EIO, so every flow reaches its answer.  The Firewall
 * is taken at its word as it keeps it: a rule it holds is refused with
 * -EEXIST, and one it says it holds, it does (flow_world.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow.h"
#include "flow_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t
take(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint16_t
take16(struct input *in)
{
	uint16_t hi = take(in);

	return (uint16_t)(hi << 8 | take(in));
}

static int
status_of(uint8_t s)
{
	static const int errnos[] = {
	    EIO,    EADDRINUSE,	  ETIMEDOUT,	EAGAIN, ENOTRECOVERABLE, EPERM,
	    ENOMEM, ECONNREFUSED, EHOSTUNREACH, ENOSPC, EINVAL};

	if (s == 0)
		return 0;
	if (s <= sizeof(errnos) / sizeof(errnos[0]))
		return -errnos[s - 1];
	return s >= 0xf0 ? s - 0xef : -(int)s;
}

static struct flow_event
event_of(struct input *in)
{
	struct flow_event ev = {.status = -EIO};
	uint8_t bytes[16], kind;
	size_t len;

	if (in->left == 0)
		return ev;
	ev.status = status_of(take(in));
	kind = take(in);
	len = kind == 1 ? 4 : kind == 2 ? 16 : 0;
	for (size_t i = 0; i < len; i++)
		bytes[i] = take(in);
	if (len > 0 && flow_address_from(&ev.address, bytes, len) < 0)
		__builtin_trap();
	ev.random = take16(in);
	ev.local_port = take16(in);
	ev.socket = (sn_handle){.slot = 1, .generation = 2, .tag = ev.random};
	return ev;
}

static struct flow_action
start(struct world *w, struct flow *f, struct input *in)
{
	static const sn_handle udp = {.slot = 5, .generation = 1, .tag = 9};
	uint8_t pick = take(in);
	char host[NETAPI_HOST_MAX + 8];
	struct flow_target t = {SN_PROTOCOL_TCP, "10.0.0.1", 8, 7007};
	bool resolver = (pick & 0x80) == 0;
	uint16_t port;

	switch (pick % 8) {
	case 0:
		return flow_start_connect(f, "fuzzer", &t, resolver);
	case 1:
		t.host = "2001:db8::1";
		t.host_len = strlen(t.host);
		return flow_start_connect(f, "fuzzer", &t, resolver);
	case 2:
		t.host = "echo.test";
		t.host_len = strlen(t.host);
		return flow_start_connect(f, "fuzzer", &t, resolver);
	case 3:
		t.protocol = SN_PROTOCOL_UDP;
		return flow_start_udp_authorise(f, "fuzzer", &t, &udp,
						resolver);
	case 4:
		t = (struct flow_target){SN_PROTOCOL_UDP, "echo.test", 9, 7009};
		return flow_start_udp_authorise(f, "fuzzer", &t, &udp,
						resolver);
	case 5:
		/* 0x20: on a port the caller already has (listening again). */
		port = take16(in);
		if (!(pick & 0x20))
			return flow_start_listen(f, "fuzzer", port, 4,
						 pick & 0x40);
		world_keep_server_port(w, port);
		return flow_start_listen_again(f, "fuzzer", port, 4,
					       pick & 0x40);
	case 6:
		return flow_start_host_get(f, "fuzzer");
	default:
		/* Any host, and any protocol. */
		t.protocol = take(in) % 4;
		t.host_len = take(in) % sizeof(host);
		for (size_t i = 0; i < t.host_len; i++)
			host[i] = (char)take(in);
		t.host = host;
		return flow_start_connect(f, "fuzzer", &t, resolver);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct world w;
	struct flow f, after;
	struct flow_action a;
	struct flow_event ev;
	enum flow_do flight[4], calls[2];
	unsigned nflight = 0;

	world_init(&w);
	a = start(&w, &f, &in);
	while (!flow_do_answers(a.what)) {
		unsigned k = world_calls_of(a.what, calls), next = 0;
		enum flow_do done = a.what;

		if (a.what >= FLOW_DOS || a.what == FLOW_DO_NOTHING ||
		    f.steps >= FLOW_MAX_STEPS || nflight + k > 2)
			__builtin_trap();
		for (unsigned i = 0; i < k; i++) {
			world_issue(&w, calls[i]);
			/* TCPIP takes the abort before a connect whose rule
			 * was refused could be made. */
			for (unsigned j = 0; j < nflight; j++)
				if (calls[i] == FLOW_DO_ABORT_SOCKET &&
				    flight[j] == FLOW_DO_CONNECT)
					w.connect_cancelled = true;
			flight[nflight++] = calls[i];
		}
		if (a.what != FLOW_DO_PICK_PORT) {
			/* Waiting on nothing: no answer would ever come. */
			if (nflight == 0)
				__builtin_trap();
			next = take(&in) % nflight;
			done = flight[next];
			memmove(flight + next, flight + next + 1,
				(--nflight - next) * sizeof(flight[0]));
		}
		ev = event_of(&in);
		ev.call = done;
		world_as_the_firewall(&w, &f, done, &ev);
		world_apply(&w, &f, done, &ev);
		a = flow_step(&f, &ev);
	}
	w.left_in_flight = nflight;
	if (f.state != FLOW_ANSWERED || !world_clean_after(&w, &a) ||
	    (a.what == FLOW_DO_REPLY_ERROR && a.error >= 0))
		__builtin_trap();
	/* Answered once: whatever comes next changes nothing. */
	after = f;
	ev = event_of(&in);
	if (flow_step(&f, &ev).what != FLOW_DO_NOTHING ||
	    memcmp(&after, &f, sizeof(f)) != 0)
		__builtin_trap();
	return 0;
}
