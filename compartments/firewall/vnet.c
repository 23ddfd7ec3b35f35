/* The virtio-net header on the TAP device's frames.  Every offset read
 * from a frame is checked against the bytes present before it is used. */
#include "vnet.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "stack.h"

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_URG 0x20

/* Where a frame's headers are, as far as the header must agree. */
struct layout {
	bool ipv6;
	uint8_t protocol;
	size_t l4;	/* transport header's offset in the frame */
	size_t l4_hlen; /* its length: TCP's data offset, or UDP's 8 */
	size_t ip_end;	/* where the IP packet ends, by its own length */
	uint8_t tcp_flags;
};

static uint16_t
host16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The IP header of an untagged IPv4 or IPv6 frame: 0 or -EINVAL. */
static int
read_ip(struct layout *l, const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + SN_ETH_HLEN;

	if (len < SN_ETH_HLEN + SN_IPV4_HLEN)
		return -EINVAL;
	if (read_be16(frame + 12) == SN_ETHERTYPE_IPV4 && ip[0] >> 4 == 4) {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4,
		       total = read_be16(ip + 2);

		/* A fragment has no transport header to segment. */
		if (ihl < SN_IPV4_HLEN || total < ihl ||
		    total > len - SN_ETH_HLEN ||
		    (read_be16(ip + 6) & 0x3fff) != 0)
			return -EINVAL;
		l->ipv6 = false;
		l->protocol = ip[9];
		l->l4 = SN_ETH_HLEN + ihl;
		l->ip_end = SN_ETH_HLEN + total;
		return 0;
	}
	if (read_be16(frame + 12) == SN_ETHERTYPE_IPV6 && ip[0] >> 4 == 6 &&
	    len >= SN_ETH_HLEN + SN_IPV6_HLEN &&
	    read_be16(ip + 4) <= len - SN_ETH_HLEN - SN_IPV6_HLEN) {
		/* Extension headers are not followed, as in the filter. */
		l->ipv6 = true;
		l->protocol = ip[6];
		l->l4 = SN_ETH_HLEN + SN_IPV6_HLEN;
		l->ip_end = l->l4 + read_be16(ip + 4);
		return 0;
	}
	return -EINVAL;
}

/* A TCP or UDP frame's layout: 0 or -EINVAL. */
static int
read_layout(struct layout *l, const uint8_t *frame, size_t len)
{
	const uint8_t *l4;

	memset(l, 0, sizeof(*l));
	if (read_ip(l, frame, len) < 0)
		return -EINVAL;
	l4 = frame + l->l4;
	if (l->protocol == SN_IPPROTO_UDP) {
		if (l->ip_end - l->l4 < SN_UDP_HLEN)
			return -EINVAL;
		l->l4_hlen = SN_UDP_HLEN;
		return 0;
	}
	if (l->protocol != SN_IPPROTO_TCP || l->ip_end - l->l4 < SN_TCP_HLEN)
		return -EINVAL;
	l->l4_hlen = (size_t)(l4[12] >> 4) * 4;
	if (l->l4_hlen < SN_TCP_HLEN || l->l4_hlen > l->ip_end - l->l4)
		return -EINVAL;
	l->tcp_flags = l4[13];
	return 0;
}

static int
check_csum_fields(const struct vnet_hdr *h, const struct layout *l)
{
	uint16_t offset = l->protocol == SN_IPPROTO_TCP ? VNET_TCP_CSUM_OFFSET
							: VNET_UDP_CSUM_OFFSET;

	return h->csum_start == l->l4 && h->csum_offset == offset ? 0 : -EINVAL;
}

/* One TCP segment that the device may cut, or has joined: one header
 * that every piece shares, some payload, and no flag that belongs to a
 * single segment. */
static int
check_super_frame(const struct layout *l, size_t len, uint16_t segment_size)
{
	if (l->protocol != SN_IPPROTO_TCP || l->ip_end != len ||
	    segment_size == 0 || len == l->l4 + l->l4_hlen ||
	    (l->tcp_flags & (TCP_SYN | TCP_RST | TCP_URG)) != 0)
		return -EINVAL;
	return 0;
}

int
vnet_read(const uint8_t *buf, size_t len, struct vnet_frame *out)
{
	if (len < VNET_HDR_LEN) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return vnet_read_split(buf, buf + VNET_HDR_LEN, len - VNET_HDR_LEN,
			       out);
}

