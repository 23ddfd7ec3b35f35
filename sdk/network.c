/* The application side of the network API: each function is one call to
 * NetAPI or TCPIP, made through the compartment that booted. */
#include "sealnet/network.h"
#include "sockets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

#define CHUNK (SN_MAX_MESSAGE - 512)

static _Alignas(8) uint8_t reply_buf[SN_MAX_MESSAGE];

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
	sn_call_async(tcpip, SN_EXPORT_NETWORK_SOCKET_CLOSE,
		      SN_BODY_SOCKET_REFERENCE, ref, 1000000000ull,
		      late_socket_closed, NULL);
}

/* The compartment that serves export_id, as the schema says. */
static struct sn_peer *
peer(uint16_t export_id)
{
	struct sn_compartment *c = sn_compartment_self();
	struct sn_peer *p = c ? sn_export_peer(c, export_id) : NULL;

	if (p != NULL)
		sn_peer_on_late_reply(p, sn_release_late_socket);
	return p;
}

static sn_handle
to_handle(sealnet_socket s)
{
	return (sn_handle){s.slot, s.generation, s.tag};
}

static int
created(int rc, sn_message_ref *reply, sealnet_socket *out)
{
	sn_handle h;

	if (rc < 0)
		return rc;
	sn_socket_created_socket(sn_message_body_as_socket_created(*reply), &h);
	*out = (sealnet_socket){h.slot, h.generation, h.tag};
	return 0;
}

static uint32_t
connection_capability(sn_builder *b, const struct sealnet_declaration *d)
{
	uint32_t cap = sn_connection_capability_start(b);

	sn_connection_capability_add_protocol(b, cap, d->protocol);
	sn_connection_capability_add_host(b, cap, d->text, strlen(d->text));
	sn_connection_capability_add_port(b, cap, d->port);
	return cap;
}

int
network_start(uint64_t timeout_ns)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_HOST_GET);
	uint64_t end = sn_now_ns() + timeout_ns;

	if (p == NULL)
		return -EPERM;
	while (sn_now_ns() < end) {
		sn_message_ref m;
		int rc = sn_call(p, SN_EXPORT_NETWORK_HOST_GET, SN_BODY_EMPTY,
				 sn_empty_start(sn_call_builder(p->owner)),
				 end - sn_now_ns(), reply_buf,
				 sizeof(reply_buf), &m);

		if (rc == 0) {
			sn_address_info_ref info =
			    sn_message_body_as_address_info(m);
			bool v4 = false;

			for (uint32_t i = 0;
			     i < sn_address_info_addresses_count(info); i++)
				v4 |= sn_endpoint_family(
					  sn_address_info_addresses_at(info,
								       i)) ==
				      SN_ADDRESS_FAMILY_IPV4;
			if (v4 && sn_address_info_dns_servers_count(info) > 0)
				return 0;
		} else if (rc != -EAGAIN) {
			return rc;
		}
		/* Serve what arrives meanwhile, then ask again. */
		sn_loop_run_once(&p->owner->loop, sn_now_ns() + 100000000ull);
	}
	return -ETIMEDOUT;
}

int
network_socket_connect_tcp(uint64_t timeout_ns,
			   const struct sealnet_declaration *capability,
			   sealnet_socket *out)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP);
	sn_message_ref reply;

	if (p == NULL)
		return -EPERM;
	if (capability->kind != SEALNET_DECLARE_CONNECTION)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_connect_start(b);
	sn_connect_add_capability(b, body,
				  connection_capability(b, capability));
	return created(sn_call(p, SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
			       SN_BODY_CONNECT, body, timeout_ns, reply_buf,
			       sizeof(reply_buf), &reply),
		       &reply, out);
}

