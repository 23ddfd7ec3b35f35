/*
 * The network API for application compartments, named like CHERIoT's.
 *
 * NetAPI serves network_socket_connect_tcp, network_socket_listen_tcp,
 * network_socket_udp_authorise_host and network_host_get; TCPIP serves
 * the others.  A compartment imports each function it calls, by name:
 *
 *	SEALNET_IMPORT(network_socket_connect_tcp);
 *	SEALNET_IMPORT(network_host_get);     (network_start calls it)
 *
 * Capabilities are passed by name with SEALNET_CAPABILITY(name); sockets
 * are handles that only the compartment they were made for can use.
 * Call sealnet_start() (sealnet/start.h) first.
 *
 * Every function takes a timeout in nanoseconds (SEALNET_SECOND, in
 * sealnet/time.h) and returns 0 (or a byte count) on success, or a
 * negative errno.  sealnet/errors.h says what each code means.  Besides
 * the codes its own comment lists, every function here may return:
 *
 *   -ESRCH            sealnet_start() has not succeeded in this process
 *   -EINVAL           a pointer the function writes to or reads is NULL
 *   -EPERM            this compartment does not import the export the
 *                     function calls (logged, naming the SEALNET_IMPORT
 *                     it needs), or its image joins it to no compartment
 *                     serving it
 *   -ETIMEDOUT        the timeout passed before the answer came
 *   -ENOTRECOVERABLE  the compartment serving the call is dead, or died
 *                     while the call was in flight (SEALNET_ECOMPARTMENT)
 *   -ECANCELED        the supervisor went away during the call
 *   -EIO              the serving compartment failed to answer
 *   -ENOSYS           the serving compartment has no such export (only
 *                     in an image `sealnet image build` did not check)
 */
#ifndef SEALNET_NETWORK_H
#define SEALNET_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sealnet/compartment.h>

typedef struct {
	uint32_t slot;
	uint32_t generation;
	uint64_t tag;
} sealnet_socket;

/* An address, as UDP calls and network_host_get give and take it. */
typedef struct {
	uint8_t ipv6;	     /* 0: IPv4, the first 4 bytes of address */
	uint8_t address[16]; /* network byte order */
	uint16_t port;
} sealnet_address;

/* The most of each that network_host_get reports; further ones are
 * left out. */
#define SEALNET_HOST_ADDRESSES_MAX   8
#define SEALNET_HOST_DNS_SERVERS_MAX 4

/* The stack's own addresses and the DNS servers it asks; ports are 0. */
typedef struct {
	unsigned naddresses;
	sealnet_address addresses[SEALNET_HOST_ADDRESSES_MAX];
	unsigned ndns_servers;
	sealnet_address dns_servers[SEALNET_HOST_DNS_SERVERS_MAX];
} sealnet_host_info;

/* The largest datagram network_socket_send_to takes: what one message
 * carries beside its headers. */
#define SEALNET_DATAGRAM_MAX (64u * 1024u - 512u)

/*
 * Waits until the stack has an IPv4 address and a DNS server (DHCP
 * done, or the image's static addresses applied), asking NetAPI through
 * network_host_get: the compartment must import network_host_get, or
 * this returns -EPERM at once and logs why.  While it waits, calls to
 * this compartment are served.
 * Errors: -EPERM (no SEALNET_IMPORT(network_host_get)), -EPROTO (NetAPI
 * answered with a malformed address); -EAGAIN never: no address yet
 * means asking again, until the timeout, then -ETIMEDOUT.
 */
int network_start(uint64_t timeout_ns);

/*
 * The stack's addresses (IPv4, then IPv6 ones SLAAC gave) and its DNS
 * servers, into *out.
 * Errors: -EAGAIN (no address yet: DHCP has not finished), -EPROTO
 * (NetAPI answered with a malformed address).
 */
int network_host_get(uint64_t timeout_ns, sealnet_host_info *out);

/*
 * A TCP connection to the host and port of a connection capability this
 * compartment holds: NetAPI resolves the name (through DNS), opens the
 * Firewall for this connection alone, and has TCPIP connect.
 * Errors: -EINVAL (not a TCP connection capability, or a malformed host
 * name), -EPERM (a capability the image does not give this compartment),
 * -EAGAIN (this compartment has 8 calls in progress in NetAPI, or NetAPI
 * is full: try again), -EHOSTUNREACH (the name has no address, there is
 * no DNS server yet, or no route), -ECONNREFUSED (the host refused),
 * -ECONNABORTED (TCPIP gave up the connection), -EDQUOT (the sockets
 * quota is used up), -ENOMEM (TCPIP has no memory for a connection),
 * -ENOSPC (the Firewall's rule table is full), -EADDRINUSE (no free
 * local port after several tries), -EPROTO (DNS had a malformed server
 * address); an error of a compartment NetAPI asked on the caller's
 * behalf (DNS, the Firewall, TCPIP) is passed on unchanged.
 */
int network_socket_connect_tcp(uint64_t timeout_ns,
			       const struct sealnet_declaration *capability,
			       sealnet_socket *out);

/*
 * A listening TCP socket on the port of a bind capability this
 * compartment holds.  The Firewall admits at most the capability's
 * max_connections at once.
 * Errors: -EINVAL (not a bind capability), -EPERM (a capability the image
 * does not give this compartment), -EAGAIN (NetAPI is busy: try again),
 * -EADDRINUSE (the port is served already), -ENOSPC (the Firewall's
 * table of server ports is full), -EDQUOT (the sockets quota is used
 * up), -ENOMEM (TCPIP has no memory for it).
 */
