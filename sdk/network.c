/* The application side of the network API: each function is one call to
 * NetAPI or TCPIP, made through the compartment that booted.  UDP's are
 * in network_udp.c. */
#include "sealnet/network.h"
#include "network_calls.h"
#include "sockets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "sdk.h"

_Static_assert(CHUNK <= STREAM_CHUNK && STREAM_CHUNK + 512 <= SN_MAX_MESSAGE,
	       "a chunk and its message's headers fit one message");

_Alignas(8) uint8_t sn_network_reply[SN_MAX_MESSAGE];

/* How long network_start waits between two questions. */
#define START_POLL_NS (100 * SN_MS)

static void
late_socket_closed(void *ctx, int status, const sn_message_ref *reply)
{
}

void
sn_release_late_socket(struct sn_peer *from, uint16_t export_id,
		       const sn_message_ref *reply)
{
	struct sn_peer *tcpip =
	    sn_export_peer(from->owner, SN_EXPORT_NETWORK_SOCKET_CLOSE);
	sn_handle h;

	if (tcpip == NULL ||
	    sn_message_body_type(*reply) != SN_BODY_SOCKET_CREATED)
		return;
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply), &h);
	sn_builder *b = sn_call_builder(tcpip->owner);
	uint32_t ref = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, ref, &h);
	/* Nobody waits for this: a failure leaves the socket to TCPIP's
	 * clean-up when its owner dies. */
	(void)sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_CLOSE,
			    SN_BODY_SOCKET_REFERENCE, ref, SN_SECOND,
			    late_socket_closed, NULL);
}

int
sn_network_peer(uint16_t export_id, const char *function, struct sn_peer **out)
{
	int rc = sn_sdk_peer(export_id, function, out);

	if (rc == 0)
		sn_peer_on_late_reply(*out, sn_release_late_socket);
	return rc;
}

sn_handle
sn_network_handle(sealnet_socket s)
{
	return (sn_handle){s.slot, s.generation, s.tag};
}

int
sn_network_created(int rc, const sn_message_ref *reply, sealnet_socket *out)
{
	sn_handle h;

	if (rc < 0)
		return rc;
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply), &h);
	*out = (sealnet_socket){h.slot, h.generation, h.tag};
	return 0;
}

uint32_t
sn_network_connection_capability(sn_builder *b,
				 const struct sealnet_declaration *d)
{
	const char *identity = sn_sdk_identity_of(d);
	static struct sn_capability grant;
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, d->protocol);
	sn_connection_capability_add_host(b, cap, d->text, strlen(d->text));
	sn_connection_capability_add_port(b, cap, d->port);
	/* Part of the capability: the callee's runtime compares it too. */
	if (identity != NULL)
		sn_connection_capability_add_identity(b, cap, identity,
						      strlen(identity));
	/* An MQTT capability's grant is part of it as well. */
	if (sn_sdk_mqtt_grant_of(d, &grant) == 0)
		sn_connection_capability_add_mqtt(
		    b, cap, sn_capability_mqtt_build(b, &grant));
	return cap;
}

int
sn_network_address_of(sn_endpoint_ref ep, sealnet_address *out)
{
	uint32_t len;
	const uint8_t *a = ep.pos ? sn_endpoint_address(ep, &len) : NULL;

	if (a == NULL || (len != 4 && len != 16))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	out->ipv6 = len == 16;
	memcpy(out->address, a, len);
	out->port = sn_endpoint_port(ep);
	return 0;
}

/* ---- addresses ---- */

/* Up to max endpoints of a vector into out; the count taken. */
static int
take_addresses(sn_address_info_ref info, bool dns, sealnet_address *out,
	       unsigned max, unsigned *n)
{
	uint32_t count = dns ? sn_address_info_dns_servers_count(info)
			     : sn_address_info_addresses_count(info);

	*n = 0;
	for (uint32_t i = 0; i < count && *n < max; i++) {
		sn_endpoint_ref e =
		    dns ? sn_address_info_dns_servers_at(info, i)
			: sn_address_info_addresses_at(info, i);
		int rc = sn_network_address_of(e, &out[*n]);

		if (rc < 0)
			return rc;
		out[(*n)++].port = 0;
	}
	return 0;
}

