/*
 * The TLS compartment's sessions, and the shell around each one's pump
 * (pump.h): it fills the pump's view of the engine, performs each action
 * the pump asks for, and feeds the outcome back.  Ciphertext moves
 * through TCPIP's socket calls on the socket the owner delegated, never
 * through a socket of our own: the compartment holds no capability.
 */
#include "session.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sealnet/tls.h>

#include "../../bench/hop_trace.h"
#include "boot.h"
#include "log.h"

static struct session sessions[TLS_SESSIONS_MAX];
static struct sn_handle_entry handle_slots[TLS_SESSIONS_MAX];
static struct sn_handle_table handles;
/* Plaintext read for a receive is gathered here, one at a time. */
static uint8_t plaintext[TLS_CHUNK_MAX];
static struct {
	uint64_t quota_refusals, handles_refused, pump_runaways;
	uint64_t protocol_violations;
} stats;

/* The owner each compartment had when it last made a session: its
 * tickets are dropped when it dies, so no successor resumes them. */
static struct {
	struct sn_peer *peer;
	uint32_t identity;
} owners[SN_MAX_PEERS];

void
sessions_init(void)
{
	sn_handle_table_init(&handles, handle_slots, TLS_SESSIONS_MAX);
}

static void
remember_owner(struct sn_peer *p, uint32_t identity)
{
	for (unsigned i = 0; i < SN_MAX_PEERS; i++)
		if (owners[i].peer == p || owners[i].peer == NULL) {
			owners[i].peer = p;
			owners[i].identity = identity;
			return;
		}
}

struct session *
session_alloc(struct sn_peer *owner, int *rc)
{
	struct session *s = NULL;

	for (unsigned i = 0; i < TLS_SESSIONS_MAX && s == NULL; i++)
		if (!sessions[i].in_use)
			s = &sessions[i];
	*rc = s == NULL ? -ENOSPC
			: sn_quota_take(owner, SN_QUOTA_TLS_SESSIONS, 1);
	if (*rc == -EDQUOT && sn_log_worth(++stats.quota_refusals))
		sn_log("%s is at its quota of %llu TLS sessions (%llu refused "
		       "so far)",
		       owner->name,
		       (unsigned long long)owner->quota[SN_QUOTA_TLS_SESSIONS],
		       (unsigned long long)stats.quota_refusals);
	if (*rc < 0)
		return NULL;
	uint32_t use = s->use + 1;
	memset(s, 0, offsetof(struct session, tx));
	s->use = use;
	s->tx_len = s->staged_len = 0;
	s->owner = s->user = owner;
	s->owner_identity = s->user_identity = sn_peer_identity(owner);
	*rc = sn_handle_alloc(&handles, s->user_identity, s, &s->id);
	if (*rc < 0) {
		sn_quota_give(owner, SN_QUOTA_TLS_SESSIONS, 1);
		return NULL;
	}
	s->in_use = true;
	remember_owner(owner, s->owner_identity);
	return s;
}

struct session *
session_lookup(struct sn_peer *p, sn_handle h)
{
	struct sn_handle_id id = {h.slot, h.generation, h.tag};
	void *object;

	if (sn_handle_lookup(&handles, sn_peer_identity(p), &id, &object) < 0) {
		if (sn_log_worth(++stats.handles_refused))
			sn_log("refused a session handle from %s (%llu so far)",
			       p->name,
			       (unsigned long long)stats.handles_refused);
		return NULL;
	}
	return object;
}

/* Calls parked on a session that goes without its pump ending them: a
 * delegate's receive when the owner dies, above all.  Unanswered, each
 * would stay among its caller's waits here until that caller died. */
static void
answer_parked(struct session *s)
{
	(void)sn_deferred_error(&s->create_wait, -EPIPE);
	(void)sn_deferred_error(&s->receive_wait, -EPIPE);
	(void)sn_deferred_error(&s->send_wait, -EPIPE);
	(void)sn_deferred_error(&s->close_wait, -EPIPE);
}

