/* Placeholder until this subcommand is implemented. */
#include <stdio.h>

#include "cli.h"

int
cli_audit(int argc, char **argv)
{
	fprintf(stderr, "sealnet: 'audit' is not built yet\n");
	return 2;
}
