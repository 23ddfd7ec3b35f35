/* The Firewall's frame filter.  Every length read from a frame is checked
 * against the bytes actually present before it is used. */
#include "filter.h"
#include "icmp6.h"
#include "rules.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

#define TCP_FIN 0x01
#define TCP_RST 0x04
#define TCP_SYN 0x02
#define TCP_ACK 0x10

static const char *const verdict_names[FILTER_VERDICTS] = {
    "pass",	  "malformed", "ethertype",	"protocol",    "no_rule",
    "icmp",	  "nd",	       "dns",		"server_full", "syn_cookie",
    "bad_cookie", "handshake", "device_header", "too_long",    "not_listening",
};

const char *
filter_verdict_name(enum filter_verdict v)
{
	return v < FILTER_VERDICTS ? verdict_names[v] : "?";
}

void
filter_init(struct filter *f)
{
	memset(f, 0, sizeof(*f));
}

void
filter_syn_proxy(struct filter *f, const struct syncookie_key *key,
		 const uint8_t station_mac[6])
{
	f->cookies = key;
	memcpy(f->station_mac, station_mac, sizeof(f->station_mac));
}

int
filter_addr_from(struct filter_addr *out, const uint8_t *bytes, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (len == 4) {
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, bytes, 4);
		return 0;
	}
	if (len == 16) {
		memcpy(out->b, bytes, 16);
		return 0;
	}
	return -EINVAL;
}

void
filter_dns_open(struct filter *f, const struct filter_addr *server)
{
	f->dns_lookups++;
	f->dns_server = *server;
}

void
filter_dns_close(struct filter *f)
{
	if (f->dns_lookups > 0)
		f->dns_lookups--;
}

/* ---- frames ---- */

/* One transport header's view: which flow it belongs to, from our side. */
struct flow {
	uint8_t protocol;
	struct filter_addr remote;
	uint16_t local_port, remote_port;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	bool ipv6;
};

/*
 * Reads the transport ports of an IP payload.  For ICMP errors the quoted
 * packet is read the other way round: it is one we sent (inbound error)
 * or one we received (outbound error).
 */
static int
read_ports(struct flow *fl, enum filter_direction dir, const uint8_t *l4,
	   size_t len)
{
	size_t need = fl->protocol == SN_IPPROTO_TCP ? 20 : 8;

	if (len < need)
		return -1;
	uint16_t src = read_be16(l4), dst = read_be16(l4 + 2);
	fl->local_port = dir == FILTER_IN ? dst : src;
	fl->remote_port = dir == FILTER_IN ? src : dst;
	if (fl->protocol == SN_IPPROTO_TCP) {
		fl->tcp_flags = l4[13];
		fl->tcp_seq = read_be32(l4 + 4);
		fl->tcp_ack = read_be32(l4 + 8);
	}
	return 0;
}

static bool
flow_allowed(struct filter *f, const struct flow *fl)
{
	return rule_find(f, fl->protocol, fl->local_port, &fl->remote,
			 fl->remote_port) != NULL;
}

/* Parses an IPv4 or IPv6 header at p; fills the flow's protocol and the
 * remote address; returns the payload or NULL.  The packet quoted in an
 * ICMP error may end before the length its own header gives: routers cut
 * quotes to 576 bytes in all (ICMP), some to 8 bytes past the header, or
 * to 1,280 (ICMPv6).  So with quote set, *payload_len counts the bytes
 * present. */
static const uint8_t *
read_ip(struct flow *fl, enum filter_direction dir, const uint8_t *p,
	size_t len, bool quote, size_t *payload_len, uint8_t *hop_limit)
{
	if (len < 1)
		return NULL;
	if ((p[0] >> 4) == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4, total;

		if (len < 20 || ihl < 20 || ihl > len)
			return NULL;
		total = read_be16(p + 2);
		if (total < ihl || (total > len && !quote))
			return NULL;
		/* Fragments carry no ports to check: refuse them. */
		if ((read_be16(p + 6) & 0x3fff) != 0)
			return NULL;
		fl->ipv6 = false;
		fl->protocol = p[9];
		*hop_limit = p[8];
		filter_addr_from(&fl->remote, p + (dir == FILTER_IN ? 12 : 16),
				 4);
		*payload_len = (total < len ? total : len) - ihl;
		return p + ihl;
	}
	if ((p[0] >> 4) == 6) {
		size_t plen;

		if (len < 40)
			return NULL;
		plen = read_be16(p + 4);
		if (plen > len - 40 && !quote)
			return NULL;
		fl->ipv6 = true;
		/* Extension headers are not followed: such packets fall to
		 * the protocol check and are dropped, but for the one MLD
		 * needs (icmp6.c). */
		fl->protocol = p[6];
		*hop_limit = p[7];
		filter_addr_from(&fl->remote, p + (dir == FILTER_IN ? 8 : 24),
				 16);
		*payload_len = plen < len - 40 ? plen : len - 40;
		return p + 40;
	}
	return NULL;
}

