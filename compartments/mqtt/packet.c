/*
 * The MQTT codec.  Decoding reads through a cursor that never moves past
 * the end of the packet: every read asks for its length first, so a
 * length field cannot carry a read beyond the bytes present.  Encoding
 * runs each packet's writer twice, once to count and once to write, so
 * the Remaining Length and property lengths are known before they are
 * written and nothing is written unless all of it fits.
 */
#include "packet.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "topic.h"

/* ---- faults ---- */

struct fault_info {
	const char *name;
	int error;
	uint8_t reason; /* what a 5.0 client says in its DISCONNECT */
};

static const struct fault_info fault_table[MQTT_FAULT_COUNT] = {
    [MQTT_FAULT_NONE] = {"none", 0, 0},
    [MQTT_FAULT_LENGTH_TOO_LONG] = {"length_too_long", -EBADMSG,
				    MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_LENGTH_NOT_MINIMAL] = {"length_not_minimal", -EBADMSG,
				       MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_TRUNCATED] = {"truncated", -EBADMSG, MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_TRAILING_BYTES] = {"trailing_bytes", -EBADMSG,
				   MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_RESERVED_BITS] = {"reserved_bits", -EBADMSG,
				  MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_QOS] = {"qos", -EBADMSG, MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_UTF8] = {"utf8", -EBADMSG, MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_UTF8_SURROGATE] = {"utf8_surrogate", -EBADMSG,
				   MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_UTF8_NUL] = {"utf8_nul", -EBADMSG, MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_PROPERTY_UNKNOWN] = {"property_unknown", -EBADMSG,
				     MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_PROPERTY_NOT_ALLOWED] = {"property_not_allowed", -EBADMSG,
					 MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_PROPERTY_VALUE] = {"property_value", -EBADMSG,
				   MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_REASON_CODE] = {"reason_code", -EBADMSG,
				MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_PROTOCOL_NAME] = {"protocol_name", -EBADMSG,
				  MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_WILL_FLAGS] = {"will_flags", -EBADMSG,
			       MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_EMPTY_LIST] = {"empty_list", -EBADMSG,
			       MQTT_RC_MALFORMED_PACKET},
    [MQTT_FAULT_PROTOCOL_VERSION] = {"protocol_version", -EPROTO,
				     MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION},
    [MQTT_FAULT_UNEXPECTED_TYPE] = {"unexpected_type", -EPROTO,
				    MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_PACKET_ID_ZERO] = {"packet_id_zero", -EPROTO,
				   MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_DUP_QOS0] = {"dup_qos0", -EPROTO, MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_PROPERTY_DUPLICATE] = {"property_duplicate", -EPROTO,
				       MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_TOPIC_EMPTY] = {"topic_empty", -EPROTO,
				MQTT_RC_TOPIC_NAME_INVALID},
    [MQTT_FAULT_TOPIC_WILDCARD] = {"topic_wildcard", -EPROTO,
				   MQTT_RC_TOPIC_NAME_INVALID},
    [MQTT_FAULT_TOPIC_FILTER] = {"topic_filter", -EPROTO,
				 MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_SESSION_PRESENT] = {"session_present", -EPROTO,
				    MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_PASSWORD_WITHOUT_USERNAME] = {"password_without_username",
					      -EPROTO, MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_RETAIN_HANDLING] = {"retain_handling", -EPROTO,
				    MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_SHARED_NO_LOCAL] = {"shared_no_local", -EPROTO,
				    MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_TOO_LARGE] = {"too_large", -EMSGSIZE, MQTT_RC_PACKET_TOO_LARGE},
    [MQTT_FAULT_UNEXPECTED_PACKET] = {"unexpected_packet", -EPROTO,
				      MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_UNKNOWN_PACKET_ID] = {"unknown_packet_id", -EPROTO,
				      MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_RECEIVE_MAXIMUM] = {"receive_maximum", -EPROTO,
				    MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED},
    [MQTT_FAULT_TOPIC_ALIAS] = {"topic_alias", -EPROTO,
				MQTT_RC_TOPIC_ALIAS_INVALID},
    [MQTT_FAULT_TOPIC_ALIAS_TOO_LONG] = {"topic_alias_too_long", -ENOBUFS,
					 MQTT_RC_IMPLEMENTATION_SPECIFIC},
    [MQTT_FAULT_SUBACK_COUNT] = {"suback_count", -EPROTO,
				 MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_SESSION_PRESENT_CLEAN] = {"session_present_clean", -EPROTO,
					  MQTT_RC_PROTOCOL_ERROR},
    [MQTT_FAULT_CONNECT_TIMEOUT] = {"connect_timeout", -ETIMEDOUT, 0},
    [MQTT_FAULT_KEEP_ALIVE_TIMEOUT] = {"keep_alive_timeout", -ETIMEDOUT, 0},
    [MQTT_FAULT_CONNECT_REFUSED] = {"connect_refused", -ECONNREFUSED, 0},
    [MQTT_FAULT_SERVER_DISCONNECT] = {"server_disconnect", -ECONNRESET, 0},
    [MQTT_FAULT_TRANSPORT_CLOSED] = {"transport_closed", -ECONNRESET, 0},
    [MQTT_FAULT_LOCAL_DISCONNECT] = {"local_disconnect", 0, 0},
};

int
mqtt_fault_errno(enum mqtt_fault f)
{
	return (unsigned)f < MQTT_FAULT_COUNT ? fault_table[f].error : -EINVAL;
}

uint8_t
mqtt_fault_reason_code(enum mqtt_fault f)
{
	return (unsigned)f < MQTT_FAULT_COUNT ? fault_table[f].reason : 0;
}

const char *
mqtt_fault_name(enum mqtt_fault f)
{
	return (unsigned)f < MQTT_FAULT_COUNT ? fault_table[f].name : "?";
}

int
mqtt_reason_errno(uint8_t rc)
{
	if (rc < MQTT_RC_FIRST_FAILURE)
		return 0;
	switch (rc) {
	case MQTT_RC_MALFORMED_PACKET:
		return -EBADMSG;
	case MQTT_RC_PROTOCOL_ERROR:
	case MQTT_RC_PACKET_ID_IN_USE:
	case MQTT_RC_PACKET_ID_NOT_FOUND:
	case MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED:
	case MQTT_RC_TOPIC_ALIAS_INVALID:
		return -EPROTO;
	case MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION:
		return -EPROTONOSUPPORT;
	case MQTT_RC_CLIENT_ID_NOT_VALID:
	case MQTT_RC_TOPIC_FILTER_INVALID:
	case MQTT_RC_TOPIC_NAME_INVALID:
	case MQTT_RC_PAYLOAD_FORMAT_INVALID:
		return -EINVAL;
	case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
	case MQTT_RC_BAD_AUTHENTICATION_METHOD:
		return -EACCES;
	case MQTT_RC_NOT_AUTHORIZED:
	case MQTT_RC_BANNED:
		return -EPERM;
	case MQTT_RC_SERVER_UNAVAILABLE:
	case MQTT_RC_USE_ANOTHER_SERVER:
	case MQTT_RC_SERVER_MOVED:
		return -ECONNREFUSED;
	case MQTT_RC_SERVER_BUSY:
	case MQTT_RC_MESSAGE_RATE_TOO_HIGH:
	case MQTT_RC_CONNECTION_RATE_EXCEEDED:
		return -EBUSY;
	case MQTT_RC_SERVER_SHUTTING_DOWN:
		return -ESHUTDOWN;
	case MQTT_RC_KEEP_ALIVE_TIMEOUT:
	case MQTT_RC_MAXIMUM_CONNECT_TIME:
		return -ETIMEDOUT;
	case MQTT_RC_SESSION_TAKEN_OVER:
		return -ECONNRESET;
	case MQTT_RC_PACKET_TOO_LARGE:
		return -EMSGSIZE;
	case MQTT_RC_QUOTA_EXCEEDED:
		return -EDQUOT;
	case MQTT_RC_ADMINISTRATIVE_ACTION:
		return -ECONNABORTED;
	case MQTT_RC_RETAIN_NOT_SUPPORTED:
	case MQTT_RC_QOS_NOT_SUPPORTED:
	case MQTT_RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED:
	case MQTT_RC_SUBSCRIPTION_IDS_NOT_SUPPORTED:
	case MQTT_RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	default:
		/* 0x80 Unspecified, 0x83 Implementation specific. */
		return -EIO;
	}
}

