/*
 * One NTP request: a fresh UDP socket from TCPIP on a random port,
 * NetAPI's authorisation for the server's capability (which resolves its
 * name and opens the Firewall to that address and port alone), the
 * request, its replies until one counts or the time is up, and the
 * socket closed.  Each step is a call answered later; nothing waits.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "shell.h"

/* A datagram larger than an NTP packet is not one; TCPIP gives at most
 * this much of it, and the core refuses it as malformed. */
#define RECEIVE_MAX (NTP_MAX_PACKET_LEN + 4)
/* How long TCPIP and NetAPI each have for their step. */
#define STEP_TIMEOUT_NS (2 * SN_SECOND)

static uint8_t packets[SYNC_MAX_SERVERS][NTP_MAX_PACKET_LEN];
static int packet_len[SYNC_MAX_SERVERS];
static uint64_t socket_failures;

bool
exchange_busy(unsigned server)
{
	return sntp.exchanges[server].state != EXCHANGE_IDLE;
}

static void
socket_closed(void *ctx, int status, const sn_message_ref *reply)
{
	(void)ctx;
	(void)reply;
	/* TCPIP frees a dead owner's sockets; one it would not close stays
	 * on our quota, so the count shows. */
	if (status < 0 && sn_log_worth(++socket_failures))
		sn_log("a request's socket did not close: %s (%llu so far)",
		       strerror(-status), (unsigned long long)socket_failures);
}

/* The request is over.  lost: it had no answer that counted. */
static void
finish(struct exchange *ex, bool lost)
{
	if (lost)
		sync_timeout(&sntp.sync, ex->server, sn_now_ns());
	if (ex->have_socket) {
		sn_builder *b = sn_call_builder(&sntp.compartment);
		uint32_t ref = sn_socket_reference_start(b);

		sn_socket_reference_add_socket(b, ref, &ex->socket);
		if (sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_CLOSE,
				  SN_BODY_SOCKET_REFERENCE, ref,
				  STEP_TIMEOUT_NS, socket_closed, NULL) < 0)
			socket_closed(NULL, -EAGAIN, NULL);
		ex->have_socket = false;
	}
	ex->state = ex->receiving ? EXCHANGE_DRAINING : EXCHANGE_IDLE;
	sntp_after_event();
}

static int
address_of(sn_endpoint_ref ep, struct sync_address *out)
{
	uint32_t len;
	const uint8_t *a;

	memset(out, 0, sizeof(*out));
	if (ep.pos == 0)
		return -EPROTO;
	a = sn_endpoint_address(ep, &len);
	if (a == NULL || (len != 4 && len != 16))
		return -EPROTO;
	memcpy(out->bytes, a, len);
	out->len = (uint8_t)len;
	out->port = sn_endpoint_port(ep);
	return 0;
}

static void datagram(void *ctx, int status, const sn_message_ref *reply);

static int
receive(struct exchange *ex, uint64_t now)
{
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body = sn_receive_start(b);
	int rc;

	sn_receive_add_socket(b, body, &ex->socket);
	sn_receive_add_max_bytes(b, body, RECEIVE_MAX);
	rc = sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_RECEIVE_FROM,
			   SN_BODY_RECEIVE, body, ex->reply_deadline_ns - now,
			   datagram, ex);
	ex->receiving = rc == 0;
	return rc;
}

/* Names the counter a refused reply raised, for the log. */
static void
log_refusal(unsigned server, const struct sync_counters *before)
{
	const struct sync_counters *after = &sntp.sync.servers[server].counters;
	static const struct {
		size_t offset;
		const char *why;
	} reasons[] = {
#define REASON(field, why) {offsetof(struct sync_counters, field), why}
	    REASON(not_ours, "not an answer to our request"),
	    REASON(source, "not from the address and port asked"),
	    REASON(malformed, "malformed"),
	    REASON(unauthenticated, "not authenticated, and NTS is required"),
	    REASON(not_authentic, "its NTS authenticator does not verify"),
	    REASON(replayed, "an answer to a request answered already"),
	    REASON(kiss_ntsn, "an NTS NAK, unauthenticated; waiting for "
			      "an authentic reply"),
#undef REASON
	};

	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		uint64_t was, now;

		memcpy(&was, (const char *)before + reasons[k].offset, 8);
		memcpy(&now, (const char *)after + reasons[k].offset, 8);
		if (now != was)
			sntp_log_refusal(server, reasons[k].why, now);
	}
}

static void
datagram(void *ctx, int status, const sn_message_ref *reply)
{
	struct exchange *ex = ctx;
	int64_t t4 = sntp_local_clock_ns();
	uint64_t now = sn_now_ns();
	struct sync_counters before;
	struct sync_address from;
	enum sync_outcome outcome;
	uint32_t len;

	ex->receiving = false;
	if (ex->state == EXCHANGE_DRAINING) {
		ex->state = EXCHANGE_IDLE;
		sntp_after_event();
		return;
	}
	if (status < 0) {
		if (status != -ETIMEDOUT)
			sn_log("no reply from %s: TCPIP says %s",
			       sntp.sync.servers[ex->server].host,
			       strerror(-status));
		finish(ex, true);
		return;
	}
	sn_received_ref r = sn_message_body_as_received(*reply);
	const uint8_t *data = sn_received_data(r, &len);
	if (address_of(sn_received_from(r), &from) < 0)
		memset(&from, 0, sizeof(from));
	before = sntp.sync.servers[ex->server].counters;
	outcome = sync_reply(&sntp.sync, ex->server, data, len, &from, t4, now);
	if (outcome != SYNC_WAITING) {
		finish(ex, false);
		return;
	}
	log_refusal(ex->server, &before);
	/* The genuine reply may still come. */
	if (now >= ex->reply_deadline_ns || receive(ex, now) < 0)
		finish(ex, true);
}

