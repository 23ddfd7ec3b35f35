/*
 * The application side of MQTT (sealnet/mqtt.h).  mqtt_connect makes the
 * transport with this compartment's own capability (a TLS session, or a
 * socket for a plaintext broker), delegates it to the MQTT compartment
 * and connects there; mqtt_run delivers the events as callbacks, makes
 * the new transports MQTT asks for, and connects again, with what this
 * side kept (mqtt_link.h), when the MQTT compartment restarted.
 */
#include "sealnet/mqtt.h"
#include "mqtt_link.h"
#include "network_calls.h"

#include <errno.h>
#include <string.h>

#include "../bench/hop_trace.h"
#include "boot.h"
#include "sdk.h"

struct link sn_mqtt_links[SEALNET_MQTT_CONNECTIONS_MAX];
/* mqtt_run's answers: callbacks may make other calls meanwhile. */
static _Alignas(8) uint8_t run_reply[SN_MAX_MESSAGE];

#define MQTT_NAME   "MQTT"
#define REPLY_SMALL 512

static struct link *
link_of(sealnet_mqtt_connection c)
{
	if (c.slot >= SEALNET_MQTT_CONNECTIONS_MAX ||
	    !sn_mqtt_links[c.slot].in_use ||
	    sn_mqtt_links[c.slot].generation != c.generation)
		return NULL;
	return &sn_mqtt_links[c.slot];
}

static int
mqtt_peer(uint16_t export_id, const char *function, struct sn_peer **out)
{
	return sn_sdk_peer(export_id, function, out);
}

/* ---- transports ---- */

static int
delegate_socket(uint64_t timeout_ns, sealnet_socket s, sn_handle *out)
{
	struct sn_peer *tcpip;
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s);
	int rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_DELEGATE, __func__,
				 &tcpip);

	if (rc < 0)
		return rc;
	sn_builder *b = sn_call_builder(tcpip->owner);
	uint32_t body = sn_socket_delegate_start(b);
	sn_socket_delegate_add_socket(b, body, &h);
	sn_socket_delegate_add_to(b, body, MQTT_NAME, strlen(MQTT_NAME));
	rc = sn_call(tcpip, SN_EXPORT_NETWORK_SOCKET_DELEGATE,
		     SN_BODY_SOCKET_DELEGATE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &reply);
	if (rc < 0) {
		(void)network_socket_close(SN_SECOND, s);
		return rc;
	}
	sn_socket_created_socket(sn_message_body_as_socket_created(reply), out);
	return 0;
}

/* A transport to the broker, made with our own capability and handed to
 * MQTT: the handle MQTT uses in *out. */
int
sn_mqtt_make_transport(struct link *l, uint64_t timeout_ns, sn_handle *out)
{
	uint64_t deadline = sn_now_ns() + timeout_ns;
	sealnet_tls_session session;
	sealnet_socket s;
	int rc;

	if (l->plaintext) {
		rc = network_socket_connect_tcp(timeout_ns, l->capability, &s);
		return rc < 0 ? rc
			      : delegate_socket(deadline > sn_now_ns()
						    ? deadline - sn_now_ns()
						    : 1,
						s, out);
	}
	rc = tls_connection_create(timeout_ns, l->capability, &session);
	if (rc < 0)
		return rc;
	rc = sn_tls_delegate(deadline > sn_now_ns() ? deadline - sn_now_ns()
						    : SN_SECOND,
			     session, MQTT_NAME, out);
	if (rc < 0)
		(void)tls_connection_close(SN_SECOND, session);
	return rc;
}

/* ---- connecting ---- */

static void
add_will(sn_builder *b, uint32_t body, const struct link *l)
{
	const struct sealnet_mqtt_options *o = &l->options;

	if (o->will_topic == NULL)
		return;
	uint32_t w = sn_mqtt_will_start(b);
	sn_mqtt_will_add_topic(b, w, o->will_topic, strlen(o->will_topic));
	if (o->will_payload_len > 0)
		sn_mqtt_will_add_payload(b, w, o->will_payload,
					 (uint32_t)o->will_payload_len);
	sn_mqtt_will_add_qos(b, w, (uint8_t)o->will_qos);
	sn_mqtt_will_add_retain(b, w, o->will_retain);
	sn_mqtt_connect_add_will(b, body, w);
}