uint8_t
mqtt_v311_connack_reason(uint8_t code)
{
	switch (code) {
	case MQTT_V311_ACCEPTED:
		return MQTT_RC_SUCCESS;
	case MQTT_V311_UNACCEPTABLE_PROTOCOL:
		return MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION;
	case MQTT_V311_IDENTIFIER_REJECTED:
		return MQTT_RC_CLIENT_ID_NOT_VALID;
	case MQTT_V311_SERVER_UNAVAILABLE:
		return MQTT_RC_SERVER_UNAVAILABLE;
	case MQTT_V311_BAD_USERNAME_OR_PASSWORD:
		return MQTT_RC_BAD_USERNAME_OR_PASSWORD;
	case MQTT_V311_NOT_AUTHORIZED:
		return MQTT_RC_NOT_AUTHORIZED;
	default:
		return MQTT_RC_UNSPECIFIED_ERROR;
	}
}

/* ---- reason codes each packet may carry ---- */

static const uint8_t connack_codes[] = {
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f};
static const uint8_t puback_codes[] = {0x00, 0x10, 0x80, 0x83, 0x87,
				       0x90, 0x91, 0x97, 0x99};
static const uint8_t pubrel_codes[] = {0x00, 0x92};
static const uint8_t suback_codes[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
				       0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2};
static const uint8_t suback_v311_codes[] = {0x00, 0x01, 0x02, 0x80};
static const uint8_t unsuback_codes[] = {0x00, 0x11, 0x80, 0x83,
					 0x87, 0x8f, 0x91};
static const uint8_t client_disconnect_codes[] = {0x00, 0x04, 0x80, 0x81, 0x82,
						  0x83, 0x90, 0x93, 0x94, 0x95,
						  0x96, 0x97, 0x98, 0x99};
static const uint8_t server_disconnect_codes[] = {
    0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e,
    0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
    0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2};
static const uint8_t auth_codes[] = {0x00, 0x18, 0x19};

#define IN_SET(set, rc) (memchr((set), (rc), sizeof(set)) != NULL)

static bool
reason_valid(const struct mqtt_codec *c, enum mqtt_role sender,
	     enum mqtt_packet_type t, uint8_t rc)
{
	switch (t) {
	case MQTT_CONNACK:
		if (c->version == MQTT_V311)
			return rc <= MQTT_V311_NOT_AUTHORIZED;
		return IN_SET(connack_codes, rc);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
		return IN_SET(puback_codes, rc);
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return IN_SET(pubrel_codes, rc);
	case MQTT_SUBACK:
		if (c->version == MQTT_V311)
			return IN_SET(suback_v311_codes, rc);
		return IN_SET(suback_codes, rc);
	case MQTT_UNSUBACK:
		return IN_SET(unsuback_codes, rc);
	case MQTT_DISCONNECT:
		if (sender == MQTT_CLIENT)
			return IN_SET(client_disconnect_codes, rc);
		return IN_SET(server_disconnect_codes, rc);
	case MQTT_AUTH:
		return IN_SET(auth_codes, rc);
	default:
		return false;
	}
}

/* ---- which end sends what ---- */

static bool
type_allowed(const struct mqtt_codec *c, enum mqtt_role sender, unsigned t)
{
	switch (t) {
	case MQTT_PUBLISH:
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return true;
	case MQTT_CONNECT:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
	case MQTT_PINGREQ:
		return sender == MQTT_CLIENT;
	case MQTT_CONNACK:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
	case MQTT_PINGRESP:
		return sender == MQTT_SERVER;
	case MQTT_DISCONNECT:
		/* 3.1.1 servers end a connection by closing it. */
		return sender == MQTT_CLIENT || c->version == MQTT_V5;
	case MQTT_AUTH:
		return c->version == MQTT_V5;
	default:
		return false;
	}
}

/* The fixed-header flags every type but PUBLISH must carry. */
static uint8_t
required_flags(enum mqtt_packet_type t)
{
	return t == MQTT_PUBREL || t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE
		   ? 0x2
		   : 0x0;
}

/* ---- UTF-8 (RFC 3629, with MQTT's exclusion of U+0000) ---- */

static bool
continuation(uint8_t b)
{
	return (b & 0xc0) == 0x80;
}

enum mqtt_fault
mqtt_utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t b = s[i];
		size_t n;
		uint8_t lo = 0x80, hi = 0xbf; /* the second byte's range */

		if (b == 0)
			return MQTT_FAULT_UTF8_NUL;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b < 0xc2) /* a stray continuation, or an overlong pair */
			return MQTT_FAULT_UTF8;
		if (b < 0xe0) {
			n = 1;
		} else if (b < 0xf0) {
			n = 2;
			if (b == 0xe0)
				lo = 0xa0; /* overlong */
		} else if (b < 0xf5) {
			n = 3;
			if (b == 0xf0)
				lo = 0x90; /* overlong */
			else if (b == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else {
			return MQTT_FAULT_UTF8;
		}
		if (n > len - i - 1)
			return MQTT_FAULT_UTF8;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return MQTT_FAULT_UTF8;
		/* ED A0..BF encodes U+D800..U+DFFF. */
		if (b == 0xed && s[i + 1] >= 0xa0)
			return MQTT_FAULT_UTF8_SURROGATE;
		for (size_t k = 2; k <= n; k++)
			if (!continuation(s[i + k]))
				return MQTT_FAULT_UTF8;
		i += n + 1;
	}
	return MQTT_FAULT_NONE;
}

/* ---- Variable Byte Integers ---- */

int
mqtt_vbi_encode(uint32_t value, uint8_t out[4])
{
	int n = 0;

	if (value > MQTT_MAX_REMAINING_LENGTH)
		return -EINVAL;
	do {
		uint8_t b = value & 0x7f;

		value >>= 7;
		out[n++] = (uint8_t)(value ? b | 0x80 : b);
	} while (value);
	return n;
}

int
mqtt_vbi_decode(const uint8_t *buf, size_t len, uint32_t *value,
		enum mqtt_fault *fault)
{
	uint32_t v = 0;
	enum mqtt_fault f = MQTT_FAULT_LENGTH_TOO_LONG;

	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return -EAGAIN;
		v |= (uint32_t)(buf[i] & 0x7f) << (7 * i);
		if (!(buf[i] & 0x80)) {
			/* A last byte of 0 after others means fewer bytes
			 * would have held the value. */
			if (i == 0 || buf[i] != 0) {
				*value = v;
				return (int)i + 1;
			}
			f = MQTT_FAULT_LENGTH_NOT_MINIMAL;
			break;
		}
	}
	if (fault != NULL)
		*fault = f;
	return -EBADMSG;
}

