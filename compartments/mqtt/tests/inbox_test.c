/*
 * The inbox's room for the next message.  Taking a message from the
 * session acknowledges it to the broker, so there must be room for it
 * before it is taken: a message sent by topic alias brings its topic
 * from outside its packet, and a check sized by the packet alone let a
 * message the broker would never send again be dropped.
 */
#include <string.h>

#include "harness.h"
#include "inbox.h"
#include "mqtt_const.h"

static _Alignas(8) uint8_t mem[MQTT_INBOX_BYTES];

/* An inbox filled with small records until less than `free` bytes are
 * left, then one record that leaves exactly `free`. */
static void
fill_leaving(struct inbox *ib, size_t free)
{
	static uint8_t payload[MQTT_INBOX_BYTES];
	struct inbox_event ev = {.kind = 1};
	size_t header = inbox_record_size(0, 0);

	inbox_init(ib, mem, sizeof(mem));
	ev.payload_len = (uint32_t)(ib->cap - free - header);
	CHECK_EQ_INT(inbox_push(ib, &ev, NULL, payload), 0);
	CHECK_EQ_INT(ib->cap - ib->used, free);
}

TEST(a_message_by_alias_is_taken_only_with_room_for_its_topic)
{
	static uint8_t payload[MQTT_PACKET_MAX];
	static uint8_t topic[MQTT_ALIAS_BYTES];
	struct inbox_event ev = {.kind = 1};
	struct inbox ib;

	/* Room for the largest packet, not for an alias's topic as well. */
	fill_leaving(&ib, inbox_record_size(0, MQTT_PACKET_MAX));
	CHECK(!inbox_fits_any_message(&ib, MQTT_PACKET_MAX, MQTT_ALIAS_BYTES));
	/* What the broker may send then would not have fitted. */
	ev.topic_len = MQTT_ALIAS_BYTES;
	ev.payload_len = MQTT_PACKET_MAX - 16;
	CHECK_EQ_INT(inbox_push(&ib, &ev, topic, payload), -ENOBUFS);
}

TEST(room_said_is_room_for_every_message)
{
	static uint8_t payload[MQTT_PACKET_MAX];
	static uint8_t topic[MQTT_ALIAS_BYTES];
	struct inbox_event ev = {.kind = 1};
	struct inbox ib;

	fill_leaving(&ib, inbox_record_size(MQTT_ALIAS_BYTES, MQTT_PACKET_MAX));
	CHECK(inbox_fits_any_message(&ib, MQTT_PACKET_MAX, MQTT_ALIAS_BYTES));
	ev.topic_len = MQTT_ALIAS_BYTES;
	ev.payload_len = MQTT_PACKET_MAX;
	CHECK_EQ_INT(inbox_push(&ib, &ev, topic, payload), 0);
}

int
main(void)
{
	RUN(a_message_by_alias_is_taken_only_with_room_for_its_topic);
	RUN(room_said_is_room_for_every_message);
	HARNESS_EXIT();
}
