/*
 * Replies to a fuzzed compartment's calls: see call_replies.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "call_replies.h"

/* What is left of the input's script; empty for a bare message. */
static struct {
	const uint8_t *p;
	size_t left;
} script;

static uint8_t
script_byte(void)
{
	if (script.left == 0)
		return 0;
	script.left--;
	return *script.p++;
}

static uint16_t
script_u16(void)
{
	uint16_t lo = script_byte();

	return (uint16_t)(lo | script_byte() << 8);
}

/* Handles the compartment presented in its requests, and those the
 * harness gave it in replies: a reply may hand one back, as a callee
 * would for a socket it already holds.  Forgotten after each input. */
#define MAX_HANDLES 16
static sn_handle handles[MAX_HANDLES];
static unsigned nhandles;

static void
remember_handle(const sn_handle *h)
{
	for (unsigned i = 0; i < nhandles; i++)
		if (memcmp(&handles[i], h, sizeof(*h)) == 0)
			return;
	if (nhandles < MAX_HANDLES)
		handles[nhandles++] = *h;
}

/* The last datagrams the compartment sent, and to whom: a reply may
 * echo one, as a peer answering a query does.  [0] is the latest. */
#define DATAGRAMS 4
static struct datagram {
	uint8_t data[1024];
	uint32_t len;
	uint8_t to[16];
	uint32_t to_len;
	uint8_t to_family;
	uint16_t to_port;
} sent[DATAGRAMS];
static unsigned nsent;

/* The first protocol the last TLS create offered, in its ALPN list: a
 * reply may say the server chose it. */
static uint8_t offered_alpn[255];
static uint32_t offered_alpn_len;

static void
remember_alpn(sn_tls_create_ref c)
{
	uint32_t len = 0;
	const uint8_t *wire = sn_tls_create_alpn(c, &len);

	offered_alpn_len = 0;
	if (wire != NULL && len > 1 && wire[0] > 0 && wire[0] < len) {
		memcpy(offered_alpn, wire + 1, wire[0]);
		offered_alpn_len = wire[0];
	}
}

static void
remember_datagram(sn_send_ref s)
{
	struct datagram *d = &sent[0];
	uint32_t len = 0;
	const uint8_t *data = sn_send_data(s, &len);
	sn_endpoint_ref to = sn_send_to(s);

	memmove(&sent[1], &sent[0], sizeof(sent[0]) * (DATAGRAMS - 1));
	nsent += nsent < DATAGRAMS;
	memset(d, 0, sizeof(*d));
	if (data != NULL && len <= sizeof(d->data)) {
		memcpy(d->data, data, len);
		d->len = len;
	}
	data = to.pos ? sn_endpoint_address(to, &len) : NULL;
	if (data != NULL && len <= sizeof(d->to)) {
		memcpy(d->to, data, len);
		d->to_len = len;
		d->to_family = sn_endpoint_family(to);
		d->to_port = sn_endpoint_port(to);
	}
}

void
call_replies_observe(const sn_message_ref *m)
{
	sn_handle h;
	bool has = false;

	switch (sn_message_body_type(*m)) {
	case SN_BODY_SOCKET_OF:
		has = sn_socket_of_socket(sn_message_body_as_socket_of(*m), &h);
		break;
	case SN_BODY_SOCKET_REFERENCE:
		has = sn_socket_reference_socket(
		    sn_message_body_as_socket_reference(*m), &h);
		break;
	case SN_BODY_RECEIVE:
		has = sn_receive_socket(sn_message_body_as_receive(*m), &h);
		break;
	case SN_BODY_SEND:
		has = sn_send_socket(sn_message_body_as_send(*m), &h);
		remember_datagram(sn_message_body_as_send(*m));
		break;
	case SN_BODY_TLS_CREATE:
		remember_alpn(sn_message_body_as_tls_create(*m));
		break;
	default:
		break;
	}
	if (has)
		remember_handle(&h);
}

/* An endpoint from the script: an IPv4 or IPv6 address, or one whose
 * length does not match its family, which receivers must refuse. */
