/*
 * The TLS compartment: TLS 1.3 and 1.2 client sessions for the
 * compartments that call it, over OpenSSL (engine.h), on sockets they
 * delegated to it.
 *
 * It holds no capability and opens no connection: an application
 * connects with its own capability through NetAPI, hands the socket to
 * us through TCPIP (network_socket_delegate), then presents the socket
 * and the capability here.  The runtime has checked that the caller holds
 * the capability, whose host name is what the certificate must name and
 * whose identity, if any, is what we present.  Session keys, private
 * keys and the TLS state live here alone: TCPIP carries ciphertext, the
 * application gets plaintext.
 *
 * Files come with the boot message, checked by the supervisor against
 * the image: the trust anchors, and each identity's chain and key.
 * session.c holds the sessions and moves their ciphertext; this file
 * serves the exports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sealnet/tls.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"
#include "session.h"

SEALNET_COMPARTMENT("TLS");
SEALNET_IMPORT(network_socket_send);
SEALNET_IMPORT(network_socket_receive);
SEALNET_IMPORT(network_socket_close);
/* OpenSSL, the trust anchors, and up to TLS_SESSIONS_MAX sessions. */
SEALNET_QUOTA(memory_bytes, 512 << 20);
SEALNET_RESTART(always, 10);
/* glibc's qsort, which OpenSSL sorts its certificate stacks with, asks
 * how much memory the machine has. */
SEALNET_SYSCALL(sysinfo);

struct sn_compartment compartment;
struct tls_engine engine;

/* ---- the image's files ---- */

/* The whole file, mapped, and checked against the hash the supervisor
 * sent with it: *out and *len (release_file() unmaps), or a negative
 * errno.  Mapped rather than read: the memfd's offset is shared with every
 * incarnation that was sent it. */
static int
read_file(const char *name, size_t max, uint8_t **out, size_t *len)
{
	uint8_t want[32], got[EVP_MAX_MD_SIZE];
	unsigned got_len = 0;
	struct stat st;
	void *map;
	int fd, rc;

	rc = sn_compartment_take_file(name, &fd, want);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -ENOMEM;
	if (EVP_Digest(map, (size_t)st.st_size, got, &got_len, EVP_sha256(),
		       NULL) != 1 ||
	    got_len != sizeof(want) || memcmp(got, want, sizeof(want)) != 0) {
		munmap(map, (size_t)st.st_size);
		return -EBADMSG;
	}
	*out = map;
	*len = (size_t)st.st_size;
	return 0;
}

static void
release_file(uint8_t *buf, size_t len)
{
	munmap(buf, len);
}

/* "identity/NAME/certificate" and "identity/NAME/key": one identity. */
static int
load_identity(const char *certificate_file)
{
	char name[TLS_IDENTITY_NAME_MAX + 1];
	char key_file[SN_BOOT_FILE_NAME_MAX + 1];
	const char *start = certificate_file + strlen("identity/");
	const char *end = strrchr(certificate_file, '/');
	uint8_t *chain = NULL, *key = NULL;
	size_t chain_len = 0, key_len = 0;
	int rc;

	if (end == NULL || end <= start ||
	    (size_t)(end - start) >= sizeof(name))
		return -EINVAL;
	memcpy(name, start, (size_t)(end - start));
	name[end - start] = 0;
	snprintf(key_file, sizeof(key_file), "identity/%s/key", name);
	rc = read_file(certificate_file, TLS_IDENTITY_FILE_MAX_BYTES, &chain,
		       &chain_len);
	if (rc == 0)
		rc = read_file(key_file, TLS_IDENTITY_FILE_MAX_BYTES, &key,
			       &key_len);
	if (rc == 0)
		rc = tls_engine_add_identity(&engine, name, chain, chain_len,
					     key, key_len);
	if (chain != NULL)
		release_file(chain, chain_len);
	if (key != NULL)
		release_file(key, key_len);
	if (rc < 0)
		sn_log("identity %s: %s", name, strerror(-rc));
	return rc;
}

/* The engine, with the image's trust anchors and identities.  Any file
 * missing, changed or malformed stops the compartment: a TLS that trusts
 * less or other than the image says must not run. */
static int
load_engine(void)
{
	const char *names[SN_MAX_BOOT_FILES];
	uint8_t *pem;
	size_t len;
	unsigned n;
	int rc;

	rc =
	    read_file("trust_anchors", TLS_TRUST_ANCHORS_MAX_BYTES, &pem, &len);
	if (rc < 0) {
		sn_log("trust anchors: %s", strerror(-rc));
		return rc;
	}
	rc = tls_engine_init(&engine, pem, len);
	release_file(pem, len);
	if (rc < 0) {
		sn_log("trust anchors: not a PEM bundle (%s)", strerror(-rc));
		return rc;
	}
	n = sn_compartment_file_names(names, SN_MAX_BOOT_FILES);
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (strncmp(names[i], "identity/", 9) == 0 && l > 12 &&
		    strcmp(names[i] + l - 12, "/certificate") == 0 &&
		    (rc = load_identity(names[i])) < 0)
			return rc;
	}
	return 0;
}

