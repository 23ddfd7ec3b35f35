/*
 * The application side of TLS (sealnet/tls.h).  A session is made in
 * three calls: NetAPI connects a socket with this compartment's own
 * capability, TCPIP hands the socket to the TLS compartment, and TLS runs
 * the handshake on it.  After that, each function is one call to TLS.
 *
 * The SDK keeps each session's TLS incarnation: a session made before
 * the TLS compartment died says so once (-ENOTRECOVERABLE), then
 * -ENOTCONN, without asking the new TLS, which never knew it.
 */
#include "sealnet/tls.h"
#include "network_calls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "sdk.h"

/* The largest ALPN list in TLS's wire format (engine.h's TLS_ALPN_MAX). */
#define ALPN_WIRE_MAX 64

struct known_session {
	bool in_use;
	/* The TLS compartment's death count when the session was made. */
	uint32_t tls_incarnation;
	/* Its death was reported once: -ENOTCONN from now on. */
	bool death_told;
	sealnet_tls_session handle;
	sealnet_tls_info info;
};

static struct known_session known[SEALNET_TLS_SESSIONS_MAX];

static sn_handle
handle_of(sealnet_tls_session s)
{
	return (sn_handle){s.slot, s.generation, s.tag};
}

static struct known_session *
find_known(sealnet_tls_session s)
{
	for (unsigned i = 0; i < SEALNET_TLS_SESSIONS_MAX; i++)
		if (known[i].in_use && known[i].handle.slot == s.slot &&
		    known[i].handle.generation == s.generation &&
		    known[i].handle.tag == s.tag)
			return &known[i];
	return NULL;
}

static void
late_session_closed(void *ctx, int status, const sn_message_ref *reply)
{
}

/* A session TLS made for a create that had already timed out: nobody
 * knows of it, so it is closed, and its quota comes back. */
static void
release_late_session(struct sn_peer *from, uint16_t export_id,
		     const sn_message_ref *reply)
{
	sn_handle h;

	if (sn_message_body_type(*reply) != SN_BODY_TLS_CREATED)
		return;
	sn_tls_created_session(sn_message_body_as_tls_created(*reply), &h);
	sn_builder *b = sn_call_builder(from->owner);
	uint32_t ref = sn_session_reference_start(b);
	sn_session_reference_add_session(b, ref, &h);
	(void)sn_call_async(from, SN_EXPORT_TLS_CONNECTION_CLOSE,
			    SN_BODY_SESSION_REFERENCE, ref, SN_SECOND,
			    late_session_closed, NULL);
}

static int
tls_peer(uint16_t export_id, const char *function, struct sn_peer **out)
{
	int rc = sn_sdk_peer(export_id, function, out);

	if (rc == 0)
		sn_peer_on_late_reply(*out, release_late_session);
	return rc;
}

/* Before a call on session s: the code to return without calling, or 0.
 * A session of a TLS compartment that died since tells it once. */
static int
session_gone(struct sn_peer *p, sealnet_tls_session s)
{
	struct known_session *k = find_known(s);

	if (k == NULL || k->tls_incarnation == p->incarnation)
		return 0;
	if (k->death_told)
		return -ENOTCONN;
	k->death_told = true;
	return -SEALNET_ECOMPARTMENT;
}

/* An error about to be returned for s: a death it reports is told once.
 * Only what the caller sees counts: a send cut short by the death returns
 * what it sent, and the next call tells of the death. */
static int
reported(sealnet_tls_session s, int rc)
{
	struct known_session *k = find_known(s);

	if (rc == -SEALNET_ECOMPARTMENT && k != NULL)
		k->death_told = true;
	return rc;
}

/* ---- creating ---- */

/* "a,b" into TLS's wire format (each name prefixed by its length). */
static int
alpn_wire(const char *list, uint8_t out[ALPN_WIRE_MAX], size_t *len)
{
	*len = 0;
	if (list == NULL || *list == 0)
		return 0;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > SEALNET_TLS_ALPN_MAX ||
		    *len + 1 + n > ALPN_WIRE_MAX)
			return -EINVAL;
		out[(*len)++] = (uint8_t)n;
		memcpy(out + *len, p, n);
		*len += n;
		if (p[n] == 0)
			return 0;
		p += n + 1;
	}
}

/* Hands the socket to the TLS compartment through TCPIP: the handle TLS
 * will use for it, in *out. */