static uint32_t
script_endpoint(sn_builder *b)
{
	static const uint8_t families[] = {
	    SN_ADDRESS_FAMILY_IPV4, SN_ADDRESS_FAMILY_IPV6,
	    SN_ADDRESS_FAMILY_IPV4, SN_ADDRESS_FAMILY_NONE};
	uint8_t shape = script_byte();
	uint32_t len = shape % 4 == 0	? 4
		       : shape % 4 == 1 ? 16
					: (uint32_t)(shape >> 2) % 20;
	uint32_t ep = sn_endpoint_start(b);
	uint8_t *a;

	sn_endpoint_add_family(b, ep, families[shape % 4]);
	a = sn_endpoint_reserve_address(b, ep, len);
	for (uint32_t i = 0; a != NULL && i < len; i++)
		a[i] = script_byte();
	sn_endpoint_add_port(b, ep, script_u16());
	return ep;
}

static uint32_t
reply_empty(sn_builder *b)
{
	return sn_empty_start(b);
}

/* A handle: one the harness knows, or a new one from the script. */
static sn_handle
script_handle(void)
{
	uint8_t pick = script_byte();
	sn_handle h;

	if (pick & 1 && nhandles > 0)
		return handles[(pick >> 1) % nhandles];
	h.slot = script_byte();
	h.generation = script_byte();
	h.tag = script_u16();
	remember_handle(&h);
	return h;
}

static uint32_t
reply_socket_created(sn_builder *b)
{
	sn_handle h = script_handle();
	uint32_t body;

	body = sn_socket_created_start(b);
	sn_socket_created_add_socket(b, body, &h);
	sn_socket_created_add_local_port(b, body, script_u16());
	return body;
}

static void
script_endpoints(sn_builder *b, uint32_t vec, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sn_builder_set_table_at(b, vec, i, script_endpoint(b));
}

static uint32_t
reply_address_info(sn_builder *b)
{
	uint8_t counts = script_byte();
	uint32_t info = sn_address_info_start(b);
	uint32_t n = counts % 4;

	script_endpoints(b, sn_address_info_start_addresses(b, info, n), n);
	n = (counts >> 2) % 3;
	script_endpoints(b, sn_address_info_start_dns_servers(b, info, n), n);
	return info;
}

static uint32_t
reply_resolved(sn_builder *b)
{
	static const char *const names[] = {"echo.test", "cname.test"};
	uint8_t shape = script_byte();
	uint32_t body = sn_resolved_start(b), n = shape % 4;

	script_endpoints(b, sn_resolved_start_addresses(b, body, n), n);
	if (shape & 4)
		sn_resolved_add_canonical_name(b, body, names[shape >> 3 & 1],
					       strlen(names[shape >> 3 & 1]));
	return body;
}

static uint32_t
reply_sent(sn_builder *b)
{
	uint32_t body = sn_sent_start(b);

	sn_sent_add_bytes(b, body, script_u16());
	return body;
}

/* A datagram: from the script, or one of the last sent with a few
 * bytes changed and more appended (an answer repeats its query); from
 * the script's endpoint, or from where that one went. */
static uint32_t
reply_received(sn_builder *b)
{
	uint8_t shape = script_byte(), edits = 0, extra = script_byte();
	const struct datagram *echo =
	    shape & 1 && nsent > 0 ? &sent[(shape >> 3) % nsent] : NULL;
	uint32_t body = sn_received_start(b), len = 0;
	uint8_t data[sizeof(sent[0].data) + 256];

	if (echo != NULL) {
		memcpy(data, echo->data, echo->len);
		len = echo->len;
		edits = script_byte() % 8;
	}
	for (uint8_t i = 0; i < edits && len > 0; i++) {
		uint16_t at = script_u16();

		data[at % len] = script_byte();
	}
	for (uint8_t i = 0; i < extra; i++)
		data[len++] = script_byte();
	sn_received_add_data(b, body, data, len);
	if (shape & 2 && echo != NULL && echo->to_len > 0) {
		uint32_t ep = sn_endpoint_start(b);

		sn_endpoint_add_family(b, ep, echo->to_family);
		sn_endpoint_add_address(b, ep, echo->to, echo->to_len);
		sn_endpoint_add_port(b, ep, echo->to_port);
		sn_received_add_from(b, body, ep);
	} else if (shape & 4) {
		sn_received_add_from(b, body, script_endpoint(b));
	}
	return body;
}

static uint32_t
reply_authorised(sn_builder *b)
{
	uint32_t body = sn_authorised_start(b);

	sn_authorised_add_remote(b, body, script_endpoint(b));
	return body;
}