/* What this side kept, for an MQTT that knows nothing of the
 * connection. */
static void
add_kept(sn_builder *b, uint32_t body, const struct link *l)
{
	unsigned n = 0, k = 0;

	for (unsigned i = 0; i < SEALNET_MQTT_KEPT_MAX; i++)
		n += l->kept[i].packet_id != 0;
	uint32_t vec = sn_mqtt_connect_start_kept(b, body, n);
	for (unsigned i = 0; i < SEALNET_MQTT_KEPT_MAX && k < n; i++) {
		const struct kept *m = &l->kept[i];

		if (m->packet_id == 0)
			continue;
		uint32_t t = sn_mqtt_kept_start(b);
		sn_mqtt_kept_add_packet_id(b, t, m->packet_id);
		sn_mqtt_kept_add_qos(b, t, m->qos);
		sn_mqtt_kept_add_retain(b, t, m->retain);
		sn_mqtt_kept_add_released(b, t, m->released);
		sn_mqtt_kept_add_topic(b, t, (const char *)l->pool + m->offset,
				       m->topic_len);
		sn_mqtt_kept_add_payload(
		    b, t, l->pool + m->offset + m->topic_len, m->payload_len);
		sn_builder_set_table_at(b, vec, k++, t);
	}
	vec = sn_mqtt_connect_start_subscriptions(b, body, l->nsubs);
	for (unsigned i = 0; i < l->nsubs; i++) {
		uint32_t t = sn_mqtt_subscription_start(b);
		sn_mqtt_subscription_add_filter(b, t, l->subs[i].filter,
						strlen(l->subs[i].filter));
		sn_mqtt_subscription_add_options(b, t, l->subs[i].options);
		sn_builder_set_table_at(b, vec, i, t);
	}
}

/* MQTT's connect over the transport: the handle in l, or an error. */
static int
connect_mqtt(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
	     sn_handle transport, bool clean, bool *session_present)
{
	sn_message_ref reply;
	sn_builder *b = sn_call_builder(mqtt->owner);
	uint32_t body = sn_mqtt_connect_start(b);
	int rc;

	sn_mqtt_connect_add_capability(
	    b, body, sn_network_connection_capability(b, l->capability));
	sn_mqtt_connect_add_transport(b, body, &transport);
	sn_mqtt_connect_add_client_id(b, body, l->client_id,
				      strlen(l->client_id));
	sn_mqtt_connect_add_clean_session(b, body, clean);
	sn_mqtt_connect_add_keep_alive_seconds(b, body,
					       l->options.keep_alive_seconds);
	sn_mqtt_connect_add_session_expiry_seconds(
	    b, body, l->options.session_expiry_seconds);
	add_will(b, body, l);
	if (!clean)
		add_kept(b, body, l);
	rc = sn_call(mqtt, SN_EXPORT_MQTT_CONNECT, SN_BODY_MQTT_CONNECT, body,
		     timeout_ns, run_reply, sizeof(run_reply), &reply);
	if (rc < 0)
		return rc;
	sn_mqtt_connected_ref r = sn_message_body_as_mqtt_connected(reply);
	sn_mqtt_connected_connection(r, &l->handle);
	*session_present = sn_mqtt_connected_session_present(r);
	l->mqtt_incarnation = mqtt->incarnation;
	l->broken = false;
	mqtt_ahead_reset(&l->ahead);
	l->seen = 0;
	l->transport_error = 0;
	return 0;
}

int
sn_mqtt_establish(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
		  bool clean, bool *session_present)
{
	uint64_t deadline = sn_now_ns() + timeout_ns;
	sn_handle transport;
	int rc = sn_mqtt_make_transport(l, timeout_ns, &transport);

	if (rc < 0)
		return rc;
	return connect_mqtt(l, mqtt,
			    deadline > sn_now_ns() ? deadline - sn_now_ns() : 1,
			    transport, clean, session_present);
}