/* ---- the exports ---- */

static int
answer_error(struct sn_incoming *in, int code)
{
	return sn_reply_error(in, code);
}

/* The session config from a create: the capability's host, port and
 * identity (the runtime checked the caller holds exactly that), and the
 * ALPN list. */
static int
create_config(sn_tls_create_ref req, struct sn_peer *owner,
	      struct tls_session_config *c, char host[SN_HOST_MAX + 1],
	      char identity[SN_IDENTITY_MAX + 1])
{
	sn_connection_capability_ref cap = sn_tls_create_capability(req);
	uint32_t len, id_len = 0, alpn_len = 0;
	const char *h = sn_connection_capability_host(cap, &len);
	const char *id = sn_connection_capability_identity(cap, &id_len);
	const uint8_t *alpn = sn_tls_create_alpn(req, &alpn_len);

	if (sn_connection_capability_protocol(cap) != SN_PROTOCOL_TCP ||
	    h == NULL || len == 0 || len > SN_HOST_MAX ||
	    memchr(h, 0, len) != NULL || id_len > SN_IDENTITY_MAX ||
	    (id != NULL && memchr(id, 0, id_len) != NULL))
		return -EINVAL;
	memcpy(host, h, len);
	host[len] = 0;
	*c = (struct tls_session_config){
	    .host = host,
	    .port = sn_connection_capability_port(cap),
	    .owner = sn_peer_identity(owner),
	    .alpn = alpn,
	    .alpn_len = alpn != NULL ? alpn_len : 0,
	    .verify_time = tls_verification_time(),
	};
	if (id != NULL && id_len > 0) {
		memcpy(identity, id, id_len);
		identity[id_len] = 0;
		c->identity = identity;
	}
	return 0;
}

/* A create refused: the socket it presented was handed to us, and
 * nobody else can close it now. */
static void
refuse_create(struct sn_incoming *in, sn_tls_create_ref req, int code)
{
	sn_handle socket;

	sn_tls_create_socket(req, &socket);
	session_close_socket(socket);
	answer_error(in, code);
}

static void
serve_create(void *ctx, struct sn_incoming *in)
{
	sn_tls_create_ref req = sn_message_body_as_tls_create(in->request);
	char host[SN_HOST_MAX + 1], identity[SN_IDENTITY_MAX + 1];
	struct tls_session_config config;
	struct session *s;
	int rc;

	rc = create_config(req, in->peer, &config, host, identity);
	if (rc < 0) {
		refuse_create(in, req, rc);
		return;
	}
	s = session_alloc(in->peer, &rc);
	if (s == NULL) {
		refuse_create(in, req, rc);
		return;
	}
	sn_tls_create_socket(req, &s->socket);
	rc = tls_session_init(&engine, &s->engine, &config);
	if (rc < 0) {
		if (config.identity != NULL)
			sn_log("%s: no identity %s loaded, or a bad host or "
			       "ALPN list",
			       in->peer->name, config.identity);
		session_free(s);
		refuse_create(in, req, rc);
		return;
	}
	s->created_ns = sn_now_ns();
	sn_defer_wait(in, &s->create_wait);
	pump_start(&s->pump);
	session_run(s);
}

/* With SEALNET_TLS_SEND_NO_FLUSH the data waits, up to a record, for
 * what follows it; without it, what waited goes first.  Returns how much
 * of the data was taken: 0 when the engine has no room. */
static ssize_t
take_plaintext(struct session *s, const uint8_t *data, size_t len,
	       bool no_flush)
{
	size_t room = sizeof(s->staged) - s->staged_len;

	if (no_flush && (room > 0 || (session_flush_staged(s),
				      room = sizeof(s->staged) - s->staged_len,
				      room > 0))) {
		size_t n = len < room ? len : room;

		memcpy(s->staged + s->staged_len, data, n);
		s->staged_len += n;
		return (ssize_t)n;
	}
	session_flush_staged(s);
	if (s->staged_len > 0)
		return 0;
	ssize_t n = tls_session_write(&s->engine, data, len);
	return n == -EAGAIN ? 0 : n;
}

