/*
 * What the codec's files share behind packet.h: property blocks
 * (properties.c), the reason codes each packet may carry (reasons.c), and
 * each packet family's body, decoded from a reader positioned after the
 * fixed header and encoded to a writer (connect.c, publish.c,
 * subscribe.c).  packet.c reads and writes the fixed header around them.
 */
#ifndef SEALNET_MQTT_CODEC_H
#define SEALNET_MQTT_CODEC_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"
#include "wire.h"

/* ---- reason codes ---- */

/* Whether a packet of type t that sender sends may carry rc. */
bool mqtt_reason_valid(const struct mqtt_codec *c, enum mqtt_role sender,
		       enum mqtt_packet_type t, uint8_t rc);

/* ---- properties ---- */

/* Where a property block sits; the acknowledgements share one. */
enum prop_context {
	PC_CONNECT,
	PC_CONNACK,
	PC_PUBLISH,
	PC_WILL,
	PC_ACK, /* PUBACK, PUBREC, PUBREL, PUBCOMP */
	PC_SUBSCRIBE,
	PC_SUBACK,
	PC_UNSUBSCRIBE,
	PC_UNSUBACK,
	PC_DISCONNECT,
	PC_AUTH,
};

/* Reads a 5.0 property block (3.1.1 has none: p is left empty) and
 * checks each property against where it sits and who sent it. */
enum mqtt_fault mqtt_read_properties(const struct mqtt_codec *c,
				     struct reader *r, enum prop_context ctx,
				     enum mqtt_role sender,
				     struct mqtt_properties *p);
/* Writes p as a 5.0 block with its length; under 3.1.1, writes nothing
 * and fails if any property is set. */
void mqtt_put_properties(struct writer *w, const struct mqtt_codec *c,
			 const struct mqtt_properties *p, enum prop_context ctx,
			 enum mqtt_role sender);
/* Whether any property is set, so that the short forms of the
 * acknowledgements, DISCONNECT and AUTH may leave the block out. */
bool mqtt_has_properties(const struct mqtt_properties *p);

/* ---- each family's body ----
 * A decoder reads the body of one packet the peer sent, everything after
 * the fixed header; an encoder writes the body of one this end sends and
 * marks the writer with the first rule the packet breaks. */

enum mqtt_fault mqtt_decode_connect(const struct mqtt_codec *c,
				    struct reader *r, struct mqtt_packet *p);
enum mqtt_fault mqtt_decode_connack(const struct mqtt_codec *c,
				    struct reader *r, struct mqtt_packet *p);
/* DISCONNECT and AUTH. */
enum mqtt_fault mqtt_decode_reason_only(const struct mqtt_codec *c,
					struct reader *r,
					enum mqtt_packet_type t,
					enum mqtt_role sender,
					struct mqtt_packet *p);
enum mqtt_fault mqtt_decode_publish(const struct mqtt_codec *c,
				    struct reader *r, uint8_t flags,
				    enum mqtt_role sender,
				    struct mqtt_packet *p);
/* PUBACK, PUBREC, PUBREL and PUBCOMP. */
enum mqtt_fault mqtt_decode_ack(const struct mqtt_codec *c, struct reader *r,
				enum mqtt_packet_type t, enum mqtt_role sender,
				struct mqtt_packet *p);
/* SUBSCRIBE and UNSUBSCRIBE. */
enum mqtt_fault mqtt_decode_filters(const struct mqtt_codec *c,
				    struct reader *r, enum mqtt_packet_type t,
				    struct mqtt_packet *p);
/* SUBACK and UNSUBACK. */
enum mqtt_fault mqtt_decode_codes(const struct mqtt_codec *c, struct reader *r,
				  enum mqtt_packet_type t,
				  struct mqtt_packet *p);

void mqtt_encode_connect(struct writer *w, const struct mqtt_codec *c,
			 const struct mqtt_packet *p);
void mqtt_encode_connack(struct writer *w, const struct mqtt_codec *c,
			 const struct mqtt_packet *p);
void mqtt_encode_reason_only(struct writer *w, const struct mqtt_codec *c,
			     const struct mqtt_packet *p);
void mqtt_encode_publish(struct writer *w, const struct mqtt_codec *c,
			 const struct mqtt_packet *p);
void mqtt_encode_ack(struct writer *w, const struct mqtt_codec *c,
		     const struct mqtt_packet *p);
void mqtt_encode_filters(struct writer *w, const struct mqtt_codec *c,
			 const struct mqtt_packet *p);
void mqtt_encode_codes(struct writer *w, const struct mqtt_codec *c,
		       const struct mqtt_packet *p);

#endif
