/*
 * sealnet audit IMAGE
 *
 * Prints every compartment, what it may call, which hosts it may reach
 * and how it is sandboxed, from the image alone, after the same checks
 * the supervisor makes.  audit/network_stack.jq asks questions of it.
 */
#include <stdio.h>

#include "cli.h"
#include "image.h"

static struct image img;

int
cli_audit(int argc, char **argv)
{
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: sealnet audit IMAGE\n");
		return 2;
	}
	if (image_load(&img, argv[1], err, sizeof(err)) < 0)
		return cli_error(err);
	return image_write(&img, stdout, true) < 0;
}
