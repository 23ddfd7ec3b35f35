/*
 * The MQTT compartment: MQTT 5.0 (or 3.1.1, where the capability says
 * so) client connections for the compartments that call it, over
 * transports they delegated to it.
 *
 * It holds no capability and opens no connection: an application makes
 * a TLS session (or, for a broker its capability declares plaintext, a
 * TCP socket) with its own capability, hands it to us, and presents here
 * the MQTT capability, which the runtime has checked it holds.  Every
 * publish, Will and subscription is held to that capability's topic
 * filters before anything reaches the broker.  Credentials come from the
 * image, with the boot message, and never from the application.
 *
 * connection.c, check.c, transport.c and events.c hold the connections;
 * this file serves the exports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "connection.h"
#include "grant.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "topic.h"

SEALNET_COMPARTMENT("MQTT");
SEALNET_IMPORT(tls_connection_send);
SEALNET_IMPORT(tls_connection_receive);
SEALNET_IMPORT(tls_connection_close);
SEALNET_IMPORT(tls_connection_peer);
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
SEALNET_RESTART(always, 10);

struct sn_compartment compartment;

/* ---- credentials, from the image ---- */

static struct {
	char name[SN_IDENTITY_MAX + 1];
	uint8_t user[MQTT_USERNAME_MAX], password[MQTT_PASSWORD_MAX];
	size_t user_len, password_len;
} credentials[MQTT_CREDENTIALS_MAX];
static unsigned ncredentials;

/* "credentials/NAME": a user name line and a password line. */
static int
load_credentials(const char *file)
{
	uint8_t want[32];
	const uint8_t *user, *password;
	size_t user_len, password_len;
	struct stat st;
	void *map;
	int fd, rc;

	if (ncredentials >= MQTT_CREDENTIALS_MAX ||
	    strlen(file) - 12 > SN_IDENTITY_MAX)
		return -ENOSPC;
	rc = sn_compartment_take_file(file, &fd, want);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > 4096) {
		close(fd);
		return -EFBIG;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -ENOMEM;
	rc = grant_parse_credentials(map, (size_t)st.st_size, &user, &user_len,
				     &password, &password_len);
	if (rc == 0 &&
	    (user_len > MQTT_USERNAME_MAX || password_len > MQTT_PASSWORD_MAX))
		rc = -EINVAL;
	if (rc == 0) {
		strcpy(credentials[ncredentials].name, file + 12);
		memcpy(credentials[ncredentials].user, user, user_len);
		memcpy(credentials[ncredentials].password, password,
		       password_len);
		credentials[ncredentials].user_len = user_len;
		credentials[ncredentials].password_len = password_len;
		ncredentials++;
	}
	munmap(map, (size_t)st.st_size);
	return rc;
}

/* Every file the image gave: one that will not load stops us, so a
 * connection never goes without the credentials its capability names. */
