/*
 * The Firewall compartment: the only holder of the network device.  Frames
 * read from the TAP device are filtered and handed to TCPIP; frames TCPIP
 * sends are filtered and written to the device.  Its rules change only
 * through the exports the image lets NetAPI (and, for removal, TCPIP)
 * call; when TCPIP restarts, every rule goes.
 *
 * SYNs to server ports are answered here with SYN cookies (filter.h); a
 * timer resets the clients of connections lwIP did not take in time, and
 * logs the number of rules whenever it has changed.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "filter.h"
#include "frames.h"
#include "held.h"
#include "intake.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "vnet.h"

SEALNET_COMPARTMENT("Firewall");
SEALNET_DEVICE(tap);
SEALNET_IMPORT(tcpip_frame_receive);
SEALNET_RESTART(always, 10);
/* A frame and the device's header for it in one call, either way. */
SEALNET_SYSCALL(readv);
SEALNET_SYSCALL(writev);

/* How often overdue hand-offs are looked for, and the rules counted. */
#define TICK_NS		(100 * SN_MS)
#define RULES_LOG_TICKS 10

static struct sn_compartment compartment;
static struct sn_peer *tcpip;
static struct filter filter;
static struct syncookie_key cookie_key;
static uint64_t tcpip_busy, device_errors, handoffs_reset;
/* The device's frames carry a virtio-net header (vnet.h). */
static bool offloads;

static void
count_drop(enum filter_verdict v, enum filter_direction dir)
{
	if (!sn_log_worth(filter.counts[v]))
		return;
	if (v == FILTER_SYN_COOKIE)
		sn_log("answered SYNs with a cookie: %llu so far",
		       (unsigned long long)filter.counts[v]);
	else
		sn_log("dropped %s frame: %s (%llu so far)",
		       dir == FILTER_IN ? "inbound" : "outbound",
		       filter_verdict_name(v),
		       (unsigned long long)filter.counts[v]);
}

/* A frame onto the wire, behind the header the device expects. */
static void
device_write_with(const struct vnet_hdr *h, const uint8_t *data, size_t len)
{
	uint8_t hdr[VNET_HDR_LEN];
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
	ssize_t n;

	if (offloads) {
		vnet_encode(hdr, h);
		n = writev(SN_DEVICE_FD, iov, 2) - (ssize_t)sizeof(hdr);
	} else
		n = write(SN_DEVICE_FD, data, len);
	SEALNET_HOP("firewall.device.write", len);
	/* A full device queue loses the frame, as a wire would. */
	if (n != (ssize_t)len && sn_log_worth(++device_errors))
		sn_log("the device refused %llu frames",
		       (unsigned long long)device_errors);
}

/* A frame of the Firewall's own (a SYN-ACK or a reset), checksummed. */
static void
device_write(const uint8_t *data, size_t len)
{
	static const struct vnet_hdr plain;

	device_write_with(&plain, data, len);
}

static void device_readable(void *ctx, int fd, short revents);

/* Frames that passed the filter, waiting for TCPIP (intake.h). */
static struct intake intake;

static int
device_watch(void *ctx, bool on)
{
	if (!on)
		return sn_loop_remove_fd(&compartment.loop, SN_DEVICE_FD);
	if (sn_loop_add_fd(&compartment.loop, SN_DEVICE_FD, POLLIN,
			   device_readable, NULL) < 0) {
		sn_log("cannot watch the device again: no frames come in");
		return -ENOSPC;
	}
	return 0;
}

/* The batch goes to TCPIP as a notice; when TCPIP's ring has no room
 * for it, the intake keeps it, and the end of the turn in which TCPIP
 * has made room sends it (batch_retry). */
static int
batch_send(void *ctx, struct sn_frames *batch)
{
	unsigned pending = batch->count;
	int rc = sn_frames_send(batch, tcpip, SN_EXPORT_TCPIP_FRAME_RECEIVE);

	if (rc != -EAGAIN) {
		SEALNET_HOP("firewall.tcpip.frames", pending);
		if (rc < 0 && sn_log_worth(tcpip_busy += pending))
			sn_log("TCPIP is gone: %llu frames not delivered",
			       (unsigned long long)tcpip_busy);
	}
	return rc;
}

static void
batch_retry(void *ctx)
{
	/* Its result is in the log already, or the batch is kept. */
	(void)intake_send(&intake);
}