static int
copy_options(struct link *l, const struct sealnet_mqtt_options *o)
{
	size_t id_len = o->client_id ? strlen(o->client_id) : 0;
	size_t topic_len = o->will_topic ? strlen(o->will_topic) : 0;

	if (id_len == 0 || id_len >= sizeof(l->client_id) || o->will_qos < 0 ||
	    o->will_qos > 2 || topic_len > SEALNET_MQTT_TOPIC_MAX ||
	    o->will_payload_len > 1024 ||
	    (o->will_payload == NULL && o->will_payload_len > 0))
		return -EINVAL;
	l->options = *o;
	strcpy(l->client_id, o->client_id);
	l->options.client_id = l->client_id;
	if (o->will_topic != NULL) {
		memcpy(l->will, o->will_topic, topic_len + 1);
		if (o->will_payload_len > 0)
			memcpy(l->will + topic_len + 1, o->will_payload,
			       o->will_payload_len);
		l->options.will_topic = (const char *)l->will;
		l->options.will_payload = l->will + topic_len + 1;
	}
	return 0;
}

int
mqtt_connect(uint64_t timeout_ns, const struct sealnet_declaration *capability,
	     const struct sealnet_mqtt_options *options,
	     sealnet_mqtt_connection *out)
{
	static struct sn_capability grant;
	struct sn_peer *mqtt;
	struct link *l = NULL;
	bool present;
	int rc;

	if ((rc = mqtt_peer(SN_EXPORT_MQTT_CONNECT, __func__, &mqtt)) < 0)
		return rc;
	if (capability == NULL || options == NULL || out == NULL ||
	    sn_sdk_mqtt_grant_of(capability, &grant) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < SEALNET_MQTT_CONNECTIONS_MAX && !l; i++)
		if (!sn_mqtt_links[i].in_use)
			l = &sn_mqtt_links[i];
	if (l == NULL)
		return -ENOSPC;
	uint32_t generation = l->generation + 1;
	memset(l, 0, sizeof(*l));
	l->generation = generation;
	l->capability = capability;
	l->plaintext = grant.mqtt_plaintext;
	if ((rc = copy_options(l, options)) < 0)
		return rc;
	rc = sn_mqtt_establish(l, mqtt, timeout_ns, options->clean_session,
			       &present);
	if (rc < 0)
		return rc;
	l->in_use = true;
	*out = (sealnet_mqtt_connection){(uint32_t)(l - sn_mqtt_links),
					 l->generation};
	return 0;
}

/* ---- publishing ---- */

static const struct mqtt_room *
room_of(const sn_message_ref *reply, struct mqtt_room *room)
{
	sn_mqtt_queued_ref q = sn_message_body_as_mqtt_queued(*reply);

	*room = (struct mqtt_room){
	    .messages = sn_mqtt_queued_messages_free(q),
	    .bytes = sn_mqtt_queued_bytes_free(q),
	    .overhead = sn_mqtt_queued_packet_overhead(q),
	    .packet_max = sn_mqtt_queued_packet_max(q),
	};
	return room;
}

static uint32_t
publish_body(struct link *l, sn_builder *b, uint16_t id, int qos,
	     const char *topic, size_t topic_len, const void *payload,
	     size_t len, bool retain)
{
	uint32_t body = sn_mqtt_publish_start(b);

	sn_mqtt_publish_add_connection(b, body, &l->handle);
	sn_mqtt_publish_add_packet_id(b, body, id);
	sn_mqtt_publish_add_topic(b, body, topic, topic_len);
	if (len > 0)
		sn_mqtt_publish_add_payload(b, body, payload, (uint32_t)len);
	sn_mqtt_publish_add_qos(b, body, (uint8_t)qos);
	sn_mqtt_publish_add_retain(b, body, retain);
	SEALNET_HOP("app.publish", len);
	return body;
}

static int
send_publish(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
	     uint16_t id, int qos, const char *topic, size_t topic_len,
	     const void *payload, size_t len, bool retain)
{
	_Alignas(8) uint8_t reply_buf[REPLY_SMALL];
	uint32_t body = publish_body(l, sn_call_builder(mqtt->owner), id, qos,
				     topic, topic_len, payload, len, retain);
	struct mqtt_room room;
	sn_message_ref reply;
	int rc =
	    sn_call(mqtt, SN_EXPORT_MQTT_PUBLISH, SN_BODY_MQTT_PUBLISH, body,
		    timeout_ns, reply_buf, sizeof(reply_buf), &reply);

	mqtt_ahead_waited(&l->ahead, rc,
			  rc == 0 ? room_of(&reply, &room) : NULL, topic,
			  topic_len, retain);
	return rc;
}