int
network_socket_listen_tcp(uint64_t timeout_ns,
			  const struct sealnet_declaration *capability,
			  sealnet_socket *out)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP);
	sn_message_ref reply;

	if (p == NULL)
		return -EPERM;
	if (capability->kind != SEALNET_DECLARE_BIND)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_listen_start(b);
	uint32_t cap = sn_bind_capability_start(b);
	sn_bind_capability_add_port(b, cap, capability->port);
	sn_bind_capability_add_max_connections(b, cap,
					       (uint16_t)capability->number);
	sn_bind_capability_add_ipv6(b, cap, capability->ipv6 != 0);
	sn_listen_add_capability(b, body, cap);
	return created(sn_call(p, SN_EXPORT_NETWORK_SOCKET_LISTEN_TCP,
			       SN_BODY_LISTEN, body, timeout_ns, reply_buf,
			       sizeof(reply_buf), &reply),
		       &reply, out);
}

int
network_socket_accept_tcp(uint64_t timeout_ns, sealnet_socket listener,
			  sealnet_socket *out)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP);
	sn_message_ref reply;
	sn_handle h = to_handle(listener);

	if (p == NULL)
		return -EPERM;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &h);
	return created(sn_call(p, SN_EXPORT_NETWORK_SOCKET_ACCEPT_TCP,
			       SN_BODY_SOCKET_REFERENCE, body, timeout_ns,
			       reply_buf, sizeof(reply_buf), &reply),
		       &reply, out);
}

/* Asks TCPIP, through `export_id`, for up to max bytes of s. */
static int
ask_receive(uint16_t export_id, uint64_t timeout_ns, sealnet_socket s,
	    size_t max, sn_received_ref *out)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_RECEIVE);
	sn_message_ref reply;
	sn_handle h = to_handle(s);
	uint32_t len;
	int rc;

	if (p == NULL)
		return -EPERM;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_receive_start(b);
	sn_receive_add_socket(b, body, &h);
	sn_receive_add_max_bytes(b, body,
				 (uint32_t)(max > CHUNK ? CHUNK : max));
	rc = sn_call(p, export_id, SN_BODY_RECEIVE, body, timeout_ns, reply_buf,
		     sizeof(reply_buf), &reply);
	if (rc < 0)
		return rc;
	*out = sn_message_body_as_received(reply);
	/* The reply is verified, but its size is the peer's word: hold it
	 * to what was asked for. */
	sn_received_data(*out, &len);
	return len > max ? -EPROTO : 0;
}

static ssize_t
receive(uint64_t timeout_ns, sealnet_socket s, size_t max, const uint8_t **data)
{
	sn_received_ref r;
	uint32_t len;
	int rc = ask_receive(SN_EXPORT_NETWORK_SOCKET_RECEIVE, timeout_ns, s,
			     max, &r);

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
	ssize_t n = receive(timeout_ns, s, len, &data);

	if (n > 0)
		memcpy(buf, data, (size_t)n);
	return n;
}

ssize_t
network_socket_receive(uint64_t timeout_ns, sealnet_socket s, void **buf)
{
	const uint8_t *data;
	ssize_t n = receive(timeout_ns, s, CHUNK, &data);

	if (n <= 0)
		return n;
	*buf = malloc((size_t)n);
	if (*buf == NULL)
		return -ENOMEM;
	memcpy(*buf, data, (size_t)n);
	return n;
}

ssize_t
network_socket_send(uint64_t timeout_ns, sealnet_socket s, const void *data,
		    size_t len)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_SEND);
	uint64_t deadline = sn_now_ns() + timeout_ns;
	sn_message_ref reply;
	sn_handle h = to_handle(s);
	size_t done = 0;

	if (p == NULL)
		return -EPERM;
	while (done < len) {
		size_t n = len - done > CHUNK ? CHUNK : len - done;
		uint64_t now = sn_now_ns();
		uint32_t taken;
		int rc;

		if (now >= deadline)
			return done > 0 ? (ssize_t)done : -ETIMEDOUT;
		sn_builder *b = sn_call_builder(p->owner);
		uint32_t body = sn_send_start(b);
		sn_send_add_socket(b, body, &h);
		sn_send_add_data(b, body, (const uint8_t *)data + done, n);
		rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_SEND, SN_BODY_SEND,
			     body, deadline - now, reply_buf, sizeof(reply_buf),
			     &reply);
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
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_CLOSE);
	sn_handle h = to_handle(s);

	if (p == NULL)
		return -EPERM;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &h);
	return sn_call(p, SN_EXPORT_NETWORK_SOCKET_CLOSE,
		       SN_BODY_SOCKET_REFERENCE, body, timeout_ns, reply_buf,
		       sizeof(reply_buf), NULL);
}

