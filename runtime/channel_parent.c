/*
 * Channels, the parent's side: the sealed shared memory and the eventfds
 * it hands to both ends (channel.h).  Marking one dead, which wakes both
 * ends as channel.c does, and the ends' side are in channel.c.
 */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel_shm.h"

/* Linux 6.3 and later; older headers lack it. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u
#endif

/*
 * Shared memory that can never be executed: a compartment that could
 * exec a channel's memfd would run code that no image hashed.  Where the
 * kernel can seal that (MFD_NOEXEC_SEAL), it is sealed; elsewhere the file
 * has no execute permission, and a compartment has no system call that
 * could give it one.
 */
static int
channel_memfd(void)
{
	static const char name[] = "sealnet-channel";
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
					MFD_NOEXEC_SEAL);

	if (fd >= 0)
		return fd;
	if (errno != EINVAL)
		return -errno;
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int
sn_channel_create(uint32_t ring_bytes, struct sn_channel_fds *out)
{
	int fd, e0 = -1, e1 = -1, rc;

	if (ring_bytes < SN_CHANNEL_MIN_RING ||
	    ring_bytes > SN_CHANNEL_MAX_RING ||
	    (ring_bytes & (ring_bytes - 1)) != 0)
		return -EINVAL;
	fd = channel_memfd();
	if (fd < 0)
		return fd;
	/* Sealed, so neither end can shrink the mapping under the other
	 * (which would turn the other's next access into SIGBUS). */
	if (ftruncate(fd, (off_t)sn_channel_map_bytes(ring_bytes)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
		0)
		goto fail;
	e0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e0 < 0 || e1 < 0)
		goto fail;
	out->shm = fd;
	out->eventfd[0] = e0;
	out->eventfd[1] = e1;
	return 0;
fail:
	rc = -errno;
	close(fd);
	if (e0 >= 0)
		close(e0);
	if (e1 >= 0)
		close(e1);
	return rc;
}

void
sn_channel_fds_close(struct sn_channel_fds *fds)
{
	int *all[] = {&fds->shm, &fds->eventfd[0], &fds->eventfd[1]};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i] >= 0) {
			close(*all[i]);
			*all[i] = -1;
		}
}
