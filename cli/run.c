/*
 * sealnet run IMAGE [--tap IFNAME]
 *
 * Boots the image under the supervisor until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"
#include "supervisor.h"

static struct image img;

int
cli_run(int argc, char **argv)
{
	struct supervisor_options opt = {0};
	char err[512];

	if (argc == 4 && strcmp(argv[2], "--tap") == 0)
		opt.tap = argv[3];
	else if (argc != 2) {
		fprintf(stderr, "usage: sealnet run IMAGE [--tap IFNAME]\n");
		return 2;
	}
	if (image_load(&img, argv[1], err, sizeof(err)) < 0)
		return cli_error(err);
	return supervisor_run(&img, &opt);
}
