/* Outbound SYNs that found no rule: see held.h for why and how long. */
#include "held.h"

#include <errno.h>
#include <string.h>

#include "tcpseg.h"

void
held_syns_init(struct held_syns *h)
{
	memset(h, 0, sizeof(*h));
}

/* A connection's first segment, as lwIP's tcp_connect sends it.  Its TCP
 * checksum may hold only the pseudo-header's sum (the device completes
 * it), so it is not checked here; the filter does not look at it either. */
static bool
lone_syn(const uint8_t *frame, size_t len)
{
	struct tcpseg s;

	return tcpseg_read_trusted(&s, frame, len) == 0 &&
	       (s.flags & (TCPSEG_SYN | TCPSEG_ACK | TCPSEG_RST |
			   TCPSEG_FIN)) == TCPSEG_SYN &&
	       s.payload_len == 0;
}

int
held_syns_add(struct held_syns *h, struct filter *f, const uint8_t *frame,
	      size_t len, const struct vnet_hdr *hdr, uint64_t now_ns)
{
	struct held_syn *s;

	if (len > HELD_SYN_MAX_LEN || !lone_syn(frame, len))
		return -EINVAL;
	if (h->count >= HELD_SYNS_MAX)
		return -ENOSPC;
	s = &h->syn[h->count++];
	memcpy(s->frame, frame, len);
	s->len = len;
	s->hdr = *hdr;
	s->since_ns = now_ns;
	h->held++;
	/* Not decided yet: counted once it is. */
	if (f->counts[FILTER_DROP_NO_RULE] > 0)
		f->counts[FILTER_DROP_NO_RULE]--;
	return 0;
}

unsigned
held_syns_recheck(struct held_syns *h, struct filter *f, bool rules_pending,
		  uint64_t now_ns, held_write_fn write, void *ctx)
{
	struct filter_reply reply;
	unsigned kept = 0;

	for (unsigned i = 0; i < h->count; i++) {
		struct held_syn *s = &h->syn[i];
		enum filter_verdict v = filter_frame(f, FILTER_OUT, s->frame,
						     s->len, now_ns, &reply);

		if (v == FILTER_PASS) {
			h->passed_late++;
			write(ctx, &s->hdr, s->frame, s->len);
			continue;
		}
		if (v == FILTER_DROP_NO_RULE && rules_pending &&
		    now_ns - s->since_ns < HELD_SYN_MAX_NS) {
			/* Still undecided: its count waits too. */
			f->counts[v]--;
			if (kept != i)
				h->syn[kept] = *s;
			kept++;
			continue;
		}
		h->dropped_late++;
	}
	h->count = kept;
	return kept;
}
