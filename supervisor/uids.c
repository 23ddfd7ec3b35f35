/* Taking a block of uids: a lock file per block, and a look at who runs. */
#include "uids.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
in_block(uid_t first, unsigned long id)
{
	return id >= first && id - first < UID_BLOCK_SIZE;
}

/* Does any process have a real, effective, saved or file-system uid or
 * gid in the block? */
static bool
block_has_processes(uid_t first)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	bool used = false;

	if (proc == NULL)
		return true; /* cannot tell: do not take it */
	while (!used && (e = readdir(proc)) != NULL) {
		char path[300], line[256];
		FILE *f;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		/* A name in /proc fits: d_name is at most 255 bytes. */
		(void)snprintf(path, sizeof(path), "/proc/%s/status",
			       e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue; /* it ended meanwhile */
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long id[4];

			if ((strncmp(line, "Uid:", 4) != 0 &&
			     strncmp(line, "Gid:", 4) != 0) ||
			    sscanf(line + 4, "%lu %lu %lu %lu", &id[0], &id[1],
				   &id[2], &id[3]) != 4)
				continue;
			for (unsigned i = 0; i < 4; i++)
				used = used || in_block(first, id[i]);
		}
		/* Read only: a failed close loses nothing. */
		(void)fclose(f);
	}
	(void)closedir(proc);
	return used;
}

static bool
block_is_named(uid_t first)
{
	for (uid_t id = first; id < first + UID_BLOCK_SIZE; id++)
		if (getpwuid(id) != NULL || getgrgid(id) != NULL)
			return true;
	return false;
}

/* The lock folder is root's alone, or a user could hold our locks.  The
 * reasons are cut to whylen, which is all the caller has room for. */
static int
lock_dir(char *why, size_t whylen)
{
	struct stat st;

	if (mkdir(UID_LOCK_DIR, 0700) < 0 && errno != EEXIST) {
		int rc = -errno;

		(void)snprintf(why, whylen, "%s: %s", UID_LOCK_DIR,
			       strerror(-rc));
		return rc;
	}
	if (lstat(UID_LOCK_DIR, &st) < 0) {
		int rc = -errno;

		(void)snprintf(why, whylen, "%s: %s", UID_LOCK_DIR,
			       strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		(void)snprintf(why, whylen,
			       "%s is not a folder that only root may write",
			       UID_LOCK_DIR);
		return -EPERM;
	}
	return 0;
}

int
uid_block_take(struct uid_block *b, char *why, size_t whylen)
{
	int rc = lock_dir(why, whylen);

	b->lock_fd = -1;
	if (rc < 0)
		return rc;
	for (unsigned k = 0; k < UID_BLOCKS; k++) {
		uid_t first = UID_FIRST + k * UID_BLOCK_SIZE;
		char path[128];
		int fd;

		/* Fits: the folder and a uid of at most 10 digits. */
		(void)snprintf(path, sizeof(path), "%s/uids-%u.lock",
			       UID_LOCK_DIR, (unsigned)first);
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			rc = -errno;
			(void)snprintf(why, whylen, "%s: %s", path,
				       strerror(-rc));
			return rc;
		}
		/* Held by another supervisor, or still in use by processes
		 * that outlived theirs: try the next block. */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 ||
		    block_has_processes(first) || block_is_named(first)) {
			/* Closing drops our lock, if we had it, whatever
			 * close() says. */
			(void)close(fd);
			continue;
		}
		b->first = first;
		b->lock_fd = fd;
		return 0;
	}
	(void)snprintf(why, whylen, "all %u blocks of uids from %u are in use",
		       UID_BLOCKS, UID_FIRST);
	return -EBUSY;
}

void
uid_block_release(struct uid_block *b)
{
	/* The kernel drops the lock whatever close() says. */
	if (b->lock_fd >= 0)
		(void)close(b->lock_fd);
	b->lock_fd = -1;
}
