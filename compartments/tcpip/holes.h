/*
 * The Firewall's holes that TCPIP must have closed, kept as a pure core:
 * no I/O, no lwIP, caller-owned state.  TCPIP asks; the Firewall closes.
 *
 * A hole is a way through the Firewall that exists for one of TCPIP's
 * connections or sockets, and this table holds it from the moment one
 * holds it:
 *
 *   - a TCP connection's rule (local port, remote address and port):
 *     NetAPI's for a client connection, held once lwIP has connected it
 *     (before that NetAPI closes it itself if the connect fails); the
 *     Firewall's own for a server connection, held from the moment lwIP
 *     makes its pcb, before anyone accepts it;
 *   - a UDP socket's port: every rule NetAPI adds for it, held from the
 *     socket's creation.
 *
 * A TCP hole becomes closable when lwIP is done with its connection,
 * whatever became of its socket: holes_sweep() asks the caller, on each
 * tick.  A UDP port's becomes closable when its socket closes
 * (holes_release_port()).  The caller then asks the Firewall to close
 * each (holes_next_closable()) and reports the answer (holes_answered()):
 * a hole is forgotten once the Firewall has closed it or cannot have it;
 * one the Firewall did not take in time is asked for again.
 *
 * The table is bounded and nothing in it is dropped to make room: a hole
 * that does not fit is refused with -ENOSPC and counted, and the caller
 * does not make the connection or socket that would hold it.
 */
#ifndef SEALNET_TCPIP_HOLES_H
#define SEALNET_TCPIP_HOLES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Room for every connection lwIP can hold (1100 pcbs), every UDP socket
 * (16), a close request in flight for each call the runtime lets TCPIP
 * have pending at the Firewall (128), and connections that ended since
 * the last sweep.  TCPIP checks the first three against lwIP's and the
 * runtime's limits at compile time.
 */
#define HOLES_MAX 2048u
/* From this many holes on, the caller sweeps at the end of each turn of
 * its loop rather than on the next tick: a burst of short connections
 * is swept before it fills the table. */
#define HOLES_SWEEP_AT (HOLES_MAX / 2u)

enum hole_protocol {
	HOLE_TCP = 6,  /* one connection's rule */
	HOLE_UDP = 17, /* every rule of one local port */
};

struct hole_key {
	uint8_t protocol; /* enum hole_protocol */
	bool ipv6;
	uint16_t local_port;
	/* TCP only; ignored for UDP.  IPv4 uses the first 4 bytes. */
	uint16_t remote_port;
	uint8_t remote[16];
};

enum hole_state {
	HOLE_FREE,
	HOLE_HELD,     /* a connection or socket holds it */
	HOLE_CLOSABLE, /* nothing holds it: to be asked for */
	HOLE_ASKED,    /* the Firewall has been asked; its answer pending */
};

struct hole {
	struct hole_key key;
	enum hole_state state;
	/* Bumped each time the slot is taken: an answer for an earlier
	 * hole in the same slot is recognised and ignored. */
	uint32_t generation;
};

struct holes_stats {
	uint64_t held;		/* holes taken into the table */
	uint64_t refused_full;	/* refused: the table was full */
	uint64_t asked;		/* close requests handed to the caller */
	uint64_t closed;	/* the Firewall closed them */
	uint64_t already_gone;	/* the Firewall had none: closed before */
	uint64_t retried;	/* not taken in time: to be asked again */
	uint64_t taken_over;	/* not taken in time, but held again by now */
	uint64_t firewall_gone; /* the Firewall died, and its holes with it */
	uint64_t refused_close; /* the Firewall refused, for good */
	uint64_t stale_answers; /* answers for no hole asked for */
};

struct holes {
	struct hole slot[HOLES_MAX];
	/* Holes per state, kept with every change. */
	unsigned count[HOLE_ASKED + 1];
	/* Every slot from here on is free: scans stop here.  Slots are
	 * taken lowest first, so this follows the holes in use. */
	unsigned top;
	struct holes_stats stats;
};

/* An empty table: also what TCPIP's restart amounts to, since the
 * Firewall clears every hole when TCPIP restarts. */
void holes_init(struct holes *t);

/*
 * Holds a hole for a new connection (HOLE_TCP) or socket (HOLE_UDP):
 *   0            held; also when a TCP hole with this key is held already,
 *                or is closable and not yet asked for (it is held again:
 *                closing it would cut the new connection off);
 *   -EINVAL      not a hole: an unknown protocol, or port 0;
 *   -EADDRINUSE  UDP only: the port's earlier holes are still being
 *                closed (or held), and a new socket must not inherit them;
 *   -ENOSPC      the table is full (counted in stats.refused_full).
 */
int holes_hold(struct holes *t, const struct hole_key *key);

/* A UDP socket closed: its port's holes become closable.  0, or -ENOENT
 * if no socket held that port. */
int holes_release_port(struct holes *t, uint16_t port);

/* Whether lwIP still works on the TCP connection `key` names. */
typedef bool (*holes_in_use_fn)(void *ctx, const struct hole_key *key);

/* Makes each held TCP hole whose connection lwIP is done with closable;
 * returns how many. */
unsigned holes_sweep(struct holes *t, holes_in_use_fn in_use, void *ctx);

/* Whether the table is full enough that the caller should sweep now. */
bool holes_want_sweep(const struct holes *t);

/* The next closable hole, now asked for: 0 with *key and *id set, or
 * -ENOENT if none is closable.  The caller asks the Firewall, and passes
 * *id and the outcome to holes_answered(). */
int holes_next_closable(struct holes *t, struct hole_key *key, uint32_t *id);

/*
 * The Firewall's answer for hole `id`, or the error that kept the request
 * from being sent:
 *   0                the hole is closed, and forgotten;
 *   -ENOENT          the Firewall had no such hole (NetAPI, or the
 *                    Firewall itself, closed it first): forgotten;
 *   -ETIMEDOUT, -EAGAIN, -EBUSY
 *                    not taken in time: closable again, unless a new
 *                    connection holds the same hole by now;
 *   -ENOTRECOVERABLE the Firewall died, and its holes went with it:
 *                    forgotten;
 *   anything else    refused for good (retrying would not help):
 *                    forgotten and counted in stats.refused_close.
 * Returns 1 if the hole will be asked for again, 0 if it is forgotten,
 * -ENOENT if `id` names no hole that was asked for (counted as stale).
 */
int holes_answered(struct holes *t, uint32_t id, int status);

/* Holes in the table, in any state but free. */
unsigned holes_used(const struct holes *t);

#endif
