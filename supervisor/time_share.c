/* The shared time record: made, handed out and marked by the supervisor. */
#include "time_share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "report.h"
#include "time_record.h"

/* A read-only open of the same memfd: the kernel refuses any writable
 * mapping made through it, and mprotect cannot add write access. */
static int
open_read_only(int fd)
{
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int
make_record(struct supervisor *sv)
{
	void *m;

	sv->time_fd =
	    memfd_create("sealnet-time", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (sv->time_fd < 0)
		return -errno;
	/* Sealed at its size: a writer that shrank it would make every
	 * reader fault. */
	if (ftruncate(sv->time_fd, SN_TIME_RECORD_SIZE) < 0 ||
	    fcntl(sv->time_fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	sv->time_read_fd = open_read_only(sv->time_fd);
	if (sv->time_read_fd < 0)
		return -errno;
	m = mmap(NULL, SN_TIME_RECORD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 sv->time_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	sv->time_record = m;
	return 0;
}

int
time_share_prepare(struct supervisor *sv)
{
	const struct image_compartment *w = image_sntp_compartment(sv->img);
	int rc;

	sv->time_fd = sv->time_read_fd = -1;
	sv->time_record = NULL;
	sv->time_writer = w != NULL ? (int)(w - sv->img->compartments) : -1;
	if (w == NULL)
		return 0;
	rc = make_record(sv);
	if (rc < 0) {
		say("the shared time record cannot be made: %s", strerror(-rc));
		time_share_release(sv);
	}
	return rc;
}

int
time_share_fd(const struct supervisor *sv, unsigned self, uint8_t *access)
{
	*access = SN_TIME_RECORD_ACCESS_NONE;
	if (sv->time_record == NULL)
		return -1;
	*access = image_time_record_access(sv->img, sv->child[self].ic);
	if (*access == SN_TIME_RECORD_ACCESS_WRITE)
		return sv->time_fd;
	if (*access == SN_TIME_RECORD_ACCESS_READ)
		return sv->time_read_fd;
	return -1;
}

void
time_share_writer_died(struct supervisor *sv, unsigned self)
{
	if (sv->time_record == NULL || (int)self != sv->time_writer)
		return;
	if (sn_time_record_writer_gone(sv->time_record))
		say("%s died while updating the shared time record: it no "
		    "longer says the time is synchronised",
		    sv->child[self].ic->name);
}

void
time_share_release(struct supervisor *sv)
{
	if (sv->time_record != NULL)
		(void)munmap(sv->time_record, SN_TIME_RECORD_SIZE);
	if (sv->time_fd >= 0)
		close_descriptor(sv->time_fd);
	if (sv->time_read_fd >= 0)
		close_descriptor(sv->time_read_fd);
	sv->time_record = NULL;
	sv->time_fd = sv->time_read_fd = -1;
}
