/*
 * Holds the network device, as the Firewall does, and tries to change it
 * through ioctls on the descriptor it was given: make it outlive the
 * supervisor (TUNSETPERSIST), give it to another user (TUNSETOWNER),
 * change its Ethernet address (SIOCSIFHWADDR) and drop its carrier
 * (TUNSETCARRIER).  Incarnation k starts with the k-th, so that each is
 * tried even if the first ones stop it.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("Firewall");
SEALNET_DEVICE(tap);
SEALNET_RESTART(on_failure, 10);

static struct sn_compartment compartment;

static int
try(unsigned which)
{
	struct ifreq ifr;

	switch (which) {
	case 0:
		return ioctl(SN_DEVICE_FD, TUNSETPERSIST, 1);
	case 1:
		return ioctl(SN_DEVICE_FD, TUNSETOWNER, 4242);
	case 2:
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, "\x02\xde\xad\xbe\xef\x01", 6);
		return ioctl(SN_DEVICE_FD, SIOCSIFHWADDR, &ifr);
	default: {
		int off = 0;

		return ioctl(SN_DEVICE_FD, TUNSETCARRIER, &off);
	}
	}
}

static const char *const names[] = {"TUNSETPERSIST", "TUNSETOWNER",
				    "SIOCSIFHWADDR", "TUNSETCARRIER"};

int
main(void)
{
	uint32_t n;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	n = sn_compartment_incarnation();
	for (unsigned i = n - 1; i < 4; i++) {
		int rc;

		sn_log("ATTACK %s next", names[i]);
		rc = try(i);
		sn_log("ATTACK %s returned %d (%s)", names[i], rc,
		       rc < 0 ? strerror(errno) : "done");
	}
	if (n > 4)
		sn_log("incarnation %u: no more attacks", n);
	return sn_compartment_run(&compartment) < 0;
}
