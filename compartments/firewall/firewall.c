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

#include "boot.h"
#include "filter.h"
#include "frames.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "vnet.h"

SEALNET_COMPARTMENT("Firewall");
SEALNET_DEVICE(tap);
SEALNET_IMPORT(tcpip_frame_receive);
SEALNET_RESTART(always, 10);
/* A frame and the device's header for it in one write. */
SEALNET_SYSCALL(writev);

/* How often overdue hand-offs are looked for, and the rules counted. */
#define TICK_NS		(100 * SN_MS)
#define RULES_LOG_TICKS 10

static struct sn_compartment compartment;
static struct sn_peer *tcpip;
static struct filter filter;
static struct syncookie_key cookie_key;
static uint64_t tcpip_busy, device_errors, oversized, handoffs_reset;
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

static void
frame_delivered(void *ctx, int status, const sn_message_ref *reply)
{
}

static struct sn_frames batch;

static void
batch_send(void)
{
	unsigned pending = batch.count;

	if (sn_frames_send(&batch, tcpip, SN_EXPORT_TCPIP_FRAME_RECEIVE,
			   frame_delivered) < 0 &&
	    sn_log_worth(tcpip_busy += pending))
		sn_log("TCPIP is behind: %llu frames not delivered",
		       (unsigned long long)tcpip_busy);
}

/* Queues a frame for TCPIP, sending the batch first if it is full. */
static int
batch_add(const uint8_t *data, size_t len, bool checksum_trusted)
{
	uint8_t *slot = sn_frames_reserve(&batch, len);
	struct sn_frame_info *info;
	size_t n;

	if (slot == NULL) {
		batch_send();
		slot = sn_frames_reserve(&batch, len);
	}
	if (slot == NULL)
		return -EMSGSIZE;
	memcpy(slot, data, len);
	if (sn_frames_last(&batch, &n, &info) != NULL)
		info->checksum_trusted = checksum_trusted;
	return 0;
}

/* A frame as the device gave it: the header checked and taken off. */
static enum filter_verdict
filter_read(uint8_t *buf, size_t len, uint64_t now, struct filter_reply *reply,
	    struct vnet_frame *frame)
{
	if (offloads)
		return vnet_filter_in(&filter, buf, len, now, reply, frame);
	*frame = (struct vnet_frame){.frame = buf, .len = len};
	return filter_frame(&filter, FILTER_IN, buf, len, now, reply);
}

static void
device_readable(void *ctx, int fd, short revents)
{
	/* A super-frame with its header, and a byte to tell a longer one. */
	static uint8_t buf[VNET_HDR_LEN + SN_MAX_SUPER_FRAME + 1];
	struct filter_reply reply;
	struct vnet_frame in;
	uint64_t now = sn_now_ns();

	/* A bounded batch: the channels get their turn too. */
	for (unsigned i = 0; i < SN_FRAMES_MAX; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		enum filter_verdict v;

		if (n <= 0)
			break;
		v = filter_read(buf, (size_t)n, now, &reply, &in);
		if (reply.answer_len > 0)
			device_write(reply.answer, reply.answer_len);
		if (v != FILTER_PASS) {
			count_drop(v, FILTER_IN);
			continue;
		}
		/* The SYN rebuilt from a cookie, then the ACK itself: lwIP
		 * must see them in that order. */
		if (reply.syn_len > 0 &&
		    (batch_add(reply.syn, reply.syn_len, false) < 0 ||
		     sn_frames_mark_syn_cookie(&batch, reply.syn_isn) < 0))
			continue; /* the hand-off expires and resets */
		if (batch_add(in.frame, in.len, in.checksum_trusted) < 0 &&
		    sn_log_worth(++oversized))
			sn_log("%llu frames too long for TCPIP",
			       (unsigned long long)oversized);
	}
	batch_send();
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

static void
send_one(void *ctx, const uint8_t *data, uint32_t len,
	 const struct sn_frame_info *info)
{
	struct vnet_hdr h = {0};
	enum filter_verdict v = output_verdict(data, len, info, &h);

	if (v != FILTER_PASS) {
		count_drop(v, FILTER_OUT);
		return;
	}
	device_write_with(&h, data, len);
}

static void
serve_frame_send(void *ctx, struct sn_incoming *in)
{
	sn_frames_each(sn_message_body_as_frames(in->request), send_one, NULL);
	sn_reply_ok(in, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
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
	else
		answer(in, filter_server_port_remove(&filter, proto,
						     sn_server_port_port(s)));
}

static void
serve_dns_lookup(void *ctx, struct sn_incoming *in)
{
	sn_dns_lookup_ref l = sn_message_body_as_dns_lookup(in->request);
	sn_endpoint_ref ep = sn_dns_lookup_server(l);
	struct filter_addr server;
	uint32_t len;
	const uint8_t *a = sn_endpoint_address(ep, &len);

	if (in->export_id == SN_EXPORT_FIREWALL_DNS_LOOKUP_END) {
		filter_dns_close(&filter);
		answer(in, 0);
		return;
	}
	if (filter_addr_from(&server, a, len) < 0) {
		answer(in, -EINVAL);
		return;
	}
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
SEALNET_EXPORT(firewall_dns_lookup_begin, serve_dns_lookup);
SEALNET_EXPORT(firewall_dns_lookup_end, serve_dns_lookup);
SEALNET_EXPORT(firewall_port_close, serve_port_close);

int
main(void)
{
	uint8_t key[SYNCOOKIE_KEY_BYTES], station[6];

	filter_init(&filter);
	if (getrandom(key, sizeof(key), 0) != sizeof(key) ||
	    syncookie_key_init(&cookie_key, key) < 0)
		return 1;
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
	compartment.peer_restarted = peer_restarted;
	if (sn_loop_add_fd(&compartment.loop, SN_DEVICE_FD, POLLIN,
			   device_readable, NULL) < 0)
		return 1;
	tick(NULL);
	return sn_compartment_run(&compartment) < 0;
}