static int
load_all_credentials(void)
{
	const char *names[SN_MAX_BOOT_FILES];
	unsigned n = sn_compartment_file_names(names, SN_MAX_BOOT_FILES);

	for (unsigned i = 0; i < n; i++) {
		int rc = strncmp(names[i], "credentials/", 12) == 0
			     ? load_credentials(names[i])
			     : 0;

		if (rc < 0) {
			sn_log("%s: %s", names[i], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
use_credentials(struct conn *c)
{
	struct mqtt_connect *p = &c->options.packet;

	if (c->cap.mqtt_credentials[0] == 0)
		return 0;
	for (unsigned i = 0; i < ncredentials; i++) {
		if (strcmp(credentials[i].name, c->cap.mqtt_credentials) != 0)
			continue;
		p->has_username = p->has_password = true;
		p->username = (struct mqtt_bytes){credentials[i].user,
						  credentials[i].user_len};
		p->password = (struct mqtt_bytes){credentials[i].password,
						  credentials[i].password_len};
		return 0;
	}
	sn_log("%s: no credentials %s loaded", c->owner->name,
	       c->cap.mqtt_credentials);
	return -EACCES;
}

/* ---- connect ---- */

static int
answer_error(struct sn_incoming *in, int code)
{
	return sn_reply_error(in, code);
}

/* The capability presented, which the runtime has checked the caller
 * holds: its broker and its grant. */
static int
read_capability(sn_connection_capability_ref r, struct sn_capability *c)
{
	uint32_t len;
	const char *host = sn_connection_capability_host(r, &len);
	sn_mqtt_grant_ref g = sn_connection_capability_mqtt(r);

	memset(c, 0, sizeof(*c));
	if (g.pos == 0 || host == NULL || len == 0 || len > SN_HOST_MAX ||
	    sn_capability_mqtt_read(c, g) < 0)
		return -EINVAL;
	memcpy(c->host, host, len);
	c->port = sn_connection_capability_port(r);
	return 0;
}

/* The Will, held to the publish filters like any message. */
static int
read_will(struct conn *c, sn_mqtt_will_ref w)
{
	struct mqtt_connect *p = &c->options.packet;
	uint32_t topic_len, payload_len = 0;
	const char *topic = sn_mqtt_will_topic(w, &topic_len);
	const uint8_t *payload = sn_mqtt_will_payload(w, &payload_len);

	if (w.pos == 0)
		return 0;
	if (!grant_may_publish(&c->cap, (const uint8_t *)topic, topic_len))
		return -EPERM;
	if ((size_t)topic_len + payload_len > sizeof(c->will) ||
	    sn_mqtt_will_qos(w) > 2)
		return -EINVAL;
	memcpy(c->will, topic, topic_len);
	if (payload_len > 0)
		memcpy(c->will + topic_len, payload, payload_len);
	p->will = true;
	p->will_qos = sn_mqtt_will_qos(w);
	p->will_retain = sn_mqtt_will_retain(w);
	p->will_topic = (struct mqtt_bytes){c->will, topic_len};
	p->will_payload = (struct mqtt_bytes){c->will + topic_len, payload_len};
	if (sn_mqtt_will_delay_seconds(w) > 0) {
		p->will_props.present |= UINT64_C(1) << MQTT_PROP_WILL_DELAY;
		p->will_props.will_delay = sn_mqtt_will_delay_seconds(w);
	}
	return 0;
}

static int
read_options(struct conn *c, sn_mqtt_connect_ref req)
{
	struct mqtt_connect *p = &c->options.packet;
	uint32_t len;
	const char *id = sn_mqtt_connect_client_id(req, &len);

	if (len == 0 || len >= sizeof(c->client_id) ||
	    mqtt_utf8_check((const uint8_t *)id, len) != MQTT_FAULT_NONE)
		return -EINVAL;
	memcpy(c->client_id, id, len);
	memset(&c->options, 0, sizeof(c->options));
	p->client_id = (struct mqtt_bytes){(const uint8_t *)c->client_id, len};
	p->keep_alive = sn_mqtt_connect_keep_alive_seconds(req);
	p->clean_start = sn_mqtt_connect_clean_session(req);
	if (c->cap.mqtt_version == 5) {
		c->options.props.present |= UINT64_C(1)
					    << MQTT_PROP_SESSION_EXPIRY;
		c->options.props.session_expiry =
		    sn_mqtt_connect_session_expiry_seconds(req);
	}
	return read_will(c, sn_mqtt_connect_will(req));
}

/* What the owner kept from an earlier MQTT: messages, held to the
 * publish filters again, and subscriptions, to the subscribe ones. */
static int
restore(struct conn *c, sn_mqtt_connect_ref req)
{
	uint32_t token;

	for (uint32_t i = 0; i < sn_mqtt_connect_kept_count(req); i++) {
		sn_mqtt_kept_ref k = sn_mqtt_connect_kept_at(req, i);
		uint32_t tl, pl = 0;
		const char *t = sn_mqtt_kept_topic(k, &tl);
		const uint8_t *pay = sn_mqtt_kept_payload(k, &pl);
		struct mqtt_publish m = {
		    .topic = {(const uint8_t *)t, tl},
		    .payload = {pay, pl},
		    .qos = sn_mqtt_kept_qos(k),
		    .retain = sn_mqtt_kept_retain(k),
		};
		int rc;

		if (!grant_may_publish(&c->cap, m.topic.data, tl))
			return -EPERM;
		rc = mqtt_session_restore(&c->session, &m,
					  sn_mqtt_kept_packet_id(k),
					  sn_mqtt_kept_released(k), &token);
		if (rc < 0)
			return rc;
	}
	for (uint32_t i = 0; i < sn_mqtt_connect_subscriptions_count(req);
	     i++) {
		sn_mqtt_subscription_ref s =
		    sn_mqtt_connect_subscriptions_at(req, i);
		uint32_t fl;
		const char *f = sn_mqtt_subscription_filter(s, &fl);
		struct mqtt_subscription sub = {
		    {(const uint8_t *)f, fl}, sn_mqtt_subscription_options(s)};

		if (!grant_may_subscribe(&c->cap, sub.filter.data, fl))
			return -EPERM;
		if (mqtt_session_restore_subscription(&c->session, &sub) < 0)
			return -ENOBUFS;
	}
	return 0;
}

static void
serve_connect(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_connect_ref req = sn_message_body_as_mqtt_connect(in->request);
	struct sn_capability cap;
	sn_handle transport;
	struct conn *c = NULL;
	int rc;

	/* The transport is ours from here: whatever fails, it is closed, or
	 * it would hold its owner's quota with nobody to close it.  One
	 * whose capability does not read is taken for a TLS session. */
	sn_mqtt_connect_transport(req, &transport);
	rc = read_capability(sn_mqtt_connect_capability(req), &cap);
	if (rc < 0)
		cap.mqtt_plaintext = false;
	else
		c = conn_alloc(in->peer, &rc);
	if (c == NULL) {
		transport_close_unused(transport, cap.mqtt_plaintext,
				       in->peer->name);
		answer_error(in, rc);
		return;
	}
	c->cap = cap;
	c->transport = transport;
	c->have_transport = true;
	rc = conn_session_init(c);
	if (rc == 0)
		rc = read_options(c, req);
	if (rc == 0)
		rc = use_credentials(c);
	if (rc == 0)
		rc = restore(c, req);
	if (rc == 0)
		rc = conn_check_and_start(c, transport);
	if (rc < 0) {
		conn_free(c);
		answer_error(in, rc);
		return;
	}
	/* Answered once connected, or refused by the broker or by the
	 * check of the session's server. */
	sn_defer_wait(in, &c->connect_wait);
	c->connect_waiting = true;
	conn_run(c);
}

static void
serve_reconnect(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_transport_ref req =
	    sn_message_body_as_mqtt_transport(in->request);
	sn_handle h, transport;
	struct conn *c;
	int rc;

	sn_mqtt_transport_connection(req, &h);
	sn_mqtt_transport_transport(req, &transport);
	c = conn_lookup(in->peer, h);
	if (c == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	/* Only a transport that was asked for: one at a time. */
	if (c->state != CONN_WAITING || !c->transport_asked || c->checking) {
		answer_error(in, -EALREADY);
		return;
	}
	rc = conn_check_and_start(c, transport);
	if (rc < 0)
		conn_back_off(c);
	if (rc == 0 && c->checking) {
		sn_defer_wait(in, &c->reconnect_wait);
		c->reconnect_waiting = true;
	} else if (rc < 0) {
		answer_error(in, rc);
	} else {
		sn_reply_ok(in, SN_BODY_EMPTY,
			    sn_empty_start(sn_reply_builder(&compartment)));
	}
	conn_run(c);
}

/* ---- the others ---- */

/* The queue's room, with which the SDK sends the QoS 0 publishes that
 * will fit without waiting for each answer. */
static int
answer_queued(struct sn_incoming *in, const struct conn *c)
{
	sn_builder *b = sn_reply_builder(&compartment);
	struct mqtt_session_room room;
	uint32_t body;

	mqtt_session_room(&c->session, &room);
	body = sn_mqtt_queued_start(b);
	sn_mqtt_queued_add_messages_free(b, body, room.messages);
	sn_mqtt_queued_add_bytes_free(b, body, room.bytes);
	sn_mqtt_queued_add_packet_overhead(b, body, room.qos0_overhead);
	sn_mqtt_queued_add_packet_max(b, body, room.packet_max);
	return sn_reply_ok(in, SN_BODY_MQTT_QUEUED, body);
}

static void
serve_publish(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_publish_ref req = sn_message_body_as_mqtt_publish(in->request);
	uint32_t tl, pl = 0, token;
	const char *t = sn_mqtt_publish_topic(req, &tl);
	const uint8_t *payload = sn_mqtt_publish_payload(req, &pl);
	struct mqtt_publish m = {
	    .topic = {(const uint8_t *)t, tl},
	    .payload = {payload, pl},
	    .qos = sn_mqtt_publish_qos(req),
	    .retain = sn_mqtt_publish_retain(req),
	};
	struct conn *c;
	sn_handle h;
	int rc;

	SEALNET_HOP("mqtt.publish.in", pl);
	sn_mqtt_publish_connection(req, &h);
	c = conn_lookup(in->peer, h);
	if (c == NULL || c->state == CONN_CLOSING) {
		answer_error(in, c == NULL ? -EPERM : -ENOTCONN);
		return;
	}
	/* Before anything reaches the broker. */
	if (!grant_may_publish(&c->cap, m.topic.data, tl)) {
		answer_error(in, -EPERM);
		return;
	}
	rc = mqtt_session_publish_id(&c->session, &m, NULL,
				     sn_mqtt_publish_packet_id(req), &token);
	rc < 0 ? answer_error(in, rc) : answer_queued(in, c);
	conn_run(c);
}

static void
defer_request(struct sn_incoming *in, struct conn *c, int slot, int rc,
	      uint32_t token)
{
	if (rc < 0) {
		answer_error(in, rc);
		return;
	}
	c->requests[slot].token = token;
	c->requests[slot].waiting = true;
	sn_defer_wait(in, &c->requests[slot].wait);
	conn_run(c);
}

/* A request's connection, up and with a free slot: or NULL, answered. */
static struct conn *
request_conn(struct sn_incoming *in, sn_handle h, int *slot)
{
	struct conn *c = conn_lookup(in->peer, h);

	if (c == NULL || c->state != CONN_UP) {
		answer_error(in, c == NULL ? -EPERM : -ENOTCONN);
		return NULL;
	}
	*slot = conn_request_slot(c);
	if (*slot < 0) {
		answer_error(in, -EBUSY);
		return NULL;
	}
	return c;
}

static void
serve_subscribe(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_subscribe_ref req =
	    sn_message_body_as_mqtt_subscribe(in->request);
	struct mqtt_subscription list[MQTT_SUBSCRIPTIONS];
	uint32_t n = sn_mqtt_subscribe_subscriptions_count(req), token = 0;
	struct conn *c;
	sn_handle h;
	int slot, rc;

	sn_mqtt_subscribe_connection(req, &h);
	if ((c = request_conn(in, h, &slot)) == NULL)
		return;
	if (n == 0 || n > MQTT_SUBSCRIPTIONS) {
		answer_error(in, -EINVAL);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		sn_mqtt_subscription_ref s =
		    sn_mqtt_subscribe_subscriptions_at(req, i);
		uint32_t fl;
		const char *f = sn_mqtt_subscription_filter(s, &fl);

		list[i] = (struct mqtt_subscription){
		    {(const uint8_t *)f, fl}, sn_mqtt_subscription_options(s)};
		if (!grant_may_subscribe(&c->cap, list[i].filter.data, fl)) {
			answer_error(in, -EPERM);
			return;
		}
	}
	/* The token is known only once the call has returned: an argument
	 * list does not order its evaluation. */
	rc = mqtt_session_subscribe(&c->session, list, n, 0, &token);
	defer_request(in, c, slot, rc, token);
}

static void
serve_unsubscribe(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_unsubscribe_ref req =
	    sn_message_body_as_mqtt_unsubscribe(in->request);
	struct mqtt_bytes list[MQTT_SUBSCRIPTIONS];
	uint32_t n = sn_mqtt_unsubscribe_filters_count(req), token = 0;
	struct conn *c;
	sn_handle h;
	int slot, rc;

	sn_mqtt_unsubscribe_connection(req, &h);
	if ((c = request_conn(in, h, &slot)) == NULL)
		return;
	if (n == 0 || n > MQTT_SUBSCRIPTIONS) {
		answer_error(in, -EINVAL);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t fl;
		const char *f = sn_mqtt_filter_filter(
		    sn_mqtt_unsubscribe_filters_at(req, i), &fl);

		list[i] = (struct mqtt_bytes){(const uint8_t *)f, fl};
	}
	rc = mqtt_session_unsubscribe(&c->session, list, n, &token);
	defer_request(in, c, slot, rc, token);
}

static void
serve_run(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_run_ref req = sn_message_body_as_mqtt_run(in->request);
	int32_t failed = sn_mqtt_run_transport_error(req);
	struct conn *c;
	sn_handle h;

	sn_mqtt_run_connection(req, &h);
	c = conn_lookup(in->peer, h);
	if (c == NULL || c->run_waiting) {
		answer_error(in, c == NULL ? -EPERM : -EBUSY);
		return;
	}
	conn_events_taken(c, sn_mqtt_run_seen(req));
	if (failed < 0)
		conn_transport_failed(c, failed);
	c->run_seen = sn_mqtt_run_seen(req);
	c->run_waiting = true;
	sn_defer_wait(in, &c->run_wait);
	conn_run(c);
	if (c->state != CONN_FREE)
		conn_answer_run(c, false);
}

static void
serve_disconnect(void *ctx, struct sn_incoming *in)
{
	sn_mqtt_disconnect_ref req =
	    sn_message_body_as_mqtt_disconnect(in->request);
	struct conn *c;
	sn_handle h;

	sn_mqtt_disconnect_connection(req, &h);
	c = conn_lookup(in->peer, h);
	if (c == NULL || c->disconnect_waiting) {
		answer_error(in, c == NULL ? -EPERM : -EBUSY);
		return;
	}
	sn_defer_wait(in, &c->disconnect_wait);
	c->disconnect_waiting = true;
	if (c->state != CONN_UP ||
	    mqtt_session_disconnect(&c->session,
				    sn_mqtt_disconnect_publish_will(req)
					? MQTT_RC_DISCONNECT_WITH_WILL
					: MQTT_RC_SUCCESS) < 0) {
		conn_free(c);
		return;
	}
	/* The DISCONNECT goes out, then the transport closes. */
	c->state = CONN_CLOSING;
	c->closing_until_ms = sn_now_ns() / SN_MS + MQTT_CLOSE_LINGER_MS;
	conn_run(c);
}

SEALNET_EXPORT(mqtt_connect, serve_connect);
SEALNET_EXPORT(mqtt_reconnect, serve_reconnect);
SEALNET_EXPORT(mqtt_publish, serve_publish);
SEALNET_EXPORT(mqtt_subscribe, serve_subscribe);
SEALNET_EXPORT(mqtt_unsubscribe, serve_unsubscribe);
SEALNET_EXPORT(mqtt_run, serve_run);
SEALNET_EXPORT(mqtt_disconnect, serve_disconnect);

static void
peer_died(void *ctx, struct sn_peer *p)
{
	connections_peer_died(p);
}

int
main(void)
{
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	if (load_all_credentials() < 0)
		return 1;
	connections_init();
	if (sn_compartment_on_peer_died(&compartment, peer_died, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