void
session_free(struct session *s)
{
	if (!s->in_use)
		return;
	answer_parked(s);
	tls_session_free(&s->engine);
	if (sn_handle_release(&handles, s->user_identity, &s->id, NULL) < 0)
		sn_log("a session's handle was not its user's");
	sn_quota_give(s->owner, SN_QUOTA_TLS_SESSIONS, 1);
	/* Plaintext does not outlive the session in our memory; the
	 * engine's keys went with tls_session_free. */
	OPENSSL_cleanse(s->staged, s->staged_len);
	s->tx_len = s->staged_len = 0;
	s->in_use = false;
	s->use++;
}

/* ---- calls to TCPIP ---- */

_Static_assert(TLS_SESSIONS_MAX <= 256, "a ticket keeps the slot in 8 bits");

/* What an answer from TCPIP carries back to find its session: the slot,
 * and the use of it the call was made for. */
static void *
ticket(const struct session *s)
{
	return (void *)(uintptr_t)((uint64_t)s->use << 8 |
				   (uint64_t)(s - sessions));
}

static struct session *
from_ticket(void *ctx)
{
	uintptr_t t = (uintptr_t)ctx;
	struct session *s = &sessions[t & 0xff];

	return s->in_use && s->use == (uint32_t)(t >> 8) ? s : NULL;
}

static struct sn_peer *
tcpip(void)
{
	return sn_export_peer(&compartment, SN_EXPORT_NETWORK_SOCKET_SEND);
}

/* Until the deadline of the call waiting on it, or TLS_IO_TIMEOUT_NS. */
static uint64_t
timeout_for(const struct sn_deferred *waiting)
{
	uint64_t now = sn_now_ns();

	if (waiting == NULL || waiting->deadline_ns == 0)
		return TLS_IO_TIMEOUT_NS;
	return waiting->deadline_ns > now ? waiting->deadline_ns - now : 1;
}

static void
on_sent(void *ctx, int status, const sn_message_ref *reply)
{
	struct session *s = from_ticket(ctx);
	uint32_t taken;

	if (s == NULL)
		return;
	pump_sent(&s->pump);
	if (status == 0) {
		taken = sn_sent_bytes(sn_message_body_as_sent(*reply));
		SEALNET_HOP("tls.tcp.sent", taken);
		if (taken <= s->tx_len) {
			memmove(s->tx, s->tx + taken, s->tx_len - taken);
			s->tx_len -= taken;
		} else {
			if (sn_log_worth(++stats.protocol_violations))
				sn_log("TCPIP took more than was sent");
			status = -EPROTO;
		}
	}
	if (status < 0) {
		if (s->transport_error == 0)
			s->transport_error = status;
		pump_transport_failed(&s->pump);
		tls_session_feed_eof(&s->engine);
	}
	session_run(s);
}

/* A call to TCPIP that could not even be made ends the session with the
 * reason, not as if the server had closed it.  TCPIP not joined is
 * -EPERM; this compartment's own calls to TCPIP all unanswered
 * (SN_MAX_PENDING, -EBUSY from the runtime) is -ENOBUFS, so that it is
 * not mistaken for the caller's own second call on the session. */
static bool
transport_call_failed(struct session *s, int rc)
{
	if (rc >= 0)
		return false;
	if (s->transport_error == 0)
		s->transport_error = rc == -EBUSY ? -ENOBUFS : rc;
	return true;
}

static int
send_ciphertext(struct session *s)
{
	struct sn_peer *p = tcpip();
	sn_builder *b;
	uint32_t body;

	s->tx_len += tls_session_take(&s->engine, s->tx + s->tx_len,
				      sizeof(s->tx) - s->tx_len);
	if (p == NULL)
		return -EPERM;
	b = sn_call_builder(&compartment);
	body = sn_send_start(b);
	sn_send_add_socket(b, body, &s->socket);
	sn_send_add_data(b, body, s->tx, s->tx_len);
	SEALNET_HOP("tls.tcp.send", s->tx_len);
	return sn_call_async(p, SN_EXPORT_NETWORK_SOCKET_SEND, SN_BODY_SEND,
			     body, TLS_IO_TIMEOUT_NS, on_sent, ticket(s));
}

