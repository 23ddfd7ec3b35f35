/*
 * The session's invariants, which every call keeps: the tests and the
 * fuzz target check them after each step.
 */
#include <errno.h>
#include <string.h>

#include "session_state.h"

#define CHECK_OR_FAIL(cond)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			return -EFAULT;                                        \
	} while (0)

/* Each table's entries with bytes lie in its pool back to back, in
 * table order, from 0 to the fill level: `at` walks them. */
static bool
next_in_pool(uint32_t *at, uint32_t offset, uint32_t length, uint32_t used)
{
	if (length == 0)
		return true;
	if (offset != *at || length > used - *at)
		return false;
	*at += length;
	return true;
}

/* Counts the packet identifiers the messages hold into *ids. */
static int
check_messages(const struct mqtt_session *s, uint32_t *ids)
{
	uint32_t inflight = 0, at = 0;

	CHECK_OR_FAIL(s->msg_count <= s->cfg.queue_messages &&
		      s->msg_pool_used <= s->cfg.queue_bytes);
	for (uint32_t i = 0; i < s->msg_count; i++) {
		const struct mqtt_out_message *m = &s->msgs[i];

		CHECK_OR_FAIL(m->qos <= 2 && m->state <= OUT_REPORT);
		CHECK_OR_FAIL((m->qos == 0) == (m->packet_id == 0));
		CHECK_OR_FAIL(m->packet_id == 0 || id_used(s, m->packet_id));
		/* Bytes are kept exactly while a PUBLISH may be sent. */
		CHECK_OR_FAIL((m->length > 0) ==
			      (m->state == OUT_QUEUED ||
			       m->state == OUT_AWAIT_PUBACK ||
			       m->state == OUT_AWAIT_PUBREC));
		CHECK_OR_FAIL(m->qos == 2 || (m->state != OUT_AWAIT_PUBREC &&
					      m->state != OUT_PUBREL_QUEUED &&
					      m->state != OUT_AWAIT_PUBCOMP &&
					      m->state != OUT_PUBREC_HELD));
		/* Only a durable session holds a PUBREL back. */
		CHECK_OR_FAIL(s->cfg.durable || m->state != OUT_PUBREC_HELD);
		CHECK_OR_FAIL(m->qos == 1 || m->state != OUT_AWAIT_PUBACK);
		/* Without a connection nothing awaits an answer. */
		CHECK_OR_FAIL(s->state != MQTT_SESSION_IDLE ||
			      (m->state != OUT_AWAIT_PUBACK &&
			       m->state != OUT_AWAIT_PUBREC &&
			       m->state != OUT_AWAIT_PUBCOMP));
		CHECK_OR_FAIL(
		    next_in_pool(&at, m->offset, m->length, s->msg_pool_used));
		inflight += session_counts_inflight(m->state);
		*ids += m->packet_id != 0;
	}
	CHECK_OR_FAIL(at == s->msg_pool_used);
	CHECK_OR_FAIL(inflight == s->inflight &&
		      inflight <= s->cfg.max_inflight);
	return 0;
}

/* QoS 2 identifiers, acknowledgements to send and topic aliases. */
static int
check_inbound(const struct mqtt_session *s)
{
	CHECK_OR_FAIL(s->qos2_count <= s->cfg.inbound_qos2);
	for (uint32_t i = 0; i < s->qos2_count; i++) {
		CHECK_OR_FAIL(s->qos2_ids[i] != 0);
		for (uint32_t k = 0; k < i; k++)
			CHECK_OR_FAIL(s->qos2_ids[k] != s->qos2_ids[i]);
	}
	CHECK_OR_FAIL(s->ack_count <= s->cfg.ack_queue &&
		      s->ack_head < s->cfg.ack_queue);
	for (uint32_t i = 0; i < s->cfg.topic_aliases; i++)
		CHECK_OR_FAIL(s->alias_len[i] <= s->cfg.alias_topic_bytes);
	return 0;
}