static int
delegate(struct sn_peer *tcpip, const char *to, uint64_t timeout_ns,
	 sealnet_socket s, sealnet_socket *out)
{
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s);
	sn_builder *b = sn_call_builder(tcpip->owner);
	uint32_t body = sn_socket_delegate_start(b);
	int rc;

	sn_socket_delegate_add_socket(b, body, &h);
	sn_socket_delegate_add_to(b, body, to, strlen(to));
	rc = sn_call(tcpip, SN_EXPORT_NETWORK_SOCKET_DELEGATE,
		     SN_BODY_SOCKET_DELEGATE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &reply);
	return sn_network_created(rc, &reply, out);
}

static void
take_info(sn_tls_created_ref r, sealnet_tls_info *info)
{
	uint32_t len = 0;
	const uint8_t *alpn = sn_tls_created_alpn(r, &len);

	memset(info, 0, sizeof(*info));
	info->version = sn_tls_created_version(r);
	info->resumed = sn_tls_created_resumed(r);
	info->handshake_us = sn_tls_created_handshake_us(r);
	if (alpn != NULL && len <= SEALNET_TLS_ALPN_MAX)
		memcpy(info->alpn, alpn, len);
}

/* The handshake, on the socket delegated to TLS. */
static int
handshake(struct sn_peer *tls, uint64_t timeout_ns,
	  const struct sealnet_declaration *capability, sealnet_socket s,
	  const uint8_t *alpn, size_t alpn_len, sealnet_tls_session *out,
	  sealnet_tls_info *info)
{
	sn_message_ref reply;
	sn_handle h = sn_network_handle(s), session;
	sn_builder *b = sn_call_builder(tls->owner);
	uint32_t body = sn_tls_create_start(b);
	int rc;

	sn_tls_create_add_capability(
	    b, body, sn_network_connection_capability(b, capability));
	sn_tls_create_add_socket(b, body, &h);
	if (alpn_len > 0)
		sn_tls_create_add_alpn(b, body, alpn, (uint32_t)alpn_len);
	rc = sn_call(tls, SN_EXPORT_TLS_CONNECTION_CREATE, SN_BODY_TLS_CREATE,
		     body, timeout_ns, sn_network_reply,
		     sizeof(sn_network_reply), &reply);
	if (rc < 0)
		return rc;
	sn_tls_created_ref r = sn_message_body_as_tls_created(reply);
	sn_tls_created_session(r, &session);
	*out = (sealnet_tls_session){session.slot, session.generation,
				     session.tag};
	take_info(r, info);
	return 0;
}

static struct known_session *
free_known(void)
{
	for (unsigned i = 0; i < SEALNET_TLS_SESSIONS_MAX; i++)
		if (!known[i].in_use)
			return &known[i];
	return NULL;
}

int
tls_connection_create_alpn(uint64_t timeout_ns,
			   const struct sealnet_declaration *capability,
			   const char *alpn, sealnet_tls_session *out,
			   sealnet_tls_info *info)
{
	uint64_t deadline = sn_now_ns() + timeout_ns;
	struct sn_peer *netapi, *tcpip, *tls;
	uint8_t wire[ALPN_WIRE_MAX];
	sealnet_socket s, delegated;
	struct known_session *k;
	size_t wire_len;
	int rc;

	/* Every import first, so that a missing one costs no connection. */
	if ((rc = tls_peer(SN_EXPORT_TLS_CONNECTION_CREATE, __func__, &tls)) <
		0 ||
	    (rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_CONNECT_TCP,
				  __func__, &netapi)) < 0 ||
	    (rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_DELEGATE, __func__,
				  &tcpip)) < 0 ||
	    (rc = sn_network_peer(SN_EXPORT_NETWORK_SOCKET_CLOSE, __func__,
				  &tcpip)) < 0)
		return rc;
	if (capability == NULL || out == NULL ||
	    capability->kind != SEALNET_DECLARE_CONNECTION ||
	    capability->protocol != SEALNET_TCP ||
	    alpn_wire(alpn, wire, &wire_len) < 0)
		return -EINVAL;
	k = free_known();
	if (k == NULL)
		return -EDQUOT;
	rc = network_socket_connect_tcp(timeout_ns, capability, &s);
	if (rc < 0)
		return rc;
	rc = delegate(tcpip, tls->name, deadline - sn_now_ns(), s, &delegated);
	if (rc < 0) {
		/* Still ours: TCPIP refused to move it. */
		(void)network_socket_close(SN_SECOND, s);
		return rc;
	}
	/* From here the socket is TLS's to close, or TCPIP's if TLS dies. */
	rc = handshake(tls, deadline > sn_now_ns() ? deadline - sn_now_ns() : 1,
		       capability, delegated, wire, wire_len, &k->handle,
		       &k->info);
	if (rc < 0)
		return rc;
	k->in_use = true;
	k->tls_incarnation = tls->incarnation;
	k->death_told = false;
	*out = k->handle;
	if (info != NULL)
		*info = k->info;
	return 0;
}

