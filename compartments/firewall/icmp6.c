/*
 * Neighbour discovery and multicast listener discovery: what of them
 * passes (filter.h).
 */
#include "icmp6.h"

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
