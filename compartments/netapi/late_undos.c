/*
 * What a Firewall call given up on opened: see late_undos.h.
 */
#include "late_undos.h"

#include <string.h>

void
late_undos_init(struct late_undos *t)
{
	memset(t, 0, sizeof(*t));
}

enum flow_do
late_undo_of(enum flow_do opened)
{
	switch (opened) {
	case FLOW_DO_ADD_RULE:
		return FLOW_DO_REMOVE_RULE;
	case FLOW_DO_OPEN_DNS_HOLE:
		return FLOW_DO_CLOSE_DNS_HOLE;
	case FLOW_DO_ADD_SERVER_PORT:
		return FLOW_DO_WITHDRAW_SERVER_PORT;
	default:
		return FLOW_DO_NOTHING;
	}
}

bool
late_undos_keep(struct late_undos *t, uint64_t call_id, enum flow_do opened,
		const struct flow *f)
{
	enum flow_do undo = late_undo_of(opened);
	struct late_undo *e;

	if (call_id == 0 || undo == FLOW_DO_NOTHING)
		return false;
	e = &t->e[t->next++ % NETAPI_LATE_UNDOS];
	e->call_id = call_id;
	e->undo = undo;
	e->flow = *f;
	return true;
}

bool
late_undos_take(struct late_undos *t, uint64_t call_id, struct late_undo *out)
{
	for (unsigned i = 0; i < NETAPI_LATE_UNDOS; i++)
		if (call_id != 0 && t->e[i].call_id == call_id) {
			*out = t->e[i];
			t->e[i].call_id = 0;
			return true;
		}
	return false;
}