int
tls_connection_create(uint64_t timeout_ns,
		      const struct sealnet_declaration *capability,
		      sealnet_tls_session *out)
{
	return tls_connection_create_alpn(timeout_ns, capability, NULL, out,
					  NULL);
}

int
sn_tls_delegate(uint64_t timeout_ns, sealnet_tls_session s, const char *to,
		sn_handle *out)
{
	struct known_session *k = find_known(s);
	sn_handle h = handle_of(s);
	sn_message_ref reply;
	struct sn_peer *p;
	int rc =
	    tls_peer(SN_EXPORT_TLS_CONNECTION_DELEGATE, "tls_delegate", &p);

	if (rc < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_session_delegate_start(b);
	sn_session_delegate_add_session(b, body, &h);
	sn_session_delegate_add_to(b, body, to, strlen(to));
	rc = sn_call(p, SN_EXPORT_TLS_CONNECTION_DELEGATE,
		     SN_BODY_SESSION_DELEGATE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), &reply);
	if (rc == 0) {
		sn_tls_created_session(sn_message_body_as_tls_created(reply),
				       out);
		/* No longer ours to use or close. */
		if (k != NULL)
			k->in_use = false;
	}
	return rc;
}

int
tls_connection_info(sealnet_tls_session s, sealnet_tls_info *out)
{
	struct known_session *k = find_known(s);

	if (out == NULL)
		return -EINVAL;
	if (k == NULL)
		return -ENOENT;
	*out = k->info;
	return 0;
}

/* ---- sessions ---- */

ssize_t
tls_connection_send(uint64_t timeout_ns, sealnet_tls_session s,
		    const void *data, size_t len, unsigned flags)
{
	uint64_t deadline = sn_now_ns() + timeout_ns;
	sn_handle h = handle_of(s);
	struct sn_peer *p;
	sn_message_ref reply;
	size_t done = 0;
	int rc = tls_peer(SN_EXPORT_TLS_CONNECTION_SEND, __func__, &p);

	if (rc < 0)
		return rc;
	if ((data == NULL && len > 0) || (flags & ~SEALNET_TLS_SEND_NO_FLUSH))
		return -EINVAL;
	if ((rc = session_gone(p, s)) < 0)
		return rc;
	while (done < len) {
		size_t n = len - done > CHUNK ? CHUNK : len - done;
		uint64_t now = sn_now_ns();
		uint32_t taken;

		if (now >= deadline)
			return done > 0 ? (ssize_t)done : -ETIMEDOUT;
		sn_builder *b = sn_call_builder(p->owner);
		uint32_t body = sn_tls_send_start(b);
		sn_tls_send_add_session(b, body, &h);
		sn_tls_send_add_data(b, body, (const uint8_t *)data + done, n);
		sn_tls_send_add_no_flush(
		    b, body, (flags & SEALNET_TLS_SEND_NO_FLUSH) != 0);
		rc = sn_call(p, SN_EXPORT_TLS_CONNECTION_SEND, SN_BODY_TLS_SEND,
			     body, deadline - now, sn_network_reply,
			     sizeof(sn_network_reply), &reply);
		/* What was taken is on its way: report it, and let the next
		 * call meet the error. */
		if (rc < 0)
			return done > 0 ? (ssize_t)done : reported(s, rc);
		/* 0: no room when asked, room now. */
		taken = sn_sent_bytes(sn_message_body_as_sent(reply));
		if (taken > n)
			return -EPROTO;
		done += taken;
	}
	return (ssize_t)len;
}

