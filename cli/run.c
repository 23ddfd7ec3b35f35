/*
 * sealnet run IMAGE [--tap IFNAME] [--offloads on|off] [--events FILE]
 *
 * Boots the image under the supervisor until SIGTERM or SIGINT.  With
 * --events, the supervisor also writes what happens as JSON lines.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"
#include "supervisor.h"

static struct image img;

static int
usage(void)
{
	fprintf(stderr,
		"usage: sealnet run IMAGE [--tap IFNAME] [--offloads on|off] "
		"[--events FILE]\n");
	return 2;
}

int
cli_run(int argc, char **argv)
{
	struct supervisor_options opt = {0};
	char err[512];

	if (argc < 2)
		return usage();
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--tap") == 0 && opt.tap == NULL)
			opt.tap = argv[i + 1];
		else if (strcmp(argv[i], "--offloads") == 0 &&
			 (strcmp(argv[i + 1], "on") == 0 ||
			  strcmp(argv[i + 1], "off") == 0))
			opt.no_offloads = strcmp(argv[i + 1], "off") == 0;
		else if (strcmp(argv[i], "--events") == 0 && opt.events == NULL)
			opt.events = argv[i + 1];
		else
			return usage();
	}
	if (image_load(&img, argv[1], err, sizeof(err)) < 0)
		return cli_error(err);
	return supervisor_run(&img, &opt);
}