static size_t
vbi_length(uint32_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

/* ---- reading ---- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static enum mqtt_fault
take(struct reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return MQTT_FAULT_TRUNCATED;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return MQTT_FAULT_NONE;
}

static enum mqtt_fault
read_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 1, &p);

	if (f == MQTT_FAULT_NONE)
		*v = p[0];
	return f;
}

static enum mqtt_fault
read_u16(struct reader *r, uint16_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 2, &p);

	if (f == MQTT_FAULT_NONE)
		*v = (uint16_t)(p[0] << 8 | p[1]);
	return f;
}

static enum mqtt_fault
read_u32(struct reader *r, uint32_t *v)
{
	const uint8_t *p;
	enum mqtt_fault f = take(r, 4, &p);

	if (f == MQTT_FAULT_NONE)
		*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		     (uint32_t)p[2] << 8 | p[3];
	return f;
}

static enum mqtt_fault
read_vbi(struct reader *r, uint32_t *v)
{
	enum mqtt_fault f = MQTT_FAULT_NONE;
	int n = mqtt_vbi_decode(r->p, r->left, v, &f);

	if (n == -EAGAIN)
		return MQTT_FAULT_TRUNCATED;
	if (n < 0)
		return f;
	r->p += n;
	r->left -= (size_t)n;
	return MQTT_FAULT_NONE;
}

static enum mqtt_fault
read_binary(struct reader *r, struct mqtt_bytes *b)
{
	uint16_t n;
	enum mqtt_fault f = read_u16(r, &n);

	if (f == MQTT_FAULT_NONE)
		f = take(r, n, &b->data);
	if (f == MQTT_FAULT_NONE)
		b->len = n;
	return f;
}

static enum mqtt_fault
read_string(struct reader *r, struct mqtt_bytes *b)
{
	enum mqtt_fault f = read_binary(r, b);

	return f != MQTT_FAULT_NONE ? f : mqtt_utf8_check(b->data, b->len);
}

/* ---- writing ---- */

/* Counts when buf is NULL; otherwise the caller has already counted and
 * made sure everything fits.  The first rule broken is kept. */
struct writer {
	uint8_t *buf;
	size_t pos;
	enum mqtt_fault fault;
};

static void
put(struct writer *w, const void *src, size_t n)
{
	if (w->buf != NULL && n > 0)
		memcpy(w->buf + w->pos, src, n);
	w->pos += n;
}

static void
put_u8(struct writer *w, uint8_t v)
{
	put(w, &v, 1);
}

static void
put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 2);
}

static void
put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 4);
}

static void
fail(struct writer *w, enum mqtt_fault f)
{
	if (w->fault == MQTT_FAULT_NONE)
		w->fault = f;
}

static void
put_vbi(struct writer *w, uint32_t v)
{
	uint8_t b[4];
	int n = mqtt_vbi_encode(v, b);

	if (n < 0) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	put(w, b, (size_t)n);
}

static void
put_binary(struct writer *w, struct mqtt_bytes b)
{
	if (b.len > MQTT_MAX_STRING) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	if (b.len > 0 && b.data == NULL) {
		fail(w, MQTT_FAULT_TRUNCATED);
		return;
	}
	put_u16(w, (uint16_t)b.len);
	put(w, b.data, b.len);
}

static void
put_string(struct writer *w, struct mqtt_bytes b)
{
	if (b.len > 0 && b.data == NULL) {
		fail(w, MQTT_FAULT_TRUNCATED);
		return;
	}
	enum mqtt_fault f = mqtt_utf8_check(b.data, b.len);

	if (f != MQTT_FAULT_NONE)
		fail(w, f);
	put_binary(w, b);
}

/* ---- properties ---- */

enum prop_type {
	P_NONE = 0,
	P_BYTE,
	P_TWO,
	P_FOUR,
	P_VBI,
	P_STRING,
	P_BINARY,
	P_PAIR,
};

#define F_BOOL	  0x1 /* 0 or 1 */
#define F_NONZERO 0x2

struct prop_desc {
	uint8_t type;
	uint8_t flags;
	uint16_t offset;
};

#define PROP(id, t, fl, field)                                                 \
	[id] = {t, fl, (uint16_t)offsetof(struct mqtt_properties, field)}

static const struct prop_desc prop_table[MQTT_PROP_ID_MAX + 1] = {
    PROP(MQTT_PROP_PAYLOAD_FORMAT, P_BYTE, F_BOOL, payload_format),
    PROP(MQTT_PROP_MESSAGE_EXPIRY, P_FOUR, 0, message_expiry),
    PROP(MQTT_PROP_CONTENT_TYPE, P_STRING, 0, content_type),
    PROP(MQTT_PROP_RESPONSE_TOPIC, P_STRING, 0, response_topic),
    PROP(MQTT_PROP_CORRELATION_DATA, P_BINARY, 0, correlation_data),
    PROP(MQTT_PROP_SUBSCRIPTION_ID, P_VBI, F_NONZERO, subscription_id),
    PROP(MQTT_PROP_SESSION_EXPIRY, P_FOUR, 0, session_expiry),
    PROP(MQTT_PROP_ASSIGNED_CLIENT_ID, P_STRING, 0, assigned_client_id),
    PROP(MQTT_PROP_SERVER_KEEP_ALIVE, P_TWO, 0, server_keep_alive),
    PROP(MQTT_PROP_AUTH_METHOD, P_STRING, 0, auth_method),
    PROP(MQTT_PROP_AUTH_DATA, P_BINARY, 0, auth_data),
    PROP(MQTT_PROP_REQUEST_PROBLEM_INFO, P_BYTE, F_BOOL, request_problem_info),
    PROP(MQTT_PROP_WILL_DELAY, P_FOUR, 0, will_delay),
    PROP(MQTT_PROP_REQUEST_RESPONSE_INFO, P_BYTE, F_BOOL,
	 request_response_info),
    PROP(MQTT_PROP_RESPONSE_INFO, P_STRING, 0, response_info),
    PROP(MQTT_PROP_SERVER_REFERENCE, P_STRING, 0, server_reference),
    PROP(MQTT_PROP_REASON_STRING, P_STRING, 0, reason_string),
    PROP(MQTT_PROP_RECEIVE_MAXIMUM, P_TWO, F_NONZERO, receive_maximum),
    PROP(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, P_TWO, 0, topic_alias_maximum),
    PROP(MQTT_PROP_TOPIC_ALIAS, P_TWO, F_NONZERO, topic_alias),
    PROP(MQTT_PROP_MAXIMUM_QOS, P_BYTE, F_BOOL, maximum_qos),
    PROP(MQTT_PROP_RETAIN_AVAILABLE, P_BYTE, F_BOOL, retain_available),
    PROP(MQTT_PROP_USER, P_PAIR, 0, user_count),
    PROP(MQTT_PROP_MAXIMUM_PACKET_SIZE, P_FOUR, F_NONZERO, maximum_packet_size),
    PROP(MQTT_PROP_WILDCARD_AVAILABLE, P_BYTE, F_BOOL, wildcard_available),
    PROP(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE, P_BYTE, F_BOOL,
	 subscription_ids_available),
    PROP(MQTT_PROP_SHARED_AVAILABLE, P_BYTE, F_BOOL, shared_available),
};

#define BIT(id) (UINT64_C(1) << (id))

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

