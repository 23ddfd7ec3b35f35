/*
 * What the caller's side (call.c), the callee's side (serve.c) and the
 * peers (peer.c) of the runtime share, and nobody else uses.
 */
#ifndef SEALNET_CALL_INTERNAL_H
#define SEALNET_CALL_INTERNAL_H

#include "call.h"

/* Starts a message in c->tx: the builder, holding its Message table. */
sn_builder *sn_message_begin(struct sn_compartment *c);
/* Completes the message in c->tx; its length goes to *len. */
int sn_message_finish(struct sn_compartment *c, uint8_t call_type,
		      uint16_t export_id, uint64_t call_id,
		      uint64_t deadline_ns, int32_t status, uint8_t body_type,
		      uint32_t body, size_t *len);
/* A verified reply from p, matched to the call it answers. */
void sn_take_reply(struct sn_peer *p, const sn_message_ref *m, size_t len);
/* A verified request from p, checked, then handed to its handler. */
void sn_serve_request(struct sn_peer *p, const sn_message_ref *m);
/* Sends what p's outbox holds, as far as its ring takes it. */
void sn_outbox_flush(struct sn_peer *p);
/* p has died: its calls in flight fail with -SEALNET_ECOMPARTMENT (done
 * functions run now, synchronous callers see it on return), and the
 * replies queued for it are dropped. */
void sn_fail_pending_calls(struct sn_peer *p);
/* A send found p dead: no more of its requests are served, and its
 * death is dealt with once the code running now has returned
 * (sn_peer_deaths_settle). */
void sn_peer_death_seen(struct sn_peer *p);
/* Whether p is dead or has been found so. */
bool sn_peer_gone(const struct sn_peer *p);
/* Deals with every death seen: sn_peer_died for each. */
void sn_peer_deaths_settle(struct sn_compartment *c);
void sn_outbox_drop(struct sn_peer *p);

#endif