static enum filter_verdict
icmp_error(struct filter *f, enum filter_direction dir, const uint8_t *quoted,
	   size_t len)
{
	struct flow q = {0};
	size_t qlen;
	uint8_t hop;
	const uint8_t *l4;

	/* The quoted packet went the other way. */
	l4 = read_ip(&q, dir == FILTER_IN ? FILTER_OUT : FILTER_IN, quoted, len,
		     true, &qlen, &hop);
	if (l4 == NULL)
		return FILTER_DROP_ICMP;
	/* Only the first 8 bytes past the header are promised: enough for
	 * the ports, which is all a rule needs. */
	if ((q.protocol != SN_IPPROTO_TCP && q.protocol != SN_IPPROTO_UDP) ||
	    qlen < 8)
		return FILTER_DROP_ICMP;
	uint16_t src = read_be16(l4), dst = read_be16(l4 + 2);
	q.local_port = dir == FILTER_IN ? src : dst;
	q.remote_port = dir == FILTER_IN ? dst : src;
	return flow_allowed(f, &q) ? FILTER_PASS : FILTER_DROP_ICMP;
}

/* ---- the SYN proxy ---- */

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
		? rule_insert(f, SN_IPPROTO_TCP, in->dst_port, &remote,
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
				    .reset_seq = in->ack,
				    .client_seq = in->seq};
	memcpy(r->handoff.client_mac, in->src_mac, 6);
	memcpy(r->handoff.client_ip, in->src_ip, 16);
	memcpy(r->handoff.local_ip, in->dst_ip, 16);
	reply->syn_len = (size_t)n;
	reply->syn_isn = in->ack - 1;
	return FILTER_PASS;
}

/* A TCP segment to a server port from a peer without a rule. */
static enum filter_verdict
syn_proxy(struct filter *f, struct filter_server_port *s, const uint8_t *frame,
	  size_t len, bool checksum_trusted, uint64_t now_ns,
	  struct filter_reply *reply)
{
	struct tcpseg in;

