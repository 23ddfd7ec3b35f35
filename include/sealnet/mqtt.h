/*
 * MQTT for application compartments, named like CHERIoT's: connections to
 * the broker of an MQTT capability, through the MQTT compartment.
 *
 * mqtt_connect makes a TLS session with this compartment's own
 * capability (or, for a broker the capability declares plaintext, a TCP
 * socket), delegates it to the MQTT compartment, and has MQTT speak MQTT
 * 5.0 (3.1.1 where the capability says so) over it: the MQTT compartment
 * holds no capability and opens no connection.  Publishes and
 * subscriptions outside the capability's topic filters are refused with
 * -EPERM before anything reaches the broker; credentials the capability
 * names are the image's, and never pass through this compartment.
 *
 * Connections are handles only this compartment can use, each counted
 * against its mqtt_connections quota (and its transport against its
 * sockets and tls_sessions quotas).  A compartment that connects
 * imports, besides network_host_get for network_start, the network, TLS
 * and MQTT calls these functions make (network_socket_connect_tcp,
 * _delegate and _close; tls_connection_create, _delegate and _close;
 * mqtt_connect, _reconnect, _publish, _subscribe, _unsubscribe, _run and
 * _disconnect), which SEALNET_MQTT_IMPORTS() declares in one line:
 *
 *	SEALNET_IMPORT(network_host_get);
 *	SEALNET_MQTT_IMPORTS();
 *	SEALNET_QUOTA(mqtt_connections, 1);
 *	SEALNET_QUOTA(tls_sessions, 2);
 *
 * Callbacks run inside mqtt_run, on this compartment's thread: the
 * publish callback for each message the broker delivers, the ack
 * callback when a QoS 1 or 2 publish completes, the state callback when
 * the connection comes up or goes down.  mqtt_run also makes the new
 * transport the MQTT compartment asks for when its broker connection
 * ended (the broker, TLS or TCPIP restarted, or the broker went silent):
 * the connection comes back with back-off and jitter, its session
 * resumed, its subscriptions restored.  Keep calling mqtt_run.
 *
 * What is not yet acknowledged is kept here too, so that no QoS 1 or 2
 * message is lost when the MQTT compartment itself restarts: each QoS 1
 * and 2 publish stays in this compartment until its ack callback, and a
 * new MQTT compartment is given them (with their packet identifiers, so
 * QoS 2 stays exactly once) and the subscriptions when mqtt_run finds
 * the old one gone.
 *
 * Every function returns 0 (or a count) on success, or a negative errno.
 * Besides the codes its own comment lists, every function here may
 * return:
 *
 *   -ESRCH            sealnet_start() has not succeeded in this process
 *   -EPERM            this compartment does not import an export the
 *                     function calls (logged), its image joins it to no
 *                     compartment serving it, or the connection is not
 *                     this compartment's
 *   -EINVAL           an argument is NULL where it may not be, or out of
 *                     range
 *   -ENOENT           the connection is not one this compartment made,
 *                     or was disconnected
 *   -ETIMEDOUT        the timeout passed before the answer came
 *   -ENOTRECOVERABLE  the MQTT compartment died during the call (the
 *                     connection is made again by the next mqtt_run)
 *   -ECANCELED        the supervisor went away during the call
 *   -EIO              the serving compartment failed to answer
 */
#ifndef SEALNET_MQTT_H
#define SEALNET_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sealnet/compartment.h>

enum sealnet_mqtt_qos {
	SEALNET_MQTT_AT_MOST_ONCE = 0,
	SEALNET_MQTT_AT_LEAST_ONCE = 1,
	SEALNET_MQTT_EXACTLY_ONCE = 2,
};

/* A connection: only the compartment that made it can use it. */
typedef struct {
	uint32_t slot;
	uint32_t generation;
} sealnet_mqtt_connection;

/* A message the broker delivered: topic (not NUL-terminated) and payload
 * are valid during the call only. */