static void
serve_send(void *ctx, struct sn_incoming *in)
{
	sn_tls_send_ref req = sn_message_body_as_tls_send(in->request);
	uint32_t len;
	const uint8_t *data = sn_tls_send_data(req, &len);
	struct session *s;
	sn_handle h;
	ssize_t taken;

	SEALNET_HOP("tls.send.in", len);
	sn_tls_send_session(req, &h);
	s = session_lookup(in->peer, h);
	if (s == NULL || s->pump.send_waiting || s->pump.close_waiting) {
		answer_error(in, s == NULL		 ? -EPERM
				 : s->pump.close_waiting ? -EPIPE
							 : -EBUSY);
		return;
	}
	if (tls_session_state(&s->engine) != TLS_SESSION_ESTABLISHED) {
		answer_error(in, session_failure(s));
		return;
	}
	taken = take_plaintext(s, data, len, sn_tls_send_no_flush(req));
	if (taken < 0) {
		answer_error(in, (int)taken);
	} else if (taken > 0 || len == 0) {
		sn_builder *b = sn_reply_builder(&compartment);
		uint32_t body = sn_sent_start(b);
		sn_sent_add_bytes(b, body, (uint32_t)taken);
		sn_reply_ok(in, SN_BODY_SENT, body);
	} else {
		/* No room: answered "0 taken" once there is. */
		sn_defer_wait(in, &s->send_wait);
		pump_wait_send(&s->pump);
	}
	session_run(s);
}

static void
serve_receive(void *ctx, struct sn_incoming *in)
{
	sn_tls_receive_ref req = sn_message_body_as_tls_receive(in->request);
	uint32_t max = sn_tls_receive_max_bytes(req);
	struct session *s;
	sn_handle h;

	sn_tls_receive_session(req, &h);
	s = session_lookup(in->peer, h);
	if (s == NULL || s->pump.receive_waiting) {
		answer_error(in, s == NULL ? -EPERM : -EBUSY);
		return;
	}
	/* Whoever waits for an answer has said all it will: what it held
	 * back goes now, or the answer would never come. */
	session_flush_staged(s);
	s->receive_max = max == 0 || max > TLS_CHUNK_MAX ? TLS_CHUNK_MAX : max;
	sn_defer_wait(in, &s->receive_wait);
	pump_wait_receive(&s->pump);
	session_run(s);
}

static void
serve_close(void *ctx, struct sn_incoming *in)
{
	sn_handle h;
	struct session *s;

	sn_session_reference_session(
	    sn_message_body_as_session_reference(in->request), &h);
	s = session_lookup(in->peer, h);
	if (s == NULL || s->pump.close_waiting) {
		answer_error(in, s == NULL ? -EPERM : -EBUSY);
		return;
	}
	/* Calls left waiting by callers that gave up end here. */
	if (s->pump.receive_waiting) {
		(void)sn_deferred_error(&s->receive_wait, -EPIPE);
		pump_receive_answered(&s->pump);
	}
	if (s->pump.send_waiting) {
		(void)sn_deferred_error(&s->send_wait, -EPIPE);
		pump_send_answered(&s->pump);
	}
	sn_defer_wait(in, &s->close_wait);
	pump_wait_close(&s->pump);
	session_run(s);
}

