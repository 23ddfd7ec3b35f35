/*
 * Outbound SYNs that found no rule, held for a moment.  Pure: no I/O,
 * caller-owned state, unit-tested (tests/held_test.c).
 *
 * Why.  NetAPI asks for a connection's rule and for its socket at once:
 * it queues the rule into its ring to the Firewall, then the connect into
 * its ring to TCPIP, and TCPIP's SYN comes through TCPIP's own ring.  The
 * rings' indices are written with release and read with acquire, so when
 * the Firewall has read that SYN, the rule's message is already in
 * NetAPI's ring (or already taken).  It may still be unread: the loop
 * reads each ready ring once a turn, in its own order, and may have read
 * NetAPI's just before the rule was written.  So a SYN that finds no rule
 * is held instead of dropped, and looked at again at the end of the turn,
 * once the rings read in it have been served:
 *   - passes now: written, and counted as passed;
 *   - still no rule, and a ring that may add rules is still not empty:
 *     held on, at most HELD_SYN_MAX_NS after it came;
 *   - otherwise: dropped, and counted as no_rule.  Every message that was
 *     in those rings when the SYN was read has been served by then (a
 *     ring is read in order), so no rule is on its way.
 *
 * What is held: TCP segments with SYN alone (no ACK, RST or FIN) and no
 * data, of at most HELD_SYN_MAX_LEN bytes; at most HELD_SYNS_MAX at once,
 * and a SYN that finds the table full is dropped at once.  So a sender
 * of SYNs no rule allows (a hostile TCPIP) gets each of them dropped and
 * counted as no_rule like any other frame; it can keep at most
 * HELD_SYNS_MAX frames for at most HELD_SYN_MAX_NS, and costs a look-up
 * per held frame per turn.  No frame passes that the filter would not
 * pass: a held frame is decided by filter_frame again, as it is.
 *
 * A held frame's decision is counted once, when it is made: the filter's
 * no_rule count for the first look is taken back while it is held.
 */
#ifndef SEALNET_FIREWALL_HELD_H
#define SEALNET_FIREWALL_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "vnet.h"

/* Enough for the SYNs of a few connects made at once; a frame: Ethernet,
 * IPv6, TCP with 40 bytes of options. */
#define HELD_SYNS_MAX	 8u
#define HELD_SYN_MAX_LEN (14u + 40u + 60u)
/* Far longer than a turn of the Firewall's loop, far shorter than lwIP's
 * first retransmission of a SYN (1 s), which a drop would cost. */
#define HELD_SYN_MAX_NS (20ull * 1000000ull)

struct held_syn {
	uint8_t frame[HELD_SYN_MAX_LEN];
	size_t len;
	struct vnet_hdr hdr; /* what the device is to be told with it */
	uint64_t since_ns;
};

struct held_syns {
	struct held_syn syn[HELD_SYNS_MAX];
	unsigned count;
	/* Held; passed once held; dropped once held (no_rule). */
	uint64_t held, passed_late, dropped_late;
};

/* Writes a frame that passed, with its device header. */
typedef void (*held_write_fn)(void *ctx, const struct vnet_hdr *h,
			      const uint8_t *frame, size_t len);

void held_syns_init(struct held_syns *h);

/* A frame TCPIP sent that filter_frame just dropped as no_rule: 0 if it
 * was held (and its no_rule count taken back from f); -EINVAL if it is
 * not a lone SYN, or too long; -ENOSPC if the table is full.  On an
 * error, the frame stays dropped and counted. */
int held_syns_add(struct held_syns *h, struct filter *f, const uint8_t *frame,
		  size_t len, const struct vnet_hdr *hdr, uint64_t now_ns);

/* At the end of a turn: each held frame is filtered again, and written
 * if it passes; one that does not is held on only while rules_pending
 * (a ring that may add rules is not empty) and younger than
 * HELD_SYN_MAX_NS, and dropped otherwise.  Returns how many stay held. */
unsigned held_syns_recheck(struct held_syns *h, struct filter *f,
			   bool rules_pending, uint64_t now_ns,
			   held_write_fn write, void *ctx);

#endif
