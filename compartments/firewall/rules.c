/*
 * The Firewall's table of rules and server ports (filter.h says what they
 * let through).  Pure, like the filter.  Rules are found through a keyed
 * hash of (protocol, local port, remote address, remote port), so a
 * frame costs a short chain, not a scan of every rule, with a thousand
 * connections open; a removed rule is out of its chain and not in use.
 */
#include "rules.h"

#include <errno.h>
#include <string.h>

/* ---- the index ---- */

/* The bucket of a rule's key: a keyed mix, so that peers choosing their
 * addresses and ports cannot pile their connections' rules into one
 * chain (which would cost a scan of the chain, never a wrong answer). */
static unsigned
bucket_of(const struct filter *f, uint8_t protocol, uint16_t local_port,
	  const struct filter_addr *remote, uint16_t remote_port)
{
	uint64_t h = f->hash_seed ^ ((uint64_t)protocol << 32 |
				     (uint64_t)local_port << 16 | remote_port);

	for (unsigned i = 0; i < sizeof(remote->b); i += 8) {
		uint64_t w;

		memcpy(&w, remote->b + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return (unsigned)(h >> 32) % FILTER_RULE_BUCKETS;
}

static void
rule_link(struct filter *f, struct filter_rule *r)
{
	unsigned b = bucket_of(f, r->protocol, r->local_port, &r->remote,
			       r->remote_port);

	r->next = f->bucket[b];
	f->bucket[b] = (uint16_t)(r - f->rules + 1);
}

/* Takes r out of its chain and frees it. */
static void
rule_drop(struct filter *f, struct filter_rule *r)
{
	uint16_t *at = &f->bucket[bucket_of(f, r->protocol, r->local_port,
					    &r->remote, r->remote_port)];
	uint16_t self = (uint16_t)(r - f->rules + 1);

	for (unsigned seen = 0;
	     *at != 0 && *at != self && seen < FILTER_MAX_RULES; seen++)
		at = &f->rules[*at - 1].next;
	if (*at == self)
		*at = r->next;
	memset(r, 0, sizeof(*r));
}

void
filter_seed(struct filter *f, uint64_t seed)
{
	f->hash_seed = seed;
	memset(f->bucket, 0, sizeof(f->bucket));
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++)
		if (f->rules[i].in_use)
			rule_link(f, &f->rules[i]);
}

/* ---- rules ---- */

struct filter_rule *
rule_find(struct filter *f, uint8_t protocol, uint16_t local_port,
	  const struct filter_addr *remote, uint16_t remote_port)
{
	uint16_t i =
	    f->bucket[bucket_of(f, protocol, local_port, remote, remote_port)];

	/* A chain holds at most every rule: it ends. */
	for (unsigned seen = 0; i != 0 && seen < FILTER_MAX_RULES; seen++) {
		struct filter_rule *r = &f->rules[i - 1];

		if (r->in_use && r->protocol == protocol &&
		    r->local_port == local_port &&
		    r->remote_port == remote_port &&
		    memcmp(&r->remote, remote, sizeof(*remote)) == 0)
			return r;
		i = r->next;
	}
	return NULL;
}

struct filter_rule *
rule_insert(struct filter *f, uint8_t protocol, uint16_t local_port,
	    const struct filter_addr *remote, uint16_t remote_port)
{
	struct filter_rule *r =
	    rule_find(f, protocol, local_port, remote, remote_port);

	if (r != NULL)
		return r;
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++)
		if (!f->rules[i].in_use) {
			r = &f->rules[i];
			*r = (struct filter_rule){.in_use = true,
						  .protocol = protocol,
						  .local_port = local_port,
						  .remote_port = remote_port,
						  .remote = *remote};
			rule_link(f, r);
			return r;
		}
	return NULL;
}

/* A scan of the whole table: authorising a UDP peer is rare, and its
 * cost bounded. */
static unsigned
udp_peers(const struct filter *f, uint16_t local_port)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FILTER_MAX_RULES; i++)
		n += f->rules[i].in_use &&
		     f->rules[i].protocol == SN_IPPROTO_UDP &&
		     f->rules[i].local_port == local_port;
	return n;
}