/* The TLS exporter, for NTS; the image and the audit keep it to SNTP. */
static void
serve_keying_material(void *ctx, struct sn_incoming *in)
{
	sn_tls_keying_material_ref req =
	    sn_message_body_as_tls_keying_material(in->request);
	uint8_t out[TLS_EXPORT_MAX];
	char label[TLS_EXPORT_LABEL_MAX + 1];
	uint32_t label_len, context_len = 0;
	const char *l = sn_tls_keying_material_label(req, &label_len);
	const uint8_t *context =
	    sn_tls_keying_material_context(req, &context_len);
	uint16_t length = sn_tls_keying_material_length(req);
	struct session *s;
	sn_handle h;
	int rc;

	sn_tls_keying_material_session(req, &h);
	s = session_lookup(in->peer, h);
	if (s == NULL) {
		answer_error(in, -EPERM);
		return;
	}
	if (label_len > TLS_EXPORT_LABEL_MAX || memchr(l, 0, label_len) ||
	    length == 0 || length > sizeof(out)) {
		answer_error(in, -EINVAL);
		return;
	}
	memcpy(label, l, label_len);
	label[label_len] = 0;
	rc = tls_session_export(&s->engine, label, context,
				context != NULL ? context_len : 0, out, length);
	if (rc < 0) {
		answer_error(in, rc);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_bytes_start(b);
	sn_bytes_add_data(b, body, out, length);
	sn_reply_ok(in, SN_BODY_BYTES, body);
	OPENSSL_cleanse(out, sizeof(out));
}

/* The compartment the request names, if the image lets the caller hand
 * its sessions to it (it imports an export of it that takes delegated
 * sessions or sockets): else NULL. */
static struct sn_peer *
delegation_target(struct sn_incoming *in, sn_session_delegate_ref req)
{
	char name[SN_PEER_NAME_MAX];
	uint32_t len;
	const char *to = sn_session_delegate_to(req, &len);
	struct sn_peer *target;

	if (to == NULL || len == 0 || len >= sizeof(name) ||
	    memchr(to, 0, len) != NULL)
		return NULL;
	memcpy(name, to, len);
	name[len] = 0;
	if (!sn_peer_may_delegate_to(in->peer, name))
		return NULL;
	target = sn_compartment_peer(&compartment, name);
	return target == in->peer ? NULL : target;
}

/* An owner hands an established session to a compartment that works on
 * delegated sessions (MQTT): its own handle stops working and the target
 * gets one; the session stays on the owner's quota and goes when either
 * dies.  Only once, and only with no call of the owner's waiting on it,
 * whose answer would reach the wrong compartment. */
static void
serve_delegate(void *ctx, struct sn_incoming *in)
{
	sn_session_delegate_ref req =
	    sn_message_body_as_session_delegate(in->request);
	struct sn_peer *target;
	struct session *s;
	sn_handle h;

	sn_session_delegate_session(req, &h);
	s = session_lookup(in->peer, h);
	if (s == NULL || s->user != s->owner ||
	    (target = delegation_target(in, req)) == NULL) {
		if (s != NULL)
			sn_log("refused to let %s hand a session to a "
			       "compartment the image does not let it "
			       "delegate to",
			       in->peer->name);
		answer_error(in, -EPERM);
		return;
	}
	if (target->dead) {
		answer_error(in, -SEALNET_ECOMPARTMENT);
		return;
	}
	if (s->pump.receive_waiting || s->pump.send_waiting ||
	    s->pump.close_waiting || s->staged_len > 0) {
		answer_error(in, -EBUSY);
		return;
	}
	if (tls_session_state(&s->engine) != TLS_SESSION_ESTABLISHED) {
		answer_error(in, session_failure(s));
		return;
	}
	if (session_delegate(s, target, &h) < 0) {
		answer_error(in, -EIO);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_tls_created_start(b);
	sn_tls_created_add_session(b, body, &h);
	sn_tls_created_add_version(b, body,
				   (uint16_t)tls_session_version(&s->engine));
	sn_tls_created_add_resumed(b, body, tls_session_resumed(&s->engine));
	sn_reply_ok(in, SN_BODY_TLS_CREATED, body);
}

/* The host and port the session was made for, from the capability its
 * creator presented, and which its certificate was verified against:
 * for its user alone (after a delegation, the delegate), which then
 * knows whom it talks to without trusting whoever handed it over.
 * Before the handshake ends nothing is verified yet. */
static void
serve_peer(void *ctx, struct sn_incoming *in)
{
	sn_session_reference_ref req =
	    sn_message_body_as_session_reference(in->request);
	enum tls_session_state state;
	struct session *s;
	sn_handle h;

	sn_session_reference_session(req, &h);
	s = session_lookup(in->peer, h);
	if (s == NULL) {
		(void)answer_error(in, -EPERM);
		return;
	}
	state = tls_session_state(&s->engine);
	if (state != TLS_SESSION_ESTABLISHED) {
		(void)answer_error(in, state == TLS_SESSION_HANDSHAKING
					   ? -ENOTCONN
					   : session_failure(s));
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_tls_peer_start(b);
	sn_tls_peer_add_host(b, body, s->engine.host, strlen(s->engine.host));
	sn_tls_peer_add_port(b, body, s->engine.port);
	(void)sn_reply_ok(in, SN_BODY_TLS_PEER, body);
}

SEALNET_EXPORT(tls_connection_create, serve_create);
SEALNET_EXPORT(tls_connection_delegate, serve_delegate);
SEALNET_EXPORT(tls_connection_send, serve_send);
SEALNET_EXPORT(tls_connection_receive, serve_receive);
SEALNET_EXPORT(tls_connection_close, serve_close);
SEALNET_EXPORT(tls_connection_keying_material, serve_keying_material);
SEALNET_EXPORT(tls_connection_peer, serve_peer);

static void
owner_died(void *ctx, struct sn_peer *p)
{
	sessions_owner_died(p);
}

int
main(void)
{
	/* Certificate dates go through glibc's gmtime_r, whose first call
	 * reads /etc/localtime unless TZ says otherwise; the sandbox has no
	 * files, and an open kills.  ":" is glibc's UTC without a file. */
	if (setenv("TZ", ":", 1) < 0)
		return 1;
	/* OpenSSL's first use would read openssl.cnf, which the sandbox
	 * has not got (and which must not decide our settings): the files'
	 * hashes below are OpenSSL's first use, so the library is loaded
	 * without its configuration before them. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		return 1;
	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	if (load_engine() < 0)
		return 1;
	sessions_init();
	if (sn_compartment_on_peer_died(&compartment, owner_died, NULL) < 0)
		return 1;
	return sn_compartment_run(&compartment) < 0;
}
