/*
 * The Firewall's filter on arbitrary frames, both directions, with a few
 * rules, a server port behind the SYN proxy and an open DNS lookup in
 * place so that every branch is reachable.
 *
 * The first byte steers: bit 0 the direction; bits 3-7 how far the clock
 * moves (tenths of a second), after which overdue hand-offs expire.  With
 * bit 1 set, the rest is not a frame but a TCP segment's fields, written
 * with right checksums to the station's address, and an inbound ACK is
 * given a valid cookie: a fuzzer could not find either by chance, and the
 * handshake's later steps lie behind them.  With bit 2 set, a frame goes
 * as the device with offloads has it (vnet.h): inbound, the rest is the
 * virtio-net header and the frame; outbound, two bytes of segment size
 * and the frame, whose header is made as the Firewall makes it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "filter.h"
#include "stack.h"
#include "syncookie.h"
#include "tcpseg.h"
#include "vnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TENTH 100000000ull

/* The destination of the Linux SYN among the seeds. */
static const uint8_t station[6] = {0x52, 0x01, 0x68, 0xc6, 0xb6, 0xfd};
static struct syncookie_key key;
static struct filter f;
static struct filter_reply reply;
static uint64_t now = 1000 * TENTH;
static int ready;

static void
set_up(void)
{
	static const uint8_t k[SYNCOOKIE_KEY_BYTES] = "fuzzing the key.";
	struct filter_addr a;
	const uint8_t server[4] = {10, 0, 0, 1};

	if (key.mac == NULL && syncookie_key_init(&key, k) < 0)
		__builtin_trap();
	filter_init(&f);
	filter_syn_proxy(&f, &key, station);
	filter_addr_from(&a, server, 4);
	filter_rule_add(&f, 6, 50000, &a, 80);
	filter_rule_add(&f, 17, 40000, &a, 53);
	filter_server_port_add(&f, 6, 80, true, 4);
	filter_server_port_listening(&f, 6, 80, true);
	filter_dns_open(&f, &a);
	ready = 1;
}

/* A segment from the fuzzer's bytes, made well formed. */
static size_t
made_segment(uint8_t *out, size_t cap, int inbound, const uint8_t *data,
	     size_t size)
{
	uint8_t raw[sizeof(struct tcpseg)] = {0};
	struct tcpseg s;
	int n;

	/* A bool holds 0 or 1, or reading it is undefined. */
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	raw[offsetof(struct tcpseg, ipv6)] &= 1;
	raw[offsetof(struct tcpseg, has_mss)] &= 1;
	raw[offsetof(struct tcpseg, has_wscale)] &= 1;
	memcpy(&s, raw, sizeof(s));
	memcpy(inbound ? s.dst_mac : s.src_mac, station, 6);
	if (inbound && (s.flags & (TCPSEG_SYN | TCPSEG_ACK)) == TCPSEG_ACK) {
		struct tcpseg syn = s;
		uint32_t cookie;

		/* The cookie of a SYN with the same options, or one period
		 * old: both are valid. */
		if (syncookie_make(&key, &syn,
				   syncookie_counter(now) - (s.window & 1),
				   &cookie) == 0)
			s.ack = cookie + 1;
	}
	n = tcpseg_write(out, cap, &s);
	return n > 0 ? (size_t)n : 0;
}

/* A frame through the device's header, either way. */
static void
through_device(enum filter_direction dir, const uint8_t *data, size_t size)
{
	struct vnet_frame in;
	struct vnet_hdr h;
	uint16_t segment_size;

	if (dir == FILTER_IN) {
		if (vnet_filter_in(&f, data, size, now, &reply, &in) !=
			FILTER_PASS &&
		    vnet_read(data, size, &in) < 0)
			return;
		/* What passes lies inside the input, within lwIP's limit,
		 * and a segment size comes only with a trusted checksum. */
		if (in.frame != data + VNET_HDR_LEN ||
		    in.len != size - VNET_HDR_LEN ||
		    in.len > SN_MAX_SUPER_FRAME ||
		    (in.segment_size != 0 && !in.checksum_trusted))
			__builtin_trap();
		return;
	}
	if (size < 2)
		return;
	segment_size = (uint16_t)(data[0] | data[1] << 8);
	if (vnet_for_output(&h, data + 2, size - 2, segment_size) < 0)
		return;
	/* The device is asked to cut only pieces that fit the link, from
	 * a frame with more than one, and to sum only inside the frame. */
	if ((h.gso_type != VNET_GSO_NONE &&
	     (h.gso_size == 0 || h.gso_size > SN_MTU ||
	      h.hdr_len >= size - 2)) ||
	    (h.flags & VNET_F_NEEDS_CSUM &&
	     (size_t)h.csum_start + h.csum_offset + 2 > size - 2))
		__builtin_trap();
	filter_frame(&f, dir, data + 2, size - 2, now, &reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t made[TCPSEG_MAX_WRITTEN], rst[TCPSEG_MAX_WRITTEN];
	enum filter_direction dir;
	int n;

	if (!ready)
		set_up();
	if (size < 1)
		return 0;
	dir = data[0] & 1 ? FILTER_OUT : FILTER_IN;
	if (data[0] & 4) {
		through_device(dir, data + 1, size - 1);
	} else if (data[0] & 2) {
		size_t len = made_segment(made, sizeof(made), dir == FILTER_IN,
					  data + 1, size - 1);
		filter_frame(&f, dir, made, len, now, &reply);
	} else {
		filter_frame(&f, dir, data + 1, size - 1, now, &reply);
	}
	if (reply.answer_len > sizeof(reply.answer) ||
	    reply.syn_len > sizeof(reply.syn))
		__builtin_trap();
	now += (uint64_t)(data[0] >> 3) * TENTH;
	while ((n = filter_expire(&f, now, rst, sizeof(rst))) != 0)
		if (n > (int)sizeof(rst))
			__builtin_trap();
	/* Cookies add rules: keep the table from filling for good. */
	if (filter_rule_count(&f) > FILTER_MAX_RULES - 4)
		ready = 0;
	return 0;
}
