/*
 * The MQTT packet codec, 3.1.1 and 5.0.  Pure: no I/O, no allocation, no
 * global state; every length is checked against the bytes present before
 * it is used.
 *
 * Decoding takes the bytes received so far and yields one of three
 * answers: more bytes are needed (and how many at least), one complete
 * packet (as views into the caller's bytes: nothing is copied, so the
 * views live as long as those bytes), or an error naming the rule the
 * packet broke.  A decoded packet satisfies every rule below; what passes:
 *
 *   - the fixed header: a type the sending end may send (a client decodes
 *     what a server sends and the other way round), the flags the type
 *     requires, a Remaining Length of at most four bytes in its shortest
 *     form, and a whole packet no larger than the configured maximum;
 *   - every field inside the Remaining Length, and nothing left over;
 *   - strings that are well-formed UTF-8 with no surrogates and no U+0000
 *     (control characters and non-characters, which the specifications
 *     only discourage, pass);
 *   - topic names without wildcards, topic filters whose wildcards stand
 *     alone in their level ('#' last), shared subscriptions (5.0) with a
 *     share name;
 *   - QoS 0 to 2, DUP only with QoS 1 or 2, a non-zero packet identifier
 *     wherever one is carried, reserved bits clear;
 *   - 5.0 properties each allowed in that packet and direction, each at
 *     most once except User Property (and Subscription Identifier in a
 *     PUBLISH), with values in range (booleans 0 or 1, Receive Maximum,
 *     Maximum Packet Size, Topic Alias and Subscription Identifier not 0);
 *   - reason codes the specification lists for that packet and direction;
 *   - at least one entry in SUBSCRIBE, SUBACK, UNSUBSCRIBE and (5.0)
 *     UNSUBACK lists.
 *
 * Encoding checks the same rules on what the caller asks to send and
 * writes the packet in its shortest form.
 *
 * Error codes (every function returns 0 or a length, or one of these):
 *   -EAGAIN    (decode) the bytes end before the packet does
 *   -EBADMSG   (decode) a malformed packet: a 5.0 peer is told 0x81
 *   -EPROTO    (decode) a protocol error: a 5.0 peer is told 0x82
 *   -EMSGSIZE  a packet larger than the configured maximum (0x95)
 *   -EINVAL    (encode) the packet asked for breaks a rule above
 *   -ENOBUFS   (encode) the output buffer is too small
 * The fault, when asked for, names the exact rule.
 */
#ifndef SEALNET_MQTT_PACKET_H
#define SEALNET_MQTT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "constants.h"

/* Which rule a packet broke, or what ended a session. */
enum mqtt_fault {
	MQTT_FAULT_NONE = 0,
	/* Malformed packets (-EBADMSG). */
	MQTT_FAULT_LENGTH_TOO_LONG,    /* a fifth Variable Byte Integer byte */
	MQTT_FAULT_LENGTH_NOT_MINIMAL, /* more bytes than the value needs */
	MQTT_FAULT_TRUNCATED,	       /* a field runs past the packet's end */
	MQTT_FAULT_TRAILING_BYTES,     /* bytes after the last field */
	MQTT_FAULT_RESERVED_BITS,      /* fixed-header or other reserved bits */
	MQTT_FAULT_QOS,		       /* QoS 3 */
	MQTT_FAULT_UTF8,	       /* ill-formed UTF-8 */
	MQTT_FAULT_UTF8_SURROGATE,     /* U+D800..U+DFFF */
	MQTT_FAULT_UTF8_NUL,	       /* U+0000 */
	MQTT_FAULT_PROPERTY_UNKNOWN,   /* an identifier 5.0 does not define */
	MQTT_FAULT_PROPERTY_NOT_ALLOWED, /* defined, but not in this packet */
	MQTT_FAULT_PROPERTY_VALUE,	 /* a value out of its range */
	MQTT_FAULT_REASON_CODE,		 /* not a code this packet may carry */
	MQTT_FAULT_PROTOCOL_NAME,	 /* CONNECT without "MQTT" */
	MQTT_FAULT_WILL_FLAGS,		 /* Will QoS or Retain without a Will */
	MQTT_FAULT_EMPTY_LIST,		 /* no topic filter or reason code */
	/* Protocol errors (-EPROTO). */
	MQTT_FAULT_PROTOCOL_VERSION,   /* CONNECT of another level */
	MQTT_FAULT_UNEXPECTED_TYPE,    /* a type this end never receives */
	MQTT_FAULT_PACKET_ID_ZERO,     /* packet identifier 0 */
	MQTT_FAULT_DUP_QOS0,	       /* DUP set on a QoS 0 PUBLISH */
	MQTT_FAULT_PROPERTY_DUPLICATE, /* a property that may appear once */
	MQTT_FAULT_TOPIC_EMPTY,	       /* a zero-length topic */
	MQTT_FAULT_TOPIC_WILDCARD,     /* '+' or '#' in a topic name */
	MQTT_FAULT_TOPIC_FILTER,       /* a misplaced wildcard, bad share */
	MQTT_FAULT_SESSION_PRESENT,    /* Session Present on a refusal */
	MQTT_FAULT_PASSWORD_WITHOUT_USERNAME, /* 3.1.1 forbids it */
	MQTT_FAULT_RETAIN_HANDLING,	      /* Retain Handling 3 */
	MQTT_FAULT_SHARED_NO_LOCAL,	      /* No Local on a shared filter */
	/* Too large (-EMSGSIZE). */
	MQTT_FAULT_TOO_LARGE,
	/* Session faults: see session.h. */
	MQTT_FAULT_UNEXPECTED_PACKET,	 /* a packet this state forbids */
	MQTT_FAULT_UNKNOWN_PACKET_ID,	 /* an ack for nothing we sent */
	MQTT_FAULT_RECEIVE_MAXIMUM,	 /* more QoS 2 than we allowed */
	MQTT_FAULT_TOPIC_ALIAS,		 /* alias 0, above our maximum, unset */
	MQTT_FAULT_TOPIC_ALIAS_TOO_LONG, /* a topic longer than a slot */
	MQTT_FAULT_SUBACK_COUNT,	 /* codes and filters differ */
	MQTT_FAULT_SESSION_PRESENT_CLEAN, /* a session after Clean Start */
	MQTT_FAULT_CONNECT_TIMEOUT,	  /* no CONNACK in time */
	MQTT_FAULT_KEEP_ALIVE_TIMEOUT,	  /* the broker went silent */
	MQTT_FAULT_CONNECT_REFUSED,	  /* CONNACK with a failure code */
	MQTT_FAULT_SERVER_DISCONNECT,	  /* the broker sent DISCONNECT */
	MQTT_FAULT_TRANSPORT_CLOSED,	  /* the caller's transport ended */
	MQTT_FAULT_LOCAL_DISCONNECT,	  /* the caller disconnected */
	MQTT_FAULT_COUNT
};

