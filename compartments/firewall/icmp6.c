/*
 * Neighbour discovery and multicast listener discovery: what of them
 * passes (filter.h), and the one extension header the filter reads.
 * Every length is checked against the bytes present before it is used.
 */
#include "icmp6.h"

#include <stdbool.h>

#include "bytes.h"
#include "stack.h"

#define OPTION_PAD1	    0u
#define OPTION_PADN	    1u
#define OPTION_ROUTER_ALERT 5u
/* RFC 2711: the router alert's value for MLD. */
#define ROUTER_ALERT_MLD 0u

enum filter_verdict
icmp6_link(enum filter_direction dir, const uint8_t *l4, uint8_t hop)
{
	switch (l4[0]) {
	case 133: /* router solicitation */
	case 143: /* MLDv2 report */
		return dir == FILTER_OUT ? FILTER_PASS : FILTER_DROP_ND;
	case 134: /* router advertisement */
		return dir == FILTER_IN && hop == 255 ? FILTER_PASS
						      : FILTER_DROP_ND;
	case 135: /* neighbour solicitation */
	case 136: /* neighbour advertisement */
		return hop == 255 ? FILTER_PASS : FILTER_DROP_ND;
	default:
		return FILTER_DROP_ND;
	}
}

/* The options of len bytes at o, after a hop-by-hop header's first two
 * bytes: MLD puts a router alert there, so routers look at its messages
 * (RFC 2710, 3810), and padding to fill the header.  Any other option
 * asks something of the routers on the way that lwIP never asks. */
static enum filter_verdict
mld_options(const uint8_t *o, size_t len)
{
	bool alert = false;
	size_t i = 0;

	while (i < len) {
		size_t olen;

		if (o[i] == OPTION_PAD1) {
			i++;
			continue;
		}
		if (len - i < 2 || (size_t)o[i + 1] > len - i - 2)
			return FILTER_DROP_MALFORMED;
		olen = 2 + (size_t)o[i + 1];
		if (o[i] == OPTION_ROUTER_ALERT && olen == 4 && !alert &&
		    read_be16(o + i + 2) == ROUTER_ALERT_MLD)
			alert = true;
		else if (o[i] != OPTION_PADN)
			return FILTER_DROP_PROTOCOL;
		i += olen;
	}
	return alert ? FILTER_PASS : FILTER_DROP_PROTOCOL;
}

enum filter_verdict
icmp6_hop_by_hop(enum filter_direction dir, const uint8_t *p, size_t plen,
		 uint8_t hop)
{
	enum filter_verdict v;
	size_t hlen, mlen;

	/* lwIP sends MLD behind this header, and needs nothing that comes
	 * in behind one. */
	if (dir != FILTER_OUT)
		return FILTER_DROP_PROTOCOL;
	if (plen < 8)
		return FILTER_DROP_MALFORMED;
	/* In units of 8 bytes, not counting the first 8. */
	hlen = 8 * ((size_t)p[1] + 1);
	if (hlen > plen)
		return FILTER_DROP_MALFORMED;
	v = mld_options(p + 2, hlen - 2);
	if (v != FILTER_PASS)
		return v;
	/* Behind it, TCP or UDP would slip past the rules, and a second
	 * extension header past this check. */
	if (p[0] != SN_IPPROTO_ICMPV6)
		return FILTER_DROP_PROTOCOL;
	mlen = plen - hlen;
	if (mlen < 8)
		return FILTER_DROP_ND;
	switch (p[hlen]) {
	case 131: /* MLDv1 report */
	case 132: /* MLDv1 done */
		/* Their group address makes 24 bytes. */
		if (mlen < 24)
			return FILTER_DROP_ND;
		break;
	case 143: /* MLDv2 report */
		break;
	default:
		return FILTER_DROP_ND;
	}
	/* MLD's messages never leave the link (RFC 2710, 3810). */
	return hop == 1 ? FILTER_PASS : FILTER_DROP_ND;
}
