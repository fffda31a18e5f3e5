/* cmd_config.c -- `sessionwatch config print [COMMAND]`: the settings a
 * long-running command (run, the default, or repartition) would use, after
 * flags, the environment and the --config file are combined (settings.h),
 * each with its origin, secrets masked.  The parsing is the command's own
 * (sw_run_config_print, sw_repartition_config_print), so what it prints is
 * what the command does, and an invalid value fails here exactly as it
 * would there. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct {
    const char *name;
    int (*print)(int argc, char **argv);
} PRINTERS[] = {
    {"run", sw_run_config_print},
    {"repartition", sw_repartition_config_print},
};

int sw_cmd_config(int argc, char **argv) {
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs("Usage: sessionwatch config print [run|repartition] [its flags] [--config FILE]\n\n"
              "Prints the effective settings of `sessionwatch run` (or of repartition) (flag >\n"
              "environment > --config file > default), each with where it came from, secrets\n"
              "masked.  'sessionwatch config print --help' says more.\n", sub ? stdout : stderr);
        return sub ? 0 : 2;
    }
    if (strcmp(sub, "print") != 0)
        return sw_cli_error("config", "unknown subcommand '%s' (the one subcommand is print)", sub);
    /* argv[1] becomes the command's argv[0]; a command name after print
     * selects it (run reads no positional arguments, so it is not one). */
    for (size_t i = 0; argc > 2 && i < sizeof PRINTERS / sizeof PRINTERS[0]; i++)
        if (strcmp(argv[2], PRINTERS[i].name) == 0) return PRINTERS[i].print(argc - 2, argv + 2);
    return sw_run_config_print(argc - 1, argv + 1);
}
