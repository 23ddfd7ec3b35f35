/* The network API's UDP functions: each is one call to TCPIP, but
 * network_socket_udp_authorise_host, which NetAPI serves. */
#include "network_calls.h"
#include "sealnet/network.h"

#include <errno.h>
#include <string.h>

#include "boot.h"

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

int
network_socket_udp(uint64_t timeout_ns, int ipv6, sealnet_socket *out)
{
	struct sn_peer *p;
	sn_message_ref reply;
	int rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_UDP, __func__, &p);

	if (rc < 0)
		return rc;
	if (out == NULL)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_socket_listen_start(b);
	sn_socket_listen_add_owner(b, body, p->owner->name,
				   strlen(p->owner->name));
	sn_socket_listen_add_ipv6(b, body, ipv6 != 0);
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_UDP, SN_BODY_SOCKET_LISTEN,
		     body, timeout_ns, sn_network_reply,
		     sizeof(sn_network_reply), &reply);
	return sn_network_created(rc, &reply, out);
}

int
network_socket_udp_authorise_host(uint64_t timeout_ns, sealnet_socket s,
				  const struct sealnet_declaration *capability,
				  sealnet_address *remote)
{
	struct sn_peer *p;
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s);
	int rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
				 __func__, &p);

	if (rc < 0)
		return rc;
	if (capability == NULL || remote == NULL ||
	    capability->kind != SEALNET_DECLARE_CONNECTION ||
	    capability->protocol != SEALNET_UDP)
		return -EINVAL;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_udp_authorise_start(b);
	sn_udp_authorise_add_socket(b, body, &h);
	sn_udp_authorise_add_capability(
	    b, body, sn_network_connection_capability(b, capability));
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_UDP_AUTHORISE_HOST,
		     SN_BODY_UDP_AUTHORISE, body, timeout_ns, sn_network_reply,
		     sizeof(sn_network_reply), &reply);
	if (rc < 0)
		return rc;
	return sn_network_address_of(
	    sn_authorised_remote(sn_message_body_as_authorised(reply)), remote);
}

ssize_t
network_socket_send_to(uint64_t timeout_ns, sealnet_socket s,
		       const sealnet_address *to, const void *data, size_t len)
{
	struct sn_peer *p;
	sn_handle h = sn_network_handle(s);
	int rc =
	    sn_network_peer(SN_EXPORT_NETWORK_SOCKET_SEND_TO, __func__, &p);

	if (rc < 0)
		return rc;
	if (to == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if (len > CHUNK)
		return -EMSGSIZE;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_send_start(b);
	sn_send_add_socket(b, body, &h);
	sn_send_add_data(b, body, data, len);
	sn_send_add_to(b, body, endpoint_of(b, to));
	rc = sn_call(p, SN_EXPORT_NETWORK_SOCKET_SEND_TO, SN_BODY_SEND, body,
		     timeout_ns, sn_network_reply, sizeof(sn_network_reply),
		     NULL);
	return rc < 0 ? rc : (ssize_t)len;
}

ssize_t
network_socket_receive_from(uint64_t timeout_ns, sealnet_socket s, void *buf,
			    size_t len, sealnet_address *from)
{
	sn_received_ref r;
	const uint8_t *data;
	uint32_t n;
	int rc;

	if ((buf == NULL && len > 0) || from == NULL)
		return -EINVAL;
	rc = sn_network_ask_receive(SN_EXPORT_NETWORK_SOCKET_RECEIVE_FROM,
				    __func__, timeout_ns, s, len, &r);
	if (rc < 0)
		return rc;
	data = sn_received_data(r, &n);
	rc = sn_network_address_of(sn_received_from(r), from);
	if (rc < 0)
		return rc;
	memcpy(buf, data, n);
	return (ssize_t)n;
}