static void
sent(void *ctx, int status, const sn_message_ref *reply)
{
	struct exchange *ex = ctx;

	(void)reply;
	if (status < 0 && ex->state == EXCHANGE_WAITING) {
		sn_log("request to %s not sent: %s",
		       sntp.sync.servers[ex->server].host, strerror(-status));
		finish(ex, true);
	}
}

static void
authorised(void *ctx, int status, const sn_message_ref *reply)
{
	struct exchange *ex = ctx;
	uint64_t now = sn_now_ns();

	if (status < 0 || address_of(sn_authorised_remote(
					 sn_message_body_as_authorised(*reply)),
				     &ex->remote) < 0) {
		sn_log("NetAPI did not open the way to %s: %s",
		       sntp.sync.servers[ex->server].host,
		       strerror(status < 0 ? -status : EPROTO));
		finish(ex, true);
		return;
	}
	ex->state = EXCHANGE_WAITING;
	ex->reply_deadline_ns = now + SYNC_REPLY_TIMEOUT_NS;
	if (receive(ex, now) < 0) {
		finish(ex, true);
		return;
	}
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body = sn_send_start(b);
	uint32_t to = sn_endpoint_start(b);
	sn_endpoint_add_family(b, to,
			       ex->remote.len == 16 ? SN_ADDRESS_FAMILY_IPV6
						    : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, to, ex->remote.bytes, ex->remote.len);
	sn_endpoint_add_port(b, to, ex->remote.port);
	sn_send_add_socket(b, body, &ex->socket);
	sn_send_add_data(b, body, packets[ex->server],
			 (size_t)packet_len[ex->server]);
	sn_send_add_to(b, body, to);
	/* T1: as close to the packet leaving as this side can see. */
	sync_sent_to(&sntp.sync, ex->server, &ex->remote,
		     sntp_local_clock_ns());
	if (sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_SEND_TO,
			  SN_BODY_SEND, body, STEP_TIMEOUT_NS, sent, ex) < 0)
		finish(ex, true);
}

static void
opened(void *ctx, int status, const sn_message_ref *reply)
{
	struct exchange *ex = ctx;
	int cap = sntp.ntp_cap[ex->server];

	if (status < 0) {
		sn_log("no socket for a request to %s: %s",
		       sntp.sync.servers[ex->server].host, strerror(-status));
		finish(ex, true);
		return;
	}
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply),
				 &ex->socket);
	ex->have_socket = true;
	ex->state = EXCHANGE_AUTHORISING;
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body = sn_udp_authorise_start(b);
	sn_udp_authorise_add_socket(b, body, &ex->socket);
	sn_udp_authorise_add_capability(b, body,
					sntp_capability(b, &sntp.caps[cap]));
	if (sn_call_async(sntp.netapi,
			  SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
			  SN_BODY_UDP_AUTHORISE, body, STEP_TIMEOUT_NS,
			  authorised, ex) < 0)
		finish(ex, true);
}

/* A random transmit timestamp, never zero: only the server that saw the
 * request can echo it. */
static int
random_timestamp(uint64_t *out)
{
	do {
		if (getrandom(out, sizeof(*out), 0) != sizeof(*out))
			return -EIO;
	} while (*out == 0);
	return 0;
}

void
exchange_start(unsigned server)
{
	struct exchange *ex = &sntp.exchanges[server];
	uint64_t xmt;
	int len;

	/* A server left due would spin the timer: whatever keeps the
	 * request from being built counts to the core as lost, and
	 * sync_request sees to its own failures. */
	if (sntp.ntp_cap[server] < 0 || random_timestamp(&xmt) < 0) {
		sn_log("no request for %s: %s", sntp.sync.servers[server].host,
		       sntp.ntp_cap[server] < 0 ? "no capability for it"
						: "no randomness");
		sync_not_sent(&sntp.sync, server, sn_now_ns());
		return;
	}
	len = sync_request(&sntp.sync, server, xmt, sn_now_ns(),
			   packets[server], sizeof(packets[server]));
	if (len < 0) {
		if (len != -ENOENT) /* out of cookies: NTS-KE comes next */
			sn_log("no request for %s: %s",
			       sntp.sync.servers[server].host, strerror(-len));
		return;
	}
	packet_len[server] = len;
	memset(ex, 0, sizeof(*ex));
	ex->server = server;
	ex->state = EXCHANGE_OPENING;
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t req = sn_socket_listen_start(b);
	sn_socket_listen_add_owner(b, req, sntp.compartment.name,
				   strlen(sntp.compartment.name));
	sn_socket_listen_add_port(b, req, 0); /* TCPIP draws a random one */
	if (sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_UDP,
			  SN_BODY_SOCKET_LISTEN, req, STEP_TIMEOUT_NS, opened,
			  ex) < 0)
		finish(ex, true);
}
