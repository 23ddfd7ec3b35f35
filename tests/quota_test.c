/*
 * Quotas: what a compartment holds for a peer (sockets, buffered bytes,
 * sessions) is taken against the image's bound for it and given back.
 */
#include <errno.h>
#include <string.h>

#include "call.h"
#include "harness.h"

TEST(quotas_bound_what_is_held_for_a_peer)
{
	struct sn_peer p;

	memset(&p, 0, sizeof(p));
	p.quota[SN_QUOTA_SOCKETS] = 2;
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_SOCKETS, 1), 0);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_SOCKETS, 1), 0);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_SOCKETS, 1), -EDQUOT);
	sn_quota_give(&p, SN_QUOTA_SOCKETS, 1);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_SOCKETS, 1), 0);
	/* Taking more than is left takes nothing. */
	p.quota[SN_QUOTA_BUFFERED_BYTES] = 1000;
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_BUFFERED_BYTES, 600), 0);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_BUFFERED_BYTES, 500), -EDQUOT);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_BUFFERED_BYTES, 400), 0);
	/* Giving back more than is held cannot wrap below zero. */
	sn_quota_give(&p, SN_QUOTA_BUFFERED_BYTES, 5000);
	CHECK_EQ_INT(p.quota_used[SN_QUOTA_BUFFERED_BYTES], 0);
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_BUFFERED_BYTES, 1000), 0);
	/* Nothing at all without a quota. */
	CHECK_EQ_INT(sn_quota_take(&p, SN_QUOTA_TLS_SESSIONS, 1), -EDQUOT);
}

/* What TCPIP pays a connection's receive window with: as much as is
 * left, never more. */
TEST(a_take_up_to_stops_at_the_quota)
{
	struct sn_peer p = {0};

	p.quota[SN_QUOTA_BUFFERED_BYTES] = 1000;
	CHECK_EQ_INT(sn_quota_take_up_to(&p, SN_QUOTA_BUFFERED_BYTES, 600),
		     600);
	CHECK_EQ_INT(sn_quota_take_up_to(&p, SN_QUOTA_BUFFERED_BYTES, 600),
		     400);
	CHECK_EQ_INT(sn_quota_take_up_to(&p, SN_QUOTA_BUFFERED_BYTES, 1), 0);
	CHECK_EQ_INT(p.quota_used[SN_QUOTA_BUFFERED_BYTES], 1000);
	sn_quota_give(&p, SN_QUOTA_BUFFERED_BYTES, 250);
	CHECK_EQ_INT(sn_quota_take_up_to(&p, SN_QUOTA_BUFFERED_BYTES, 5000),
		     250);
	/* A quota lowered under what is held gives nothing, and does not
	 * wrap. */
	p.quota[SN_QUOTA_BUFFERED_BYTES] = 10;
	CHECK_EQ_INT(sn_quota_take_up_to(&p, SN_QUOTA_BUFFERED_BYTES, 5), 0);
	CHECK_EQ_INT(p.quota_used[SN_QUOTA_BUFFERED_BYTES], 1000);
}

int
main(void)
{
	RUN(quotas_bound_what_is_held_for_a_peer);
	RUN(a_take_up_to_stops_at_the_quota);
	HARNESS_EXIT();
}
