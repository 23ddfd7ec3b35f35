/*
 * MQTT's numbers, for 3.1.1 (OASIS Standard, 29 October 2014) and 5.0
 * (OASIS Standard, 7 March 2019), and the fixed bounds of the codec and
 * the session.  Every other file takes its constants from here.
 */
#ifndef SEALNET_MQTT_CONSTANTS_H
#define SEALNET_MQTT_CONSTANTS_H

/* Protocol levels, as the CONNECT packet carries them. */
enum mqtt_version {
	MQTT_V311 = 4,
	MQTT_V5 = 5,
};

/* Control packet types: the high nibble of the first byte. */
enum mqtt_packet_type {
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
	MQTT_AUTH = 15, /* 5.0 only */
};

/* The largest Remaining Length four bytes can carry. */
#define MQTT_MAX_REMAINING_LENGTH 268435455u
/* Fixed header byte, up to four length bytes, then the remaining length. */
#define MQTT_MAX_PACKET_SIZE (1u + 4u + MQTT_MAX_REMAINING_LENGTH)
/* Strings and binary data carry a two-byte length. */
#define MQTT_MAX_STRING 65535u
/* A QoS 0 PUBLISH without properties, besides its topic and payload:
 * the fixed header, the topic's length and, in 5.0, an empty property
 * length. */
#define MQTT_QOS0_PUBLISH_OVERHEAD(version)                                    \
	(1u + 4u + 2u + ((version) == MQTT_V5 ? 1u : 0u))
/* The largest Subscription Identifier (a Variable Byte Integer, not 0). */
#define MQTT_MAX_SUBSCRIPTION_ID MQTT_MAX_REMAINING_LENGTH

/* PUBLISH fixed-header flags. */
#define MQTT_PUBLISH_RETAIN    0x01u
#define MQTT_PUBLISH_QOS_SHIFT 1
#define MQTT_PUBLISH_DUP       0x08u

/* CONNECT flags. */
#define MQTT_CONNECT_RESERVED	    0x01u
#define MQTT_CONNECT_CLEAN_START    0x02u
#define MQTT_CONNECT_WILL	    0x04u
#define MQTT_CONNECT_WILL_QOS_SHIFT 3
#define MQTT_CONNECT_WILL_RETAIN    0x20u
#define MQTT_CONNECT_PASSWORD	    0x40u
#define MQTT_CONNECT_USERNAME	    0x80u

/* CONNACK acknowledge flags: all but bit 0 are reserved. */
#define MQTT_CONNACK_SESSION_PRESENT 0x01u

/* Subscription options (5.0; 3.1.1 has only the QoS bits). */
#define MQTT_SUB_QOS_MASK	       0x03u
#define MQTT_SUB_NO_LOCAL	       0x04u
#define MQTT_SUB_RETAIN_AS_PUBLISHED   0x08u
#define MQTT_SUB_RETAIN_HANDLING_SHIFT 4
#define MQTT_SUB_RETAIN_HANDLING_MASK  0x30u
#define MQTT_SUB_RESERVED_V5	       0xc0u
#define MQTT_SUB_RESERVED_V311	       0xfcu

/* 5.0 property identifiers (section 2.2.2.2). */
enum mqtt_property_id {
	MQTT_PROP_PAYLOAD_FORMAT = 0x01,
	MQTT_PROP_MESSAGE_EXPIRY = 0x02,
	MQTT_PROP_CONTENT_TYPE = 0x03,
	MQTT_PROP_RESPONSE_TOPIC = 0x08,
	MQTT_PROP_CORRELATION_DATA = 0x09,
	MQTT_PROP_SUBSCRIPTION_ID = 0x0b,
	MQTT_PROP_SESSION_EXPIRY = 0x11,
	MQTT_PROP_ASSIGNED_CLIENT_ID = 0x12,
	MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,
	MQTT_PROP_AUTH_METHOD = 0x15,
	MQTT_PROP_AUTH_DATA = 0x16,
	MQTT_PROP_REQUEST_PROBLEM_INFO = 0x17,
	MQTT_PROP_WILL_DELAY = 0x18,
	MQTT_PROP_REQUEST_RESPONSE_INFO = 0x19,
	MQTT_PROP_RESPONSE_INFO = 0x1a,
	MQTT_PROP_SERVER_REFERENCE = 0x1c,
	MQTT_PROP_REASON_STRING = 0x1f,
	MQTT_PROP_RECEIVE_MAXIMUM = 0x21,
	MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,
	MQTT_PROP_TOPIC_ALIAS = 0x23,
	MQTT_PROP_MAXIMUM_QOS = 0x24,
	MQTT_PROP_RETAIN_AVAILABLE = 0x25,
	MQTT_PROP_USER = 0x26,
	MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27,
	MQTT_PROP_WILDCARD_AVAILABLE = 0x28,
	MQTT_PROP_SUBSCRIPTION_IDS_AVAILABLE = 0x29,
	MQTT_PROP_SHARED_AVAILABLE = 0x2a,
};
#define MQTT_PROP_ID_MAX 0x2a

/* 5.0 reason codes (section 2.4), and the 3.1.1 CONNACK return codes
 * and SUBACK failure that share their numbers or map onto them. */
