/* Time servers from capabilities: see servers.h. */
#include "servers.h"

#include <errno.h>
#include <string.h>

static bool
is(const struct sn_capability *c, uint8_t protocol)
{
	return c->kind == SN_CAPABILITY_CONNECTION && c->protocol == protocol;
}

void
servers_plan(const struct sn_capability *caps, unsigned ncaps,
	     struct server_plan *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ncaps; i++)
		out->nts_required |= is(&caps[i], SN_PROTOCOL_TCP);
	for (unsigned i = 0; i < ncaps; i++) {
		if (!is(&caps[i],
			out->nts_required ? SN_PROTOCOL_TCP : SN_PROTOCOL_UDP))
			continue;
		if (out->n == SYNC_MAX_SERVERS)
			out->left_out++;
		else
			out->cap[out->n++] = i;
	}
}

int
servers_find_udp(const struct sn_capability *caps, unsigned ncaps,
		 const char *host, uint16_t port)
{
	for (unsigned i = 0; i < ncaps; i++)
		if (is(&caps[i], SN_PROTOCOL_UDP) && caps[i].port == port &&
		    strcmp(caps[i].host, host) == 0)
			return (int)i;
	return -ENOENT;
}