/* Queues a frame for TCPIP, sending the batch first if it is full. */
static int
batch_add(const uint8_t *data, size_t len, bool checksum_trusted)
{
	uint8_t *slot = intake_reserve(&intake, len);
	struct sn_frame_info *info;
	size_t n;

	if (slot == NULL)
		return -EMSGSIZE;
	memcpy(slot, data, len);
	if (sn_frames_last(&intake.batch, &n, &info) != NULL)
		info->checksum_trusted = checksum_trusted;
	return 0;
}

/* The SYN rebuilt from a cookie must reach lwIP before the ACK that
 * proved it, which was read into the batch first: the ACK (rare, and
 * short) is copied out, the SYN put in its place, and the ACK after. */
static void
syn_before_ack(const struct filter_reply *reply, bool checksum_trusted)
{
	static uint8_t ack[SN_FRAMES_MAX_FRAME];
	struct sn_frame_info *info;
	size_t len;
	const uint8_t *last = sn_frames_last(&intake.batch, &len, &info);

	if (last == NULL)
		return;
	memcpy(ack, last, len);
	if (sn_frames_trim_last(&intake.batch, 0) < 0 ||
	    batch_add(reply->syn, reply->syn_len, false) < 0 ||
	    sn_frames_mark_syn_cookie(&intake.batch, reply->syn_isn) < 0 ||
	    batch_add(ack, len, checksum_trusted) < 0)
		sn_log("no room for a SYN made from a cookie: its hand-off "
		       "expires");
}

/* The decision on a frame the device gave: its header checked, or for a
 * device without offloads, the frame alone. */
static enum filter_verdict
filter_read(const uint8_t *hdr, const uint8_t *frame, size_t len, uint64_t now,
	    struct filter_reply *reply, struct vnet_frame *in)
{
	*in = (struct vnet_frame){.frame = frame, .len = len};
	if (offloads)
		return vnet_filter_in_split(&filter, hdr, frame, len, now,
					    reply, in);
	if (len > SN_MAX_FRAME) {
		reply->answer_len = reply->syn_len = 0;
		filter.counts[FILTER_DROP_TOO_LONG]++;
		return FILTER_DROP_TOO_LONG;
	}
	return filter_frame(&filter, FILTER_IN, frame, len, now, reply);
}

/* When the device was found readable: the filter's clock for its frames. */
static uint64_t read_now;

/*
 * One frame from the device, read straight into the batch (no copy of
 * its own), filtered, and kept there only if it passes (intake_io.read).
 * Bytes past a super-frame land in `beyond`: such a frame is too long,
 * and dropped.
 */
static int
device_read_one(void *ctx, struct intake *in)
{
	static uint8_t beyond[64];
	uint8_t hdr[VNET_HDR_LEN] = {0};
	size_t skip = offloads ? sizeof(hdr) : 0, len;
	uint8_t *slot = intake_reserve(in, SN_FRAMES_MAX_FRAME);
	struct iovec iov[3] = {{hdr, sizeof(hdr)}};
	struct filter_reply reply;
	struct sn_frame_info *info;
	struct vnet_frame vf;
	enum filter_verdict v;
	ssize_t n;

	if (slot == NULL)
		return -ENOBUFS;
	iov[1] = (struct iovec){slot, SN_FRAMES_MAX_FRAME};
	iov[2] = (struct iovec){beyond, sizeof(beyond)};
	n = readv(SN_DEVICE_FD, offloads ? iov : iov + 1, offloads ? 3 : 2);
	if (n <= 0 || (size_t)n < skip) {
		sn_frames_trim_last(&in->batch, 0);
		if (n > 0)
			count_drop(FILTER_DROP_DEVICE, FILTER_IN);
		return n > 0 ? 1 : 0;
	}
	len = (size_t)n - skip;
	SEALNET_HOP("firewall.device.read", len);
	v = filter_read(hdr, slot,
			len > SN_FRAMES_MAX_FRAME ? SN_FRAMES_MAX_FRAME + 1
						  : len,
			read_now, &reply, &vf);
	if (reply.answer_len > 0)
		device_write(reply.answer, reply.answer_len);
	if (v != FILTER_PASS) {
		count_drop(v, FILTER_IN);
		sn_frames_trim_last(&in->batch, 0);
		return 1;
	}
	sn_frames_trim_last(&in->batch, vf.len);
	if (sn_frames_last(&in->batch, &len, &info) != NULL)
		info->checksum_trusted = vf.checksum_trusted;
	if (reply.syn_len > 0)
		syn_before_ack(&reply, vf.checksum_trusted);
	return 1;
}

