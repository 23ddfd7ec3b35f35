/* Placeholder until this subcommand is implemented. */
#include <stdio.h>

#include "cli.h"

int
cli_msg(int argc, char **argv)
{
	fprintf(stderr, "sealnet: 'msg' is not built yet\n");
	return 2;
}
