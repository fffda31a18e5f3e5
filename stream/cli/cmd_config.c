/* cmd_config.c -- `sessionwatch config print`: the settings `run` would
 * use, after flags, the environment and the --config file are combined
 * (settings.h), with secrets masked.  The parsing is run's own
 * (sw_run_config_print in cmd_run.c), so what it prints is what run does,
 * and an invalid value fails here exactly as it would there. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

int sw_cmd_config(int argc, char **argv) {
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs("Usage: sessionwatch config print [run's flags] [--config FILE]\n\n"
              "Prints the effective settings of `sessionwatch run` (flag > environment >\n"
              "--config file > default), each with where it came from, secrets masked.\n"
              "'sessionwatch config print --help' says more.\n", sub ? stdout : stderr);
        return sub ? 0 : 2;
    }
    if (strcmp(sub, "print") != 0)
        return sw_cli_error("config", "unknown subcommand '%s' (the one subcommand is print)", sub);
    return sw_run_config_print(argc - 1, argv + 1);
}
