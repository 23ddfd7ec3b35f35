/*
 * NTS key establishment (RFC 8915 section 4) through the TLS compartment.
 *
 * SNTP connects to the NTS-KE server with its own TCP capability
 * (NetAPI), hands the socket to TLS (TCPIP's network_socket_delegate),
 * and has TLS run the handshake on it: TLS 1.3 with ALPN ntske/1, the
 * certificate checked against the image's trust anchors and the
 * capability's host name.  Then the request goes out, the response is
 * parsed as it arrives (nts_ke.h), the two AEAD keys come from TLS's
 * exporter with RFC 8915's label and context, and the session is closed.
 * TLS keeps the session's secrets; SNTP gets only the two exported keys.
 *
 * Each step is a call answered later, with what is left of
 * SYNC_KE_TIMEOUT_NS; a failure at any step closes what is open (the
 * socket while it is ours, the session once TLS has it), tells the core
 * (which waits longer before each new try) and logs why.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "sealnet/tls.h"
#include "shell.h"

#define ALPN_WIRE "\x07" NTS_KE_ALPN

enum ke_state {
	KE_IDLE,
	KE_CONNECTING,	/* NetAPI: network_socket_connect_tcp */
	KE_DELEGATING,	/* TCPIP: network_socket_delegate to TLS */
	KE_HANDSHAKING, /* TLS: tls_connection_create */
	KE_SENDING,	/* the request */
	KE_RECEIVING,	/* the response, until End of Message */
	KE_EXPORTING,	/* the C2S key, then the S2C key */
};

struct key_exchange {
	enum ke_state state;
	unsigned server;
	uint64_t deadline_ns;
	sn_handle socket, session;
	bool have_socket, have_session;
	uint8_t request[NTS_KE_REQUEST_LEN];
	size_t sent;
	struct nts_ke_response response;
	struct nts_keys keys;
	bool have_c2s;
};

static struct key_exchange exchanges[SYNC_MAX_SERVERS];

bool
key_exchange_busy(unsigned server)
{
	return exchanges[server].state != KE_IDLE;
}

static const char *
host_of(const struct key_exchange *ke)
{
	return sntp.sync.servers[ke->server].host;
}

static uint64_t
remaining(const struct key_exchange *ke)
{
	uint64_t now = sn_now_ns();

	return ke->deadline_ns > now ? ke->deadline_ns - now : 1;
}

static const struct sn_capability *
capability_of(const struct key_exchange *ke)
{
	return &sntp.caps[sntp.ke_cap[ke->server]];
}

static void
closed(void *ctx, int status, const sn_message_ref *reply)
{
	(void)ctx;
	(void)reply;
	if (status < 0)
		sn_log("an NTS-KE connection did not close: %s",
		       strerror(-status));
}

/* Closes what is open: the session once TLS has the socket, else the
 * socket. */
static void
release(struct key_exchange *ke)
{
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t ref;

	if (ke->have_session) {
		ref = sn_session_reference_start(b);
		sn_session_reference_add_session(b, ref, &ke->session);
		if (sn_call_async(sntp.tls, SN_EXPORT_TLS_CONNECTION_CLOSE,
				  SN_BODY_SESSION_REFERENCE, ref, SN_SECOND,
				  closed, NULL) < 0)
			closed(NULL, -EAGAIN, NULL);
	} else if (ke->have_socket) {
		ref = sn_socket_reference_start(b);
		sn_socket_reference_add_socket(b, ref, &ke->socket);
		if (sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_CLOSE,
				  SN_BODY_SOCKET_REFERENCE, ref, SN_SECOND,
				  closed, NULL) < 0)
			closed(NULL, -EAGAIN, NULL);
	}
	ke->have_session = ke->have_socket = false;
}

/* The words for a failure: a TLS code by name, else the errno's. */
static const char *
why(int rc)
{
	const char *name = sealnet_tls_error_name(rc);

	return name != NULL ? name : strerror(-rc);
}

/* Keys and cookies do not outlive the exchange that carried them. */
static void
wipe(struct key_exchange *ke)
{
	OPENSSL_cleanse(&ke->keys, sizeof(ke->keys));
	OPENSSL_cleanse(&ke->response, sizeof(ke->response));
	ke->state = KE_IDLE;
}

static void
fail(struct key_exchange *ke, const char *step, int rc)
{
	const struct sync_server *srv = &sntp.sync.servers[ke->server];

	sn_log("NTS-KE with %s:%u failed: %s: %s", srv->host, srv->port, step,
	       why(rc));
	release(ke);
	wipe(ke);
	sync_key_exchange_failed(&sntp.sync, ke->server, sn_now_ns());
	sntp_after_event();
}

/* The keys and cookies go to the core; the NTP server the response
 * names must be one a UDP capability of ours reaches. */
