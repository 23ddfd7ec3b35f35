/*
 * sealnet msg verify FILE: runs the boundary's own verifier over a message
 * saved to a file, so a person debugging a boundary sees exactly what a
 * compartment would accept, and why it would not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sealnet_msg.h"

static int
usage(void)
{
	fprintf(stderr, "usage: sealnet msg verify FILE\n"
			"  exit 0: the message verifies; it is printed as "
			"JSON\n"
			"  exit 1: it does not; the reason goes to stderr\n");
	return 2;
}

/* Reads at most limit bytes into an 8-aligned buffer, as a receiver's
 * private copy would be. */
static void *
read_file(const char *path, size_t limit, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = aligned_alloc(8, limit + 8);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, limit + 1, f);
	if (ferror(f) || n > limit) {
		errno = ferror(f) ? EIO : EFBIG;
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int
cli_msg(int argc, char **argv)
{
	sn_verify_error err;
	sn_message_ref m;
	size_t len;
	void *buf;
	int rc;

	if (argc != 3 || strcmp(argv[1], "verify") != 0)
		return usage();
	buf = read_file(argv[2],
			SN_FB_MAX_BUFFER < (64u << 20) ? SN_FB_MAX_BUFFER
						       : (64u << 20),
			&len);
	if (buf == NULL) {
		fprintf(stderr, "sealnet: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	rc = sn_message_verify(buf, len, &m, &err);
	if (rc < 0) {
		fprintf(stderr, "sealnet: %s: rejected at byte %u: %s\n",
			argv[2], err.offset, err.reason);
		free(buf);
		return 1;
	}
	rc = sn_message_print_json(m, stdout);
	free(buf);
	return rc < 0 ? 1 : 0;
}