/* The answer to a publish sent ahead; ctx names its connection. */
static void
ahead_answered(void *ctx, int status, const sn_message_ref *reply)
{
	uintptr_t named = (uintptr_t)ctx;
	struct link *l = link_of((sealnet_mqtt_connection){
	    (uint32_t)(named % SEALNET_MQTT_CONNECTIONS_MAX),
	    (uint32_t)(named / SEALNET_MQTT_CONNECTIONS_MAX)});
	struct mqtt_room room;

	if (l != NULL)
		mqtt_ahead_answered(&l->ahead, status,
				    status == 0 ? room_of(reply, &room) : NULL);
}

/* A QoS 0 publish MQTT is sure to take, sent without waiting for its
 * answer (mqtt_ahead.h): 0, -EAGAIN if it must wait after all (MQTT's
 * ring is full), or why it cannot be sent. */
static int
send_ahead(struct link *l, struct sn_peer *mqtt, uint64_t timeout_ns,
	   const char *topic, size_t topic_len, const void *payload, size_t len,
	   bool retain)
{
	size_t slot = (size_t)(l - sn_mqtt_links);
	uintptr_t named =
	    slot + (uintptr_t)l->generation * SEALNET_MQTT_CONNECTIONS_MAX;
	uint32_t body = publish_body(l, sn_call_builder(mqtt->owner), 0, 0,
				     topic, topic_len, payload, len, retain);
	int rc =
	    sn_call_async(mqtt, SN_EXPORT_MQTT_PUBLISH, SN_BODY_MQTT_PUBLISH,
			  body, timeout_ns, ahead_answered, (void *)named);

	if (rc == 0)
		mqtt_ahead_sent(&l->ahead, topic_len, len);
	return rc;
}

int
mqtt_publish(uint64_t timeout_ns, sealnet_mqtt_connection c, int qos,
	     const char *topic, size_t topic_len, const void *payload,
	     size_t len, bool retain)
{
	struct link *l = link_of(c);
	struct sn_peer *mqtt;
	uint16_t id = 0;
	int rc;

	if ((rc = mqtt_peer(SN_EXPORT_MQTT_PUBLISH, __func__, &mqtt)) < 0)
		return rc;
	if (l == NULL)
		return -ENOENT;
	if (topic == NULL || topic_len == 0 ||
	    topic_len > SEALNET_MQTT_TOPIC_MAX || qos < 0 || qos > 2 ||
	    len > SEALNET_MQTT_PAYLOAD_MAX || (payload == NULL && len > 0))
		return -EINVAL;
	if (qos > 0 && (rc = kept_add(l, (uint8_t)qos, retain, topic, topic_len,
				      payload, len, &id)) < 0)
		return rc;
	if (l->broken || l->mqtt_incarnation != mqtt->incarnation)
		/* Kept, it goes with the next connection. */
		return qos > 0 ? id : -ENOTCONN;
	if (qos == 0 &&
	    mqtt_ahead_may_send(&l->ahead, topic, topic_len, len, retain) &&
	    (rc = send_ahead(l, mqtt, timeout_ns, topic, topic_len, payload,
			     len, retain)) != -EAGAIN)
		return rc;
	rc = send_publish(l, mqtt, timeout_ns, id, qos, topic, topic_len,
			  payload, len, retain);
	if (rc == -SEALNET_ECOMPARTMENT || (rc == -ETIMEDOUT && qos > 0))
		return qos > 0 ? id : rc;
	if (rc < 0 && qos > 0)
		kept_remove(l, kept_find(l, id));
	return rc < 0 ? rc : id;
}

/* ---- subscriptions ---- */

static int
granted(int rc, const sn_message_ref *reply, uint8_t *reason_code)
{
	uint32_t n = 0;
	const uint8_t *codes;

	if (rc < 0)
		return rc;
	sn_mqtt_granted_ref g = sn_message_body_as_mqtt_granted(*reply);
	codes = sn_mqtt_granted_reason_codes(g, &n);
	if (reason_code != NULL)
		*reason_code = codes != NULL && n > 0 ? codes[0] : 0;
	if (sn_mqtt_granted_error(g) < 0)
		return sn_mqtt_granted_error(g);
	return codes != NULL && n > 0 && codes[0] <= 2 ? codes[0] : 0;
}