/* The waiting receive's caller gave up, or the create's: the one that
 * waits is answered, and the stream is left as it is. */
static void
receive_timed_out(struct session *s)
{
	if (s->pump.create_waiting) {
		s->transport_error = -ETIMEDOUT;
		pump_transport_failed(&s->pump);
	} else if (s->pump.receive_waiting) {
		(void)sn_deferred_error(&s->receive_wait, -ETIMEDOUT);
		pump_receive_answered(&s->pump);
	}
}

static void
on_received(void *ctx, int status, const sn_message_ref *reply)
{
	struct session *s = from_ticket(ctx);
	const uint8_t *data;
	uint32_t len = 0;

	if (s == NULL)
		return;
	if (status == -ETIMEDOUT) {
		pump_received(&s->pump, false);
		receive_timed_out(s);
	} else if (status < 0) {
		/* -ENOTCONN: the peer ended the stream; anything else broke
		 * it.  The engine tells a clean end (close_notify first) from
		 * a cut one. */
		if (status != -ENOTCONN && s->transport_error == 0)
			s->transport_error = status;
		pump_received(&s->pump, true);
		tls_session_feed_eof(&s->engine);
	} else {
		ssize_t took;

		data =
		    sn_received_data(sn_message_body_as_received(*reply), &len);
		pump_received(&s->pump, false);
		SEALNET_HOP("tls.tcp.received", len);
		/* No more than the engine's room was asked for: it takes all
		 * of it, or fails the session.  A session we closed refuses
		 * what still comes; that is dropped. */
		took = len > 0 ? tls_session_feed(&s->engine, data, len) : 0;
		if (took >= 0 && (size_t)took < len &&
		    tls_session_state(&s->engine) != TLS_SESSION_CLOSED) {
			if (sn_log_worth(++stats.protocol_violations))
				sn_log("TCPIP gave more than was asked for");
			s->transport_error = -EPROTO;
			pump_transport_failed(&s->pump);
		}
	}
	session_run(s);
}

static int
receive_ciphertext(struct session *s)
{
	struct sn_peer *p = tcpip();
	size_t room = tls_session_feed_room(&s->engine);
	const struct sn_deferred *waiting =
	    s->pump.create_waiting ? &s->create_wait : &s->receive_wait;
	sn_builder *b;
	uint32_t body;

	if (p == NULL)
		return -EPERM;
	b = sn_call_builder(&compartment);
	body = sn_receive_start(b);
	sn_receive_add_socket(b, body, &s->socket);
	sn_receive_add_max_bytes(
	    b, body, (uint32_t)(room < TLS_CHUNK_MAX ? room : TLS_CHUNK_MAX));
	return sn_call_async(p, SN_EXPORT_NETWORK_SOCKET_RECEIVE,
			     SN_BODY_RECEIVE, body, timeout_for(waiting),
			     on_received, ticket(s));
}

static void
on_closed(void *ctx, int status, const sn_message_ref *reply)
{
}

/* Closing is best effort: a socket TCPIP cannot be told of closes with
 * its holder, and meanwhile counts against the holder's quota. */
void
session_close_socket(sn_handle socket)
{
	struct sn_peer *p = tcpip();
	sn_builder *b;
	uint32_t body;

	if (p == NULL || p->dead)
		return;
	b = sn_call_builder(&compartment);
	body = sn_socket_reference_start(b);
	sn_socket_reference_add_socket(b, body, &socket);
	if (sn_call_async(p, SN_EXPORT_NETWORK_SOCKET_CLOSE,
			  SN_BODY_SOCKET_REFERENCE, body, TLS_IO_TIMEOUT_NS,
			  on_closed, NULL) < 0)
		sn_log("could not ask TCPIP to close a delegated socket; it "
		       "closes with its holder");
}

