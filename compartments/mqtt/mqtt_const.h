/*
 * The MQTT compartment's bounds and timings, in one place.  The
 * protocol's own numbers and the session's limits are in constants.h.
 */
#ifndef SEALNET_MQTT_CONST_H
#define SEALNET_MQTT_CONST_H

#include "call.h"

/* Connections the compartment holds at once, for all its callers; each
 * caller is held to its own mqtt_connections quota within this. */
#define MQTT_CONNECTIONS_MAX 32
/* The largest packet either way: a message's topic and payload must fit
 * one call's message with room for its headers. */
#define MQTT_PACKET_MAX (20u * 1024u)
/* The largest payload and topic an application may publish. */
#define MQTT_PAYLOAD_MAX (16u * 1024u)
#define MQTT_TOPIC_MAX	 1024u
/* Each connection's session: messages held until acknowledged, QoS 1
 * and 2 in flight, and so on (mqtt_session_config). */
#define MQTT_QUEUE_MESSAGES    256u
#define MQTT_QUEUE_BYTES       (64u * 1024u)
#define MQTT_MAX_INFLIGHT      64u
#define MQTT_INBOUND_QOS2      32u
#define MQTT_ACK_QUEUE	       64u
#define MQTT_TOPIC_ALIASES     16u
#define MQTT_OUT_TOPIC_ALIASES 16u
#define MQTT_ALIAS_BYTES       128u
#define MQTT_SUBSCRIPTIONS     32u
#define MQTT_SUB_BYTES	       2048u
#define MQTT_REQUESTS	       8u
#define MQTT_REQUEST_BYTES     4096u
#define MQTT_SESSION_MEMORY    (160u * 1024u)
/* Events waiting for the application's mqtt_run, and their bytes: when
 * full, nothing more is read from the broker until it takes some. */
#define MQTT_INBOX_BYTES (64u * 1024u)
/* Bytes moved per call to the transport. */
#define MQTT_IO_CHUNK (16u * 1024u)
/* A receive left waiting on the transport is asked again after this;
 * the session's own keep-alive watches the broker. */
#define MQTT_RECEIVE_WAIT_NS (60ull * SN_SECOND)
#define MQTT_SEND_TIMEOUT_NS (30ull * SN_SECOND)
/* Reconnection: the first wait, the longest, and the jitter (a random
 * part of up to half the wait is added). */
#define MQTT_BACKOFF_FIRST_MS 250u
#define MQTT_BACKOFF_MAX_MS   30000u
/* An mqtt_run waiting with nothing to report is answered this long
 * before its caller's deadline. */
#define MQTT_RUN_MARGIN_NS (20ull * SN_MS)
/* After handing its owner messages, a connection holds what it would
 * send (their PUBACKs and PUBRECs) until the owner's next call, or this
 * long: an answer the owner publishes at once then leaves in the same
 * TLS record and TCP segment as the acknowledgement. */
#define MQTT_ACK_HOLD_NS (200ull * SN_US)
/* After our DISCONNECT has gone, how long we go on reading, and
 * dropping, what the broker still sends, waiting for it to close first:
 * closing with its packets unread would answer them with a reset, which
 * can discard the DISCONNECT before the broker has read it. */
#define MQTT_CLOSE_LINGER_MS 1000u
/* TLS answers which server a session was made for at once; longer
 * than this, and the connect or reconnect waiting on it fails. */
#define MQTT_PEER_CHECK_TIMEOUT_NS (5ull * SN_SECOND)
/* A CONNACK must come within this. */
#define MQTT_CONNECT_TIMEOUT_MS 10000u
/* Client identifiers (5.0 and 3.1.1 brokers accept at least 23 bytes;
 * mosquitto takes more), credentials and Will sizes. */
#define MQTT_CLIENT_ID_MAX	    128u
#define MQTT_USERNAME_MAX	    256u
#define MQTT_PASSWORD_MAX	    256u
#define MQTT_CREDENTIALS_MAX	    8u
#define MQTT_WILL_MAX		    1024u
#define MQTT_SESSION_EXPIRY_DEFAULT 3600u

#endif
