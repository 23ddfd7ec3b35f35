/*
 * The NTP reply decoder on arbitrary packets, then everything that reads
 * what it accepted: the extension-field walk, the offset and delay, era
 * conversion and selection.
 *
 * Input: one flag byte, 24 bytes of our own clock and pivot, the packet.
 * Flag bit 0 takes the packet's own origin timestamp as the one we sent,
 * so that the checks after the origin match are reached.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ntp.h"
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
read64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntp_reply r;
	struct ntp_ef_cursor cur;
	struct ntp_ef ef;
	struct ntp_sample s;
	struct ntp_unix_time t;
	struct select_sample samples[3];
	struct select_result chosen;
	const uint8_t *pkt;
	uint64_t sent = 0x0123456789abcdefull;
	int64_t t1, t4, total_delay;
	size_t len;
	int rc;

	if (size < 25)
		return 0;
	t1 = (int64_t)read64(data + 1);
	t4 = (int64_t)read64(data + 9);
	pkt = data + 25;
	len = size - 25;
	if ((data[0] & 1) && len >= 32) {
		sent = 0;
		for (int i = 24; i < 32; i++)
			sent = sent << 8 | pkt[i];
	}
	rc = ntp_reply_decode(&r, pkt, len, sent);
	/* Whatever the verdict, the era conversion must hold for any
	 * timestamp and pivot. */
	if (len >= 8 &&
	    ntp_to_unix(read64(pkt), (int64_t)read64(data + 17), &t) == 0 &&
	    t.nanoseconds >= 1000000000u)
		__builtin_trap();
	if (rc == -EMSGSIZE || rc == -EBADMSG || rc == -EINVAL)
		return 0;
	ntp_ef_cursor_packet(&cur, pkt, &r);
	while ((rc = ntp_ef_next(&cur, &ef)) == 1)
		if (ef.offset + ef.len > len)
			__builtin_trap();
	/* The decoder walked the same fields: they must walk again. */
	if (rc < 0)
		__builtin_trap();
	if (ntp_sample_compute(&s, &r, t1, t4) != 0)
		return 0;
	if (s.delay_ns < 0)
		__builtin_trap();
	/* The clock readings are the fuzzer's: a delay near INT64_MAX is
	 * possible, so the sum saturates. */
	if (__builtin_add_overflow(s.delay_ns, s.root_delay_ns, &total_delay))
		total_delay = INT64_MAX;
	for (int i = 0; i < 3; i++)
		samples[i] = (struct select_sample){
		    .server = (uint16_t)i,
		    .stratum = s.stratum,
		    .offset_ns = s.offset_ns + i * (s.delay_ns % 1000),
		    .delay_ns = total_delay,
		    .dispersion_ns = s.root_dispersion_ns};
	if (select_time(samples, 3, &chosen) == 0 &&
	    (chosen.low_ns > chosen.high_ns || chosen.survivors < 2))
		__builtin_trap();
	return 0;
}
