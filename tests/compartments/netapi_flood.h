/*
 * NetAPI's limit on one caller's calls in progress, tried by the network
 * test's application compartment (tcp_test.c).
 */
#ifndef SEALNET_TESTS_NETAPI_FLOOD_H
#define SEALNET_TESTS_NETAPI_FLOOD_H

#include <sealnet/compartment.h>

/*
 * Nine connects to `silent` (a name the test's DNS server never answers)
 * in flight at once: the 9th must be refused with -EAGAIN at once, and
 * once the eight have ended, a connect to `working` must succeed.  Logs
 * one "RESULT netapi caller limit" line.
 */
void netapi_caller_limit(const struct sealnet_declaration *silent,
			 const struct sealnet_declaration *working);

#endif
