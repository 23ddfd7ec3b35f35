/*
 * What the sntp_calls fuzz target (fuzz/compartment_calls.c) boots the
 * SNTP compartment with, so that its call chains run: one NTS server,
 * as `sealnet image build --nts-server ntp.test` grants it (NTS-KE over
 * TCP to port 4460, authenticated NTP over UDP to port 123).  NTS-KE
 * first, then the NTP requests its keys allow, exercise both
 * key_exchange.c and exchange.c on the replies the script gives.
 *
 * The core waits seconds of real time between tries (a failed key
 * exchange backs off from 2 s to an hour; a server is asked at most
 * every 2 s); inputs come far faster, so each input starts with those
 * waits over, for a server with nothing under way.
 */
#include "call_replies.h"
#include "sealnet/compartment.h"
#include "shell.h"

unsigned
fuzz_boot_connections(struct fuzz_connection *out, unsigned max)
{
	static const struct fuzz_connection servers[] = {
	    {SEALNET_TCP, "ntp.test", NTS_KE_PORT},
	    {SEALNET_UDP, "ntp.test", NTP_PORT},
	};
	unsigned n = sizeof(servers) / sizeof(servers[0]);

	if (n > max)
		return 0;
	for (unsigned i = 0; i < n; i++)
		out[i] = servers[i];
	return n;
}

void
fuzz_input_begins(void)
{
	for (unsigned i = 0; i < sntp.sync.n; i++) {
		struct sync_server *srv = &sntp.sync.servers[i];

		if (srv->keying || srv->in_flight)
			continue;
		srv->ke_next_ns = 0;
		srv->not_before_ns = 0;
	}
}