int
vnet_read_split(const uint8_t *hdr, const uint8_t *frame, size_t len,
		struct vnet_frame *out)
{
	struct vnet_hdr h = {.flags = hdr[0],
			     .gso_type = hdr[1],
			     .hdr_len = host16(hdr + 2),
			     .gso_size = host16(hdr + 4),
			     .csum_start = host16(hdr + 6),
			     .csum_offset = host16(hdr + 8)};
	struct layout l;
	uint8_t gso;

	memset(out, 0, sizeof(*out));
	out->frame = frame;
	out->len = len;
	gso = h.gso_type & (uint8_t)~VNET_GSO_ECN;
	if ((h.flags != 0 && h.flags != VNET_F_NEEDS_CSUM &&
	     h.flags != VNET_F_DATA_VALID) ||
	    (gso != VNET_GSO_NONE && gso != VNET_GSO_TCPV4 &&
	     gso != VNET_GSO_TCPV6) ||
	    (gso == VNET_GSO_NONE && h.gso_type != VNET_GSO_NONE))
		return -EINVAL;
	if (out->len > SN_MAX_SUPER_FRAME)
		return -EMSGSIZE;
	out->checksum_trusted = h.flags != 0;
	if (h.flags == 0 && gso == VNET_GSO_NONE)
		return 0; /* a frame as the wire had it */
	if (read_layout(&l, out->frame, out->len) < 0)
		return -EINVAL;
	if (h.flags == VNET_F_NEEDS_CSUM && check_csum_fields(&h, &l) < 0)
		return -EINVAL;
	if (gso == VNET_GSO_NONE)
		return 0;
	if (h.flags != VNET_F_NEEDS_CSUM || l.ipv6 != (gso == VNET_GSO_TCPV6) ||
	    check_super_frame(&l, out->len, h.gso_size) < 0)
		return -EINVAL;
	out->segment_size = h.gso_size;
	return 0;
}

static enum filter_verdict
filter_read(struct filter *f, int rc, uint64_t now_ns,
	    struct filter_reply *reply, struct vnet_frame *out)
{
	if (rc < 0) {
		enum filter_verdict v =
		    rc == -EMSGSIZE ? FILTER_DROP_TOO_LONG : FILTER_DROP_DEVICE;

		reply->answer_len = 0;
		reply->syn_len = 0;
		f->counts[v]++;
		return v;
	}
	return filter_frame_trusted(f, FILTER_IN, out->frame, out->len,
				    out->checksum_trusted, now_ns, reply);
}

enum filter_verdict
vnet_filter_in(struct filter *f, const uint8_t *buf, size_t len,
	       uint64_t now_ns, struct filter_reply *reply,
	       struct vnet_frame *out)
{
	return filter_read(f, vnet_read(buf, len, out), now_ns, reply, out);
}

enum filter_verdict
vnet_filter_in_split(struct filter *f, const uint8_t *hdr, const uint8_t *frame,
		     size_t len, uint64_t now_ns, struct filter_reply *reply,
		     struct vnet_frame *out)
{
	return filter_read(f, vnet_read_split(hdr, frame, len, out), now_ns,
			   reply, out);
}

int
vnet_for_output(struct vnet_hdr *h, const uint8_t *frame, size_t len,
		uint16_t segment_size)
{
	struct layout l;
	bool tcp =
	    read_layout(&l, frame, len) == 0 && l.protocol == SN_IPPROTO_TCP;

	memset(h, 0, sizeof(*h));
	if (!tcp)
		return segment_size == 0 ? 0 : -EINVAL;
	/* The device sums to the frame's end: no padding may follow. */
	if (l.ip_end != len)
		return -EINVAL;
	/* TCPIP left the checksum to the device. */
	h->flags = VNET_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l.l4;
	h->csum_offset = VNET_TCP_CSUM_OFFSET;
	if (segment_size == 0)
		return 0;
	/* Each piece must fit the link, and there must be more than one. */
	if (check_super_frame(&l, len, segment_size) < 0 ||
	    l.l4 - SN_ETH_HLEN + l.l4_hlen + segment_size > SN_MTU ||
	    len - l.l4 - l.l4_hlen <= segment_size)
		return -EINVAL;
	h->gso_type = l.ipv6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
	h->hdr_len = (uint16_t)(l.l4 + l.l4_hlen);
	h->gso_size = segment_size;
	return 0;
}

void
vnet_encode(uint8_t out[VNET_HDR_LEN], const struct vnet_hdr *h)
{
	out[0] = h->flags;
	out[1] = h->gso_type;
	memcpy(out + 2, &h->hdr_len, 2);
	memcpy(out + 4, &h->gso_size, 2);
	memcpy(out + 6, &h->csum_start, 2);
	memcpy(out + 8, &h->csum_offset, 2);
}