static void
close_socket(struct session *s)
{
	session_close_socket(s->socket);
}

int
session_delegate(struct session *s, struct sn_peer *to, sn_handle *out)
{
	if (sn_handle_release(&handles, s->user_identity, &s->id, NULL) < 0)
		sn_log("a session's handle was not its user's");
	s->user = to;
	s->user_identity = sn_peer_identity(to);
	if (sn_handle_alloc(&handles, s->user_identity, s, &s->id) < 0) {
		/* Nobody holds a handle to it now: it goes. */
		s->user_identity = 0;
		s->id = (struct sn_handle_id){0, 0, 0};
		close_socket(s);
		tls_session_free(&s->engine);
		sn_quota_give(s->owner, SN_QUOTA_TLS_SESSIONS, 1);
		s->in_use = false;
		s->use++;
		return -EIO;
	}
	*out = (sn_handle){s->id.slot, s->id.generation, s->id.tag};
	return 0;
}

/* ---- answers ---- */

int
session_failure(const struct session *s)
{
	switch (s->transport_error) {
	case -EPERM:
	case -ETIMEDOUT:
	case -EPROTO:
	case -ENOBUFS:
		return s->transport_error;
	default:
		break;
	}
	switch (tls_session_state(&s->engine)) {
	case TLS_SESSION_FAILED:
		return tls_session_error(&s->engine);
	case TLS_SESSION_PEER_CLOSED:
		return SEALNET_TLS_EPEER_CLOSED;
	case TLS_SESSION_CLOSED:
		return -EPIPE;
	default:
		return SEALNET_TLS_EPEER_RESET;
	}
}

static void
answer_create_failed(struct session *s)
{
	int code = session_failure(s);
	const char *name = sealnet_tls_error_name(code);

	/* The reason and the host, for whoever reads the log: the caller
	 * gets the code. */
	sn_log("%s: TLS to %s:%u failed: %s", s->owner->name, s->engine.host,
	       s->engine.port, name != NULL ? name : strerror(-code));
	(void)sn_deferred_error(&s->create_wait, code);
}

static void
answer_created(struct session *s)
{
	sn_builder *b = sn_reply_builder(&compartment);
	sn_handle h = {s->id.slot, s->id.generation, s->id.tag};
	const uint8_t *alpn;
	size_t alpn_len = tls_session_alpn(&s->engine, &alpn);
	uint32_t body = sn_tls_created_start(b);

	sn_tls_created_add_session(b, body, &h);
	sn_tls_created_add_version(b, body,
				   (uint16_t)tls_session_version(&s->engine));
	sn_tls_created_add_resumed(b, body, tls_session_resumed(&s->engine));
	uint64_t took = (sn_now_ns() - s->created_ns) / 1000;
	sn_tls_created_add_handshake_us(
	    b, body, took > UINT32_MAX ? UINT32_MAX : (uint32_t)took);
	if (alpn_len > 0)
		sn_tls_created_add_alpn(b, body, alpn, (uint32_t)alpn_len);
	/* A caller that is gone is told nothing; its runtime closes a
	 * session answered too late, and its death frees the rest. */
	(void)sn_deferred_ok(&s->create_wait, SN_BODY_TLS_CREATED, body);
}

/* Plaintext for the waiting receive, as much as the engine has up to
 * what was asked: answered, or left waiting for more ciphertext. */
