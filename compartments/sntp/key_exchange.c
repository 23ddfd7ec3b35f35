/*
 * NTS key establishment (RFC 8915 section 4) needs TLS 1.3 with the
 * keying-material exporter, which the TLS compartment is to offer.  This
 * build has none: an image that gives an NTS server gets no time, and the
 * log says why, rather than falling back to unauthenticated time.
 */
#include "log.h"
#include "shell.h"

bool
key_exchange_busy(unsigned server)
{
	(void)server;
	return false;
}

void
key_exchange_start(unsigned server)
{
	sn_log("NTS server %s: key establishment needs the TLS compartment, "
	       "which this build lacks; no time from it",
	       sntp.sync.servers[server].host);
	sync_key_exchange_failed(&sntp.sync, server, sn_now_ns());
}