static uint64_t
allowed_props(enum prop_context ctx, enum mqtt_role sender)
{
	const uint64_t reason_user =
	    BIT(MQTT_PROP_REASON_STRING) | BIT(MQTT_PROP_USER);
	const uint64_t message =
	    BIT(MQTT_PROP_PAYLOAD_FORMAT) | BIT(MQTT_PROP_MESSAGE_EXPIRY) |
	    BIT(MQTT_PROP_CONTENT_TYPE) | BIT(MQTT_PROP_RESPONSE_TOPIC) |
	    BIT(MQTT_PROP_CORRELATION_DATA) | BIT(MQTT_PROP_USER);

	switch (ctx) {
	case PC_CONNECT:
		return BIT(MQTT_PROP_SESSION_EXPIRY) |
		       BIT(MQTT_PROP_AUTH_METHOD) | BIT(MQTT_PROP_AUTH_DATA) |
		       BIT(MQTT_PROP_REQUEST_PROBLEM_INFO) |
		       BIT(MQTT_PROP_REQUEST_RESPONSE_INFO) |
		       BIT(MQTT_PROP_RECEIVE_MAXIMUM) |
		       BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
		       BIT(MQTT_PROP_USER) | BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE);
	case PC_CONNACK:
		return reason_user | BIT(MQTT_PROP_SESSION_EXPIRY) |
		       BIT(MQTT_PROP_ASSIGNED_CLIENT_ID) |
		       BIT(MQTT_PROP_SERVER_KEEP_ALIVE) |
		       BIT(MQTT_PROP_AUTH_METHOD) | BIT(MQTT_PROP_AUTH_DATA) |
		       BIT(MQTT_PROP_RESPONSE_INFO) |
		       BIT(MQTT_PROP_SERVER_REFERENCE) |
		       BIT(MQTT_PROP_RECEIVE_MAXIMUM) |
		       BIT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) |
		       BIT(MQTT_PROP_MAXIMUM_QOS) |
		       BIT(MQTT_PROP_RETAIN_AVAILABLE) |
		       BIT(MQTT_PROP_MAXIMUM_PACKET_SIZE) |
		       BIT(MQTT_PROP_WILDCARD_AVAILABLE) |
		       BIT(MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE) |
		       BIT(MQTT_PROP_SHARED_AVAILABLE);
	case PC_PUBLISH:
		/* Subscription Identifiers tell a client which of its
		 * subscriptions matched; a client never sends one
		 * [MQTT-3.3.4-6]. */
		return message | BIT(MQTT_PROP_TOPIC_ALIAS) |
		       (sender == MQTT_SERVER ? BIT(MQTT_PROP_SUBSCRIPTION_ID)
					      : 0);
	case PC_WILL:
		return message | BIT(MQTT_PROP_WILL_DELAY);
	case PC_ACK:
	case PC_SUBACK:
	case PC_UNSUBACK:
		return reason_user;
	case PC_SUBSCRIBE:
		return BIT(MQTT_PROP_SUBSCRIPTION_ID) | BIT(MQTT_PROP_USER);
	case PC_UNSUBSCRIBE:
		return BIT(MQTT_PROP_USER);
	case PC_DISCONNECT:
		/* Only a client changes its session's expiry here
		 * [MQTT-3.14.2-2]; only a server points elsewhere. */
		return reason_user | (sender == MQTT_CLIENT
					  ? BIT(MQTT_PROP_SESSION_EXPIRY)
					  : BIT(MQTT_PROP_SERVER_REFERENCE));
	case PC_AUTH:
		return reason_user | BIT(MQTT_PROP_AUTH_METHOD) |
		       BIT(MQTT_PROP_AUTH_DATA);
	}
	return 0;
}

static bool
may_repeat(unsigned id, enum prop_context ctx)
{
	return id == MQTT_PROP_USER ||
	       (id == MQTT_PROP_SUBSCRIPTION_ID && ctx == PC_PUBLISH);
}

/* One property value, whatever its type. */
struct prop_value {
	uint32_t number;
	struct mqtt_bytes a, b;
};

static enum mqtt_fault
read_prop_value(struct reader *r, uint8_t type, struct prop_value *v)
{
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	enum mqtt_fault f;

	switch (type) {
	case P_BYTE:
		f = read_u8(r, &u8);
		v->number = u8;
		return f;
	case P_TWO:
		f = read_u16(r, &u16);
		v->number = u16;
		return f;
	case P_FOUR:
		return read_u32(r, &v->number);
	case P_VBI:
		return read_vbi(r, &v->number);
	case P_STRING:
		return read_string(r, &v->a);
	case P_BINARY:
		return read_binary(r, &v->a);
	case P_PAIR:
		f = read_string(r, &v->a);
		return f != MQTT_FAULT_NONE ? f : read_string(r, &v->b);
	default:
		return MQTT_FAULT_PROPERTY_UNKNOWN;
	}
}

/* Reads one identifier and its value; the descriptor must exist. */
static enum mqtt_fault
read_prop(struct reader *r, uint32_t *id, struct prop_value *v)
{
	enum mqtt_fault f = read_vbi(r, id);

	if (f != MQTT_FAULT_NONE)
		return f;
	if (*id > MQTT_PROP_ID_MAX || prop_table[*id].type == P_NONE)
		return MQTT_FAULT_PROPERTY_UNKNOWN;
	return read_prop_value(r, prop_table[*id].type, v);
}

static bool
value_in_range(const struct prop_desc *d, uint32_t number)
{
	if ((d->flags & F_BOOL) && number > 1)
		return false;
	if ((d->flags & F_NONZERO) && number == 0)
		return false;
	return true;
}

static void
store_value(struct mqtt_properties *p, const struct prop_desc *d,
	    const struct prop_value *v)
{
	uint8_t *field = (uint8_t *)p + d->offset;

	switch (d->type) {
	case P_BYTE: {
		uint8_t x = (uint8_t)v->number;

		memcpy(field, &x, sizeof(x));
		break;
	}
	case P_TWO: {
		uint16_t x = (uint16_t)v->number;

		memcpy(field, &x, sizeof(x));
		break;
	}
	case P_FOUR:
	case P_VBI:
		memcpy(field, &v->number, sizeof(v->number));
		break;
	case P_STRING:
	case P_BINARY:
		memcpy(field, &v->a, sizeof(v->a));
		break;
	default:
		break;
	}
}

static uint32_t
load_number(const struct mqtt_properties *p, const struct prop_desc *d)
{
	const uint8_t *field = (const uint8_t *)p + d->offset;
	uint8_t x8;
	uint16_t x16;
	uint32_t x32;

	switch (d->type) {
	case P_BYTE:
		memcpy(&x8, field, sizeof(x8));
		return x8;
	case P_TWO:
		memcpy(&x16, field, sizeof(x16));
		return x16;
	default:
		memcpy(&x32, field, sizeof(x32));
		return x32;
	}
}

static struct mqtt_bytes
load_bytes(const struct mqtt_properties *p, const struct prop_desc *d)
{
	struct mqtt_bytes b;

	memcpy(&b, (const uint8_t *)p + d->offset, sizeof(b));
	return b;
}

static enum mqtt_fault
read_properties(const struct mqtt_codec *c, struct reader *r,
		enum prop_context ctx, enum mqtt_role sender,
		struct mqtt_properties *p)
{
	uint32_t len;
	struct reader block;
	uint64_t allowed = allowed_props(ctx, sender);
	enum mqtt_fault f;

	memset(p, 0, sizeof(*p));
	if (c->version != MQTT_V5)
		return MQTT_FAULT_NONE;
	f = read_vbi(r, &len);
	if (f == MQTT_FAULT_NONE)
		f = take(r, len, &block.p);
	if (f != MQTT_FAULT_NONE)
		return f;
	block.left = len;
	p->raw.data = block.p;
	p->raw.len = len;
	while (block.left > 0) {
		uint32_t id;
		struct prop_value v;
		const struct prop_desc *d;

		f = read_prop(&block, &id, &v);
		if (f != MQTT_FAULT_NONE)
			return f;
		d = &prop_table[id];
		if (!(allowed & BIT(id)))
			return MQTT_FAULT_PROPERTY_NOT_ALLOWED;
		if ((p->present & BIT(id)) && !may_repeat(id, ctx))
			return MQTT_FAULT_PROPERTY_DUPLICATE;
		if (!value_in_range(d, v.number))
			return MQTT_FAULT_PROPERTY_VALUE;
		if (id == MQTT_PROP_USER) {
			p->user_count++;
		} else if (id == MQTT_PROP_SUBSCRIPTION_ID) {
			if (p->subscription_id_count++ == 0)
				p->subscription_id = v.number;
		} else {
			store_value(p, d, &v);
		}
		p->present |= BIT(id);
	}
	return MQTT_FAULT_NONE;
}

/* Walks a decoded property block for the next instance of id. */
static int
next_raw(const struct mqtt_properties *p, uint32_t want, size_t *cursor,
	 struct prop_value *v)
{
	struct reader r;

	if (p->raw.data == NULL || *cursor >= p->raw.len)
		return 0;
	r.p = p->raw.data + *cursor;
	r.left = p->raw.len - *cursor;
	while (r.left > 0) {
		uint32_t id;

		if (read_prop(&r, &id, v) != MQTT_FAULT_NONE)
			return -EBADMSG;
		if (id == want) {
			*cursor = p->raw.len - r.left;
			return 1;
		}
	}
	*cursor = p->raw.len;
	return 0;
}

int
mqtt_next_user_property(const struct mqtt_properties *p, size_t *cursor,
			struct mqtt_user_property *out)
{
	struct prop_value v;
	int rc;

	if (p->user != NULL) {
		if (*cursor >= p->user_count)
			return 0;
		*out = p->user[(*cursor)++];
		return 1;
	}
	rc = next_raw(p, MQTT_PROP_USER, cursor, &v);
	if (rc == 1) {
		out->key = v.a;
		out->value = v.b;
	}
	return rc;
}