static void
succeed(struct key_exchange *ke)
{
	const struct nts_ke_response *r = &ke->response;
	const char *host = r->have_server ? r->server : host_of(ke);
	uint16_t port = r->have_port ? r->port : NTP_PORT;
	int cap = servers_find_udp(sntp.caps, sntp.ncaps, host, port);
	int rc;

	release(ke);
	if (cap < 0) {
		sn_log("NTS-KE with %s names NTP server %s:%u, for which the "
		       "image grants no UDP capability; not used",
		       host_of(ke), host, port);
		wipe(ke);
		sync_key_exchange_failed(&sntp.sync, ke->server, sn_now_ns());
		sntp_after_event();
		return;
	}
	rc = sync_key_exchange_done(&sntp.sync, ke->server, &ke->keys, r,
				    sn_now_ns());
	if (rc == 0) {
		sntp.ntp_cap[ke->server] = cap;
		sn_log("NTS-KE with %s: TLS 1.3, %u cookies, NTP at %s:%u",
		       host_of(ke), r->cookie_count, host, port);
	} else {
		sn_log("NTS-KE with %s: response unusable: %s", host_of(ke),
		       strerror(-rc));
	}
	wipe(ke);
	sntp_after_event();
}

static void step_export(struct key_exchange *ke);
static void step_receive(struct key_exchange *ke);

static void
exported(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;
	uint32_t len;
	const uint8_t *key;

	if (status < 0) {
		fail(ke, "exporting the keys", status);
		return;
	}
	key = sn_bytes_data(sn_message_body_as_bytes(*reply), &len);
	if (len != NTS_KEY_LEN) {
		fail(ke, "exporting the keys", -EPROTO);
		return;
	}
	memcpy(ke->have_c2s ? ke->keys.s2c : ke->keys.c2s, key, len);
	if (ke->have_c2s) {
		succeed(ke);
		return;
	}
	ke->have_c2s = true;
	step_export(ke);
}

/* RFC 8915 section 5.1: label, and context = protocol id, AEAD id,
 * direction; C2S first. */
static void
step_export(struct key_exchange *ke)
{
	uint8_t context[NTS_KE_EXPORTER_CONTEXT_LEN];
	int n = nts_ke_exporter_context(ke->response.aead,
					ke->have_c2s ? NTS_KE_S2C : NTS_KE_C2S,
					context, sizeof(context));
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body;

	if (n < 0) {
		fail(ke, "exporting the keys", n);
		return;
	}
	ke->state = KE_EXPORTING;
	body = sn_tls_keying_material_start(b);
	sn_tls_keying_material_add_session(b, body, &ke->session);
	sn_tls_keying_material_add_label(b, body, NTS_KE_EXPORTER_LABEL,
					 strlen(NTS_KE_EXPORTER_LABEL));
	sn_tls_keying_material_add_context(b, body, context, (uint32_t)n);
	sn_tls_keying_material_add_length(b, body, NTS_KEY_LEN);
	if (sn_call_async(sntp.tls, SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL,
			  SN_BODY_TLS_KEYING_MATERIAL, body, remaining(ke),
			  exported, ke) < 0)
		fail(ke, "exporting the keys", -EAGAIN);
}

static void
received(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;
	uint32_t len;
	const uint8_t *data;
	int rc;

	/* The server closes after its response: the end is an answer. */
	if (status == SEALNET_TLS_EPEER_CLOSED ||
	    status == SEALNET_TLS_EPEER_RESET) {
		rc = nts_ke_response_end(&ke->response);
		if (rc < 0)
			fail(ke, "the response", rc);
		else
			step_export(ke);
		return;
	}
	if (status < 0) {
		fail(ke, "receiving the response", status);
		return;
	}
	data = sn_received_data(sn_message_body_as_received(*reply), &len);
	rc = nts_ke_response_feed(&ke->response, data, len);
	if (rc < 0)
		fail(ke, "the response", rc);
	else if (rc == 1)
		step_export(ke);
	else
		step_receive(ke);
}

static void
step_receive(struct key_exchange *ke)
{
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body = sn_tls_receive_start(b);

	ke->state = KE_RECEIVING;
	sn_tls_receive_add_session(b, body, &ke->session);
	sn_tls_receive_add_max_bytes(b, body, NTS_KE_MAX_RESPONSE_LEN);
	if (sn_call_async(sntp.tls, SN_EXPORT_TLS_CONNECTION_RECEIVE,
			  SN_BODY_TLS_RECEIVE, body, remaining(ke), received,
			  ke) < 0)
		fail(ke, "receiving the response", -EAGAIN);
}

static void step_send(struct key_exchange *ke);

static void
sent(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;

	if (status < 0) {
		fail(ke, "sending the request", status);
		return;
	}
	ke->sent += sn_sent_bytes(sn_message_body_as_sent(*reply));
	if (ke->sent > sizeof(ke->request))
		fail(ke, "sending the request", -EPROTO);
	else if (ke->sent < sizeof(ke->request))
		step_send(ke);
	else
		step_receive(ke);
}

static void
step_send(struct key_exchange *ke)
{
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t body = sn_tls_send_start(b);

	ke->state = KE_SENDING;
	sn_tls_send_add_session(b, body, &ke->session);
	sn_tls_send_add_data(b, body, ke->request + ke->sent,
			     sizeof(ke->request) - ke->sent);
	if (sn_call_async(sntp.tls, SN_EXPORT_TLS_CONNECTION_SEND,
			  SN_BODY_TLS_SEND, body, remaining(ke), sent, ke) < 0)
		fail(ke, "sending the request", -EAGAIN);
}

