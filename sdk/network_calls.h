/*
 * What the network API's functions share (sdk/network.c and
 * sdk/network_udp.c): the peer serving each export, the conversions
 * between the public types and the schema's, and the one buffer replies
 * are copied into.
 */
#ifndef SEALNET_NETWORK_CALLS_H
#define SEALNET_NETWORK_CALLS_H

#include "call.h"
#include "sealnet/network.h"

/* The most data one call carries: what a message holds beside its
 * headers. */
#define CHUNK SEALNET_DATAGRAM_MAX
/* The most of a stream one send or receive carries: a whole message's
 * worth, as TCPIP answers (its MAX_CHUNK).  Pieces of CHUNK took twice
 * the calls, and each is a round trip with a wake-up at both ends. */
#define STREAM_CHUNK (SN_MAX_MESSAGE - 512u)

/* Replies are copied here; one call at a time uses it, on the loop's
 * thread. */
extern uint8_t sn_network_reply[SN_MAX_MESSAGE];

/* sn_sdk_peer, and the peer's late answers release the sockets they
 * made (sn_release_late_socket). */
int sn_network_peer(uint16_t export_id, const char *function,
		    struct sn_peer **out);

sn_handle sn_network_handle(sealnet_socket s);

/* rc, and on success the socket a SocketCreated reply names in *out. */
int sn_network_created(int rc, const sn_message_ref *reply,
		       sealnet_socket *out);

/* A ConnectionCapability table for the declaration d. */
uint32_t sn_network_connection_capability(sn_builder *b,
					  const struct sealnet_declaration *d);

/* *out from an Endpoint: 0, or -EPROTO if it is not an address. */
int sn_network_address_of(sn_endpoint_ref ep, sealnet_address *out);

/*
 * Asks TCPIP, through export_id, for up to max bytes of s: 0 and the
 * reply in *out, or a negative errno; -EPROTO if it holds more than max.
 */
int sn_network_ask_receive(uint16_t export_id, const char *function,
			   uint64_t timeout_ns, sealnet_socket s, size_t max,
			   sn_received_ref *out);

#endif