int
mqtt_next_subscription_id(const struct mqtt_properties *p, size_t *cursor,
			  uint32_t *out)
{
	struct prop_value v;
	int rc;

	if (p->raw.data == NULL) {
		if (*cursor > 0 || !mqtt_prop_has(p, MQTT_PROP_SUBSCRIPTION_ID))
			return 0;
		*cursor = 1;
		*out = p->subscription_id;
		return 1;
	}
	rc = next_raw(p, MQTT_PROP_SUBSCRIPTION_ID, cursor, &v);
	if (rc == 1)
		*out = v.number;
	return rc;
}

static void
put_prop_value(struct writer *w, const struct prop_desc *d,
	       const struct prop_value *v)
{
	switch (d->type) {
	case P_BYTE:
		put_u8(w, (uint8_t)v->number);
		break;
	case P_TWO:
		put_u16(w, (uint16_t)v->number);
		break;
	case P_FOUR:
		put_u32(w, v->number);
		break;
	case P_VBI:
		put_vbi(w, v->number);
		break;
	case P_STRING:
		put_string(w, v->a);
		break;
	case P_BINARY:
		put_binary(w, v->a);
		break;
	case P_PAIR:
		put_string(w, v->a);
		put_string(w, v->b);
		break;
	default:
		break;
	}
}

/* The properties' bytes, without their length. */
static void
put_properties_body(struct writer *w, const struct mqtt_properties *p,
		    enum prop_context ctx, enum mqtt_role sender)
{
	uint64_t allowed = allowed_props(ctx, sender);

	for (unsigned id = 1; id <= MQTT_PROP_ID_MAX; id++) {
		const struct prop_desc *d = &prop_table[id];
		struct prop_value v;
		size_t cursor = 0;
		int rc, count = 0;

		if (d->type == P_NONE)
			continue;
		if (id == MQTT_PROP_USER) {
			struct mqtt_user_property up;

			while ((rc = mqtt_next_user_property(p, &cursor,
							     &up)) == 1) {
				if (!(allowed & BIT(id)))
					fail(w,
					     MQTT_FAULT_PROPERTY_NOT_ALLOWED);
				v.a = up.key;
				v.b = up.value;
				put_u8(w, (uint8_t)id);
				put_prop_value(w, d, &v);
			}
			if (rc < 0)
				fail(w, MQTT_FAULT_TRUNCATED);
			continue;
		}
		if (!mqtt_prop_has(p, (enum mqtt_property_id)id))
			continue;
		if (!(allowed & BIT(id)))
			fail(w, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
		if (id == MQTT_PROP_SUBSCRIPTION_ID) {
			while ((rc = mqtt_next_subscription_id(
				    p, &cursor, &v.number)) == 1) {
				if (count++ > 0 && !may_repeat(id, ctx))
					fail(w, MQTT_FAULT_PROPERTY_DUPLICATE);
				if (!value_in_range(d, v.number))
					fail(w, MQTT_FAULT_PROPERTY_VALUE);
				put_u8(w, (uint8_t)id);
				put_prop_value(w, d, &v);
			}
			if (rc < 0)
				fail(w, MQTT_FAULT_TRUNCATED);
			continue;
		}
		if (d->type == P_STRING || d->type == P_BINARY) {
			v.a = load_bytes(p, d);
		} else {
			v.number = load_number(p, d);
			if (!value_in_range(d, v.number))
				fail(w, MQTT_FAULT_PROPERTY_VALUE);
		}
		put_u8(w, (uint8_t)id);
		put_prop_value(w, d, &v);
	}
	/* Bits for identifiers 5.0 does not define. */
	for (unsigned id = 0; id < 64; id++)
		if ((p->present & BIT(id)) &&
		    (id > MQTT_PROP_ID_MAX || prop_table[id].type == P_NONE))
			fail(w, MQTT_FAULT_PROPERTY_UNKNOWN);
}

/* Whether any property is set, so that the short forms of the
 * acknowledgements, DISCONNECT and AUTH may leave the block out. */
static bool
has_properties(const struct mqtt_properties *p)
{
	size_t cursor = 0;
	struct mqtt_user_property up;

	return p->present != 0 || mqtt_next_user_property(p, &cursor, &up) != 0;
}

static void
put_properties(struct writer *w, const struct mqtt_codec *c,
	       const struct mqtt_properties *p, enum prop_context ctx,
	       enum mqtt_role sender)
{
	struct writer count = {NULL, 0, MQTT_FAULT_NONE};

	if (c->version != MQTT_V5) {
		if (has_properties(p))
			fail(w, MQTT_FAULT_PROPERTY_NOT_ALLOWED);
		return;
	}
	put_properties_body(&count, p, ctx, sender);
	if (count.fault != MQTT_FAULT_NONE) {
		fail(w, count.fault);
		return;
	}
	if (count.pos > MQTT_MAX_REMAINING_LENGTH) {
		fail(w, MQTT_FAULT_TOO_LARGE);
		return;
	}
	put_vbi(w, (uint32_t)count.pos);
	put_properties_body(w, p, ctx, sender);
}

/* ---- decoding, packet by packet ---- */

static enum mqtt_fault
finish(const struct reader *r)
{
	return r->left == 0 ? MQTT_FAULT_NONE : MQTT_FAULT_TRAILING_BYTES;
}

static enum mqtt_fault
check_subscription_options(const struct mqtt_codec *c, uint8_t options,
			   bool shared)
{
	if (c->version == MQTT_V311) {
		if (options & MQTT_SUB_RESERVED_V311)
			return MQTT_FAULT_RESERVED_BITS;
	} else {
		if (options & MQTT_SUB_RESERVED_V5)
			return MQTT_FAULT_RESERVED_BITS;
		if ((options & MQTT_SUB_RETAIN_HANDLING_MASK) ==
		    MQTT_SUB_RETAIN_HANDLING_MASK)
			return MQTT_FAULT_RETAIN_HANDLING;
		if (shared && (options & MQTT_SUB_NO_LOCAL))
			return MQTT_FAULT_SHARED_NO_LOCAL;
	}
	if ((options & MQTT_SUB_QOS_MASK) == MQTT_SUB_QOS_MASK)
		return MQTT_FAULT_QOS;
	return MQTT_FAULT_NONE;
}

/* One SUBSCRIBE entry or UNSUBSCRIBE filter, checked. */
static enum mqtt_fault
read_filter(const struct mqtt_codec *c, struct reader *r,
	    enum mqtt_packet_type t, struct mqtt_subscription *out)
{
	bool v5 = c->version == MQTT_V5;
	enum mqtt_fault f = read_binary(r, &out->filter);

	if (f == MQTT_FAULT_NONE)
		f = mqtt_topic_filter_check(out->filter.data, out->filter.len,
					    v5);
	if (f != MQTT_FAULT_NONE)
		return f;
	out->options = 0;
	if (t != MQTT_SUBSCRIBE)
		return MQTT_FAULT_NONE;
	f = read_u8(r, &out->options);
	if (f != MQTT_FAULT_NONE)
		return f;
	return check_subscription_options(
	    c, out->options,
	    v5 && mqtt_topic_share_split(out->filter.data, out->filter.len,
					 NULL, NULL));
}

int
mqtt_next_filter(const struct mqtt_packet *p, enum mqtt_version v,
		 size_t *cursor, struct mqtt_subscription *out)
{
	const struct mqtt_filter_list *l = &p->u.filters;
	const struct mqtt_codec c = {v, MQTT_SERVER, 0, 0};
	enum mqtt_packet_type t = p->type;
	struct reader r;

	if (t == MQTT_SUBSCRIBE && l->list != NULL) {
		if (*cursor >= l->count)
			return 0;
		*out = l->list[(*cursor)++];
		return 1;
	}
	if (t == MQTT_UNSUBSCRIBE && l->filters != NULL) {
		if (*cursor >= l->count)
			return 0;
		out->filter = l->filters[(*cursor)++];
		out->options = 0;
		return 1;
	}
	if (*cursor >= l->raw.len)
		return 0;
	r.p = l->raw.data + *cursor;
	r.left = l->raw.len - *cursor;
	if (read_filter(&c, &r, t, out) != MQTT_FAULT_NONE)
		return -EBADMSG;
	*cursor = l->raw.len - r.left;
	return 1;
}

static enum mqtt_fault
check_packet_id(uint16_t id)
{
	return id == 0 ? MQTT_FAULT_PACKET_ID_ZERO : MQTT_FAULT_NONE;
}

static enum mqtt_fault
decode_connect(const struct mqtt_codec *c, struct reader *r,
	       struct mqtt_packet *p)
{
	static const uint8_t name[] = {'M', 'Q', 'T', 'T'};
	struct mqtt_connect *k = &p->u.connect;
	struct mqtt_bytes proto;
	uint8_t level, flags;
	enum mqtt_fault f;

