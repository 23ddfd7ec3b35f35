/*
 * A compartment that tries what its sandbox forbids: a socket on its
 * first run, opening a file on its second.  Each attempt must kill it,
 * and the supervisor must name the syscall; its restart limit of 2 then
 * ends in a reported crash loop.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sealnet/sealnet.h>

SEALNET_COMPARTMENT("sneaky");
SEALNET_RESTART(on_failure, 2);

int
main(void)
{
	int fd;

	if (sealnet_start() < 0)
		return 1;
	if (sealnet_incarnation() % 2) {
		sealnet_log("trying socket()");
		fd = socket(AF_INET, SOCK_STREAM, 0);
	} else {
		sealnet_log("trying open(\"/etc/passwd\")");
		fd = open("/etc/passwd", O_RDONLY);
	}
	sealnet_log("STILL ALIVE after a forbidden syscall (fd %d)", fd);
	return 0;
}