/* A session: its version TLS 1.3, 1.2 or the script's; the protocol the
 * create offered first, or the script's bytes, or none. */
static uint32_t
reply_tls_created(sn_builder *b)
{
	sn_handle h = script_handle();
	uint8_t shape = script_byte();
	static const uint16_t versions[] = {0x0304, 0x0303, 0x0302, 0};
	uint16_t version = versions[shape & 3];
	uint8_t alpn[16];
	uint32_t alpn_len = 0;

	if (shape & 4) {
		alpn_len = offered_alpn_len < sizeof(alpn) ? offered_alpn_len
							   : sizeof(alpn);
		memcpy(alpn, offered_alpn, alpn_len);
	} else {
		alpn_len = (uint32_t)(shape >> 3) % (sizeof(alpn) + 1);
		for (uint32_t i = 0; i < alpn_len; i++)
			alpn[i] = script_byte();
	}
	uint32_t body = sn_tls_created_start(b);
	sn_tls_created_add_session(b, body, &h);
	sn_tls_created_add_version(b, body, version);
	if (alpn_len > 0)
		sn_tls_created_add_alpn(b, body, alpn, alpn_len);
	return body;
}

/* Whom a session was made for: the broker the MQTT seeds' capability
 * names, as TLS keeps it or in other case, or another server, at the
 * broker's port or the script's, so that a connect both goes on and is
 * refused. */
static uint32_t
reply_tls_peer(sn_builder *b)
{
	static const char *const hosts[] = {"broker.test", "Broker.TEST",
					    "other.test", "broker.test."};
	uint8_t shape = script_byte();
	const char *host = hosts[shape & 3];
	uint16_t port = shape & 4 ? script_u16() : 8883;
	uint32_t body = sn_tls_peer_start(b);

	sn_tls_peer_add_host(b, body, host, strlen(host));
	sn_tls_peer_add_port(b, body, port);
	return body;
}

/* Bytes from the script: a length byte, then that many. */
static uint32_t
reply_bytes(sn_builder *b)
{
	uint8_t data[255];
	uint8_t len = script_byte();
	uint32_t body;

	for (uint8_t i = 0; i < len; i++)
		data[i] = script_byte();
	body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, data, len);
	return body;
}

/* A valid reply for each export the stack's compartments import. */
static const struct reply_builder {
	uint16_t export_id;
	uint8_t body_type;
	uint32_t (*build)(sn_builder *b);
} reply_builders[] = {
    {SN_EXPORT_FIREWALL_FRAME_SEND, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_RULE_ADD, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_RULE_REMOVE, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_RULES_CLEAR, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_DNS_LOOKUP_BEGIN, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_DNS_LOOKUP_END, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_SERVER_PORT_ADD, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_DNS_FRAME_SEND, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_PORT_CLOSE, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_FIREWALL_SERVER_PORT_LISTENING, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_TCPIP_FRAME_RECEIVE, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_DNS_FRAME_RECEIVE, SN_BODY_EMPTY, reply_empty},
    {SN_EXPORT_TCPIP_SOCKET_CONNECT, SN_BODY_SOCKET_CREATED,
     reply_socket_created},
    {SN_EXPORT_TCPIP_SOCKET_LISTEN, SN_BODY_SOCKET_CREATED,
     reply_socket_created},
    {SN_EXPORT_TCPIP_SOCKET_PORT, SN_BODY_SOCKET_CREATED, reply_socket_created},
    {SN_EXPORT_NETWORK_SOCKET_UDP, SN_BODY_SOCKET_CREATED,
     reply_socket_created},
    {SN_EXPORT_TCPIP_ADDRESS_GET, SN_BODY_ADDRESS_INFO, reply_address_info},
    {SN_EXPORT_DNS_RESOLVE, SN_BODY_RESOLVED, reply_resolved},
    {SN_EXPORT_NETWORK_SOCKET_SEND_TO, SN_BODY_SENT, reply_sent},
    {SN_EXPORT_NETWORK_SOCKET_RECEIVE_FROM, SN_BODY_RECEIVED, reply_received},
    {SN_EXPORT_NETWORK_SOCKET_CLOSE, SN_BODY_EMPTY, reply_empty},
    /* TLS's ciphertext: a peer's bytes from the script, or an echo of
     * what TLS sent. */
    {SN_EXPORT_NETWORK_SOCKET_SEND, SN_BODY_SENT, reply_sent},
    {SN_EXPORT_NETWORK_SOCKET_RECEIVE, SN_BODY_RECEIVED, reply_received},
    /* MQTT's packets over a delegated TLS session, and SNTP's NTS-KE
     * records: the peer's bytes from the script. */
    {SN_EXPORT_TLS_CONNECTION_SEND, SN_BODY_SENT, reply_sent},
    {SN_EXPORT_TLS_CONNECTION_RECEIVE, SN_BODY_RECEIVED, reply_received},
    {SN_EXPORT_TLS_CONNECTION_CLOSE, SN_BODY_EMPTY, reply_empty},
    /* Which server MQTT's delegated session was made for. */
    {SN_EXPORT_TLS_CONNECTION_PEER, SN_BODY_TLS_PEER, reply_tls_peer},
    /* What else the SNTP compartment asks of NetAPI, TCPIP and TLS for
     * its requests and for NTS key establishment. */
    {SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST, SN_BODY_AUTHORISED,
     reply_authorised},
    {SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP, SN_BODY_SOCKET_CREATED,
     reply_socket_created},
    {SN_EXPORT_NETWORK_SOCKET_DELEGATE, SN_BODY_SOCKET_CREATED,
     reply_socket_created},
    {SN_EXPORT_TLS_CONNECTION_CREATE, SN_BODY_TLS_CREATED, reply_tls_created},
    {SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL, SN_BODY_BYTES, reply_bytes},
};