static void
remember_subscription(struct link *l, const char *filter, size_t len,
		      uint8_t options)
{
	unsigned i = 0;

	while (i < l->nsubs && (strlen(l->subs[i].filter) != len ||
				memcmp(l->subs[i].filter, filter, len) != 0))
		i++;
	if (i == l->nsubs &&
	    (len >= FILTER_MAX || l->nsubs >= SUBSCRIPTIONS_MAX))
		return;
	memcpy(l->subs[i].filter, filter, len);
	l->subs[i].filter[len] = 0;
	l->subs[i].options = options;
	if (i == l->nsubs)
		l->nsubs++;
}

int
mqtt_subscribe(uint64_t timeout_ns, sealnet_mqtt_connection c, int qos,
	       const char *filter, size_t filter_len, uint8_t *reason_code)
{
	_Alignas(8) uint8_t reply[REPLY_SMALL];
	struct link *l = link_of(c);
	sn_message_ref m;
	struct sn_peer *mqtt;
	int rc;

	if (reason_code != NULL)
		*reason_code = 0xff;
	if ((rc = mqtt_peer(SN_EXPORT_MQTT_SUBSCRIBE, __func__, &mqtt)) < 0)
		return rc;
	if (l == NULL)
		return -ENOENT;
	if (filter == NULL || filter_len == 0 || filter_len >= FILTER_MAX ||
	    qos < 0 || qos > 2)
		return -EINVAL;
	if (l->broken || l->mqtt_incarnation != mqtt->incarnation)
		return -ENOTCONN;
	sn_builder *b = sn_call_builder(mqtt->owner);
	uint32_t body = sn_mqtt_subscribe_start(b);
	sn_mqtt_subscribe_add_connection(b, body, &l->handle);
	uint32_t vec = sn_mqtt_subscribe_start_subscriptions(b, body, 1);
	uint32_t t = sn_mqtt_subscription_start(b);
	sn_mqtt_subscription_add_filter(b, t, filter, filter_len);
	sn_mqtt_subscription_add_options(b, t, (uint8_t)qos);
	sn_builder_set_table_at(b, vec, 0, t);
	rc = granted(sn_call(mqtt, SN_EXPORT_MQTT_SUBSCRIBE,
			     SN_BODY_MQTT_SUBSCRIBE, body, timeout_ns, reply,
			     sizeof(reply), &m),
		     &m, reason_code);
	if (rc >= 0)
		remember_subscription(l, filter, filter_len, (uint8_t)qos);
	return rc;
}

int
mqtt_unsubscribe(uint64_t timeout_ns, sealnet_mqtt_connection c,
		 const char *filter, size_t filter_len)
{
	_Alignas(8) uint8_t reply[REPLY_SMALL];
	struct link *l = link_of(c);
	sn_message_ref m;
	struct sn_peer *mqtt;
	int rc;

	if ((rc = mqtt_peer(SN_EXPORT_MQTT_UNSUBSCRIBE, __func__, &mqtt)) < 0)
		return rc;
	if (l == NULL)
		return -ENOENT;
	if (filter == NULL || filter_len == 0 || filter_len >= FILTER_MAX)
		return -EINVAL;
	if (l->broken || l->mqtt_incarnation != mqtt->incarnation)
		return -ENOTCONN;
	sn_builder *b = sn_call_builder(mqtt->owner);
	uint32_t body = sn_mqtt_unsubscribe_start(b);
	sn_mqtt_unsubscribe_add_connection(b, body, &l->handle);
	uint32_t vec = sn_mqtt_unsubscribe_start_filters(b, body, 1);
	uint32_t t = sn_mqtt_filter_start(b);
	sn_mqtt_filter_add_filter(b, t, filter, filter_len);
	sn_builder_set_table_at(b, vec, 0, t);
	rc = granted(sn_call(mqtt, SN_EXPORT_MQTT_UNSUBSCRIBE,
			     SN_BODY_MQTT_UNSUBSCRIBE, body, timeout_ns, reply,
			     sizeof(reply), &m),
		     &m, NULL);
	for (unsigned i = 0; rc >= 0 && i < l->nsubs; i++)
		if (strlen(l->subs[i].filter) == filter_len &&
		    memcmp(l->subs[i].filter, filter, filter_len) == 0)
			l->subs[i] = l->subs[--l->nsubs];
	return rc < 0 ? rc : 0;
}
