/*
 * The network API for application compartments, named like CHERIoT's.
 *
 * Every call takes a timeout in nanoseconds and returns 0 (or a byte
 * count) on success, or a negative errno: -ETIMEDOUT, -EPERM (a
 * capability or socket the caller does not hold), -ENOTCONN,
 * -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -EAGAIN (try again), or
 * -ENOTRECOVERABLE when the compartment that serves the call has died.
 *
 * Capabilities are passed by name with SEALNET_CAPABILITY(name); sockets
 * are handles that only the compartment they were made for can use.
 */
#ifndef SEALNET_NETWORK_H
#define SEALNET_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sealnet/compartment.h"

typedef struct {
	uint32_t slot;
	uint32_t generation;
	uint64_t tag;
} sealnet_socket;

/* A peer's address, as UDP calls give and take it. */
typedef struct {
	uint8_t ipv6;	     /* 0: IPv4, the first 4 bytes of address */
	uint8_t address[16]; /* network byte order */
	uint16_t port;
} sealnet_address;

/* Waits until the stack has an IPv4 address and a DNS server (DHCP done):
 * 0, or -ETIMEDOUT. */
int network_start(uint64_t timeout_ns);

int network_socket_connect_tcp(uint64_t timeout_ns,
			       const struct sealnet_declaration *capability,
			       sealnet_socket *out);
int network_socket_listen_tcp(uint64_t timeout_ns,
			      const struct sealnet_declaration *capability,
			      sealnet_socket *out);
int network_socket_accept_tcp(uint64_t timeout_ns, sealnet_socket listener,
			      sealnet_socket *out);
/* Up to len bytes into buf; 0 never means end of stream: the end is
 * -ENOTCONN. */
ssize_t network_socket_receive_preallocated(uint64_t timeout_ns,
					    sealnet_socket s, void *buf,
					    size_t len);
/* As above, into a buffer the call allocates (free() it). */
ssize_t network_socket_receive(uint64_t timeout_ns, sealnet_socket s,
			       void **buf);
/* Sends all of data and returns len.  If the timeout passes or the
 * connection fails part way, returns how much was sent (the next call
 * meets the error), or the error if nothing was. */
ssize_t network_socket_send(uint64_t timeout_ns, sealnet_socket s,
			    const void *data, size_t len);
int network_socket_close(uint64_t timeout_ns, sealnet_socket s);

/* UDP.  A new socket reaches no one: each peer is let through the
 * Firewall by presenting a UDP connection capability for it, which
 * resolves its name and gives its address for send_to. */
int network_socket_udp(uint64_t timeout_ns, int ipv6, sealnet_socket *out);
int
network_socket_udp_authorise_host(uint64_t timeout_ns, sealnet_socket s,
				  const struct sealnet_declaration *capability,
				  sealnet_address *remote);
/* One datagram; returns len. */
ssize_t network_socket_send_to(uint64_t timeout_ns, sealnet_socket s,
			       const sealnet_address *to, const void *data,
			       size_t len);
/* One datagram, cut to len bytes, and who sent it. */
ssize_t network_socket_receive_from(uint64_t timeout_ns, sealnet_socket s,
				    void *buf, size_t len,
				    sealnet_address *from);

#endif