enum mqtt_reason_code {
	MQTT_RC_SUCCESS = 0x00, /* also normal disconnection, granted QoS 0 */
	MQTT_RC_GRANTED_QOS_1 = 0x01,
	MQTT_RC_GRANTED_QOS_2 = 0x02,
	MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
	MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
	MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
	MQTT_RC_CONTINUE_AUTHENTICATION = 0x18,
	MQTT_RC_REAUTHENTICATE = 0x19,
	MQTT_RC_UNSPECIFIED_ERROR = 0x80,
	MQTT_RC_MALFORMED_PACKET = 0x81,
	MQTT_RC_PROTOCOL_ERROR = 0x82,
	MQTT_RC_IMPLEMENTATION_SPECIFIC = 0x83,
	MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84,
	MQTT_RC_CLIENT_ID_NOT_VALID = 0x85,
	MQTT_RC_BAD_USERNAME_OR_PASSWORD = 0x86,
	MQTT_RC_NOT_AUTHORIZED = 0x87,
	MQTT_RC_SERVER_UNAVAILABLE = 0x88,
	MQTT_RC_SERVER_BUSY = 0x89,
	MQTT_RC_BANNED = 0x8a,
	MQTT_RC_SERVER_SHUTTING_DOWN = 0x8b,
	MQTT_RC_BAD_AUTHENTICATION_METHOD = 0x8c,
	MQTT_RC_KEEP_ALIVE_TIMEOUT = 0x8d,
	MQTT_RC_SESSION_TAKEN_OVER = 0x8e,
	MQTT_RC_TOPIC_FILTER_INVALID = 0x8f,
	MQTT_RC_TOPIC_NAME_INVALID = 0x90,
	MQTT_RC_PACKET_ID_IN_USE = 0x91,
	MQTT_RC_PACKET_ID_NOT_FOUND = 0x92,
	MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93,
	MQTT_RC_TOPIC_ALIAS_INVALID = 0x94,
	MQTT_RC_PACKET_TOO_LARGE = 0x95,
	MQTT_RC_MESSAGE_RATE_TOO_HIGH = 0x96,
	MQTT_RC_QUOTA_EXCEEDED = 0x97,
	MQTT_RC_ADMINISTRATIVE_ACTION = 0x98,
	MQTT_RC_PAYLOAD_FORMAT_INVALID = 0x99,
	MQTT_RC_RETAIN_NOT_SUPPORTED = 0x9a,
	MQTT_RC_QOS_NOT_SUPPORTED = 0x9b,
	MQTT_RC_USE_ANOTHER_SERVER = 0x9c,
	MQTT_RC_SERVER_MOVED = 0x9d,
	MQTT_RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9e,
	MQTT_RC_CONNECTION_RATE_EXCEEDED = 0x9f,
	MQTT_RC_MAXIMUM_CONNECT_TIME = 0xa0,
	MQTT_RC_SUBSCRIPTION_IDS_NOT_SUPPORTED = 0xa1,
	MQTT_RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xa2,
};
/* Reason codes below this one report success. */
#define MQTT_RC_FIRST_FAILURE 0x80u

/* 3.1.1 CONNACK return codes (section 3.2.2.3). */
enum mqtt_v311_connack_code {
	MQTT_V311_ACCEPTED = 0,
	MQTT_V311_UNACCEPTABLE_PROTOCOL = 1,
	MQTT_V311_IDENTIFIER_REJECTED = 2,
	MQTT_V311_SERVER_UNAVAILABLE = 3,
	MQTT_V311_BAD_USERNAME_OR_PASSWORD = 4,
	MQTT_V311_NOT_AUTHORIZED = 5,
};

/* ---- the session's bounds ---- */

/* Largest values a session configuration may ask for: packet ids are 16
 * bits, and every offset into the caller's memory is 32 bits. */
#define MQTT_SESSION_MAX_QUEUE_MESSAGES 4096u
#define MQTT_SESSION_MAX_INBOUND_QOS2	1024u
#define MQTT_SESSION_MAX_ACKS		1024u
#define MQTT_SESSION_MAX_TOPIC_ALIASES	1024u
#define MQTT_SESSION_MAX_SUBSCRIPTIONS	1024u
#define MQTT_SESSION_MAX_REQUESTS	256u
#define MQTT_SESSION_MAX_BUFFER		(64u * 1024u * 1024u)
/* The smallest buffers that still hold a CONNECT and a CONNACK. */
#define MQTT_SESSION_MIN_BUFFER 128u
/* A CONNACK that does not come within this time, when the caller gives
 * none, ends the attempt. */
#define MQTT_SESSION_DEFAULT_CONNECT_TIMEOUT_MS 30000u
/* Silence from the broker for this many halves of the keep-alive interval
 * closes the connection: 1.5 x keep-alive. */
#define MQTT_SESSION_SILENCE_HALVES 3u
/* Output kept free for the DISCONNECT that ends a connection: a 5.0
 * one with a reason code and no properties takes 3 bytes. */
#define MQTT_SESSION_DISCONNECT_RESERVE 4u
/* A durable session's own packet identifiers (SUBSCRIBE, UNSUBSCRIBE)
 * start here; its caller's messages use those below. */
#define MQTT_SESSION_OWN_IDS_FIRST 0xc000u
/* One of our topic aliases may go to another topic once this many times
 * as many PUBLISH packets as there are aliases have been written since
 * its own topic last went out.  A client that publishes to more topics
 * than it has aliases, round after round, keeps the first ones by
 * alias (least recently used would give each round's aliases away
 * before their topics came again); one whose topics change over time
 * gets its aliases back from those it stopped publishing to. */
#define MQTT_SESSION_OUT_ALIAS_IDLE_ROUNDS 4u
/* One bit per packet identifier in use. */
#define MQTT_PACKET_ID_WORDS (65536u / 64u)

#endif
