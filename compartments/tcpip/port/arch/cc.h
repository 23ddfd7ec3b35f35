/* lwIP's platform definitions for the TCPIP compartment. */
#ifndef SEALNET_LWIP_ARCH_CC_H
#define SEALNET_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x)                                                  \
	do {                                                                   \
		printf x;                                                      \
	} while (0)
/* An lwIP assertion is a bug: die, and let the supervisor restart us. */
#define LWIP_PLATFORM_ASSERT(x)                                                \
	do {                                                                   \
		fprintf(stderr, "TCPIP: lwIP assertion: %s (%s:%d)\n", x,      \
			__FILE__, __LINE__);                                   \
		abort();                                                       \
	} while (0)

#define LWIP_NO_UNISTD_H     0
#define LWIP_TIMEVAL_PRIVATE 0

#endif