int
network_host_get(uint64_t timeout_ns, sealnet_host_info *out)
{
	struct sn_peer *p;
	sn_message_ref m;
	int rc = sn_network_peer(SN_EXPORT_NETWORK_HOST_GET, __func__, &p);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	rc = sn_call(p, SN_EXPORT_NETWORK_HOST_GET, SN_BODY_EMPTY,
		     sn_empty_start(sn_call_builder(p->owner)), timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &m);
	if (rc < 0)
		return rc;
	sn_address_info_ref info = sn_message_body_as_address_info(m);
	rc = take_addresses(info, false, out->addresses,
			    SEALNET_HOST_ADDRESSES_MAX, &out->naddresses);
	if (rc == 0)
		rc = take_addresses(info, true, out->dns_servers,
				    SEALNET_HOST_DNS_SERVERS_MAX,
				    &out->ndns_servers);
	return rc;
}

static bool
has_ipv4(const sealnet_host_info *h)
{
	for (unsigned i = 0; i < h->naddresses; i++)
		if (!h->addresses[i].ipv6)
			return true;
	return false;
}

int
network_start(uint64_t timeout_ns)
{
	uint64_t end = sn_now_ns() + timeout_ns;
	struct sn_peer *p;
	/* Its own check first, so the log names network_start. */
	int rc = sn_network_peer(SN_EXPORT_NETWORK_HOST_GET, __func__, &p);

	if (rc < 0)
		return rc;
	while (sn_now_ns() < end) {
		sealnet_host_info info;

		rc = network_host_get(end - sn_now_ns(), &info);
		if (rc == 0 && has_ipv4(&info) && info.ndns_servers > 0)
			return 0;
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		/* Serve what arrives meanwhile, then ask again. */
		uint64_t next = sn_now_ns() + START_POLL_NS;
		if (next > end)
			next = end;
		while (sn_now_ns() < next)
			if ((rc = sn_compartment_serve_step_until(p->owner,
								  next)) < 0)
				return rc;
	}
	return -ETIMEDOUT;
}

/* ---- TCP ---- */

int
network_socket_connect_tcp(uint64_t timeout_ns,
			   const struct sealnet_declaration *capability,
			   sealnet_socket *out)
{
	struct sn_peer *p;
	sn_message_ref reply;
	int rc =
	    sn_network_peer(SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP, __func__, &p);

	if (rc < 0)
		return rc;
	if (capability == NULL || out == NULL ||
	    capability->kind != SEALNET_DECLARE_CONNECTION ||
	    capability->protocol != SEALNET_TCP)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_connect_start(b);
	sn_connect_add_capability(
	    b, body, sn_network_connection_capability(b, capability));
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP, SN_BODY_CONNECT,
		     body, timeout_ns, sn_network_reply,
		     sizeof(sn_network_reply), &reply);
	return sn_network_created(rc, &reply, out);
}

int
network_socket_listen_tcp(uint64_t timeout_ns,
			  const struct sealnet_declaration *capability,
			  sealnet_socket *out)
{
	struct sn_peer *p;
	sn_message_ref reply;
	int rc =
	    sn_network_peer(SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP, __func__, &p);

	if (rc < 0)
		return rc;
	if (capability == NULL || out == NULL ||
	    capability->kind != SEALNET_DECLARE_BIND)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_listen_start(b);
	uint32_t cap = sn_bind_capability_start(b);
	sn_bind_capability_add_port(b, cap, capability->port);
	sn_bind_capability_add_max_connections(b, cap,
					       (uint16_t)capability->number);
	sn_bind_capability_add_ipv6(b, cap, capability->ipv6 != 0);
	sn_listen_add_capability(b, body, cap);
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP, SN_BODY_LISTEN,
		     body, timeout_ns, sn_network_reply,
		     sizeof(sn_network_reply), &reply);
	return sn_network_created(rc, &reply, out);
}

int
network_socket_accept_tcp(uint64_t timeout_ns, sealnet_socket listener,
			  sealnet_socket *out)
{
	struct sn_peer *p;
	sn_message_ref reply;
	sn_handle h = sn_network_handle(listener);
	int rc =
	    sn_network_peer(SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP, __func__, &p);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &h);
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP,
		     SN_BODY_SOCKET_REFERENCE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &reply);
	return sn_network_created(rc, &reply, out);
}

