/*
 * Handles: not forged, not reused once freed, not carried over into a new
 * table, and a full table said so.
 */
#include <errno.h>
#include <stdint.h>

#include "handle.h"
#include "harness.h"

TEST(handles_cannot_be_forged_or_reused)
{
	struct sn_handle_entry entries[4];
	struct sn_handle_table t;
	struct sn_handle_id h, h2, forged;
	void *obj;
	int x = 1, y = 2;

	sn_handle_table_init(&t, entries, 4);
	CHECK_EQ_INT(sn_handle_alloc(&t, 10, &x, &h), 0);
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &h, &obj), 0);
	CHECK(obj == &x);
	/* Another compartment holding the same bits gets nothing. */
	CHECK_EQ_INT(sn_handle_lookup(&t, 11, &h, &obj), -EPERM);
	forged = h;
	forged.tag ^= 1;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	forged = h;
	forged.slot = 4;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	forged.slot = UINT32_MAX;
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &forged, &obj), -EPERM);
	/* Released, the slot is reused: the old handle stays dead. */
	CHECK_EQ_INT(sn_handle_release(&t, 10, &h, NULL), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 10, &y, &h2), 0);
	CHECK_EQ_INT(h2.slot, h.slot);
	CHECK(h2.generation != h.generation && h2.tag != h.tag);
	CHECK_EQ_INT(sn_handle_lookup(&t, 10, &h, &obj), -EPERM);
	CHECK_EQ_INT(sn_handle_release(&t, 10, &h, NULL), -EPERM);
	CHECK_EQ_INT(t.refused, 6);
}

TEST(handle_table_full_is_enomem)
{
	struct sn_handle_entry entries[2];
	struct sn_handle_table t;
	struct sn_handle_id h;

	sn_handle_table_init(&t, entries, 2);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&t, 1, NULL, &h), -ENOMEM);
}

TEST(a_new_table_refuses_old_handles)
{
	/* A restarted compartment starts a new table: earlier handles,
	 * same slot and generation, are refused for their tag. */
	struct sn_handle_entry a[2], b[2];
	struct sn_handle_table before, after;
	struct sn_handle_id h, fresh;
	void *obj;

	sn_handle_table_init(&before, a, 2);
	sn_handle_table_init(&after, b, 2);
	CHECK_EQ_INT(sn_handle_alloc(&before, 1, NULL, &h), 0);
	CHECK_EQ_INT(sn_handle_alloc(&after, 1, NULL, &fresh), 0);
	CHECK_EQ_INT(fresh.slot, h.slot);
	CHECK_EQ_INT(fresh.generation, h.generation);
	CHECK_EQ_INT(sn_handle_lookup(&after, 1, &h, &obj), -EPERM);
}

int
main(void)
{
	RUN(handles_cannot_be_forged_or_reused);
	RUN(handle_table_full_is_enomem);
	RUN(a_new_table_refuses_old_handles);
	HARNESS_EXIT();
}
