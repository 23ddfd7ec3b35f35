/*
 * TCPIP's bookkeeping of the Firewall's holes (holes.c) under arbitrary
 * sequences of what can happen to it: connections lwIP makes and ends,
 * UDP sockets opened and closed, sweeps, requests to the Firewall, its
 * answers (any status, late, twice, or for nothing), failed sends, and
 * TCPIP's restart.  A model of lwIP and of the requests in flight is kept
 * beside the table, and after every step the table must agree with it:
 *
 *   - the counts per state are those of the slots, and no slot past
 *     the table's top is in use;
 *   - every connection lwIP works on holds exactly one hole, and every
 *     open UDP socket its port's;
 *   - a hole is never asked for while lwIP works on its connection or
 *     its socket is open;
 *   - every hole asked for has one request in flight, and no request
 *     names a hole not asked for (none is lost, none closed twice);
 *   - holes taken in equal holes forgotten plus holes in the table;
 *   - a hole is refused only when the table is full.
 *
 * Each step is two bytes: what happens, and to which connection, port or
 * request.  Single connections come from a small set, so that they meet
 * again; a burst makes up to 64 others at once, so that a few fill the
 * table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "holes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Steps name the first COLLIDING connections, so that they meet again;
 * bursts use the rest. */
#define KEYS	  (HOLES_MAX + HOLES_MAX / 4u)
#define COLLIDING 16u
/* Connections a burst makes, in units of BURST_UNIT: four or five of the
 * largest bursts fill the table. */
#define BURST_MAX  64u
#define BURST_UNIT (HOLES_MAX / 256u)
/* Steps in one input: enough to fill the table, drain it and fill it
 * again, few enough for thousands of inputs a second. */
#define MAX_STEPS 256u
#define PORTS	  8u

static struct holes t;
static bool live[KEYS];	     /* lwIP works on connection i */
static bool open_udp[PORTS]; /* a socket holds port i + 1 */
static uint32_t flight[HOLES_MAX];
static unsigned nflight;
static unsigned burst_next;

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

/* Connection i: its own local port, so i names it; one in eight is over
 * IPv6, to the address whose first bytes are the IPv4 one's. */
static struct hole_key
key(unsigned i)
{
	struct hole_key k = {.protocol = HOLE_TCP,
			     .local_port = (uint16_t)(1000 + i),
			     .remote_port = 80,
			     .ipv6 = i % 8 == 7,
			     .remote = {10, 0, 0, 1}};
	return k;
}

static int
key_index(const struct hole_key *k)
{
	unsigned i = k->local_port - 1000u;
	struct hole_key c;

	if (k->protocol != HOLE_TCP || k->local_port < 1000 || i >= KEYS)
		return -1;
	c = key(i);
	if (k->remote_port != c.remote_port || k->ipv6 != c.ipv6 ||
	    memcmp(k->remote, c.remote, 16) != 0)
		return -1;
	return (int)i;
}

static bool
in_lwip(void *ctx, const struct hole_key *k)
{
	int i = key_index(k);

	return i >= 0 && live[i];
}

static void
restart(void)
{
	holes_init(&t);
	memset(live, 0, sizeof(live));
	memset(open_udp, 0, sizeof(open_udp));
	nflight = 0;
	burst_next = 0;
}

static void
asked(const struct hole_key *k, uint32_t id)
{
	int i = key_index(k);

	if (k->protocol == HOLE_TCP)
		REQUIRE(i >= 0 && !live[i]);
	else
		REQUIRE(k->local_port >= 1 && k->local_port <= PORTS &&
			!open_udp[k->local_port - 1]);
	REQUIRE(nflight < HOLES_MAX);
	flight[nflight++] = id;
}

/* The answer for request n of those in flight. */
static int
answer(unsigned n, int status)
{
	uint32_t id = flight[n];
	int rc;

	flight[n] = flight[--nflight];
	rc = holes_answered(&t, id, status);
	REQUIRE(rc == 0 || rc == 1);
	return rc;
}

static const int statuses[] = {0,	-ENOENT, -ETIMEDOUT,
			       -EAGAIN, -EBUSY,	 -ENOTRECOVERABLE,
			       -EINVAL, -EIO,	 -EPERM};

static void
connect_or_accept(unsigned i)
{
	struct hole_key k = key(i);
	int rc = holes_hold(&t, &k);

	REQUIRE(rc == 0 || rc == -ENOSPC);
	if (rc == -ENOSPC)
		REQUIRE(holes_used(&t) == HOLES_MAX);
	/* Refused, lwIP drops the connection, as TCPIP makes it. */
	live[i] = rc == 0;
}

static void
burst(unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		connect_or_accept(COLLIDING + burst_next % (KEYS - COLLIDING));
		burst_next++;
	}
}

static void
udp_open(unsigned p)
{
	struct hole_key k = {.protocol = HOLE_UDP, .local_port = (uint16_t)p};
	int rc;

	/* lwIP binds a port once. */
	if (open_udp[p - 1])
		return;
	rc = holes_hold(&t, &k);
	REQUIRE(rc == 0 || rc == -EADDRINUSE || rc == -ENOSPC);
	if (rc == -ENOSPC)
		REQUIRE(holes_used(&t) == HOLES_MAX);
	open_udp[p - 1] = rc == 0;
}

static void
udp_close(unsigned p)
{
	int rc = holes_release_port(&t, (uint16_t)p);

	REQUIRE(rc == (open_udp[p - 1] ? 0 : -ENOENT));
	open_udp[p - 1] = false;
}