int network_socket_listen_tcp(uint64_t timeout_ns,
			      const struct sealnet_declaration *capability,
			      sealnet_socket *out);

/*
 * The next connection on a listening socket.
 * Errors: -EPERM (not a socket of this compartment's), -EINVAL (not a
 * listening socket), -EBUSY (another accept on it is still waiting),
 * -ENOTCONN (the socket was closed meanwhile).
 */
int network_socket_accept_tcp(uint64_t timeout_ns, sealnet_socket listener,
			      sealnet_socket *out);

/*
 * Up to len bytes into buf, as soon as there are any; 0 never means the
 * end of the stream: the end is -ENOTCONN.
 * Errors: -ENOTCONN (the peer ended the stream, or the socket is not
 * connected), -ECONNRESET (the peer reset the connection),
 * -ECONNABORTED (TCPIP gave up the connection), -ETIMEDOUT (also when
 * TCPIP gave up on a peer that stopped answering), -EPERM (not a socket of
 * this compartment's), -EBUSY (another receive on it is still waiting in
 * TCPIP, after one that timed out), -ENOMEM (TCPIP could not build the
 * answer), -EPROTO (TCPIP sent more than was asked for).
 */
ssize_t network_socket_receive_preallocated(uint64_t timeout_ns,
					    sealnet_socket s, void *buf,
					    size_t len);

/*
 * As network_socket_receive_preallocated, into a buffer of at most
 * SEALNET_DATAGRAM_MAX bytes that the call allocates: *buf is set only
 * when the result is above 0, and the caller free()s it.
 * Errors: as network_socket_receive_preallocated, and -ENOMEM when the
 * buffer cannot be allocated.
 */
ssize_t network_socket_receive(uint64_t timeout_ns, sealnet_socket s,
			       void **buf);

/*
 * Sends all of data and returns len.  If the timeout passes or the
 * connection fails part way, returns how much was sent (the next call
 * meets the error), or the error if nothing was.
 * Errors: -ENOTCONN (not connected, or closed), -ECONNRESET,
 * -ECONNABORTED, -ETIMEDOUT (as for receive), -EPERM (not a socket of this
 * compartment's), -EBUSY (another send on it is still waiting in TCPIP),
 * -EPROTO (TCPIP said it took more than was offered).
 */
ssize_t network_socket_send(uint64_t timeout_ns, sealnet_socket s,
			    const void *data, size_t len);

/*
 * Closes the socket and releases its quota; the Firewall's hole closes
 * once the connection has ended.
 * Errors: -EPERM (not a socket of this compartment's, or closed already).
 */
int network_socket_close(uint64_t timeout_ns, sealnet_socket s);

/*
 * A UDP socket on a random local port (IPv4, or both with ipv6 set).  A
 * new socket reaches no one: each peer is let through the Firewall by
 * network_socket_udp_authorise_host.
 * Errors: -EDQUOT (the sockets quota is used up), -ENOMEM (TCPIP has no
 * memory for it), -EADDRINUSE (no free port found).
 */
int network_socket_udp(uint64_t timeout_ns, int ipv6, sealnet_socket *out);

/*
 * Lets the peer of a UDP connection capability this compartment holds
 * through the Firewall for socket s: resolves its name and gives its
 * address and port in *remote, for network_socket_send_to.
 * Errors: -EINVAL (not a UDP connection capability, or s is not a UDP
 * socket), -EPERM (a capability the image does not give this
 * compartment, or a socket that is not its own), -EAGAIN (NetAPI is
 * busy: try again), -EHOSTUNREACH (the name has no address, or no DNS
 * server yet), -EDQUOT (s has 16 peers already: a socket may have at
 * most 16), -ENOSPC (the Firewall's rule table is full), -EPROTO
 * (NetAPI answered with a malformed address); errors of DNS and the
 * Firewall are passed on unchanged.
 */
int
network_socket_udp_authorise_host(uint64_t timeout_ns, sealnet_socket s,
				  const struct sealnet_declaration *capability,
				  sealnet_address *remote);

/*
 * One datagram of at most SEALNET_DATAGRAM_MAX bytes; returns len.  A
 * peer not authorised for s is sent to, and the Firewall drops it.
 * Errors: -EMSGSIZE (len above SEALNET_DATAGRAM_MAX), -EINVAL (not a
 * UDP socket, or a malformed address), -EPERM (not a socket of this
 * compartment's), -EHOSTUNREACH (no route), -ENOMEM (TCPIP has no
 * memory for it).
 */
ssize_t network_socket_send_to(uint64_t timeout_ns, sealnet_socket s,
			       const sealnet_address *to, const void *data,
			       size_t len);

/*
 * One datagram, cut to len bytes, and who sent it.
 * Errors: -EINVAL (not a UDP socket), -EPERM (not a socket of this
 * compartment's), -EBUSY (another receive on it is still waiting in
 * TCPIP), -ENOMEM (TCPIP could not build the answer), -EPROTO (TCPIP
 * sent more than was asked for, or a malformed address).
 */
ssize_t network_socket_receive_from(uint64_t timeout_ns, sealnet_socket s,
				    void *buf, size_t len,
				    sealnet_address *from);

#endif