static void
device_readable(void *ctx, int fd, short revents)
{
	read_now = sn_now_ns();
	intake_device_readable(&intake);
}

/* The decision on a frame TCPIP sends, and the device's header for it. */
static enum filter_verdict
output_verdict(const uint8_t *data, uint32_t len,
	       const struct sn_frame_info *info, struct vnet_hdr *h)
{
	struct filter_reply reply;
	enum filter_verdict v = FILTER_PASS;

	/* Only the Firewall makes SYNs from cookies; only a device with
	 * offloads takes frames longer than the link's. */
	if (info->has_syn_cookie ||
	    (!offloads && (len > SN_MAX_FRAME || info->segment_size != 0)))
		v = FILTER_DROP_MALFORMED;
	else if (offloads &&
		 vnet_for_output(h, data, len, info->segment_size) < 0)
		v = FILTER_DROP_DEVICE;
	if (v != FILTER_PASS) {
		filter.counts[v]++;
		return v;
	}
	return filter_frame(&filter, FILTER_OUT, data, len, sn_now_ns(),
			    &reply);
}

/* ---- SYNs that overtook their rule (held.h) ---- */

static struct held_syns held;

/* Whether a peer that may add rules has messages this turn left unread:
 * a held SYN's rule may be among them. */
static bool
rules_pending(void)
{
	for (unsigned i = 0; i < compartment.npeers; i++) {
		const struct sn_peer *p = compartment.peers[i];
		unsigned id = SN_EXPORT_FIREWALL_RULE_ADD;

		if (!p->dead && (p->may_call[id / 64] >> (id % 64) & 1u) &&
		    sn_channel_readable(&p->channel))
			return true;
	}
	return false;
}

static void
held_write(void *ctx, const struct vnet_hdr *h, const uint8_t *frame,
	   size_t len)
{
	device_write_with(h, frame, len);
}

/* Runs after every turn, once the rings read in it have been served. */
static void
syns_recheck(void *ctx)
{
	uint64_t passed = held.passed_late, dropped = held.dropped_late;

	if (held.count == 0)
		return;
	held_syns_recheck(&held, &filter, rules_pending(), sn_now_ns(),
			  held_write, NULL);
	if (held.passed_late > passed && sn_log_worth(held.passed_late))
		sn_log("SYNs that overtook their rule, passed once it was "
		       "read: %llu so far",
		       (unsigned long long)held.passed_late);
	if (held.dropped_late > dropped)
		count_drop(FILTER_DROP_NO_RULE, FILTER_OUT);
}

static void
send_one(void *ctx, const uint8_t *data, uint32_t len,
	 const struct sn_frame_info *info)
{
	struct vnet_hdr h = {0};
	enum filter_verdict v = output_verdict(data, len, info, &h);

	if (v == FILTER_DROP_NO_RULE &&
	    held_syns_add(&held, &filter, data, len, &h, sn_now_ns()) == 0)
		return;
	if (v != FILTER_PASS) {
		count_drop(v, FILTER_OUT);
		return;
	}
	device_write_with(&h, data, len);
}

/* A notice: one-way, so nothing answers it. */
static void
serve_frame_send(void *ctx, struct sn_incoming *in)
{
	sn_frames_each(sn_message_body_as_frames(in->request), send_one, NULL);
}

static int
rule_of(struct sn_incoming *in, uint8_t *protocol, uint16_t *local_port,
	struct filter_addr *remote, uint16_t *remote_port)
{
	sn_firewall_rule_ref r = sn_message_body_as_firewall_rule(in->request);
	sn_endpoint_ref ep = sn_firewall_rule_remote(r);
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(ep, &len);

	*protocol = sn_firewall_rule_protocol(r) == SN_PROTOCOL_TCP   ? 6
		    : sn_firewall_rule_protocol(r) == SN_PROTOCOL_UDP ? 17
								      : 0;
	*local_port = sn_firewall_rule_local_port(r);
	*remote_port = sn_endpoint_port(ep);
	return filter_addr_from(remote, a, len);
}

