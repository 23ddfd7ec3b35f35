/* NetAPI's cache of DNS answers.  Hosts are compared whole, as the image
 * spells them (lower case, checked when the image was built). */
#include "dns_cache.h"

#include <string.h>

void
dns_cache_init(struct dns_cache *c)
{
	memset(c, 0, sizeof(*c));
}

static struct dns_cache_entry *
find(struct dns_cache *c, const char *host)
{
	for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++)
		if (c->e[i].host[0] != 0 && strcmp(c->e[i].host, host) == 0)
			return &c->e[i];
	return NULL;
}

void
dns_cache_put(struct dns_cache *c, const char *host,
	      const struct flow_address *a, uint32_t ttl_s, uint64_t now_ns)
{
	size_t len = strlen(host);
	struct dns_cache_entry *e = find(c, host);

	if (ttl_s == 0 || len == 0 || len >= sizeof(e->host) ||
	    flow_address_len(a) == 0)
		return;
	if (ttl_s > DNS_CACHE_MAX_TTL_S)
		ttl_s = DNS_CACHE_MAX_TTL_S;
	for (unsigned i = 0; e == NULL && i < DNS_CACHE_ENTRIES; i++)
		if (c->e[i].host[0] == 0)
			e = &c->e[i];
	/* Full: the one used least lately makes room. */
	if (e == NULL) {
		e = &c->e[0];
		for (unsigned i = 1; i < DNS_CACHE_ENTRIES; i++)
			if (c->e[i].used_ns < e->used_ns)
				e = &c->e[i];
	}
	memcpy(e->host, host, len + 1);
	e->address = *a;
	e->expires_ns = now_ns + (uint64_t)ttl_s * 1000000000ull;
	e->used_ns = now_ns;
}

bool
dns_cache_get(struct dns_cache *c, const char *host, uint64_t now_ns,
	      struct flow_address *out)
{
	struct dns_cache_entry *e = host[0] ? find(c, host) : NULL;

	if (e != NULL && now_ns >= e->expires_ns) {
		memset(e, 0, sizeof(*e));
		e = NULL;
	}
	if (e == NULL) {
		c->misses++;
		return false;
	}
	e->used_ns = now_ns;
	*out = e->address;
	c->hits++;
	return true;
}