/* ---- UDP ---- */

static uint32_t
endpoint_of(sn_builder *b, const sealnet_address *a)
{
	uint32_t ep = sn_endpoint_start(b);

	sn_endpoint_add_family(
	    b, ep, a->ipv6 ? SN_ADDRESS_FAMILY_IPV6 : SN_ADDRESS_FAMILY_IPV4);
	sn_endpoint_add_address(b, ep, a->address, a->ipv6 ? 16 : 4);
	sn_endpoint_add_port(b, ep, a->port);
	return ep;
}

static int
address_of(sn_endpoint_ref ep, sealnet_address *out)
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

int
network_socket_udp(uint64_t timeout_ns, int ipv6, sealnet_socket *out)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_UDP);
	struct sn_compartment *self = sn_compartment_self();
	sn_message_ref reply;

	if (p == NULL)
		return -EPERM;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_listen_start(b);
	sn_socket_listen_add_owner(b, body, self->name, strlen(self->name));
	sn_socket_listen_add_ipv6(b, body, ipv6 != 0);
	return created(sn_call(p, SN_EXPORT_NETWORK_SOCKET_UDP,
			       SN_BODY_SOCKET_LISTEN, body, timeout_ns,
			       reply_buf, sizeof(reply_buf), &reply),
		       &reply, out);
}

int
network_socket_udp_authorise_host(uint64_t timeout_ns, sealnet_socket s,
				  const struct sealnet_declaration *capability,
				  sealnet_address *remote)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST);
	sn_message_ref reply;
	sn_handle h = to_handle(s);
	int rc;

	if (p == NULL)
		return -EPERM;
	if (capability->kind != SEALNET_DECLARE_CONNECTION ||
	    capability->protocol != SEALNET_UDP)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_udp_authorise_start(b);
	sn_udp_authorise_add_socket(b, body, &h);
	sn_udp_authorise_add_capability(b, body,
					connection_capability(b, capability));
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
		     SN_BODY_UDP_AUTHORISE, body, timeout_ns, reply_buf,
		     sizeof(reply_buf), &reply);
	if (rc < 0)
		return rc;
	return address_of(
	    sn_authorised_remote(sn_message_body_as_authorised(reply)), remote);
}

ssize_t
network_socket_send_to(uint64_t timeout_ns, sealnet_socket s,
		       const sealnet_address *to, const void *data, size_t len)
{
	struct sn_peer *p = peer(SN_EXPORT_NETWORK_SOCKET_SEND_TO);
	sn_handle h = to_handle(s);
	int rc;

	if (p == NULL)
		return -EPERM;
	if (len > CHUNK)
		return -EMSGSIZE;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_send_start(b);
	sn_send_add_socket(b, body, &h);
	sn_send_add_data(b, body, data, len);
	sn_send_add_to(b, body, endpoint_of(b, to));
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_SEND_TO, SN_BODY_SEND, body,
		     timeout_ns, reply_buf, sizeof(reply_buf), NULL);
	return rc < 0 ? rc : (ssize_t)len;
}

ssize_t
network_socket_receive_from(uint64_t timeout_ns, sealnet_socket s, void *buf,
			    size_t len, sealnet_address *from)
{
	sn_received_ref r;
	const uint8_t *data;
	uint32_t n;
	int rc = ask_receive(SN_EXPORT_NETWORK_SOCKET_RECEIVE_FROM, timeout_ns,
			     s, len, &r);

	if (rc < 0)
		return rc;
	data = sn_received_data(r, &n);
	rc = address_of(sn_received_from(r), from);
	if (rc < 0)
		return rc;
	memcpy(buf, data, n);
	return (ssize_t)n;
}