/* A view into bytes the caller owns; strings are not NUL-terminated. */
struct mqtt_bytes {
	const uint8_t *data;
	size_t len;
};

struct mqtt_user_property {
	struct mqtt_bytes key;
	struct mqtt_bytes value;
};

/*
 * 5.0 properties.  `present` has bit (1 << id) set for each property
 * carried; the field of the same name holds its value.  The two
 * properties that may repeat are read with the iterators below: on
 * decode they walk `raw` (the packet's property bytes); on encode they
 * walk `user` (`user_count` entries) and the single `subscription_id`.
 */
struct mqtt_properties {
	uint64_t present;
	uint8_t payload_format;
	uint8_t request_problem_info;
	uint8_t request_response_info;
	uint8_t maximum_qos;
	uint8_t retain_available;
	uint8_t wildcard_available;
	uint8_t subscription_ids_available;
	uint8_t shared_available;
	uint16_t server_keep_alive;
	uint16_t receive_maximum;
	uint16_t topic_alias_maximum;
	uint16_t topic_alias;
	uint32_t message_expiry;
	uint32_t subscription_id; /* the first, on decode */
	uint32_t session_expiry;
	uint32_t will_delay;
	uint32_t maximum_packet_size;
	struct mqtt_bytes content_type;
	struct mqtt_bytes response_topic;
	struct mqtt_bytes correlation_data;
	struct mqtt_bytes assigned_client_id;
	struct mqtt_bytes auth_method;
	struct mqtt_bytes auth_data;
	struct mqtt_bytes response_info;
	struct mqtt_bytes server_reference;
	struct mqtt_bytes reason_string;
	/* The repeating ones. */
	uint32_t user_count;
	const struct mqtt_user_property *user; /* encode only */
	uint32_t subscription_id_count;	       /* decode only */
	struct mqtt_bytes raw;		       /* decode only */
};

static inline bool
mqtt_prop_has(const struct mqtt_properties *p, enum mqtt_property_id id)
{
	return (p->present >> id) & 1u;
}

/* One topic filter of a SUBSCRIBE and its options byte (MQTT_SUB_*). */
struct mqtt_subscription {
	struct mqtt_bytes filter;
	uint8_t options;
};

struct mqtt_connect {
	struct mqtt_bytes client_id;
	uint16_t keep_alive; /* seconds; 0 turns keep-alive off */
	bool clean_start;
	bool will;
	uint8_t will_qos;
	bool will_retain;
	struct mqtt_properties will_props; /* 5.0 */
	struct mqtt_bytes will_topic;
	struct mqtt_bytes will_payload;
	bool has_username;
	bool has_password;
	struct mqtt_bytes username;
	struct mqtt_bytes password;
};

struct mqtt_publish {
	struct mqtt_bytes topic; /* empty with a Topic Alias (5.0) */
	struct mqtt_bytes payload;
	uint8_t qos;
	bool retain;
	bool dup;
};

