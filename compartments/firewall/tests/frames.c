/* The filter tests' frames: see frames.h. */
#include "frames.h"

#include <string.h>

#include "bytes.h"

uint8_t frame[1514];

size_t
ipv4(const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t l4len)
{
	memset(frame, 0, sizeof(frame));
	write_be16(frame + 12, 0x0800);
	uint8_t *ip = frame + 14;
	ip[0] = 0x45;
	write_be16(ip + 2, (unsigned)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	return 14 + 20 + l4len;
}

size_t
ipv6(const uint8_t *src, const uint8_t *dst, uint8_t next, uint8_t hop,
     size_t l4len)
{
	memset(frame, 0, sizeof(frame));
	write_be16(frame + 12, 0x86dd);
	uint8_t *ip = frame + 14;
	ip[0] = 0x60;
	write_be16(ip + 4, (unsigned)l4len);
	ip[6] = next;
	ip[7] = hop;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return 14 + 40 + l4len;
}

void
ports(size_t l4_offset, unsigned sport, unsigned dport, uint8_t flags)
{
	write_be16(frame + l4_offset, sport);
	write_be16(frame + l4_offset + 2, dport);
	frame[l4_offset + 13] = flags;
}
