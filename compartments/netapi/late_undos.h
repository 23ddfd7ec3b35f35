/*
 * What a Firewall call that NetAPI gave up on opened, kept until its
 * answer comes (late_undos.c).  A flow takes a call that timed out as
 * having opened nothing, and closes nothing for it; but the Firewall may
 * have served it just before the deadline and answered after, and then
 * the DNS hole is counted open, or the rule or server port is there,
 * with nobody to close it.  The runtime hands such a late success to
 * netapi.c by its call id; this says what to undo, and with which
 * arguments: those the call was made with.  Pure: no I/O.
 */
#ifndef SEALNET_NETAPI_LATE_UNDOS_H
#define SEALNET_NETAPI_LATE_UNDOS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "netapi_const.h"

struct late_undo {
	uint64_t call_id; /* 0: free */
	enum flow_do undo;
	/* The flow as it was when the call was given up on: what the call
	 * was made from, and so what the undo's body is made from. */
	struct flow flow;
};

/* As many as the runtime remembers calls given up on (SN_MAX_ABANDONED):
 * an answer to one it has forgotten never reaches NetAPI.  The oldest
 * goes first. */
struct late_undos {
	struct late_undo e[NETAPI_LATE_UNDOS];
	unsigned next;
};

void late_undos_init(struct late_undos *t);

/* The call that undoes `opened`: REMOVE_RULE for ADD_RULE, CLOSE_DNS_HOLE
 * for OPEN_DNS_HOLE, WITHDRAW_SERVER_PORT for ADD_SERVER_PORT; NOTHING
 * for any other, which opens nothing in the Firewall. */
enum flow_do late_undo_of(enum flow_do opened);

/* The call `opened`, made from f with id call_id, was given up on: kept,
 * if it opens anything; whether it was kept. */
bool late_undos_keep(struct late_undos *t, uint64_t call_id,
		     enum flow_do opened, const struct flow *f);

/* A late success of call_id: true and what to do, once; false for a call
 * not kept (or forgotten since). */
bool late_undos_take(struct late_undos *t, uint64_t call_id,
		     struct late_undo *out);

#endif