/*
 * A SUBSCRIBE's filters, or an UNSUBSCRIBE's.  Encode reads `list` (for
 * SUBSCRIBE) or `filters` (for UNSUBSCRIBE), `count` entries; decode sets
 * `count` and `raw` (the payload), read back with the iterators below.
 */
struct mqtt_filter_list {
	const struct mqtt_subscription *list;
	const struct mqtt_bytes *filters;
	size_t count;
	struct mqtt_bytes raw;
};

/*
 * One control packet.  `packet_id` is set for the types that carry one,
 * `reason_code` for CONNACK (5.0 reason code, or the 3.1.1 return code),
 * the PUBLISH acknowledgements, DISCONNECT and AUTH.  `props` are 5.0's.
 * SUBACK and the 5.0 UNSUBACK carry their reason codes in `codes`, one
 * byte each.
 */
struct mqtt_packet {
	enum mqtt_packet_type type;
	uint16_t packet_id;
	uint8_t reason_code;
	bool session_present; /* CONNACK */
	struct mqtt_properties props;
	union {
		struct mqtt_connect connect;
		struct mqtt_publish publish;
		struct mqtt_filter_list filters;
		struct mqtt_bytes codes;
	} u;
};

enum mqtt_role { MQTT_CLIENT, MQTT_SERVER };

/*
 * One end of one connection.  Decoding accepts what the other end may
 * send, up to `max_in` bytes a packet; encoding writes what `self` may
 * send, up to `max_out` bytes.  A maximum of 0 means the protocol's own.
 */
struct mqtt_codec {
	enum mqtt_version version;
	enum mqtt_role self;
	uint32_t max_in;
	uint32_t max_out;
};

/*
 * Decodes the packet at the front of buf[0..len).  Returns its length in
 * bytes and fills *out, whose views point into buf; or -EAGAIN with *need
 * set to the number of further bytes needed at least (the exact number
 * once the Remaining Length is known); or -EBADMSG, -EPROTO or -EMSGSIZE
 * with *fault naming the rule.  A packet too large is reported as soon
 * as its Remaining Length arrives.  need and fault may be NULL.
 */
ssize_t mqtt_decode(const struct mqtt_codec *c, const uint8_t *buf, size_t len,
		    struct mqtt_packet *out, size_t *need,
		    enum mqtt_fault *fault);

/*
 * Encodes p into buf[0..cap).  Returns the packet's length, or -EINVAL
 * (fault names the rule), -EMSGSIZE (larger than max_out) or -ENOBUFS
 * (larger than cap; the length it needs is mqtt_encoded_length's).
 * Only the fields of p's type are read.
 */
ssize_t mqtt_encode(const struct mqtt_codec *c, const struct mqtt_packet *p,
		    uint8_t *buf, size_t cap, enum mqtt_fault *fault);
/* The length mqtt_encode would write, or its error. */
ssize_t mqtt_encoded_length(const struct mqtt_codec *c,
			    const struct mqtt_packet *p,
			    enum mqtt_fault *fault);

/* The iterators over repeating data.  Each returns 1 with the next item,
 * 0 at the end, or -EBADMSG if the bytes under it are not well formed;
 * *cursor starts at 0. */
int mqtt_next_user_property(const struct mqtt_properties *p, size_t *cursor,
			    struct mqtt_user_property *out);
int mqtt_next_subscription_id(const struct mqtt_properties *p, size_t *cursor,
			      uint32_t *out);
/* The entries of a SUBSCRIBE, or the filters of an UNSUBSCRIBE (options
 * 0), of a packet of version v. */
int mqtt_next_filter(const struct mqtt_packet *p, enum mqtt_version v,
		     size_t *cursor, struct mqtt_subscription *out);

/* The checks the codec applies to strings, for callers that build them:
 * 0 or the fault. */
enum mqtt_fault mqtt_utf8_check(const uint8_t *s, size_t len);

/* What a fault means as a negative errno, and as the 5.0 reason code a
 * client sends in its DISCONNECT (0 when it sends none). */
int mqtt_fault_errno(enum mqtt_fault f);
uint8_t mqtt_fault_reason_code(enum mqtt_fault f);
const char *mqtt_fault_name(enum mqtt_fault f);

/* A reason code as a negative errno: 0 for codes below 0x80. */
int mqtt_reason_errno(uint8_t reason_code);
/* The 5.0 reason code with the meaning of a 3.1.1 CONNACK return code. */
uint8_t mqtt_v311_connack_reason(uint8_t return_code);

/* The Variable Byte Integer helpers, exposed for the tests of the
 * specification's examples.  encode returns the number of bytes (1..4)
 * or -EINVAL above MQTT_MAX_REMAINING_LENGTH; decode returns the number
 * of bytes read, -EAGAIN if buf ends first, -EBADMSG otherwise. */
int mqtt_vbi_encode(uint32_t value, uint8_t out[4]);
int mqtt_vbi_decode(const uint8_t *buf, size_t len, uint32_t *value,
		    enum mqtt_fault *fault);

#endif
