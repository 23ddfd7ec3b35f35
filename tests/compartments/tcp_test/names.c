/*
 * tcp_test's steps through DNS: forged answers refused, CNAMEs followed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp_test.h"

/* Each name's first answer is forged to send us elsewhere; only the true
 * one reaches the echo server. */
void
forged_dns_answers(void)
{
	const struct {
		const char *what;
		const struct sealnet_declaration *cap;
	} names[] = {
	    {"wrong id", cap_wrongid},
	    {"wrong server", cap_wrongserver},
	    {"wrong port", cap_wrongport},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sealnet_socket s;
		int rc = network_socket_connect_tcp(3000 * SEALNET_MS,
						    names[i].cap, &s);

		if (rc == 0) {
			rc = echo_some(s, 4096);
			network_socket_close(1000 * SEALNET_MS, s);
		}
		sealnet_log("RESULT dns answer with the %s: %s", names[i].what,
			    rc == 0 ? "ignored, the real server answered"
				    : strerror(-rc));
	}
}

void
cname_followed(void)
{
	sealnet_socket s;
	int rc = network_socket_connect_tcp(3000 * SEALNET_MS, cap_alias, &s);

	if (rc == 0) {
		rc = echo_some(s, 4096);
		network_socket_close(1000 * SEALNET_MS, s);
	}
	sealnet_log("RESULT dns cname: %s",
		    rc == 0 ? "followed to the address" : strerror(-rc));
}
