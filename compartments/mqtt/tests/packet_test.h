/*
 * What the codec's tests share: the four ends (client and server of each
 * version), a round trip through the other end that also feeds it every
 * shorter prefix, and REJECTS and ACCEPTS for single packets.  Each test
 * binary includes it once.
 */
#ifndef SEALNET_MQTT_PACKET_TEST_H
#define SEALNET_MQTT_PACKET_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "packet.h"
#include "packet_compare.h"

#define BYTES(s) ((struct mqtt_bytes){(const uint8_t *)(s), sizeof(s) - 1})

static const struct mqtt_codec client5 = {MQTT_V5, MQTT_CLIENT, 0, 0};
static const struct mqtt_codec server5 = {MQTT_V5, MQTT_SERVER, 0, 0};
static const struct mqtt_codec client311 = {MQTT_V311, MQTT_CLIENT, 0, 0};
static const struct mqtt_codec server311 = {MQTT_V311, MQTT_SERVER, 0, 0};

static uint8_t wire[4096];

static inline bool
bytes_eq(struct mqtt_bytes a, struct mqtt_bytes b)
{
	return mqtt_bytes_eq(a, b);
}

static const struct mqtt_codec *
peer_of(const struct mqtt_codec *c)
{
	if (c->version == MQTT_V5)
		return c->self == MQTT_CLIENT ? &server5 : &client5;
	return c->self == MQTT_CLIENT ? &server311 : &client311;
}

/* Encodes p as `from`, decodes it as the other end, and checks that every
 * shorter prefix asks for more: the packet's length, or a negative
 * value that says which step failed. */
static inline ssize_t
roundtrip(const struct mqtt_codec *from, const struct mqtt_packet *p,
	  struct mqtt_packet *out)
{
	ssize_t n = mqtt_encode(from, p, wire, sizeof(wire), NULL);
	ssize_t len = mqtt_encoded_length(from, p, NULL);
	size_t need;

	if (n < 0 || len != n)
		return -1;
	for (size_t prefix = 0; prefix < (size_t)n; prefix++) {
		need = 0;
		if (mqtt_decode(peer_of(from), wire, prefix, out, &need,
				NULL) != -EAGAIN ||
		    need == 0 || prefix + need > (size_t)n)
			return -2;
	}
	if (mqtt_decode(peer_of(from), wire, (size_t)n, out, &need, NULL) != n)
		return -3;
	return n;
}

/* Decodes bytes as the given end and returns the error, with the fault. */
static inline ssize_t
decode_as(const struct mqtt_codec *c, const uint8_t *b, size_t len,
	  enum mqtt_fault *fault)
{
	struct mqtt_packet p;

	*fault = MQTT_FAULT_NONE;
	return mqtt_decode(c, b, len, &p, NULL, fault);
}

#define REJECTS(codec, err, want, ...)                                         \
	do {                                                                   \
		const uint8_t pkt_[] = {__VA_ARGS__};                          \
		enum mqtt_fault got_;                                          \
		CHECK_EQ_INT(decode_as(codec, pkt_, sizeof(pkt_), &got_),      \
			     err);                                             \
		CHECK_EQ_INT(got_, want);                                      \
	} while (0)

#define ACCEPTS(codec, ...)                                                    \
	do {                                                                   \
		const uint8_t pkt_[] = {__VA_ARGS__};                          \
		enum mqtt_fault got_;                                          \
		CHECK_EQ_INT(decode_as(codec, pkt_, sizeof(pkt_), &got_),      \
			     sizeof(pkt_));                                    \
	} while (0)

static inline bool
props_eq(const struct mqtt_properties *a, const struct mqtt_properties *b)
{
	return mqtt_props_eq(a, b);
}

#define P(id) (UINT64_C(1) << (id))

static const struct mqtt_user_property two_users[] = {
    {{(const uint8_t *)"region", 6}, {(const uint8_t *)"eu", 2}},
    {{(const uint8_t *)"region", 6}, {(const uint8_t *)"\xc3\xa9t\xc3\xa9", 5}},
};

/* The CONNECT of section 3.1.2.10's example: User Name, Password, Will
 * QoS 1, Will, Clean Session; keep-alive 10 s. */
static inline void
spec_connect(struct mqtt_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->type = MQTT_CONNECT;
	p->u.connect.client_id = BYTES("c1");
	p->u.connect.keep_alive = 10;
	p->u.connect.clean_start = true;
	p->u.connect.will = true;
	p->u.connect.will_qos = 1;
	p->u.connect.will_topic = BYTES("w");
	p->u.connect.will_payload = BYTES("bye");
	p->u.connect.has_username = true;
	p->u.connect.username = BYTES("u");
	p->u.connect.has_password = true;
	p->u.connect.password = BYTES("p");
}

#endif
