/*
 * sealnet: the command-line front end.  Each subcommand lives in its own
 * file; this one only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"

static const struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} subcommands[] = {
    {"msg", cli_msg, "msg verify FILE   verify a message, print it as JSON"},
    {"image", cli_image,
     "image build -o IMAGE [--ipv4 A/P --gateway G] [--dns D]\n"
     "                    [--allow-dangerous-syscalls] BINARY...\n"
     "                                  build an image from compartments\n"
     "  sealnet image check IMAGE       parse and check an image"},
    {"audit", cli_audit,
     "audit IMAGE       print what each compartment may do"},
    {"run", cli_run,
     "run IMAGE [--tap IFNAME] [--offloads on|off] [--events FILE]\n"
     "                                  boot an image"},
};

int
cli_error(const char *message)
{
	char shown[2048];

	fprintf(stderr, "sealnet: %s\n",
		image_escape(shown, sizeof(shown), message));
	return 1;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: sealnet COMMAND ...\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		fprintf(out, "  sealnet %s\n", subcommands[i].usage);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sealnet: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