int
sn_network_ask_receive(uint16_t export_id, const char *function,
		       uint64_t timeout_ns, sealnet_socket s, size_t max,
		       sn_received_ref *out)
{
	struct sn_peer *p;
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s);
	uint32_t len;
	int rc = sn_network_peer(export_id, function, &p);

	if (rc < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_receive_start(b);
	sn_receive_add_socket(b, body, &h);
	sn_receive_add_max_bytes(
	    b, body, (uint32_t)(max > STREAM_CHUNK ? STREAM_CHUNK : max));
	rc = sn_call(p, export_id, SN_BODY_RECEIVE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &reply);
	if (rc < 0)
		return rc;
	*out = sn_message_body_as_received(reply);
	/* The reply is verified, but its size is the peer's word: hold it
	 * to what was asked for. */
	sn_received_data(*out, &len);
	return len > max ? -EPROTO : 0;
}

static ssize_t
receive(const char *function, uint64_t timeout_ns, sealnet_socket s, size_t max,
	const uint8_t **data)
{
	sn_received_ref r;
	uint32_t len;
	int rc = sn_network_ask_receive(SN_EXPORT_NETWORK_SOCKET_RECEIVE,
					function, timeout_ns, s, max, &r);

	if (rc < 0)
		return rc;
	*data = sn_received_data(r, &len);
	return (ssize_t)len;
}

ssize_t
network_socket_receive_preallocated(uint64_t timeout_ns, sealnet_socket s,
				    void *buf, size_t len)
{
	const uint8_t *data;
	ssize_t n;

	if (buf == NULL && len > 0)
		return -EINVAL;
	n = receive(__func__, timeout_ns, s, len, &data);
	if (n > 0)
		memcpy(buf, data, (size_t)n);
	return n;
}

ssize_t
network_socket_receive(uint64_t timeout_ns, sealnet_socket s, void **buf)
{
	const uint8_t *data = NULL;
	ssize_t n;

	if (buf == NULL)
		return -EINVAL;
	n = receive(__func__, timeout_ns, s, CHUNK, &data);
	return sn_sdk_received_copy(n, data, buf);
}

ssize_t
network_socket_send(uint64_t timeout_ns, sealnet_socket s, const void *data,
		    size_t len)
{
	struct sn_peer *p;
	uint64_t deadline = sn_now_ns() + timeout_ns;
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s);
	size_t done = 0;
	int rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_SEND, __func__, &p);

	if (rc < 0)
		return rc;
	if (data == NULL && len > 0)
		return -EINVAL;
	while (done < len) {
		size_t n =
		    len - done > STREAM_CHUNK ? STREAM_CHUNK : len - done;
		uint64_t now = sn_now_ns();
		uint32_t taken;

		if (now >= deadline)
			return done > 0 ? (ssize_t)done : -ETIMEDOUT;
		sn_builder *b = sn_call_builder(p->owner);
		uint32_t body = sn_send_start(b);
		sn_send_add_socket(b, body, &h);
		sn_send_add_data(b, body, (const uint8_t *)data + done, n);
		rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_SEND, SN_BODY_SEND,
			     body, deadline - now, sn_network_reply,
			     sizeof(sn_network_reply), &reply);
		/* What was taken is on its way: report it, and let the next
		 * call meet the error. */
		if (rc < 0)
			return done > 0 ? (ssize_t)done : rc;
		/* 0: no room when asked, room now.  More than was offered is
		 * a lie the peer cannot tell. */
		taken = sn_sent_bytes(sn_message_body_as_sent(reply));
		if (taken > n)
			return -EPROTO;
		done += taken;
	}
	return (ssize_t)len;
}

int
network_socket_close(uint64_t timeout_ns, sealnet_socket s)
{
	struct sn_peer *p;
	sn_handle h = sn_network_handle(s);
	int rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_CLOSE, __func__, &p);

	if (rc < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &h);
	return sn_call(p, SN_EXPORT_NETWORK_SOCKET_CLOSE,
		       SN_BODY_SOCKET_REFERENCE, body, timeout_ns,
		       sn_network_reply, sizeof(sn_network_reply), NULL);
}