	f = read_binary(r, &proto);
	if (f != MQTT_FAULT_NONE)
		return f;
	if (proto.len != sizeof(name) || memcmp(proto.data, name, 4) != 0)
		return MQTT_FAULT_PROTOCOL_NAME;
	if ((f = read_u8(r, &level)) != MQTT_FAULT_NONE)
		return f;
	if (level != c->version)
		return MQTT_FAULT_PROTOCOL_VERSION;
	if ((f = read_u8(r, &flags)) != MQTT_FAULT_NONE)
		return f;
	if (flags & MQTT_CONNECT_RESERVED)
		return MQTT_FAULT_RESERVED_BITS;
	k->clean_start = flags & MQTT_CONNECT_CLEAN_START;
	k->will = flags & MQTT_CONNECT_WILL;
	k->will_qos = (flags >> MQTT_CONNECT_WILL_QOS_SHIFT) & 3;
	k->will_retain = flags & MQTT_CONNECT_WILL_RETAIN;
	k->has_username = flags & MQTT_CONNECT_USERNAME;
	k->has_password = flags & MQTT_CONNECT_PASSWORD;
	if (k->will_qos == 3)
		return MQTT_FAULT_QOS;
	if (!k->will && (k->will_qos != 0 || k->will_retain))
		return MQTT_FAULT_WILL_FLAGS;
	if (c->version == MQTT_V311 && k->has_password && !k->has_username)
		return MQTT_FAULT_PASSWORD_WITHOUT_USERNAME;
	if ((f = read_u16(r, &k->keep_alive)) != MQTT_FAULT_NONE)
		return f;
	f = read_properties(c, r, PC_CONNECT, MQTT_CLIENT, &p->props);
	if (f == MQTT_FAULT_NONE)
		f = read_string(r, &k->client_id);
	if (f != MQTT_FAULT_NONE)
		return f;
	memset(&k->will_props, 0, sizeof(k->will_props));
	if (k->will) {
		f = read_properties(c, r, PC_WILL, MQTT_CLIENT, &k->will_props);
		if (f == MQTT_FAULT_NONE)
			f = read_binary(r, &k->will_topic);
		if (f == MQTT_FAULT_NONE)
			f = mqtt_topic_name_check(k->will_topic.data,
						  k->will_topic.len);
		if (f == MQTT_FAULT_NONE)
			f = read_binary(r, &k->will_payload);
		if (f != MQTT_FAULT_NONE)
			return f;
	}
	if (k->has_username && (f = read_string(r, &k->username)))
		return f;
	if (k->has_password && (f = read_binary(r, &k->password)))
		return f;
	return finish(r);
}

static enum mqtt_fault
decode_connack(const struct mqtt_codec *c, struct reader *r,
	       struct mqtt_packet *p)
{
	uint8_t flags;
	enum mqtt_fault f;

