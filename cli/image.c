/* Placeholder until this subcommand is implemented. */
#include <stdio.h>

#include "cli.h"

int
cli_image(int argc, char **argv)
{
	fprintf(stderr, "sealnet: 'image' is not built yet\n");
	return 2;
}
