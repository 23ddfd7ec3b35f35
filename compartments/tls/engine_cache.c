/*
 * The resumption cache: tickets from verified servers, kept under (owner,
 * host, port, identity) in a table of TLS_SESSION_CACHE_ENTRIES, the one
 * stored longest ago giving way; and the ticket offered to a new session
 * with the same four.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "engine_internal.h"

static bool
cache_key_equal(const struct tls_cache_entry *e, uint32_t owner,
		const char *host, uint16_t port, int identity)
{
	return e->session != NULL && e->owner == owner && e->port == port &&
	       e->identity == identity && strcmp(e->host, host) == 0;
}

static struct tls_cache_entry *
cache_find(struct tls_engine *engine, uint32_t owner, const char *host,
	   uint16_t port, int identity)
{
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		if (cache_key_equal(&engine->cache[i], owner, host, port,
				    identity))
			return &engine->cache[i];
	return NULL;
}

void
engine_cache_clear(struct tls_cache_entry *e)
{
	SSL_SESSION_free(e->session);
	memset(e, 0, sizeof(*e));
}

/* The slot for a new ticket: the key's own, a free one, or the one stored
 * longest ago. */
static struct tls_cache_entry *
cache_slot(struct tls_engine *engine, uint32_t owner, const char *host,
	   uint16_t port, int identity)
{
	struct tls_cache_entry *oldest = &engine->cache[0];
	struct tls_cache_entry *e =
	    cache_find(engine, owner, host, port, identity);

	if (e != NULL)
		return e;
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++) {
		e = &engine->cache[i];
		if (e->session == NULL)
			return e;
		if (e->last_stored < oldest->last_stored)
			oldest = e;
	}
	engine->cache_stats.evicted++;
	return oldest;
}

/* OpenSSL's new-session callback: a ticket (TLS 1.3, or 1.2 with tickets)
 * or a session id (1.2) from a verified server.  The cache keeps a copy:
 * OpenSSL marks the connection's own object unresumable when the
 * connection is freed without close_notify, which most are. */
int
engine_on_new_session(SSL *ssl, SSL_SESSION *ticket)
{
	struct tls_session *s = SSL_get_app_data(ssl);
	struct tls_cache_entry *e;
	SSL_SESSION *copy;

	if (s == NULL || s->state == TLS_SESSION_FAILED ||
	    SSL_SESSION_is_resumable(ticket) != 1)
		return 0;
	copy = SSL_SESSION_dup(ticket);
	if (copy == NULL) {
		ERR_clear_error();
		return 0;
	}
	e = cache_slot(s->engine, s->owner, s->host, s->port, s->identity);
	if (e->session != NULL)
		engine_cache_clear(e);
	e->session = copy;
	e->owner = s->owner;
	e->port = s->port;
	e->identity = s->identity;
	memcpy(e->host, s->host, sizeof(e->host));
	e->last_stored = ++s->engine->cache_clock;
	s->engine->cache_stats.stored++;
	/* 0: OpenSSL keeps, and frees, its own reference. */
	return 0;
}

void
tls_engine_forget_owner(struct tls_engine *engine, uint32_t owner)
{
	for (unsigned i = 0; i < TLS_SESSION_CACHE_ENTRIES; i++)
		if (engine->cache[i].session != NULL &&
		    engine->cache[i].owner == owner)
			engine_cache_clear(&engine->cache[i]);
}
/* A TLS 1.3 ticket is offered once: reusing one would let an observer link
 * the connections (RFC 8446 appendix C.4), and the connection that uses it
 * receives fresh ones.  A TLS 1.2 server renews its ticket only when it
 * chooses to, so a 1.2 session stays until the server replaces it. */
int
engine_offer_ticket(struct tls_session *s)
{
	struct tls_cache_entry *e =
	    cache_find(s->engine, s->owner, s->host, s->port, s->identity);
	SSL_SESSION *offered;
	bool single_use;
	int rc = 0;

	if (e == NULL)
		return 0;
	single_use =
	    SSL_SESSION_get_protocol_version(e->session) == TLS1_3_VERSION;
	if (SSL_SESSION_is_resumable(e->session) != 1) {
		engine_cache_clear(e);
		return 0;
	}
	/* The connection gets a copy: freeing it without close_notify
	 * marks its session unresumable, and that must not reach ours. */
	offered = single_use ? e->session : SSL_SESSION_dup(e->session);
	if (offered == NULL || SSL_set_session(s->ssl, offered) != 1)
		rc = -ENOMEM;
	else
		s->engine->cache_stats.offered++;
	if (single_use)
		engine_cache_clear(e);
	else
		SSL_SESSION_free(offered);
	ERR_clear_error();
	return rc;
}