/* Our topic aliases: each set one names a topic, and no two the same. */
static int
check_out_aliases(const struct mqtt_session *s)
{
	CHECK_OR_FAIL(s->out_alias_limit <= s->cfg.out_topic_aliases &&
		      s->out_alias_count <= s->out_alias_limit);
	CHECK_OR_FAIL(s->cfg.version == MQTT_V5 || s->out_alias_limit == 0);
	for (uint32_t i = 0; i < s->out_alias_count; i++) {
		const uint8_t *t =
		    s->out_alias_topics + (size_t)i * s->cfg.alias_topic_bytes;

		CHECK_OR_FAIL(s->out_alias_len[i] >= 1 &&
			      s->out_alias_len[i] <= s->cfg.alias_topic_bytes);
		for (uint32_t k = 0; k < i; k++)
			CHECK_OR_FAIL(
			    s->out_alias_len[k] != s->out_alias_len[i] ||
			    memcmp(s->out_alias_topics +
				       (size_t)k * s->cfg.alias_topic_bytes,
				   t, s->out_alias_len[i]) != 0);
	}
	return 0;
}

static int
check_subscriptions(const struct mqtt_session *s)
{
	uint32_t at = 0;

	CHECK_OR_FAIL(s->sub_count <= s->cfg.subscriptions &&
		      s->sub_pool_used <= s->cfg.subscription_bytes);
	for (uint32_t i = 0; i < s->sub_count; i++) {
		/* Each filter once: the first match is itself. */
		CHECK_OR_FAIL(s->subs[i].length > 0 &&
			      session_sub_find(s, session_sub_filter(s, i)) ==
				  (int)i);
		CHECK_OR_FAIL(next_in_pool(&at, s->subs[i].offset,
					   s->subs[i].length,
					   s->sub_pool_used));
	}
	CHECK_OR_FAIL(at == s->sub_pool_used);
	CHECK_OR_FAIL(!s->restoring || s->restore_next <= s->sub_count);
	return 0;
}

/* Counts the packet identifiers the requests hold into *ids. */
static int
check_requests(const struct mqtt_session *s, uint32_t *ids)
{
	uint32_t reserved = 0, reserved_bytes = 0, at = 0;

	CHECK_OR_FAIL(s->req_count <= s->cfg.requests &&
		      s->req_pool_used <= s->cfg.request_bytes);
	for (uint32_t i = 0; i < s->req_count; i++) {
		const struct mqtt_request *r = &s->reqs[i];

		CHECK_OR_FAIL(r->length > 0 && r->kind <= REQ_RESTORE);
		CHECK_OR_FAIL(r->packet_id != 0 && id_used(s, r->packet_id));
		CHECK_OR_FAIL(
		    next_in_pool(&at, r->offset, r->length, s->req_pool_used));
		reserved += r->reserved_count;
		reserved_bytes += r->reserved_bytes;
		(*ids)++;
	}
	CHECK_OR_FAIL(at == s->req_pool_used);
	CHECK_OR_FAIL(reserved == s->reserved_subs &&
		      reserved_bytes == s->reserved_sub_bytes);
	/* What the table holds and what requests reserve fit together. */
	CHECK_OR_FAIL(s->sub_count + reserved <= s->cfg.subscriptions &&
		      s->sub_pool_used + reserved_bytes <=
			  s->cfg.subscription_bytes);
	return 0;
}

int
mqtt_session_check(const struct mqtt_session *s)
{
	uint32_t ids = 0;

	CHECK_OR_FAIL(s->in_start <= s->in_end &&
		      s->in_end <= s->cfg.input_bytes &&
		      s->in_held <= s->in_end - s->in_start);
	CHECK_OR_FAIL(s->out_start <= s->out_end &&
		      s->out_end <= s->cfg.output_bytes);
	CHECK_OR_FAIL(check_messages(s, &ids) == 0);
	CHECK_OR_FAIL(check_inbound(s) == 0);
	CHECK_OR_FAIL(check_out_aliases(s) == 0);
	CHECK_OR_FAIL(check_subscriptions(s) == 0);
	CHECK_OR_FAIL(check_requests(s, &ids) == 0);
	/* As many identifiers marked as there are holders, and each
	 * holder's marked: so no two share one.  (ids_held changes only
	 * when a mark does, so it counts the marks.) */
	CHECK_OR_FAIL(!id_used(s, 0) && s->ids_held == ids);
	return 0;
}
