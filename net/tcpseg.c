/* TCP segments in Ethernet frames.  Every offset read from a frame is
 * checked against the bytes present before it is used. */
#include "tcpseg.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "stack.h"

#define OPT_EOL	   0
#define OPT_NOP	   1
#define OPT_MSS	   2
#define OPT_WSCALE 3

/* The TCP checksum field's value for a segment of len bytes at tcp; the
 * field itself must read as zero, or the result is 0 for a right one. */
static uint16_t
tcp_checksum(bool ipv6, const uint8_t *src, const uint8_t *dst,
	     const uint8_t *tcp, size_t len)
{
	size_t alen = ipv6 ? 16 : 4;
	uint32_t sum = 0;

	sum = checksum_add(sum, src, alen);
	sum = checksum_add(sum, dst, alen);
	sum += SN_IPPROTO_TCP;
	sum += (uint32_t)(len >> 16);
	sum += (uint32_t)(len & 0xffff);
	sum = checksum_add(sum, tcp, len);
	return (uint16_t)~checksum_fold(sum);
}

/* MSS and window scale, as lwIP reads them: a bad length ends the
 * options, as EOL does. */
static void
read_options(struct tcpseg *s, const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = opt[i];

		if (kind == OPT_EOL)
			return;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
			return;
		if (kind == OPT_MSS) {
			if (opt[i + 1] != 4)
				return;
			s->has_mss = true;
			s->mss = read_be16(opt + i + 2);
		} else if (kind == OPT_WSCALE) {
			if (opt[i + 1] != 3)
				return;
			s->has_wscale = true;
			s->wscale = opt[i + 2];
		}
		i += opt[i + 1];
	}
}

static int
read_segment(struct tcpseg *s, const uint8_t *frame, size_t len, bool check_sum)
{
	const uint8_t *ip, *tcp;
	size_t ip_len, tcp_len, doff;

	memset(s, 0, sizeof(*s));
	if (len < SN_ETH_HLEN)
		return -EINVAL;
	memcpy(s->dst_mac, frame, 6);
	memcpy(s->src_mac, frame + 6, 6);
	ip = frame + SN_ETH_HLEN;
	ip_len = len - SN_ETH_HLEN;
	switch (read_be16(frame + 12)) {
	case SN_ETHERTYPE_IPV4: {
		size_t ihl, total;

		if (ip_len < SN_IPV4_HLEN || ip[0] >> 4 != 4)
			return -EINVAL;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		total = read_be16(ip + 2);
		if (ihl < SN_IPV4_HLEN || total < ihl || total > ip_len ||
		    (read_be16(ip + 6) & 0x3fff) != 0 ||
		    ip[9] != SN_IPPROTO_TCP ||
		    checksum_fold(checksum_add(0, ip, ihl)) != 0xffff)
			return -EINVAL;
		s->ipv6 = false;
		s->hop_limit = ip[8];
		memcpy(s->src_ip, ip + 12, 4);
		memcpy(s->dst_ip, ip + 16, 4);
		tcp = ip + ihl;
		tcp_len = total - ihl;
		break;
	}
	case SN_ETHERTYPE_IPV6: {
		size_t plen;

		if (ip_len < SN_IPV6_HLEN || ip[0] >> 4 != 6)
			return -EINVAL;
		plen = read_be16(ip + 4);
		if (plen > ip_len - SN_IPV6_HLEN || ip[6] != SN_IPPROTO_TCP)
			return -EINVAL;
		s->ipv6 = true;
		s->hop_limit = ip[7];
		memcpy(s->src_ip, ip + 8, 16);
		memcpy(s->dst_ip, ip + 24, 16);
		tcp = ip + SN_IPV6_HLEN;
		tcp_len = plen;
		break;
	}
	default:
		return -EINVAL;
	}
	if (tcp_len < SN_TCP_HLEN)
		return -EINVAL;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < SN_TCP_HLEN || doff > tcp_len ||
	    (check_sum &&
	     tcp_checksum(s->ipv6, s->src_ip, s->dst_ip, tcp, tcp_len) != 0))
		return -EINVAL;
	s->src_port = read_be16(tcp);
	s->dst_port = read_be16(tcp + 2);
	s->seq = read_be32(tcp + 4);
	s->ack = read_be32(tcp + 8);
	s->flags = tcp[13];
	s->window = read_be16(tcp + 14);
	read_options(s, tcp + SN_TCP_HLEN, doff - SN_TCP_HLEN);
	s->payload_len = tcp_len - doff;
	return 0;
}

int
tcpseg_read(struct tcpseg *s, const uint8_t *frame, size_t len)
{
	return read_segment(s, frame, len, true);
}

int
tcpseg_read_trusted(struct tcpseg *s, const uint8_t *frame, size_t len)
{
	return read_segment(s, frame, len, false);
}

int
tcpseg_write(uint8_t *out, size_t cap, const struct tcpseg *s)
{
	size_t ip_hlen = s->ipv6 ? SN_IPV6_HLEN : SN_IPV4_HLEN;
	size_t opt_len = (s->has_mss ? 4u : 0u) + (s->has_wscale ? 4u : 0u);
	size_t tcp_len = SN_TCP_HLEN + opt_len;
	size_t len = SN_ETH_HLEN + ip_hlen + tcp_len;
	uint8_t *ip = out + SN_ETH_HLEN, *tcp = ip + ip_hlen, *opt;

	if (cap < len)
		return -ENOSPC;
	memset(out, 0, len);
	memcpy(out, s->dst_mac, 6);
	memcpy(out + 6, s->src_mac, 6);
	if (s->ipv6) {
		write_be16(out + 12, SN_ETHERTYPE_IPV6);
		ip[0] = 0x60;
		write_be16(ip + 4, (uint16_t)tcp_len);
		ip[6] = SN_IPPROTO_TCP;
		ip[7] = s->hop_limit;
		memcpy(ip + 8, s->src_ip, 16);
		memcpy(ip + 24, s->dst_ip, 16);
	} else {
		write_be16(out + 12, SN_ETHERTYPE_IPV4);
		ip[0] = 0x45;
		write_be16(ip + 2, (uint16_t)(SN_IPV4_HLEN + tcp_len));
		write_be16(ip + 6, 0x4000); /* don't fragment */
		ip[8] = s->hop_limit;
		ip[9] = SN_IPPROTO_TCP;
		memcpy(ip + 12, s->src_ip, 4);
		memcpy(ip + 16, s->dst_ip, 4);
		write_be16(ip + 10, (uint16_t)~checksum_fold(
					checksum_add(0, ip, SN_IPV4_HLEN)));
	}
	write_be16(tcp, s->src_port);
	write_be16(tcp + 2, s->dst_port);
	write_be32(tcp + 4, s->seq);
	write_be32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)(tcp_len / 4 << 4);
	tcp[13] = s->flags;
	write_be16(tcp + 14, s->window);
	opt = tcp + SN_TCP_HLEN;
	if (s->has_mss) {
		opt[0] = OPT_MSS;
		opt[1] = 4;
		write_be16(opt + 2, s->mss);
		opt += 4;
	}
	if (s->has_wscale) {
		opt[0] = OPT_NOP;
		opt[1] = OPT_WSCALE;
		opt[2] = 3;
		opt[3] = s->wscale;
	}
	write_be16(tcp + 16,
		   tcp_checksum(s->ipv6, s->src_ip, s->dst_ip, tcp, tcp_len));
	return (int)len;
}