	/* A server that knows only 3.1.1 refuses level 5 with its own
	 * two-byte CONNACK: read that as the 5.0 code meaning the same, so
	 * that the caller can try again with 3.1.1. */
	if (c->version == MQTT_V5 && r->left == 2 && r->p[0] == 0 &&
	    r->p[1] == MQTT_V311_UNACCEPTABLE_PROTOCOL) {
		p->reason_code = MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION;
		r->left = 0;
		return MQTT_FAULT_NONE;
	}
	if ((f = read_u8(r, &flags)) != MQTT_FAULT_NONE)
		return f;
	if (flags & ~MQTT_CONNACK_SESSION_PRESENT)
		return MQTT_FAULT_RESERVED_BITS;
	p->session_present = flags & MQTT_CONNACK_SESSION_PRESENT;
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!reason_valid(c, MQTT_SERVER, MQTT_CONNACK, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	if (p->session_present && p->reason_code != 0)
		return MQTT_FAULT_SESSION_PRESENT;
	f = read_properties(c, r, PC_CONNACK, MQTT_SERVER, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

static enum mqtt_fault
decode_publish(const struct mqtt_codec *c, struct reader *r, uint8_t flags,
	       enum mqtt_role sender, struct mqtt_packet *p)
{
	struct mqtt_publish *m = &p->u.publish;
	enum mqtt_fault f;

	m->qos = (flags >> MQTT_PUBLISH_QOS_SHIFT) & 3;
	m->retain = flags & MQTT_PUBLISH_RETAIN;
	m->dup = flags & MQTT_PUBLISH_DUP;
	if ((f = read_binary(r, &m->topic)) != MQTT_FAULT_NONE)
		return f;
	if (m->topic.len > 0 &&
	    (f = mqtt_topic_name_check(m->topic.data, m->topic.len)))
		return f;
	if (m->qos > 0) {
		if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
			return f;
		if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
			return f;
	}
	f = read_properties(c, r, PC_PUBLISH, sender, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	/* An empty topic stands for the one its Topic Alias names. */
	if (m->topic.len == 0 &&
	    !mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS))
		return MQTT_FAULT_TOPIC_EMPTY;
	m->payload.data = r->p;
	m->payload.len = r->left;
	r->left = 0;
	return MQTT_FAULT_NONE;
}

static enum mqtt_fault
decode_ack(const struct mqtt_codec *c, struct reader *r,
	   enum mqtt_packet_type t, enum mqtt_role sender,
	   struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if (c->version == MQTT_V311 || r->left == 0)
		return finish(r);
	/* 5.0 leaves out the reason code when it is 0 and there are no
	 * properties, and the properties' length when there are none. */
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!reason_valid(c, sender, t, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	if (r->left == 0)
		return MQTT_FAULT_NONE;
	f = read_properties(c, r, PC_ACK, sender, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

static enum mqtt_fault
decode_filters(const struct mqtt_codec *c, struct reader *r,
	       enum mqtt_packet_type t, struct mqtt_packet *p)
{
	struct mqtt_filter_list *l = &p->u.filters;
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	f = read_properties(c, r,
			    t == MQTT_SUBSCRIBE ? PC_SUBSCRIBE : PC_UNSUBSCRIBE,
			    MQTT_CLIENT, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	l->list = NULL;
	l->filters = NULL;
	l->count = 0;
	l->raw.data = r->p;
	l->raw.len = r->left;
	if (r->left == 0)
		return MQTT_FAULT_EMPTY_LIST;
	while (r->left > 0) {
		struct mqtt_subscription s;

		if ((f = read_filter(c, r, t, &s)) != MQTT_FAULT_NONE)
			return f;
		l->count++;
	}
	return MQTT_FAULT_NONE;
}

static enum mqtt_fault
decode_codes(const struct mqtt_codec *c, struct reader *r,
	     enum mqtt_packet_type t, struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if ((f = read_u16(r, &p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	if ((f = check_packet_id(p->packet_id)) != MQTT_FAULT_NONE)
		return f;
	p->u.codes.data = r->p;
	p->u.codes.len = 0;
	/* A 3.1.1 UNSUBACK is its packet identifier alone. */
	if (t == MQTT_UNSUBACK && c->version == MQTT_V311)
		return finish(r);
	f = read_properties(c, r, t == MQTT_SUBACK ? PC_SUBACK : PC_UNSUBACK,
			    MQTT_SERVER, &p->props);
	if (f != MQTT_FAULT_NONE)
		return f;
	if (r->left == 0)
		return MQTT_FAULT_EMPTY_LIST;
	for (size_t i = 0; i < r->left; i++)
		if (!reason_valid(c, MQTT_SERVER, t, r->p[i]))
			return MQTT_FAULT_REASON_CODE;
	p->u.codes.data = r->p;
	p->u.codes.len = r->left;
	r->left = 0;
	return MQTT_FAULT_NONE;
}

/* DISCONNECT and AUTH: a reason code and properties, both optional. */
static enum mqtt_fault
decode_reason_only(const struct mqtt_codec *c, struct reader *r,
		   enum mqtt_packet_type t, enum mqtt_role sender,
		   struct mqtt_packet *p)
{
	enum mqtt_fault f;

	if (c->version == MQTT_V311 || r->left == 0)
		return finish(r);
	if ((f = read_u8(r, &p->reason_code)) != MQTT_FAULT_NONE)
		return f;
	if (!reason_valid(c, sender, t, p->reason_code))
		return MQTT_FAULT_REASON_CODE;
	/* DISCONNECT may stop after its reason code; AUTH may not. */
	if (t == MQTT_DISCONNECT && r->left == 0)
		return MQTT_FAULT_NONE;
	f = read_properties(c, r, t == MQTT_AUTH ? PC_AUTH : PC_DISCONNECT,
			    sender, &p->props);
	return f != MQTT_FAULT_NONE ? f : finish(r);
}

static enum mqtt_fault
decode_body(const struct mqtt_codec *c, enum mqtt_packet_type t, uint8_t flags,
	    struct reader *r, struct mqtt_packet *p)
{
	enum mqtt_role sender =
	    c->self == MQTT_CLIENT ? MQTT_SERVER : MQTT_CLIENT;

	switch (t) {
	case MQTT_CONNECT:
		return decode_connect(c, r, p);
	case MQTT_CONNACK:
		return decode_connack(c, r, p);
	case MQTT_PUBLISH:
		return decode_publish(c, r, flags, sender, p);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return decode_ack(c, r, t, sender, p);
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		return decode_filters(c, r, t, p);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return decode_codes(c, r, t, p);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return finish(r);
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return decode_reason_only(c, r, t, sender, p);
	}
	return MQTT_FAULT_UNEXPECTED_TYPE;
}

static ssize_t
decode_fail(enum mqtt_fault *fault, enum mqtt_fault f)
{
	if (fault != NULL)
		*fault = f;
	return mqtt_fault_errno(f);
}

static uint32_t
limit(uint32_t configured)
{
	return configured == 0 ? MQTT_MAX_PACKET_SIZE : configured;
}

ssize_t
mqtt_decode(const struct mqtt_codec *c, const uint8_t *buf, size_t len,
	    struct mqtt_packet *out, size_t *need, enum mqtt_fault *fault)
{
	enum mqtt_role sender =
	    c->self == MQTT_CLIENT ? MQTT_SERVER : MQTT_CLIENT;
	enum mqtt_fault f = MQTT_FAULT_NONE;
	unsigned type, flags;
	uint32_t remaining;
	size_t total;
	struct reader r;
	int n;

	if (fault != NULL)
		*fault = MQTT_FAULT_NONE;
	if (len < 2) {
		if (need != NULL)
			*need = 2 - len;
		if (len == 0)
			return -EAGAIN;
	}
	type = buf[0] >> 4;
	flags = buf[0] & 0x0f;
	/* The first byte alone can already condemn a packet. */
	if (!type_allowed(c, sender, type))
		return decode_fail(fault, MQTT_FAULT_UNEXPECTED_TYPE);
	if (type == MQTT_PUBLISH) {
		unsigned qos = (flags >> MQTT_PUBLISH_QOS_SHIFT) & 3;

		if (qos == 3)
			return decode_fail(fault, MQTT_FAULT_QOS);
		if (qos == 0 && (flags & MQTT_PUBLISH_DUP))
			return decode_fail(fault, MQTT_FAULT_DUP_QOS0);
	} else if (flags != required_flags((enum mqtt_packet_type)type)) {
		return decode_fail(fault, MQTT_FAULT_RESERVED_BITS);
	}
	n = mqtt_vbi_decode(buf + 1, len - 1, &remaining, &f);
	if (n == -EAGAIN) {
		if (need != NULL)
			*need = 1;
		return -EAGAIN;
	}
	if (n < 0)
		return decode_fail(fault, f);
	total = 1 + (size_t)n + remaining;
	if (total > limit(c->max_in))
		return decode_fail(fault, MQTT_FAULT_TOO_LARGE);
	if (len < total) {
		if (need != NULL)
			*need = total - len;
		return -EAGAIN;
	}
	memset(out, 0, sizeof(*out));
	out->type = (enum mqtt_packet_type)type;
	r.p = buf + 1 + n;
	r.left = remaining;
	f = decode_body(c, out->type, (uint8_t)flags, &r, out);
	if (f == MQTT_FAULT_NONE && r.left != 0)
		f = MQTT_FAULT_TRAILING_BYTES;
	if (f != MQTT_FAULT_NONE)
		return decode_fail(fault, f);
	if (need != NULL)
		*need = 0;
	return (ssize_t)total;
}

/* ---- encoding, packet by packet ---- */

static void
encode_connect(struct writer *w, const struct mqtt_codec *c,
	       const struct mqtt_packet *p)
{
	const struct mqtt_connect *k = &p->u.connect;
	static const uint8_t name[] = {0, 4, 'M', 'Q', 'T', 'T'};
	uint8_t flags = 0;

	if (k->will_qos > 2)
		fail(w, MQTT_FAULT_QOS);
	if (!k->will && (k->will_qos != 0 || k->will_retain))
		fail(w, MQTT_FAULT_WILL_FLAGS);
	if (c->version == MQTT_V311 && k->has_password && !k->has_username)
		fail(w, MQTT_FAULT_PASSWORD_WITHOUT_USERNAME);
	if (k->clean_start)
		flags |= MQTT_CONNECT_CLEAN_START;
	if (k->will) {
		enum mqtt_fault f = mqtt_topic_name_check(k->will_topic.data,
							  k->will_topic.len);

		if (f != MQTT_FAULT_NONE)
			fail(w, f);
		flags |= MQTT_CONNECT_WILL;
		flags |=
		    (uint8_t)((k->will_qos & 3) << MQTT_CONNECT_WILL_QOS_SHIFT);
		if (k->will_retain)
			flags |= MQTT_CONNECT_WILL_RETAIN;
	}
	if (k->has_username)
		flags |= MQTT_CONNECT_USERNAME;
	if (k->has_password)
		flags |= MQTT_CONNECT_PASSWORD;
	put(w, name, sizeof(name));
	put_u8(w, (uint8_t)c->version);
	put_u8(w, flags);
	put_u16(w, k->keep_alive);
	put_properties(w, c, &p->props, PC_CONNECT, MQTT_CLIENT);
	put_string(w, k->client_id);
	if (k->will) {
		put_properties(w, c, &k->will_props, PC_WILL, MQTT_CLIENT);
		put_string(w, k->will_topic);
		put_binary(w, k->will_payload);
	}
	if (k->has_username)
		put_string(w, k->username);
	if (k->has_password)
		put_binary(w, k->password);
}

static void
encode_connack(struct writer *w, const struct mqtt_codec *c,
	       const struct mqtt_packet *p)
{
	if (!reason_valid(c, MQTT_SERVER, MQTT_CONNACK, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (p->session_present && p->reason_code != 0)
		fail(w, MQTT_FAULT_SESSION_PRESENT);
	put_u8(w, p->session_present ? MQTT_CONNACK_SESSION_PRESENT : 0);
	put_u8(w, p->reason_code);
	put_properties(w, c, &p->props, PC_CONNACK, MQTT_SERVER);
}

static void
encode_publish(struct writer *w, const struct mqtt_codec *c,
	       const struct mqtt_packet *p)
{
	const struct mqtt_publish *m = &p->u.publish;
	enum mqtt_fault f;

	if (m->qos > 2)
		fail(w, MQTT_FAULT_QOS);
	if (m->qos == 0 && m->dup)
		fail(w, MQTT_FAULT_DUP_QOS0);
	if (m->qos > 0 && p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	if (m->topic.len == 0 && c->version == MQTT_V5 &&
	    mqtt_prop_has(&p->props, MQTT_PROP_TOPIC_ALIAS))
		f = MQTT_FAULT_NONE;
	else
		f = mqtt_topic_name_check(m->topic.data, m->topic.len);
	if (f != MQTT_FAULT_NONE)
		fail(w, f);
	put_binary(w, m->topic);
	if (m->qos > 0)
		put_u16(w, p->packet_id);
	put_properties(w, c, &p->props, PC_PUBLISH, c->self);
	if (m->payload.len > 0 && m->payload.data == NULL)
		fail(w, MQTT_FAULT_TRUNCATED);
	put(w, m->payload.data, m->payload.len);
}

static void
encode_ack(struct writer *w, const struct mqtt_codec *c,
	   const struct mqtt_packet *p)
{
	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	if (c->version == MQTT_V311) {
		if (p->reason_code != 0 || has_properties(&p->props))
			fail(w, MQTT_FAULT_REASON_CODE);
		return;
	}
	if (!reason_valid(c, c->self, p->type, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (!has_properties(&p->props)) {
		if (p->reason_code != 0)
			put_u8(w, p->reason_code);
		return;
	}
	put_u8(w, p->reason_code);
	put_properties(w, c, &p->props, PC_ACK, c->self);
}

static void
encode_filters(struct writer *w, const struct mqtt_codec *c,
	       const struct mqtt_packet *p)
{
	bool sub = p->type == MQTT_SUBSCRIBE;
	bool v5 = c->version == MQTT_V5;
	struct mqtt_subscription s;
	size_t cursor = 0, count = 0;
	int rc;

	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	put_properties(w, c, &p->props, sub ? PC_SUBSCRIBE : PC_UNSUBSCRIBE,
		       MQTT_CLIENT);
	while ((rc = mqtt_next_filter(p, c->version, &cursor, &s)) == 1) {
		enum mqtt_fault f =
		    mqtt_topic_filter_check(s.filter.data, s.filter.len, v5);

		if (f == MQTT_FAULT_NONE && sub)
			f = check_subscription_options(
			    c, s.options,
			    v5 && mqtt_topic_share_split(
				      s.filter.data, s.filter.len, NULL, NULL));
		if (f != MQTT_FAULT_NONE)
			fail(w, f);
		put_string(w, s.filter);
		if (sub)
			put_u8(w, s.options);
		count++;
	}
	if (rc < 0)
		fail(w, MQTT_FAULT_TRUNCATED);
	if (count == 0)
		fail(w, MQTT_FAULT_EMPTY_LIST);
}

static void
encode_codes(struct writer *w, const struct mqtt_codec *c,
	     const struct mqtt_packet *p)
{
	const struct mqtt_bytes *codes = &p->u.codes;

	if (p->packet_id == 0)
		fail(w, MQTT_FAULT_PACKET_ID_ZERO);
	put_u16(w, p->packet_id);
	if (p->type == MQTT_UNSUBACK && c->version == MQTT_V311)
		return;
	put_properties(w, c, &p->props,
		       p->type == MQTT_SUBACK ? PC_SUBACK : PC_UNSUBACK,
		       MQTT_SERVER);
	if (codes->len == 0)
		fail(w, MQTT_FAULT_EMPTY_LIST);
	else if (codes->data == NULL)
		fail(w, MQTT_FAULT_TRUNCATED);
	for (size_t i = 0; codes->data != NULL && i < codes->len; i++)
		if (!reason_valid(c, MQTT_SERVER, p->type, codes->data[i]))
			fail(w, MQTT_FAULT_REASON_CODE);
	put(w, codes->data, codes->len);
}

static void
encode_reason_only(struct writer *w, const struct mqtt_codec *c,
		   const struct mqtt_packet *p)
{
	if (c->version == MQTT_V311) {
		if (p->reason_code != 0 || has_properties(&p->props))
			fail(w, MQTT_FAULT_REASON_CODE);
		return;
	}
	if (!reason_valid(c, c->self, p->type, p->reason_code))
		fail(w, MQTT_FAULT_REASON_CODE);
	if (p->reason_code == 0 && !has_properties(&p->props))
		return;
	put_u8(w, p->reason_code);
	/* DISCONNECT may end after its reason code; AUTH may not. */
	if (p->type == MQTT_DISCONNECT && !has_properties(&p->props))
		return;
	put_properties(w, c, &p->props,
		       p->type == MQTT_AUTH ? PC_AUTH : PC_DISCONNECT, c->self);
}

static void
encode_body(struct writer *w, const struct mqtt_codec *c,
	    const struct mqtt_packet *p)
{
	switch (p->type) {
	case MQTT_CONNECT:
		encode_connect(w, c, p);
		break;
	case MQTT_CONNACK:
		encode_connack(w, c, p);
		break;
	case MQTT_PUBLISH:
		encode_publish(w, c, p);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		encode_ack(w, c, p);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		encode_filters(w, c, p);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		encode_codes(w, c, p);
		break;
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		break;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		encode_reason_only(w, c, p);
		break;
	default:
		fail(w, MQTT_FAULT_UNEXPECTED_TYPE);
	}
}

static uint8_t
first_byte(const struct mqtt_packet *p)
{
	uint8_t flags = required_flags(p->type);

	if (p->type == MQTT_PUBLISH) {
		const struct mqtt_publish *m = &p->u.publish;

		flags = (uint8_t)((m->qos & 3) << MQTT_PUBLISH_QOS_SHIFT);
		if (m->dup)
			flags |= MQTT_PUBLISH_DUP;
		if (m->retain)
			flags |= MQTT_PUBLISH_RETAIN;
	}
	return (uint8_t)(p->type << 4 | flags);
}

/* Counts p; on success *body is its Remaining Length. */
static ssize_t
measure(const struct mqtt_codec *c, const struct mqtt_packet *p, size_t *body,
	enum mqtt_fault *fault)
{
	struct writer count = {NULL, 0, MQTT_FAULT_NONE};
	size_t total;

	if (fault != NULL)
		*fault = MQTT_FAULT_NONE;
	if (!type_allowed(c, c->self, p->type))
		count.fault = MQTT_FAULT_UNEXPECTED_TYPE;
	else
		encode_body(&count, c, p);
	if (count.fault == MQTT_FAULT_NONE &&
	    count.pos > MQTT_MAX_REMAINING_LENGTH)
		count.fault = MQTT_FAULT_TOO_LARGE;
	if (count.fault != MQTT_FAULT_NONE) {
		if (fault != NULL)
			*fault = count.fault;
		return count.fault == MQTT_FAULT_TOO_LARGE ? -EMSGSIZE
							   : -EINVAL;
	}
	total = 1 + vbi_length((uint32_t)count.pos) + count.pos;
	if (total > limit(c->max_out)) {
		if (fault != NULL)
			*fault = MQTT_FAULT_TOO_LARGE;
		return -EMSGSIZE;
	}
	*body = count.pos;
	return (ssize_t)total;
}

ssize_t
mqtt_encoded_length(const struct mqtt_codec *c, const struct mqtt_packet *p,
		    enum mqtt_fault *fault)
{
	size_t body;

	return measure(c, p, &body, fault);
}

ssize_t
mqtt_encode(const struct mqtt_codec *c, const struct mqtt_packet *p,
	    uint8_t *buf, size_t cap, enum mqtt_fault *fault)
{
	struct writer w = {buf, 0, MQTT_FAULT_NONE};
	size_t body;
	ssize_t total = measure(c, p, &body, fault);

	if (total < 0)
		return total;
	if ((size_t)total > cap || buf == NULL)
		return -ENOBUFS;
	put_u8(&w, first_byte(p));
	put_vbi(&w, (uint32_t)body);
	encode_body(&w, c, p);
	return total;
}
