/*
 * The MQTT decoder on arbitrary bytes: the first byte picks the version,
 * which end decodes and whether a 64-byte maximum applies; the rest is
 * decoded packet after packet.  Every packet accepted must lie inside
 * the input, encode again from the other end, and decode from that
 * encoding to the same packet.  A rejection must name its rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "packet_compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[70000];

static void
require(bool ok)
{
	if (!ok)
		abort();
}

static void
inside(struct mqtt_bytes b, const uint8_t *start, size_t len)
{
	if (b.len == 0)
		return;
	require(b.data >= start && b.len <= len &&
		(size_t)(b.data - start) <= len - b.len);
}

static void
props_inside(const struct mqtt_properties *p, const uint8_t *start, size_t len)
{
	inside(p->raw, start, len);
	inside(p->content_type, start, len);
	inside(p->response_topic, start, len);
	inside(p->correlation_data, start, len);
	inside(p->assigned_client_id, start, len);
	inside(p->auth_method, start, len);
	inside(p->auth_data, start, len);
	inside(p->response_info, start, len);
	inside(p->server_reference, start, len);
	inside(p->reason_string, start, len);
}

static void
views_inside(const struct mqtt_packet *p, const uint8_t *start, size_t len)
{
	props_inside(&p->props, start, len);
	switch (p->type) {
	case MQTT_CONNECT:
		inside(p->u.connect.client_id, start, len);
		props_inside(&p->u.connect.will_props, start, len);
		inside(p->u.connect.will_topic, start, len);
		inside(p->u.connect.will_payload, start, len);
		inside(p->u.connect.username, start, len);
		inside(p->u.connect.password, start, len);
		break;
	case MQTT_PUBLISH:
		inside(p->u.publish.topic, start, len);
		inside(p->u.publish.payload, start, len);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		inside(p->u.filters.raw, start, len);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		inside(p->u.codes, start, len);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mqtt_codec c, peer;

	if (size < 1)
		return 0;
	c.version = data[0] & 1 ? MQTT_V5 : MQTT_V311;
	c.self = data[0] & 2 ? MQTT_SERVER : MQTT_CLIENT;
	c.max_in = data[0] & 4 ? 64 : 0;
	c.max_out = 0;
	peer = c;
	peer.self = c.self == MQTT_CLIENT ? MQTT_SERVER : MQTT_CLIENT;
	data++;
	size--;
	while (size > 0) {
		struct mqtt_packet p, back;
		enum mqtt_fault fault = MQTT_FAULT_COUNT;
		size_t need = 0;
		ssize_t n = mqtt_decode(&c, data, size, &p, &need, &fault);
		ssize_t m;

		if (n == -EAGAIN) {
			require(need > 0 && fault == MQTT_FAULT_NONE);
			break;
		}
		if (n < 0) {
			require(fault != MQTT_FAULT_NONE &&
				fault < MQTT_FAULT_UNEXPECTED_PACKET &&
				mqtt_fault_errno(fault) == n);
			break;
		}
		require((size_t)n <= size && (size_t)n >= 2);
		if (c.max_in != 0)
			require((size_t)n <= c.max_in);
		views_inside(&p, data, (size_t)n);
		/* Anything accepted is something the other end may send. */
		m = mqtt_encode(&peer, &p, again, sizeof(again), &fault);
		require(m > 0 && m == mqtt_encoded_length(&peer, &p, NULL));
		require(mqtt_decode(&c, again, (size_t)m, &back, &need,
				    &fault) == m);
		require(mqtt_packet_eq(&p, &back, c.version));
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