static const struct reply_builder *
reply_builder_for(uint16_t export_id)
{
	for (size_t i = 0;
	     i < sizeof(reply_builders) / sizeof(reply_builders[0]); i++)
		if (reply_builders[i].export_id == export_id)
			return &reply_builders[i];
	return NULL;
}

/* A table that disagrees with the schema would make replies that never
 * verify, and the success paths it exists for unreachable. */
int
call_replies_check(void)
{
	for (size_t i = 0;
	     i < sizeof(reply_builders) / sizeof(reply_builders[0]); i++) {
		const sn_export_info *e =
		    sn_export_info_get(reply_builders[i].export_id);

		if (e == NULL || e->reply_body != reply_builders[i].body_type)
			return -EPROTO;
	}
	return 0;
}

void
call_replies_reset(const uint8_t *bytes, size_t len)
{
	script.p = bytes;
	script.left = bytes == NULL ? 0 : len;
	nhandles = 0;
	nsent = 0;
	offered_alpn_len = 0;
}

/* The errors a reply may carry instead. */
static int
script_error(uint8_t choice)
{
	static const int errnos[] = {
	    EIO,   EADDRINUSE, ETIMEDOUT, EAGAIN,	ENOTRECOVERABLE,
	    EPERM, ENOMEM,     ENOSPC,	  ECONNREFUSED, EHOSTUNREACH,
	    EBUSY, ENOENT,     EINVAL,	  ENOTCONN,	EMSGSIZE,
	    EDQUOT};

	return -errnos[choice % (sizeof(errnos) / sizeof(errnos[0]))];
}

/* As the script chooses, an error or a valid body; -EIO once the script
 * is spent, and for an export without a builder. */
size_t
call_replies_build(uint64_t call_id, uint16_t export_id, uint8_t *out,
		   size_t cap)
{
	const struct reply_builder *rb = reply_builder_for(export_id);
	int status = -EIO;
	sn_builder b;
	size_t len;

	if (script.left > 0) {
		uint8_t choice = script_byte();

		status = choice & 0x80 ? script_error(choice) : 0;
	}
	if (rb == NULL)
		status = -EIO;
	for (int attempt = 0; attempt < 2; attempt++) {
		sn_builder_init(&b, out, cap);
		uint32_t r = sn_message_start(&b);
		sn_message_add_call_id(&b, r, call_id);
		sn_message_add_call_type(&b, r, SN_CALL_TYPE_REPLY);
		sn_message_add_export(&b, r, export_id);
		if (status == 0)
			sn_message_add_body(&b, r, rb->body_type,
					    rb->build(&b));
		else
			sn_message_add_status(&b, r, status);
		if (sn_builder_finish(&b, r, &len) == 0)
			return len;
		status = -EIO; /* too big: the error fits */
	}
	return 0;
}
