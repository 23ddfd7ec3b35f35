/*
 * What the hostile stand-ins for a service compartment share (tls_hostile
 * and mqtt_hostile, each taking a real compartment's name and exports;
 * hostile, the hostile application, makes its connects here too): calls
 * made by hand with the runtime's caller API, each attempt's outcome in
 * the words the tests read, and the loop that keeps what a caller
 * presented until the attacks on it have run.
 */
#ifndef SEALNET_TESTS_HOSTILE_PROBES_H
#define SEALNET_TESTS_HOSTILE_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The runtime's own headers: the probes make calls by hand. */
#include "boot.h"
#include "sealnet/compartment.h"

/* How long each probe waits for its answer. */
#define HOSTILE_TIMEOUT (2 * SN_SECOND)
/* Presentations kept at once: more are refused with -EBUSY. */
#define HOSTILE_PRESENTED_MAX 4

/* "ok", or strerror of the negative errno: what a RESULT line says. */
const char *hostile_said(int rc);

/* A call to export_id with the body built in sn_call_builder(c); the
 * reply, if reply is not NULL, stays valid until the next probe. */
int hostile_call(struct sn_compartment *c, uint16_t export_id,
		 uint8_t body_type, uint32_t body, sn_message_ref *reply);

/* A connection capability for host and port, built in b. */
uint32_t hostile_capability(sn_builder *b, uint8_t protocol, const char *host,
			    uint16_t port);

/* network_socket_connect_tcp with a capability it makes up. */
int hostile_connect_with(struct sn_compartment *c, const char *host,
			 uint16_t port, uint64_t timeout);

/* A UDP socket owned by `owner`: a send to 10.0.0.1:port with no hole,
 * then a hole asked for with the caller's host; a RESULT line for each. */
void hostile_udp_attempts(struct sn_compartment *c, const char *owner,
			  const char *host, uint16_t port);

/* What a caller presented: the handle it handed over and the host and
 * port of its capability, kept with its deferred call. */
struct hostile_presented {
	bool waiting;
	struct sn_deferred d;
	sn_handle handle;
	char host[SN_HOST_MAX + 1];
	uint16_t port;
};

/* Keeps what `in` presented in a free slot and defers the call; with no
 * slot free, or a host too long to keep, answers -EBUSY. */
void hostile_keep(struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
		  struct sn_incoming *in, sn_connection_capability_ref cap,
		  const sn_handle *handle);

/* Serves calls; after each step runs attack on every kept presentation,
 * then refuses its call with -EACCES.  Returns only on a failed step. */
int hostile_serve(struct sn_compartment *c,
		  struct hostile_presented slots[HOSTILE_PRESENTED_MAX],
		  void (*attack)(struct hostile_presented *p));

#endif