static void
answer(struct sn_incoming *in, int rc)
{
	if (rc < 0)
		sn_reply_error(in, rc);
	else
		sn_reply_ok(in, SN_BODY_EMPTY,
			    sn_empty_start(sn_reply_builder(&compartment)));
}

static void
serve_rule_add(void *ctx, struct sn_incoming *in)
{
	uint8_t proto;
	uint16_t lport, rport;
	struct filter_addr remote;
	int rc = rule_of(in, &proto, &lport, &remote, &rport);

	answer(in,
	       rc < 0 ? rc
		      : filter_rule_add(&filter, proto, lport, &remote, rport));
}

static void
serve_rule_remove(void *ctx, struct sn_incoming *in)
{
	uint8_t proto;
	uint16_t lport, rport;
	struct filter_addr remote;
	int rc = rule_of(in, &proto, &lport, &remote, &rport);

	answer(in, rc < 0 ? rc
			  : filter_rule_remove(&filter, proto, lport, &remote,
					       rport));
}

static void
serve_rules_clear(void *ctx, struct sn_incoming *in)
{
	filter_rules_clear(&filter);
	answer(in, 0);
}

static void
serve_server_port(void *ctx, struct sn_incoming *in)
{
	sn_server_port_ref s = sn_message_body_as_server_port(in->request);
	uint8_t proto = sn_server_port_protocol(s) == SN_PROTOCOL_TCP ? 6 : 0;

	if (in->export_id == SN_EXPORT_FIREWALL_SERVER_PORT_ADD)
		answer(in, filter_server_port_add(
			       &filter, proto, sn_server_port_port(s),
			       sn_server_port_ipv6(s),
			       sn_server_port_max_connections(s)));
	else if (in->export_id == SN_EXPORT_FIREWALL_SERVER_PORT_LISTENING)
		answer(in, filter_server_port_listening(
			       &filter, proto, sn_server_port_port(s),
			       sn_server_port_listening(s)));
	else
		answer(in, filter_server_port_remove(&filter, proto,
						     sn_server_port_port(s)));
}

/* The lookups each peer has open.  A lookup's end closes one of its own
 * caller's, and a caller that dies takes all of its with it: the DNS
 * hole never outlives the lookups that opened it, and a caller cannot
 * close another's. */
static unsigned dns_open[SN_MAX_PEERS];

static unsigned *
dns_open_of(const struct sn_peer *p)
{
	for (unsigned i = 0; i < compartment.npeers; i++)
		if (compartment.peers[i] == p)
			return &dns_open[i];
	return NULL;
}

static void
serve_dns_lookup(void *ctx, struct sn_incoming *in)
{
	sn_dns_lookup_ref l = sn_message_body_as_dns_lookup(in->request);
	sn_endpoint_ref ep = sn_dns_lookup_server(l);
	unsigned *open = dns_open_of(in->peer);
	struct filter_addr server;
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(ep, &len);

	if (open == NULL) {
		answer(in, -EPERM);
		return;
	}
	if (in->export_id == SN_EXPORT_FIREWALL_DNS_LOOKUP_END) {
		if (*open == 0) {
			answer(in, -ENOENT);
			return;
		}
		(*open)--;
		filter_dns_close(&filter);
		answer(in, 0);
		return;
	}
	if (filter_addr_from(&server, a, len) < 0) {
		answer(in, -EINVAL);
		return;
	}
	(*open)++;
	filter_dns_open(&filter, &server);
	answer(in, 0);
}

static void
serve_port_close(void *ctx, struct sn_incoming *in)
{
	sn_local_port_ref p = sn_message_body_as_local_port(in->request);
	uint8_t proto = sn_local_port_protocol(p) == SN_PROTOCOL_UDP   ? 17
			: sn_local_port_protocol(p) == SN_PROTOCOL_TCP ? 6
								       : 0;

	if (proto == 0) {
		answer(in, -EINVAL);
		return;
	}
	filter_port_close(&filter, proto, sn_local_port_port(p));
	answer(in, 0);
}