/* As TCPIP flushes: every closable hole, until a send fails in a way
 * that makes the hole wait for the next tick. */
static void
flush(int send_status)
{
	struct hole_key k;
	uint32_t id;

	while (holes_next_closable(&t, &k, &id) == 0) {
		asked(&k, id);
		if (send_status == 0)
			continue;
		if (answer(nflight - 1, send_status) == 1)
			break;
	}
}

static void
step(uint8_t op, uint8_t arg)
{
	struct hole_key k;
	uint32_t id;

	switch (op % 10) {
	case 0:
		if (arg < 128)
			connect_or_accept(arg % COLLIDING);
		else
			burst((arg % BURST_MAX + 1u) * BURST_UNIT);
		break;
	case 1:
		if (arg < 128)
			live[arg % COLLIDING] = false;
		else
			memset(live + COLLIDING, 0,
			       (KEYS - COLLIDING) * sizeof(live[0]));
		break;
	case 2:
		udp_open(arg % PORTS + 1);
		break;
	case 3:
		udp_close(arg % PORTS + 1);
		break;
	case 4:
		holes_sweep(&t, in_lwip, NULL);
		break;
	case 5:
		if (holes_next_closable(&t, &k, &id) == 0)
			asked(&k, id);
		break;
	case 6:
		if (nflight > 0)
			answer(arg % nflight,
			       statuses[(arg >> 4) % (sizeof(statuses) /
						      sizeof(statuses[0]))]);
		break;
	case 7: {
		/* An answer nobody asked for, unless it happens to name a
		 * request in flight. */
		uint32_t stray = (uint32_t)arg * 0x01010101u;

		for (unsigned i = 0; i < nflight; i++)
			if (flight[i] == stray) {
				answer(i, 0);
				return;
			}
		REQUIRE(holes_answered(&t, stray, 0) == -ENOENT);
		break;
	}
	case 8:
		restart();
		break;
	default:
		flush(statuses[arg % (sizeof(statuses) / sizeof(statuses[0]))]);
		break;
	}
}

static void
check(void)
{
	unsigned count[HOLE_ASKED + 1] = {0}, held_for[KEYS] = {0};
	unsigned port_entries[PORTS] = {0}, asked_n = 0;
	const struct holes_stats *s = &t.stats;
	/* The request in flight for each slot: one at most. */
	uint32_t request[HOLES_MAX];
	bool has_request[HOLES_MAX] = {false};

	for (unsigned j = 0; j < nflight; j++) {
		uint32_t slot = flight[j] & ((1u << HOLES_ID_SLOT_BITS) - 1u);

		REQUIRE(slot < HOLES_MAX && !has_request[slot]);
		has_request[slot] = true;
		request[slot] = flight[j];
	}

	for (unsigned i = 0; i < HOLES_MAX; i++) {
		const struct hole *h = &t.slot[i];
		int ki;

		REQUIRE(h->state <= HOLE_ASKED);
		count[h->state]++;
		if (h->state == HOLE_FREE)
			continue;
		REQUIRE(i < t.top);
		ki = key_index(&h->key);
		if (h->key.protocol == HOLE_UDP) {
			REQUIRE(h->key.local_port >= 1 &&
				h->key.local_port <= PORTS);
			port_entries[h->key.local_port - 1]++;
			REQUIRE((h->state == HOLE_HELD) ==
				open_udp[h->key.local_port - 1]);
		} else {
			REQUIRE(ki >= 0);
			if (h->state == HOLE_HELD)
				held_for[ki]++;
		}
		if (h->state == HOLE_ASKED) {
			REQUIRE(
			    has_request[i] &&
			    request[i] ==
				((h->generation << HOLES_ID_SLOT_BITS) | i));
			asked_n++;
		}
	}
	/* Closable while held, or while lwIP works on it: asked for twice,
	 * or a request that cuts a live connection off. */
	for (unsigned i = 0; i < HOLES_MAX; i++) {
		const struct hole *h = &t.slot[i];

		if (h->state == HOLE_CLOSABLE && h->key.protocol == HOLE_TCP) {
			int ki = key_index(&h->key);

			REQUIRE(held_for[ki] == 0 && !live[ki]);
		}
	}
	for (unsigned i = 0; i <= HOLE_ASKED; i++)
		REQUIRE(count[i] == t.count[i]);
	REQUIRE(asked_n == nflight);
	for (unsigned i = 0; i < KEYS; i++)
		REQUIRE(held_for[i] <= 1 && (!live[i] || held_for[i] == 1));
	for (unsigned p = 0; p < PORTS; p++)
		REQUIRE(port_entries[p] <= 1);
	REQUIRE(s->held == holes_used(&t) + s->closed + s->already_gone +
			       s->firewall_gone + s->refused_close +
			       s->taken_over);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	restart();
	if (size > 2 * MAX_STEPS)
		size = 2 * MAX_STEPS;
	for (size_t i = 0; i + 1 < size; i += 2) {
		step(data[i], data[i + 1]);
		check();
	}
	/* Whatever happened, once lwIP is done with everything and the
	 * Firewall answers, the table empties. */
	memset(live, 0, sizeof(live));
	for (unsigned p = 1; p <= PORTS; p++)
		if (open_udp[p - 1])
			udp_close(p);
	while (nflight > 0)
		answer(0, 0);
	holes_sweep(&t, in_lwip, NULL);
	flush(0);
	while (nflight > 0)
		answer(0, 0);
	check();
	REQUIRE(holes_used(&t) == 0);
	return 0;
}
