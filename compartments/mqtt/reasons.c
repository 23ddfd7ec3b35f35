/*
 * Faults and reason codes: what each fault costs the caller and tells a
 * 5.0 peer, what each reason code a peer sends means to the caller, and
 * which codes each packet may carry.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"

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

bool
mqtt_reason_valid(const struct mqtt_codec *c, enum mqtt_role sender,
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
