/* The Firewall's SYN proxy (filter.h): a SYN to a server port answered
 * with a cookie, the ACK that returns it turned into a rule and a SYN for
 * lwIP, and the hand-offs lwIP never took up reset.  Every answer goes
 * back to the peer that sent the segment, from the stack's own addresses. */
#include <string.h>

#include "filter.h"
#include "filter_internal.h"

/* Not a group, a broadcast or no one: an address a connection can have. */
static bool
unicast_ip(bool ipv6, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (ipv6)
		return a[0] != 0xff && memcmp(a, zero, 16) != 0;
	return a[0] != 0 && a[0] < 224; /* 224/4 groups, 240/4 and broadcast */
}

/* A segment addressed to the stack, from a peer the filter may answer:
 * frames for other stations or from group addresses are not answered, so
 * an answer never carries an address but the stack's own. */
static bool
answerable(const struct filter *f, const struct tcpseg *in)
{
	return memcmp(in->dst_mac, f->station_mac, 6) == 0 &&
	       !(in->src_mac[0] & 1) && unicast_ip(in->ipv6, in->src_ip) &&
	       unicast_ip(in->ipv6, in->dst_ip);
}

/* A segment back to the sender of in, from the stack. */
static struct tcpseg
answer_to(const struct filter *f, const struct tcpseg *in)
{
	struct tcpseg out = {.ipv6 = in->ipv6,
			     .hop_limit = FILTER_PROXY_HOP_LIMIT,
			     .src_port = in->dst_port,
			     .dst_port = in->src_port};

	memcpy(out.dst_mac, in->src_mac, 6);
	memcpy(out.src_mac, f->station_mac, 6);
	memcpy(out.src_ip, in->dst_ip, 16);
	memcpy(out.dst_ip, in->src_ip, 16);
	return out;
}

/* RFC 793: the reset for a segment with an ACK takes its sequence number
 * from that ACK. */
static int
write_reset(const struct filter *f, const struct tcpseg *in, uint8_t *out,
	    size_t cap)
{
	struct tcpseg rst = answer_to(f, in);

	rst.seq = in->ack;
	rst.flags = TCP_RST;
	return tcpseg_write(out, cap, &rst);
}

static enum filter_verdict
answer_syn(struct filter *f, struct filter_server_port *s,
	   const struct tcpseg *in, uint64_t now_ns, struct filter_reply *reply)
{
	struct tcpseg out = answer_to(f, in);
	uint32_t cookie;
	int n;

	if (s->connections >= s->max_connections)
		return FILTER_DROP_SERVER_FULL;
	if (syncookie_make(f->cookies, in, syncookie_counter(now_ns), &cookie) <
	    0)
		return FILTER_DROP_NO_RULE;
	out.seq = cookie;
	out.ack = in->seq + 1;
	out.flags = TCP_SYN | TCP_ACK;
	out.window = FILTER_PROXY_WINDOW;
	out.has_mss = true;
	out.mss = in->ipv6 ? FILTER_PROXY_MSS_IPV6 : FILTER_PROXY_MSS_IPV4;
	/* lwIP scales its window only for a client that scales. */
	out.has_wscale = in->has_wscale;
	out.wscale = FILTER_PROXY_WSCALE;
	n = tcpseg_write(reply->answer, sizeof(reply->answer), &out);
	if (n < 0)
		return FILTER_DROP_MALFORMED;
	reply->answer_len = (size_t)n;
	return FILTER_SYN_COOKIE;
}

static enum filter_verdict
accept_ack(struct filter *f, struct filter_server_port *s,
	   const struct tcpseg *in, uint64_t now_ns, struct filter_reply *reply)
{
	struct syncookie_syn orig;
	struct tcpseg syn = *in;
	struct filter_addr remote;
	struct filter_rule *r;
	int n;

	if (syncookie_check(f->cookies, in, syncookie_counter(now_ns), &orig) <
	    0)
		return FILTER_DROP_COOKIE;
	/* The SYN the client sent, as the cookie remembers it. */
	syn.seq = in->seq - 1;
	syn.ack = 0;
	syn.flags = TCP_SYN;
	syn.has_mss = true;
	syn.mss = orig.mss;
	syn.has_wscale = orig.wscale >= 0;
	syn.wscale = (uint8_t)(orig.wscale >= 0 ? orig.wscale : 0);
	n = tcpseg_write(reply->syn, sizeof(reply->syn), &syn);
	if (n < 0)
		return FILTER_DROP_MALFORMED;
	filter_addr_from(&remote, in->src_ip, in->ipv6 ? 16 : 4);
	/* Others may have taken the places since our SYN-ACK. */
	r = s->connections < s->max_connections
		? filter_rule_insert(f, SN_IPPROTO_TCP, in->dst_port, &remote,
				     in->src_port)
		: NULL;
	if (r == NULL) {
		n = write_reset(f, in, reply->answer, sizeof(reply->answer));
		reply->answer_len = n > 0 ? (size_t)n : 0;
		return FILTER_DROP_SERVER_FULL;
	}
	r->from_server_port = true;
	s->connections++;
	r->handoff =
	    (struct filter_handoff){.waiting = true,
				    .ipv6 = in->ipv6,
				    .deadline_ns = now_ns + FILTER_HANDOFF_NS,
				    .reset_seq = in->ack};
	memcpy(r->handoff.client_mac, in->src_mac, 6);
	memcpy(r->handoff.client_ip, in->src_ip, 16);
	memcpy(r->handoff.local_ip, in->dst_ip, 16);
	reply->syn_len = (size_t)n;
	reply->syn_isn = in->ack - 1;
	return FILTER_PASS;
}

enum filter_verdict
filter_syn_proxy_segment(struct filter *f, struct filter_server_port *s,
			 const uint8_t *frame, size_t len, uint64_t now_ns,
			 struct filter_reply *reply)
{
	struct tcpseg in;

	if (f->cookies == NULL)
		return FILTER_DROP_NO_RULE;
	if (tcpseg_read(&in, frame, len) < 0)
		return FILTER_DROP_MALFORMED;
	if (!answerable(f, &in))
		return FILTER_DROP_NO_RULE;
	if ((in.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN)
		return answer_syn(f, s, &in, now_ns, reply);
	if ((in.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_ACK)
		return accept_ack(f, s, &in, now_ns, reply);
	return FILTER_DROP_NO_RULE;
}

int
filter_expire(struct filter *f, uint64_t now_ns, uint8_t *rst, size_t cap)
{
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++) {
		struct filter_rule *r = &f->rules[i];
		struct filter_handoff *h = &r->handoff;
		struct tcpseg ack = {.ipv6 = h->ipv6,
				     .src_port = r->remote_port,
				     .dst_port = r->local_port,
				     .ack = h->reset_seq};
		int n;

		if (!r->in_use || !h->waiting || now_ns < h->deadline_ns)
			continue;
		/* The client's ACK, as far as its reset needs it. */
		memcpy(ack.src_mac, h->client_mac, 6);
		memcpy(ack.src_ip, h->client_ip, 16);
		memcpy(ack.dst_ip, h->local_ip, 16);
		n = write_reset(f, &ack, rst, cap);
		filter_rule_remove(f, r->protocol, r->local_port, &r->remote,
				   r->remote_port);
		return n;
	}
	return 0;
}
