/*
 * The Firewall compartment: the only holder of the network device.  Frames
 * read from the TAP device are filtered and handed to TCPIP; frames TCPIP
 * sends are filtered and written to the device.  Its rules change only
 * through the exports the image lets NetAPI (and, for removal, TCPIP)
 * call; when TCPIP restarts, every rule goes.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "filter.h"
#include "frames.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("Firewall");
SEALNET_DEVICE(tap);
SEALNET_EXPORT(firewall_frame_send);
SEALNET_EXPORT(firewall_rule_add);
SEALNET_EXPORT(firewall_rule_remove);
SEALNET_EXPORT(firewall_rules_clear);
SEALNET_EXPORT(firewall_server_port_add);
SEALNET_EXPORT(firewall_server_port_remove);
SEALNET_EXPORT(firewall_dns_lookup_begin);
SEALNET_EXPORT(firewall_dns_lookup_end);
SEALNET_EXPORT(firewall_port_close);
SEALNET_IMPORT(TCPIP, tcpip_frame_receive);
SEALNET_RESTART(always, 10);

#define DEVICE_FD 6
#define MS	  1000000ull
#define MAX_FRAME 1518

static struct sn_compartment compartment;
static struct sn_peer *tcpip;
static struct filter filter;
static uint64_t tcpip_busy, device_errors;

static void
count_drop(enum filter_verdict v, enum filter_direction dir)
{
	if (sn_log_worth(filter.counts[v]))
		sn_log("dropped %s frame: %s (%llu so far)",
		       dir == FILTER_IN ? "inbound" : "outbound",
		       filter_verdict_name(v),
		       (unsigned long long)filter.counts[v]);
}

static void
frame_delivered(void *ctx, int status, const sn_message_ref *reply)
{
}

static void
device_readable(void *ctx, int fd, short revents)
{
	static struct sn_frames batch;
	uint8_t frame[MAX_FRAME + 64];
	unsigned pending;
	int rc;

	/* A bounded batch: the channels get their turn too. */
	for (unsigned i = 0; i < SN_FRAMES_MAX; i++) {
		ssize_t n = read(fd, frame, sizeof(frame));
		enum filter_verdict v;
		uint8_t *slot;

		if (n <= 0)
			break;
		v = filter_frame(&filter, FILTER_IN, frame, (size_t)n);
		if (v != FILTER_PASS) {
			count_drop(v, FILTER_IN);
			continue;
		}
		slot = sn_frames_reserve(&batch, (size_t)n);
		if (slot == NULL)
			break; /* cannot happen below SN_FRAMES_MAX frames */
		memcpy(slot, frame, (size_t)n);
	}
	pending = batch.count;
	rc = sn_frames_send(&batch, tcpip, SN_EXPORT_TCPIP_FRAME_RECEIVE,
			    frame_delivered);
	if (rc < 0 && sn_log_worth(tcpip_busy += pending))
		sn_log("TCPIP is behind: %llu frames not delivered",
		       (unsigned long long)tcpip_busy);
}

static void
send_one(void *ctx, const uint8_t *data, uint32_t len,
	 const uint32_t *syn_cookie)
{
	/* Only the Firewall makes SYNs from cookies. */
	enum filter_verdict v =
	    len <= MAX_FRAME && syn_cookie == NULL
		? filter_frame(&filter, FILTER_OUT, data, len)
		: FILTER_DROP_MALFORMED;

	if (v != FILTER_PASS) {
		count_drop(v, FILTER_OUT);
		return;
	}
	/* A full device queue loses the frame, as a wire would. */
	if (write(DEVICE_FD, data, len) != (ssize_t)len &&
	    sn_log_worth(++device_errors))
		sn_log("the device refused %llu frames",
		       (unsigned long long)device_errors);
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

static const struct sn_handler handlers[] = {
    {SN_EXPORT_FIREWALL_FRAME_SEND, serve_frame_send},
    {SN_EXPORT_FIREWALL_RULE_ADD, serve_rule_add},
    {SN_EXPORT_FIREWALL_RULE_REMOVE, serve_rule_remove},
    {SN_EXPORT_FIREWALL_RULES_CLEAR, serve_rules_clear},
    {SN_EXPORT_FIREWALL_SERVER_PORT_ADD, serve_server_port},
    {SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE, serve_server_port},
    {SN_EXPORT_FIREWALL_DNS_LOOKUP_BEGIN, serve_dns_lookup},
    {SN_EXPORT_FIREWALL_DNS_LOOKUP_END, serve_dns_lookup},
    {SN_EXPORT_FIREWALL_PORT_CLOSE, serve_port_close},
};

int
main(void)
{
	filter_init(&filter);
	if (sn_compartment_boot(&compartment, handlers,
				sizeof(handlers) / sizeof(handlers[0]),
				NULL) < 0)
		return 1;
	tcpip = sn_compartment_peer(&compartment, "TCPIP");
	if (tcpip == NULL)
		return 1;
	compartment.peer_restarted = peer_restarted;
	if (sn_loop_add_fd(&compartment.loop, DEVICE_FD, POLLIN,
			   device_readable, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
