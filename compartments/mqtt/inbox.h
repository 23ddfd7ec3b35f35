/*
 * The events of one connection waiting for its application: a FIFO of
 * records in memory the caller gives, each numbered.  An event stays
 * until the application says it has taken it (its number, in the next
 * mqtt_run), so an answer lost on the way is sent again; taking one is
 * what lets the compartment act on it (a held PUBREL goes).  Pure: no
 * I/O, no allocation.
 *
 * Bounds: a record is its header, topic and payload rounded up to 8
 * bytes; a push that does not fit fails with -ENOBUFS and changes
 * nothing (the caller stops reading the broker until there is room).
 */
#ifndef SEALNET_MQTT_INBOX_H
#define SEALNET_MQTT_INBOX_H

#include <stddef.h>
#include <stdint.h>

struct inbox_event {
	uint64_t seq; /* set by inbox_push: 1, 2, ... */
	uint8_t kind; /* the schema's MqttEventKind */
	uint8_t qos;
	uint8_t retain;
	uint8_t session_present;
	uint8_t reason_code;
	uint16_t packet_id;
	int32_t error;
	uint32_t topic_len;
	uint32_t payload_len;
};

struct inbox {
	uint8_t *mem;
	size_t cap;
	/* Records fill [0, used), oldest first. */
	size_t used;
	uint32_t count;
	uint64_t next_seq;
};

void inbox_init(struct inbox *ib, void *mem, size_t cap);
/* The bytes a record with these lengths takes. */
size_t inbox_record_size(size_t topic_len, size_t payload_len);
/* Whether a record of that size fits now. */
int inbox_fits(const struct inbox *ib, size_t topic_len, size_t payload_len);
/* Whether any message the broker may send fits now: a packet of up to
 * packet_max bytes, and a topic of up to alias_max bytes from outside
 * it, which a topic alias brings in.  An event is taken from the
 * session only then, since taking it acknowledges it to the broker. */
int inbox_fits_any_message(const struct inbox *ib, size_t packet_max,
			   size_t alias_max);
/* Appends ev (its seq is set) with its topic and payload: 0 or
 * -ENOBUFS. */
int inbox_push(struct inbox *ib, struct inbox_event *ev, const void *topic,
	       const void *payload);
/* Drops the events numbered up to seen, oldest first, calling taken()
 * on each (it may be NULL).  Returns how many went. */
unsigned inbox_take(struct inbox *ib, uint64_t seen,
		    void (*taken)(void *ctx, const struct inbox_event *ev),
		    void *ctx);
/* Walks the events after `after`: *cursor starts at 0; returns 1 with
 * the next event and its topic and payload, or 0 at the end. */
int inbox_next(const struct inbox *ib, uint64_t after, size_t *cursor,
	       struct inbox_event *ev, const uint8_t **topic,
	       const uint8_t **payload);

#endif