static ssize_t
receive(const char *function, uint64_t timeout_ns, sealnet_tls_session s,
	size_t max, const uint8_t **data)
{
	sn_handle h = handle_of(s);
	struct sn_peer *p;
	sn_message_ref reply;
	uint32_t len;
	int rc = tls_peer(SN_EXPORT_TLS_CONNECTION_RECEIVE, function, &p);

	if (rc < 0)
		return rc;
	if ((rc = session_gone(p, s)) < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_tls_receive_start(b);
	sn_tls_receive_add_session(b, body, &h);
	sn_tls_receive_add_max_bytes(b, body,
				     (uint32_t)(max > CHUNK ? CHUNK : max));
	rc = reported(s, sn_call(p, SN_EXPORT_TLS_CONNECTION_RECEIVE,
				 SN_BODY_TLS_RECEIVE, body, timeout_ns,
				 sn_network_reply, sizeof(sn_network_reply),
				 &reply));
	if (rc < 0)
		return rc;
	*data = sn_received_data(sn_message_body_as_received(reply), &len);
	/* Verified, but the size is TLS's word: hold it to what was asked. */
	return len > max ? -EPROTO : (ssize_t)len;
}

ssize_t
tls_connection_receive_preallocated(uint64_t timeout_ns, sealnet_tls_session s,
				    void *buf, size_t len)
{
	const uint8_t *data;
	ssize_t n;

	if (buf == NULL && len > 0)
		return -EINVAL;
	n = receive(__func__, timeout_ns, s, len, &data);
	if (n > 0)
		memcpy(buf, data, (size_t)n);
	return n;
}

ssize_t
tls_connection_receive(uint64_t timeout_ns, sealnet_tls_session s, void **buf)
{
	const uint8_t *data = NULL;
	ssize_t n;

	if (buf == NULL)
		return -EINVAL;
	n = receive(__func__, timeout_ns, s, CHUNK, &data);
	return sn_sdk_received_copy(n, data, buf);
}

int
tls_connection_close(uint64_t timeout_ns, sealnet_tls_session s)
{
	struct known_session *k = find_known(s);
	sn_handle h = handle_of(s);
	struct sn_peer *p;
	int rc = tls_peer(SN_EXPORT_TLS_CONNECTION_CLOSE, __func__, &p);

	if (rc < 0)
		return rc;
	/* A session the TLS compartment lost with its death has nothing
	 * left to close. */
	if (k != NULL && k->tls_incarnation != p->incarnation) {
		k->in_use = false;
		return 0;
	}
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_session_reference_start(b);
	sn_session_reference_add_session(b, body, &h);
	rc = sn_call(p, SN_EXPORT_TLS_CONNECTION_CLOSE,
		     SN_BODY_SESSION_REFERENCE, body, timeout_ns,
		     sn_network_reply, sizeof(sn_network_reply), NULL);
	/* Closed, or gone with its compartment, or never ours: forgotten
	 * here either way.  -EBUSY and -ETIMEDOUT leave it to try again. */
	if (k != NULL && rc != -EBUSY && rc != -ETIMEDOUT)
		k->in_use = false;
	return rc == -SEALNET_ECOMPARTMENT ? 0 : rc;
}

int
tls_connection_keying_material(uint64_t timeout_ns, sealnet_tls_session s,
			       const char *label, const void *context,
			       size_t context_len, void *out, size_t out_len)
{
	sn_handle h = handle_of(s);
	struct sn_peer *p;
	sn_message_ref reply;
	uint32_t len;
	int rc =
	    tls_peer(SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL, __func__, &p);

	if (rc < 0)
		return rc;
	if (label == NULL || out == NULL || out_len == 0 || out_len > 256 ||
	    strlen(label) > 240 || context_len > UINT16_MAX ||
	    (context == NULL && context_len > 0))
		return -EINVAL;
	if ((rc = session_gone(p, s)) < 0)
		return rc;
	sn_builder *b = sn_call_builder(p->owner);
	uint32_t body = sn_tls_keying_material_start(b);
	sn_tls_keying_material_add_session(b, body, &h);
	sn_tls_keying_material_add_label(b, body, label, strlen(label));
	if (context_len > 0)
		sn_tls_keying_material_add_context(b, body, context,
						   (uint32_t)context_len);
	sn_tls_keying_material_add_length(b, body, (uint16_t)out_len);
	rc = reported(s, sn_call(p, SN_EXPORT_TLS_CONNECTION_KEYING_MATERIAL,
				 SN_BODY_TLS_KEYING_MATERIAL, body, timeout_ns,
				 sn_network_reply, sizeof(sn_network_reply),
				 &reply));
	if (rc < 0)
		return rc;
	const uint8_t *data =
	    sn_bytes_data(sn_message_body_as_bytes(reply), &len);
	if (len != out_len)
		return -EPROTO;
	memcpy(out, data, len);
	return 0;
}
