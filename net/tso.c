/* TCP segments joined for TSO.  Every offset read from a frame is checked
 * against the bytes present before it is used. */
#include "tso.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "stack.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10

int
tso_read(struct tso_segment *s, const uint8_t *frame, size_t have, size_t len)
{
	const uint8_t *ip = frame + SN_ETH_HLEN, *tcp;
	size_t ip_end, doff;

	memset(s, 0, sizeof(*s));
	if (have > len || have < SN_ETH_HLEN + SN_IPV4_HLEN)
		return -EINVAL;
	if (read_be16(frame + 12) == SN_ETHERTYPE_IPV4 && ip[0] == 0x45 &&
	    ip[9] == SN_IPPROTO_TCP && (read_be16(ip + 6) & 0x3fff) == 0) {
		s->l4 = SN_ETH_HLEN + SN_IPV4_HLEN;
		ip_end = SN_ETH_HLEN + (size_t)read_be16(ip + 2);
	} else if (read_be16(frame + 12) == SN_ETHERTYPE_IPV6 &&
		   have >= SN_ETH_HLEN + SN_IPV6_HLEN && ip[0] >> 4 == 6 &&
		   ip[6] == SN_IPPROTO_TCP) {
		s->ipv6 = true;
		s->l4 = SN_ETH_HLEN + SN_IPV6_HLEN;
		ip_end = s->l4 + (size_t)read_be16(ip + 4);
	} else
		return -EINVAL;
	if (ip_end != len || have < s->l4 + SN_TCP_HLEN)
		return -EINVAL;
	tcp = frame + s->l4;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < SN_TCP_HLEN || s->l4 + doff > have)
		return -EINVAL;
	s->headers = s->l4 + doff;
	s->payload = len - s->headers;
	s->seq = read_be32(tcp + 4);
	s->flags = tcp[13];
	return 0;
}

void
tso_leave_checksum(uint8_t *frame, const struct tso_segment *s)
{
	const uint8_t *ip = frame + SN_ETH_HLEN;
	size_t tcp_len = s->headers - s->l4 + s->payload;
	uint32_t sum =
	    s->ipv6 ? checksum_add(0, ip + 8, 32) : checksum_add(0, ip + 12, 8);

	sum += SN_IPPROTO_TCP + (uint32_t)(tcp_len >> 16) +
	       (uint32_t)(tcp_len & 0xffff);
	write_be16(frame + s->l4 + 16, checksum_fold(sum));
}

/* The bytes two segments of one flow share, and which a piece cut from
 * the joined frame takes from its head: all but lengths, IPv4's id and
 * checksum, the sequence number, the flags and TCP's checksum. */
static bool
same_flow(const uint8_t *a, const uint8_t *b, const struct tso_segment *s)
{
	const uint8_t *ia = a + SN_ETH_HLEN, *ib = b + SN_ETH_HLEN;
	const uint8_t *ta = a + s->l4, *tb = b + s->l4;

	if (memcmp(a, b, SN_ETH_HLEN) != 0)
		return false;
	if (s->ipv6
		? memcmp(ia, ib, 4) != 0 || memcmp(ia + 6, ib + 6, 34) != 0
		: memcmp(ia, ib, 2) != 0 || memcmp(ia + 6, ib + 6, 4) != 0 ||
		      memcmp(ia + 12, ib + 12, 8) != 0)
		return false;
	/* Ports; ACK, data offset; window, urgent pointer; options. */
	return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 5) == 0 &&
	       memcmp(ta + 14, tb + 14, 2) == 0 &&
	       memcmp(ta + 18, tb + 18, s->headers - s->l4 - 18) == 0;
}

bool
tso_continues(const uint8_t *last, const struct tso_segment *l,
	      uint16_t segment_size, const uint8_t *hdr,
	      const struct tso_segment *next, size_t max_len)
{
	size_t piece = segment_size ? segment_size : l->payload;

	return l->ipv6 == next->ipv6 && l->headers == next->headers &&
	       l->flags == TCP_ACK &&
	       (next->flags & ~(TCP_PSH | TCP_FIN)) == TCP_ACK && piece > 0 &&
	       l->payload % piece == 0 && next->payload > 0 &&
	       next->payload <= piece && next->seq == l->seq + l->payload &&
	       l->headers + l->payload <= max_len &&
	       next->payload <= max_len - l->headers - l->payload &&
	       same_flow(last, hdr, l);
}

void
tso_joined(uint8_t *last, struct tso_segment *l, uint16_t *segment_size,
	   const uint8_t *hdr, const struct tso_segment *next)
{
	uint8_t *ip = last + SN_ETH_HLEN;

	if (*segment_size == 0)
		*segment_size = (uint16_t)l->payload;
	l->payload += next->payload;
	l->flags = next->flags;
	last[l->l4 + 13] = next->flags;
	if (l->ipv6) {
		write_be16(ip + 4, (uint16_t)(l->headers - l->l4 + l->payload));
	} else {
		write_be16(ip + 2,
			   (uint16_t)(l->headers - SN_ETH_HLEN + l->payload));
		write_be16(ip + 10, 0);
		write_be16(ip + 10, (uint16_t)~checksum_fold(
					checksum_add(0, ip, SN_IPV4_HLEN)));
	}
	tso_leave_checksum(last, l);
}