	if (f->cookies == NULL)
		return FILTER_DROP_NO_RULE;
	if ((checksum_trusted ? tcpseg_read_trusted(&in, frame, len)
			      : tcpseg_read(&in, frame, len)) < 0)
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

/* A segment lwIP sends on the connection a cookie made: its numbers
 * start at the cookie (its SYN-ACK's) and at the client's first byte.
 * One that lwIP sends from an older connection of the same addresses
 * and ports has numbers of its own, and shows nothing of the new one. */
static bool
of_handoff(const struct filter_handoff *h, const struct flow *fl)
{
	return fl->tcp_seq - (h->reset_seq - 1) < FILTER_HANDOFF_SPAN &&
	       fl->tcp_ack - h->client_seq < FILTER_HANDOFF_SPAN;
}

/* ICMPv6 of at least 8 bytes at l4: errors about allowed flows, and
 * what the link needs (icmp6.c). */
static enum filter_verdict
decide_icmpv6(struct filter *f, enum filter_direction dir, const uint8_t *l4,
	      size_t plen, uint8_t hop)
{
	switch (l4[0]) {
	case 1: /* destination unreachable */
	case 2: /* packet too big */
	case 3: /* time exceeded */
		return icmp_error(f, dir, l4 + 8, plen - 8);
	default:
		return icmp6_link(dir, l4, hop);
	}
}

static enum filter_verdict
decide_ip(struct filter *f, enum filter_direction dir, const uint8_t *p,
	  size_t len, const uint8_t *frame, size_t frame_len,
	  bool checksum_trusted, uint64_t now_ns, struct filter_reply *reply)
{
	struct flow fl = {0};
	size_t plen;
	uint8_t hop;
	const uint8_t *l4 = read_ip(&fl, dir, p, len, false, &plen, &hop);

	if (l4 == NULL)
		return FILTER_DROP_MALFORMED;
	switch (fl.protocol) {
	case SN_IPPROTO_ICMP:
		/* Destination unreachable and time exceeded only. */
		if (fl.ipv6 || plen < 8 || (l4[0] != 3 && l4[0] != 11))
			return FILTER_DROP_ICMP;
		return icmp_error(f, dir, l4 + 8, plen - 8);
	case SN_IPPROTO_ICMPV6:
		return fl.ipv6 && plen >= 8
			   ? decide_icmpv6(f, dir, l4, plen, hop)
			   : FILTER_DROP_ND;
	case ICMP6_NEXT_HOP_BY_HOP:
		return fl.ipv6 ? icmp6_hop_by_hop(dir, l4, plen, hop)
			       : FILTER_DROP_PROTOCOL;
	case SN_IPPROTO_TCP:
	case SN_IPPROTO_UDP:
		break;
	default:
		return FILTER_DROP_PROTOCOL;
	}
	if (read_ports(&fl, dir, l4, plen) < 0)
		return FILTER_DROP_MALFORMED;
	if (fl.protocol == SN_IPPROTO_UDP && !fl.ipv6 &&
	    ((dir == FILTER_OUT && fl.local_port == 68 &&
	      fl.remote_port == 67) ||
	     (dir == FILTER_IN && fl.local_port == 68 && fl.remote_port == 67)))
		return FILTER_PASS; /* DHCPv4 */
	if (fl.protocol == SN_IPPROTO_UDP && fl.remote_port == 53 &&
	    !flow_allowed(f, &fl)) {
		if (f->dns_lookups > 0 &&
		    memcmp(&fl.remote, &f->dns_server, sizeof(fl.remote)) == 0)
			return FILTER_PASS;
		return FILTER_DROP_DNS;
	}
	struct filter_rule *r = rule_find(f, fl.protocol, fl.local_port,
					  &fl.remote, fl.remote_port);
	if (r != NULL) {
		/* Whatever lwIP sends on a connection a cookie let in shows
		 * that it took the hand-off: its SYN-ACK, or, if a frame of
		 * the stack's own was lost on the way, its ACK or data.  Its
		 * SYN-ACK goes no further: the client has ours. */
		if (dir == FILTER_OUT && r->handoff.waiting &&
		    of_handoff(&r->handoff, &fl)) {
			r->handoff.waiting = false;
			if ((fl.tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) ==
			    (TCP_SYN | TCP_ACK))
				return FILTER_DROP_HANDSHAKE;
		}
		/* lwIP's reset ends a server's connection and frees its
		 * place under the port's limit.  A reset from outside is
		 * lwIP's to judge: only one at its next expected sequence
		 * number ends the connection (RFC 5961), and the Firewall
		 * keeps no numbers, so it cannot tell a blind reset from
		 * the peer's.  If lwIP takes it, TCPIP removes the rule
		 * once lwIP has dropped the connection. */
		if (r->from_server_port && dir == FILTER_OUT &&
		    (fl.tcp_flags & TCP_RST))
			filter_rule_remove(f, fl.protocol, fl.local_port,
					   &fl.remote, fl.remote_port);
		return FILTER_PASS;
	}
	if (dir == FILTER_IN && fl.protocol == SN_IPPROTO_TCP) {
		struct filter_server_port *s =
		    server_find(f, SN_IPPROTO_TCP, fl.local_port);

		if (s != NULL && (!fl.ipv6 || s->ipv6))
			return s->listening
				   ? syn_proxy(f, s, frame, frame_len,
					       checksum_trusted, now_ns, reply)
				   : FILTER_DROP_NOT_LISTENING;
	}
	return FILTER_DROP_NO_RULE;
}

enum filter_verdict
filter_frame(struct filter *f, enum filter_direction dir, const uint8_t *frame,
	     size_t len, uint64_t now_ns, struct filter_reply *reply)
{
	return filter_frame_trusted(f, dir, frame, len, false, now_ns, reply);
}

enum filter_verdict
filter_frame_trusted(struct filter *f, enum filter_direction dir,
		     const uint8_t *frame, size_t len, bool checksum_trusted,
		     uint64_t now_ns, struct filter_reply *reply)
{
	enum filter_verdict v;

	reply->answer_len = 0;
	reply->syn_len = 0;
	if (len < SN_ETH_HLEN) {
		v = FILTER_DROP_MALFORMED;
	} else {
		switch (read_be16(frame + 12)) {
		case SN_ETHERTYPE_ARP:
			v = FILTER_PASS;
			break;
		case SN_ETHERTYPE_IPV4:
		case SN_ETHERTYPE_IPV6:
			v = decide_ip(f, dir, frame + SN_ETH_HLEN,
				      len - SN_ETH_HLEN, frame, len,
				      checksum_trusted, now_ns, reply);
			break;
		default:
			v = FILTER_DROP_ETHERTYPE;
		}
	}
	f->counts[v]++;
	return v;
}
