/*
 * Subcommands of the sealnet tool.  Each takes argv starting at its own
 * name and returns the process exit status: 0 success, 1 a negative
 * answer (a message that fails verification, an image that does not
 * check), 2 a usage error.
 */
#ifndef SEALNET_CLI_H
#define SEALNET_CLI_H

int cli_msg(int argc, char **argv);
int cli_image(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_run(int argc, char **argv);

/* Prints "sealnet: MESSAGE" to stderr with what a terminal would act on
 * escaped: messages quote image strings.  Returns 1. */
int cli_error(const char *message);

#endif