typedef void (*sealnet_mqtt_publish_fn)(void *ctx, const char *topic,
					size_t topic_len, const void *payload,
					size_t payload_len, int qos,
					bool retain);
/* A QoS 1 or 2 publish completed: its packet identifier (mqtt_publish's
 * result), and 0 or why the broker refused it (a reason code as an
 * errno: -EPERM not authorized, -EDQUOT quota, -EINVAL topic or
 * payload, -EIO other; -EMSGSIZE over the broker's maximum).  Packet
 * identifier 0: a QoS 0 publish sent ahead (see mqtt_publish) that the
 * MQTT compartment did not take after all, and why (-ENOTRECOVERABLE it
 * died, -ETIMEDOUT it did not answer in time, -EMSGSIZE or -EOPNOTSUPP
 * the broker connected again with a smaller maximum or without retain);
 * once for each such message, all with the first one's reason when
 * several were refused before mqtt_run told them. */
typedef void (*sealnet_mqtt_ack_fn)(void *ctx, uint16_t packet_id, int error);
/* The connection came up (error 0; session_present: the broker had kept
 * the session), or went down (error: -ETIMEDOUT the broker went silent
 * for 1.5 keep-alive intervals, -ECONNRESET or the broker's reason as an
 * errno, -EBADMSG or -EPROTO it broke the protocol, -ENOTRECOVERABLE the
 * MQTT compartment died); it comes back by itself. */
typedef void (*sealnet_mqtt_state_fn)(void *ctx, bool connected, int error,
				      bool session_present);

struct sealnet_mqtt_options {
	/* 1 to 127 bytes of UTF-8; mqtt_generate_client_id makes one. */
	const char *client_id;
	/* Start afresh (true), or resume the session the broker kept. */
	bool clean_session;
	/* Seconds; 0 turns keep-alive off.  A broker silent for 1.5
	 * intervals is taken for gone. */
	uint16_t keep_alive_seconds;
	/* 5.0: how long the broker keeps the session after the connection
	 * ends; 0 for as long as the connection. */
	uint32_t session_expiry_seconds;
	/* A Will (topic NULL for none), held to the publish filters. */
	const char *will_topic;
	const void *will_payload;
	size_t will_payload_len;
	int will_qos;
	bool will_retain;
	sealnet_mqtt_publish_fn on_publish;
	sealnet_mqtt_ack_fn on_ack;
	sealnet_mqtt_state_fn on_state;
	void *ctx;
};

/* Connections one compartment's SDK keeps at once, QoS 1 and 2 messages
 * it keeps per connection until acknowledged, and their bytes. */
#define SEALNET_MQTT_CONNECTIONS_MAX 8
#define SEALNET_MQTT_KEPT_MAX	     256
#define SEALNET_MQTT_KEPT_BYTES	     (256 * 1024)
/* The largest topic and payload. */
#define SEALNET_MQTT_TOPIC_MAX	 1023
#define SEALNET_MQTT_PAYLOAD_MAX 16384

/*
 * Connects to the broker of an MQTT capability this compartment holds,
 * into *out.  Returns once the broker accepted the connection (CONNACK).
 * Errors: -EINVAL (not an MQTT capability, or a bad client id or Will),
 * -EPERM (a Will outside the publish filters, or a capability the image
 * does not give this compartment), -EDQUOT (a quota is used up), -ENOSPC
 * (this SDK or the MQTT compartment holds as many connections as it
 * can); every error of tls_connection_create (sealnet/tls.h) or
 * network_socket_connect_tcp; and the broker's refusal: -EACCES (bad user
 * name or password), -EPERM (not authorized, banned), -EPROTONOSUPPORT
 * (protocol level), -EINVAL (client identifier), -ECONNREFUSED (server
 * unavailable), -EBUSY; -ETIMEDOUT (no CONNACK in time).
 */
