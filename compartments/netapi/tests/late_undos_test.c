/*
 * A Firewall call given up on, whose success comes late: what it opened
 * is undone with the arguments it was made with, once, and a call that
 * opens nothing has nothing undone.
 */
#include <string.h>

#include "harness.h"
#include "late_undos.h"
#include "messages.h"

static struct late_undos t;

static struct flow
rule_flow(uint16_t local_port)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	f.kind = FLOW_CONNECT;
	f.local_port = local_port;
	f.remote_port = 7;
	flow_address_from(&f.remote, (const uint8_t[]){10, 0, 0, 1}, 4);
	flow_address_from(&f.dns_server, (const uint8_t[]){10, 0, 0, 3}, 4);
	return f;
}

static uint16_t
export_of(enum flow_do what)
{
	const struct netapi_call *c = netapi_call_for(what);

	return c == NULL ? SN_EXPORT_NONE : c->export_id;
}

TEST(each_opening_is_undone_by_its_closing)
{
	struct flow f = rule_flow(50000);
	struct late_undo u;

	late_undos_init(&t);
	CHECK(late_undos_keep(&t, 7, FLOW_DO_ADD_RULE, &f));
	CHECK(late_undos_keep(&t, 8, FLOW_DO_OPEN_DNS_HOLE, &f));
	CHECK(late_undos_keep(&t, 9, FLOW_DO_ADD_SERVER_PORT, &f));
	CHECK(late_undos_take(&t, 7, &u));
	CHECK_EQ_INT(export_of(u.undo), SN_EXPORT_FIREWALL_RULE_REMOVE);
	CHECK(u.flow.local_port == 50000 && u.flow.remote_port == 7 &&
	      memcmp(&u.flow.remote, &f.remote, sizeof(f.remote)) == 0);
	CHECK(late_undos_take(&t, 8, &u));
	CHECK_EQ_INT(export_of(u.undo), SN_EXPORT_FIREWALL_DNS_LOOKUP_END);
	CHECK(memcmp(&u.flow.dns_server, &f.dns_server, sizeof(f.dns_server)) ==
	      0);
	CHECK(late_undos_take(&t, 9, &u));
	CHECK_EQ_INT(export_of(u.undo), SN_EXPORT_FIREWALL_SERVER_PORT_REMOVE);
	/* Once: a second answer to the same call undoes nothing more. */
	CHECK(!late_undos_take(&t, 7, &u));
}

TEST(a_call_that_opens_nothing_is_not_kept)
{
	struct flow f = rule_flow(50000);
	struct late_undo u;

	late_undos_init(&t);
	CHECK(!late_undos_keep(&t, 1, FLOW_DO_CONNECT, &f));
	CHECK(!late_undos_keep(&t, 2, FLOW_DO_REMOVE_RULE, &f));
	CHECK(!late_undos_keep(&t, 3, FLOW_DO_CLOSE_DNS_HOLE, &f));
	CHECK(!late_undos_keep(&t, 0, FLOW_DO_ADD_RULE, &f));
	CHECK(!late_undos_take(&t, 1, &u) && !late_undos_take(&t, 0, &u));
}

/* Past NETAPI_LATE_UNDOS the oldest goes, as the runtime forgets it. */
TEST(the_oldest_is_forgotten_first)
{
	struct late_undo u;

	late_undos_init(&t);
	for (unsigned i = 0; i <= NETAPI_LATE_UNDOS; i++) {
		struct flow f = rule_flow((uint16_t)(50000 + i));

		CHECK(late_undos_keep(&t, 100 + i, FLOW_DO_ADD_RULE, &f));
	}
	CHECK(!late_undos_take(&t, 100, &u));
	CHECK(late_undos_take(&t, 101, &u));
	CHECK_EQ_INT(u.flow.local_port, 50001);
	CHECK(late_undos_take(&t, 100 + NETAPI_LATE_UNDOS, &u));
}

int
main(void)
{
	RUN(each_opening_is_undone_by_its_closing);
	RUN(a_call_that_opens_nothing_is_not_kept);
	RUN(the_oldest_is_forgotten_first);
	HARNESS_EXIT();
}
