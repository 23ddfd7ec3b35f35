/*
 * A compartment that tries what its sandbox forbids: a socket on its
 * first run, opening a file on its second.  Each attempt must kill it,
 * and the supervisor must name the syscall; its restart limit of 2 then
 * ends in a reported crash loop.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "sealnet/compartment.h"

SEALNET_COMPARTMENT("sneaky");
SEALNET_RESTART(on_failure, 2);

static struct sn_compartment compartment;

int
main(void)
{
	int fd;

	if (sn_compartment_boot(&compartment, NULL) < 0)
		return 1;
	if (sn_compartment_incarnation() % 2) {
		sn_log("trying socket()");
		fd = socket(AF_INET, SOCK_STREAM, 0);
	} else {
		sn_log("trying open(\"/etc/passwd\")");
		fd = open("/etc/passwd", O_RDONLY);
	}
	sn_log("STILL ALIVE after a forbidden syscall (fd %d)", fd);
	return 0;
}