int mqtt_connect(uint64_t timeout_ns,
		 const struct sealnet_declaration *capability,
		 const struct sealnet_mqtt_options *options,
		 sealnet_mqtt_connection *out);

/*
 * Publishes len bytes of payload to topic.  QoS 0 returns 0 once the MQTT
 * compartment has queued it, or once it is sent ahead: when MQTT has
 * taken a publish to the same topic (and retain flag) on this connection
 * and its last answer showed room for this one in the connection's
 * queue, the message is sent without waiting for the answer, so that a
 * stream of them costs no wake-up each; every error below still comes
 * from this call.  QoS 1 and 2 return the message's packet
 * identifier (1 or more), which the ack callback names when the broker
 * has it.  Queued also while the connection is down.  QoS 0 is at most
 * once: a QoS 0 message that MQTT has taken but not yet sent when the
 * MQTT compartment itself restarts, or that was on its way when the
 * connection ended, is not sent again, and only one sent ahead and not
 * yet answered is told to the ack callback; publish what must arrive at
 * QoS 1 or 2.
 * Errors: -EPERM (topic outside the capability's publish filters: nothing
 * is sent), -EINVAL (not a valid topic name, QoS above 2, payload over
 * SEALNET_MQTT_PAYLOAD_MAX), -ENOBUFS (messages waiting here or in the
 * MQTT compartment are at their bound: run mqtt_run and try again),
 * -EOPNOTSUPP (the broker offers no such QoS or no retain), -EMSGSIZE
 * (over the broker's maximum packet size).
 */
int mqtt_publish(uint64_t timeout_ns, sealnet_mqtt_connection c, int qos,
		 const char *topic, size_t topic_len, const void *payload,
		 size_t len, bool retain);

/*
 * Subscribes to one filter at the QoS asked, and waits for the broker's
 * answer: returns the QoS granted (0 to 2).  *reason_code, when not
 * NULL, is the broker's reason code (0x00 to 0x02 granted; 0x80 and above
 * refused), or 0xff when the broker was not asked.
 * Errors: -EPERM (filter outside the capability's subscribe filters:
 * nothing is sent; or the broker refused, not authorized: reason 0x87),
 * -EINVAL (not a valid filter), -ENOTCONN (the connection is down),
 * -EBUSY (too many requests wait), -EOPNOTSUPP (the broker refused a
 * wildcard or shared subscription), -EIO (any other refusal).
 */
int mqtt_subscribe(uint64_t timeout_ns, sealnet_mqtt_connection c, int qos,
		   const char *filter, size_t filter_len, uint8_t *reason_code);

/* Unsubscribes from one filter and waits for the broker's answer.
 * Errors: -ENOTCONN, -EBUSY, -EIO (the broker's refusal). */
int mqtt_unsubscribe(uint64_t timeout_ns, sealnet_mqtt_connection c,
		     const char *filter, size_t filter_len);

/*
 * Delivers what happened on the connection as callbacks, waiting up to
 * timeout_ns for the first event; makes a new transport when the MQTT
 * compartment asks for one, and the connection again when the MQTT
 * compartment restarted; either may take up to 10 s whatever
 * timeout_ns says.  Returns how many callbacks ran.
 * Errors: -EBUSY (another mqtt_run on it still waits).
 */
int mqtt_run(uint64_t timeout_ns, sealnet_mqtt_connection c);

/* Sends DISCONNECT (publish_will: 5.0 asks the broker to publish the
 * Will all the same), closes the transport and forgets the connection,
 * messages not yet acknowledged included.  Errors: none beyond the
 * common ones; the connection is forgotten whatever the outcome. */
int mqtt_disconnect(uint64_t timeout_ns, sealnet_mqtt_connection c,
		    bool publish_will);

/* Writes a random client identifier of length-1 letters and digits and a
 * NUL into buffer (length 2 to 128).  Errors: -EINVAL, -EIO (no
 * randomness). */
int mqtt_generate_client_id(char *buffer, size_t length);

#endif