/* A caller that died mid-lookup never ends it: its lookups end here. */
static void
peer_died(void *ctx, struct sn_peer *p)
{
	unsigned *open = dns_open_of(p);

	if (open == NULL || *open == 0)
		return;
	sn_log("%s died with %u DNS lookups open: closing them", p->name,
	       *open);
	for (; *open > 0; (*open)--)
		filter_dns_close(&filter);
}

/* A new TCPIP knows none of the old one's connections. */
static void
peer_restarted(void *ctx, struct sn_peer *p)
{
	if (p == tcpip) {
		sn_log("TCPIP restarted: clearing %u rules and every server "
		       "port",
		       filter_rule_count(&filter));
		filter_reset(&filter);
	}
}

static void
tick(void *ctx)
{
	static unsigned ticks, logged_rules = ~0u;
	uint8_t rst[TCPSEG_MAX_WRITTEN];
	uint64_t now = sn_now_ns();
	unsigned rules;
	int n;

	while ((n = filter_expire(&filter, now, rst, sizeof(rst))) != 0) {
		if (n > 0)
			device_write(rst, (size_t)n);
		if (sn_log_worth(++handoffs_reset))
			sn_log("reset %llu clients: lwIP sent nothing on their "
			       "connection in time",
			       (unsigned long long)handoffs_reset);
	}
	/* The count of holes, for whoever watches the log: at most one
	 * line a second, and only when it changed. */
	rules = filter_rule_count(&filter);
	if (++ticks >= RULES_LOG_TICKS && rules != logged_rules) {
		sn_log("rules: %u", rules);
		logged_rules = rules;
		ticks = 0;
	}
	if (sn_loop_add_timer(&compartment.loop, now + TICK_NS, tick, NULL) < 0)
		sn_log("cannot set the timer: overdue hand-offs stay");
}

/* The exports this compartment serves, each with its handler. */
SEALNET_EXPORT(firewall_frame_send, serve_frame_send);
SEALNET_EXPORT(firewall_rule_add, serve_rule_add);
SEALNET_EXPORT(firewall_rule_remove, serve_rule_remove);
SEALNET_EXPORT(firewall_rules_clear, serve_rules_clear);
SEALNET_EXPORT(firewall_server_port_add, serve_server_port);
SEALNET_EXPORT(firewall_server_port_remove, serve_server_port);
SEALNET_EXPORT(firewall_server_port_listening, serve_server_port);
SEALNET_EXPORT(firewall_dns_lookup_begin, serve_dns_lookup);
SEALNET_EXPORT(firewall_dns_lookup_end, serve_dns_lookup);
SEALNET_EXPORT(firewall_port_close, serve_port_close);

int
main(void)
{
	uint8_t key[SYNCOOKIE_KEY_BYTES], station[6];
	uint64_t seed;

	filter_init(&filter);
	if (getrandom(key, sizeof(key), 0) != sizeof(key) ||
	    syncookie_key_init(&cookie_key, key) < 0 ||
	    getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return 1;
	filter_seed(&filter, seed);
	explicit_bzero(key, sizeof(key));
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	offloads = sn_compartment_device_offloads();
	sn_log("device offloads %s", offloads ? "on: super-frames up to 64 KiB"
					      : "off: one frame per call");
	/* The supervisor gives TCPIP this address too; without it, no
	 * SYN is answered and server ports admit nobody. */
	if (sn_compartment_hardware_address(station))
		filter_syn_proxy(&filter, &cookie_key, station);
	else
		sn_log("no hardware address: server ports admit nobody");
	tcpip = sn_export_peer(&compartment, SN_EXPORT_TCPIP_FRAME_RECEIVE);
	if (tcpip == NULL)
		return 1;
	held_syns_init(&held);
	intake_init(&intake, &(struct intake_io){.read = device_read_one,
						 .send = batch_send,
						 .watch = device_watch});
	if (sn_compartment_on_peer_restarted(&compartment, peer_restarted,
					     NULL) < 0 ||
	    sn_compartment_on_peer_died(&compartment, peer_died, NULL) < 0 ||
	    sn_compartment_on_turn_done(&compartment, batch_retry, NULL) < 0 ||
	    sn_compartment_on_turn_done(&compartment, syns_recheck, NULL) < 0 ||
	    sn_loop_add_fd(&compartment.loop, SN_DEVICE_FD, POLLIN,
			   device_readable, NULL) < 0)
		return 1;
	tick(NULL);
	return sn_compartment_run(&compartment) < 0;
}