int
filter_rule_add(struct filter *f, uint8_t protocol, uint16_t local_port,
		const struct filter_addr *remote, uint16_t remote_port)
{
	if ((protocol != SN_IPPROTO_TCP && protocol != SN_IPPROTO_UDP) ||
	    local_port == 0 || remote_port == 0)
		return -EINVAL;
	/* Another's: granting it again would let its remover close both. */
	if (rule_find(f, protocol, local_port, remote, remote_port) != NULL)
		return -EEXIST;
	if (protocol == SN_IPPROTO_UDP &&
	    udp_peers(f, local_port) >= FILTER_MAX_UDP_PEERS_PER_PORT)
		return -EDQUOT;
	return rule_insert(f, protocol, local_port, remote, remote_port)
		   ? 0
		   : -ENOSPC;
}

struct filter_server_port *
server_find(struct filter *f, uint8_t protocol, uint16_t port)
{
	for (unsigned i = 0; i < FILTER_MAX_SERVER_PORTS; i++)
		if (f->servers[i].in_use &&
		    f->servers[i].protocol == protocol &&
		    f->servers[i].port == port)
			return &f->servers[i];
	return NULL;
}

int
filter_rule_remove(struct filter *f, uint8_t protocol, uint16_t local_port,
		   const struct filter_addr *remote, uint16_t remote_port)
{
	struct filter_rule *r =
	    rule_find(f, protocol, local_port, remote, remote_port);
	struct filter_server_port *s;

	if (r == NULL)
		return -ENOENT;
	if (r->from_server_port &&
	    (s = server_find(f, protocol, local_port)) != NULL &&
	    s->connections > 0)
		s->connections--;
	rule_drop(f, r);
	return 0;
}

unsigned
filter_port_close(struct filter *f, uint8_t protocol, uint16_t local_port)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FILTER_MAX_RULES; i++) {
		struct filter_rule *r = &f->rules[i];

		if (r->in_use && !r->from_server_port &&
		    r->protocol == protocol && r->local_port == local_port) {
			rule_drop(f, r);
			n++;
		}
	}
	return n;
}

void
filter_rules_clear(struct filter *f)
{
	memset(f->rules, 0, sizeof(f->rules));
	memset(f->bucket, 0, sizeof(f->bucket));
	for (unsigned i = 0; i < FILTER_MAX_SERVER_PORTS; i++)
		f->servers[i].connections = 0;
}

void
filter_reset(struct filter *f)
{
	memset(f->rules, 0, sizeof(f->rules));
	memset(f->bucket, 0, sizeof(f->bucket));
	memset(f->servers, 0, sizeof(f->servers));
}

unsigned
filter_rule_count(const struct filter *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FILTER_MAX_RULES; i++)
		n += f->rules[i].in_use;
	return n;
}

int
filter_server_port_add(struct filter *f, uint8_t protocol, uint16_t port,
		       bool ipv6, uint16_t max_connections)
{
	if (protocol != SN_IPPROTO_TCP || port == 0 || max_connections == 0)
		return -EINVAL;
	if (server_find(f, protocol, port))
		return -EADDRINUSE;
	for (unsigned i = 0; i < FILTER_MAX_SERVER_PORTS; i++)
		if (!f->servers[i].in_use) {
			f->servers[i] = (struct filter_server_port){
			    .in_use = true,
			    .protocol = protocol,
			    .ipv6 = ipv6,
			    .port = port,
			    .max_connections = max_connections};
			return 0;
		}
	return -ENOSPC;
}

int
filter_server_port_remove(struct filter *f, uint8_t protocol, uint16_t port)
{
	struct filter_server_port *s = server_find(f, protocol, port);

	if (s == NULL)
		return -ENOENT;
	/* Its connections' rules go with it. */
	for (unsigned i = 0; i < FILTER_MAX_RULES; i++)
		if (f->rules[i].in_use && f->rules[i].from_server_port &&
		    f->rules[i].protocol == protocol &&
		    f->rules[i].local_port == port)
			rule_drop(f, &f->rules[i]);
	memset(s, 0, sizeof(*s));
	return 0;
}

int
filter_server_port_listening(struct filter *f, uint8_t protocol, uint16_t port,
			     bool listening)
{
	struct filter_server_port *s = server_find(f, protocol, port);

	if (s == NULL)
		return -ENOENT;
	s->listening = listening;
	return 0;
}