static void
read_for_receive(struct session *s)
{
	size_t got = 0, max = s->receive_max;
	ssize_t n = 0;

	while (got < max && (n = tls_session_read(&s->engine, plaintext + got,
						  max - got)) > 0)
		got += (size_t)n;
	if (got == 0 && n == -EAGAIN && !s->pump.transport_ended &&
	    !s->pump.socket_closed) {
		pump_read_starved(&s->pump);
		return;
	}
	pump_receive_answered(&s->pump);
	if (got == 0) {
		(void)sn_deferred_error(&s->receive_wait,
					n == -EAGAIN ? session_failure(s)
						     : (int)n);
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_received_start(b);
	sn_received_add_data(b, body, plaintext, (uint32_t)got);
	SEALNET_HOP("tls.receive.answer", got);
	(void)sn_deferred_ok(&s->receive_wait, SN_BODY_RECEIVED, body);
	OPENSSL_cleanse(plaintext, got);
}

static void
answer_room(struct session *s)
{
	if (tls_session_state(&s->engine) != TLS_SESSION_ESTABLISHED) {
		(void)sn_deferred_error(&s->send_wait, session_failure(s));
		return;
	}
	sn_builder *b = sn_reply_builder(&compartment);
	uint32_t body = sn_sent_start(b);
	sn_sent_add_bytes(b, body, 0);
	(void)sn_deferred_ok(&s->send_wait, SN_BODY_SENT, body);
}

void
session_flush_staged(struct session *s)
{
	ssize_t n;

	if (s->staged_len == 0)
		return;
	n = tls_session_write(&s->engine, s->staged, s->staged_len);
	if (n <= 0)
		return;
	memmove(s->staged, s->staged + n, s->staged_len - (size_t)n);
	s->staged_len -= (size_t)n;
}

/* ---- the pump ---- */

static struct pump_engine
view_of(const struct session *s)
{
	size_t pending = tls_session_pending(&s->engine);

	return (struct pump_engine){
	    .state = tls_session_state(&s->engine),
	    .to_send = s->tx_len + pending,
	    .feed_room = tls_session_feed_room(&s->engine),
	    .write_room =
		pending < TLS_CIPHERTEXT_BUFFERED_MAX && s->staged_len == 0,
	};
}

static void
perform(struct session *s, enum pump_do action)
{
	switch (action) {
	case PUMP_FAIL_CREATE:
		answer_create_failed(s);
		break;
	case PUMP_CLOSE_SOCKET:
		close_socket(s);
		break;
	case PUMP_CLOSE_NOTIFY:
		session_flush_staged(s);
		(void)tls_session_close(&s->engine);
		break;
	case PUMP_SEND:
		if (transport_call_failed(s, send_ciphertext(s))) {
			pump_sent(&s->pump);
			pump_transport_failed(&s->pump);
		}
		break;
	case PUMP_ANSWER_CREATE:
		answer_created(s);
		break;
	case PUMP_ANSWER_CLOSE:
		(void)sn_deferred_ok(
		    &s->close_wait, SN_BODY_EMPTY,
		    sn_empty_start(sn_reply_builder(&compartment)));
		break;
	case PUMP_READ:
		read_for_receive(s);
		break;
	case PUMP_ANSWER_ROOM:
		answer_room(s);
		break;
	case PUMP_RECEIVE:
		if (transport_call_failed(s, receive_ciphertext(s)))
			pump_received(&s->pump, true);
		break;
	case PUMP_NOTHING:
		break;
	}
}

void
session_run(struct session *s)
{
	for (int step = 0; step < TLS_PUMP_STEPS_MAX; step++) {
		struct pump_engine view = view_of(s);
		enum pump_do action = pump_next(&s->pump, &view);

		if (action == PUMP_NOTHING) {
			if (pump_done(&s->pump))
				session_free(s);
			return;
		}
		perform(s, action);
	}
	if (sn_log_worth(++stats.pump_runaways))
		sn_log("a session of %s took %d steps without waiting",
		       s->owner->name, TLS_PUMP_STEPS_MAX);
}

void
sessions_owner_died(struct sn_peer *p)
{
	for (unsigned i = 0; i < TLS_SESSIONS_MAX; i++) {
		struct session *s = &sessions[i];

		if (!s->in_use || (s->owner != p && s->user != p))
			continue;
		if (!s->pump.socket_closed)
			close_socket(s);
		session_free(s);
	}
	for (unsigned i = 0; i < SN_MAX_PEERS; i++)
		if (owners[i].peer == p) {
			tls_engine_forget_owner(&engine, owners[i].identity);
			owners[i].peer = NULL;
		}
}
