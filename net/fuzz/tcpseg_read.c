/*
 * TCP segments read from arbitrary frames, as the SYN proxy and TCPIP
 * read them.  A segment that reads is written again and must read back
 * the same, but for what writing leaves out (payload, other options).
 */
#include <stdint.h>
#include <string.h>

#include "tcpseg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[TCPSEG_MAX_WRITTEN];
	struct tcpseg s, back;
	int n;

	if (tcpseg_read(&s, data, size) < 0)
		return 0;
	n = tcpseg_write(out, sizeof(out), &s);
	if (n <= 0 || (size_t)n > sizeof(out) ||
	    tcpseg_read(&back, out, (size_t)n) < 0)
		__builtin_trap();
	s.payload_len = 0;
	if (memcmp(&s, &back, sizeof(s)) != 0)
		__builtin_trap();
	return 0;
}