/* RFC 8915 section 3: TLS 1.3 and ntske/1, or nothing. */
static void
handshaken(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;
	sn_tls_created_ref r;
	uint32_t alpn_len = 0;
	const uint8_t *alpn;

	if (status < 0) {
		fail(ke, "TLS", status);
		return;
	}
	r = sn_message_body_as_tls_created(*reply);
	sn_tls_created_session(r, &ke->session);
	ke->have_session = true;
	alpn = sn_tls_created_alpn(r, &alpn_len);
	if (sn_tls_created_version(r) != 0x0304)
		fail(ke, "TLS", -EPROTONOSUPPORT);
	else if (alpn == NULL || alpn_len != strlen(NTS_KE_ALPN) ||
		 memcmp(alpn, NTS_KE_ALPN, alpn_len) != 0)
		fail(ke, "TLS: the server chose no ntske/1", -ENOPROTOOPT);
	else
		step_send(ke);
}

static void
delegated(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;
	sn_builder *b;
	uint32_t body;

	if (status < 0) {
		fail(ke, "handing the socket to TLS", status);
		return;
	}
	/* The socket is TLS's from here: closing the session closes it. */
	ke->have_socket = false;
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply),
				 &ke->socket);
	ke->state = KE_HANDSHAKING;
	b = sn_call_builder(&sntp.compartment);
	body = sn_tls_create_start(b);
	sn_tls_create_add_capability(b, body,
				     sntp_capability(b, capability_of(ke)));
	sn_tls_create_add_socket(b, body, &ke->socket);
	sn_tls_create_add_alpn(b, body, ALPN_WIRE, strlen(ALPN_WIRE));
	if (sn_call_async(sntp.tls, SN_EXPORT_TLS_CONNECTION_CREATE,
			  SN_BODY_TLS_CREATE, body, remaining(ke), handshaken,
			  ke) < 0)
		fail(ke, "TLS", -EAGAIN);
}

static void
connected(void *ctx, int status, const sn_message_ref *reply)
{
	struct key_exchange *ke = ctx;
	sn_builder *b;
	uint32_t body;

	if (status < 0) {
		fail(ke, "connecting", status);
		return;
	}
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply),
				 &ke->socket);
	ke->have_socket = true;
	ke->state = KE_DELEGATING;
	b = sn_call_builder(&sntp.compartment);
	body = sn_socket_delegate_start(b);
	sn_socket_delegate_add_socket(b, body, &ke->socket);
	sn_socket_delegate_add_to(b, body, sntp.tls->name,
				  strlen(sntp.tls->name));
	if (sn_call_async(sntp.tcpip, SN_EXPORT_NETWORK_SOCKET_DELEGATE,
			  SN_BODY_SOCKET_DELEGATE, body, remaining(ke),
			  delegated, ke) < 0)
		fail(ke, "handing the socket to TLS", -EAGAIN);
}

/* A session TLS made for a create that had given up: nobody knows of it,
 * so it is closed, and the tls_sessions quota comes back. */
void
key_exchange_late_session(struct sn_peer *from, uint16_t export_id,
			  const sn_message_ref *reply)
{
	sn_builder *b = sn_call_builder(&sntp.compartment);
	uint32_t ref;
	sn_handle h;

	(void)export_id;
	if (sn_message_body_type(*reply) != SN_BODY_TLS_CREATED)
		return;
	sn_tls_created_session(sn_message_body_as_tls_created(*reply), &h);
	ref = sn_session_reference_start(b);
	sn_session_reference_add_session(b, ref, &h);
	if (sn_call_async(from, SN_EXPORT_TLS_CONNECTION_CLOSE,
			  SN_BODY_SESSION_REFERENCE, ref, SN_SECOND, closed,
			  NULL) < 0)
		closed(NULL, -EAGAIN, NULL);
}

void
key_exchange_start(unsigned server)
{
	struct key_exchange *ke = &exchanges[server];
	sn_builder *b;
	uint32_t body;

	memset(ke, 0, sizeof(*ke));
	ke->server = server;
	ke->deadline_ns = sn_now_ns() + SYNC_KE_TIMEOUT_NS;
	ke->state = KE_CONNECTING;
	sync_key_exchange_started(&sntp.sync, server);
	nts_ke_response_init(&ke->response);
	if (sntp.tls == NULL || sntp.ke_cap[server] < 0 ||
	    nts_ke_request_encode(ke->request, sizeof(ke->request)) < 0) {
		fail(ke, "starting", -ENOPROTOOPT);
		return;
	}
	b = sn_call_builder(&sntp.compartment);
	body = sn_connect_start(b);
	sn_connect_add_capability(b, body,
				  sntp_capability(b, capability_of(ke)));
	if (sn_call_async(sntp.netapi, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
			  SN_BODY_CONNECT, body, remaining(ke), connected,
			  ke) < 0)
		fail(ke, "connecting", -EAGAIN);
}
