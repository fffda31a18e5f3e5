/* cli.h -- what every subcommand shares on its command line: the argument
 * cursor, value parsers for durations, sizes and counts, and the rule flags
 * with their help text.  Errors name the flag and say what would be valid. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef struct {
    int argc;
    char **argv;
    int i;            /* next argument */
    const char *cmd;  /* subcommand name, for messages */
} sw_args;

/* 1 and *val when argv[i] is --name VALUE or --name=VALUE (advances past
 * both); -1 with a message when the value is missing; 0 otherwise. */
int sw_arg_value(sw_args *a, const char *name, const char **val);
/* 1 when argv[i] is the switch --name (advances). */
int sw_arg_flag(sw_args *a, const char *name);

/* "35m", "90s", "1h", "500ms", "2d" -> ms; a bare number is refused. */
int sw_parse_duration(const char *s, int64_t *ms);
/* "1048576", "512k", "1M", "1MiB", "2g" -> bytes (binary multiples). */
int sw_parse_size(const char *s, size_t *bytes);
/* A decimal integer in [min, max]. */
int sw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

/* Parses argv[i] if it is a rule flag: 1 consumed, 0 not a rule flag, -1
 * error (already reported on stderr).  allow_kafka_time admits
 * --time-field kafka. */
int sw_cli_rule_option(sw_config *c, sw_args *a, bool allow_kafka_time);

/* After every rule flag is parsed: the combinations that cannot mean
 * anything, whatever their sources.  --tenant and --tenant-field exclude
 * each other (the fixed tenant would silently win).  0, or 2 with a
 * message saying what to do. */
int sw_cli_rule_check(const char *cmd, const sw_config *c);

/* The rule flags' help, one flag per line. */
void sw_cli_rule_help(FILE *out, bool allow_kafka_time);

/* Refuses an output that is also an input: a truncated or appended-to
 * input is lost or read forever.  out is a path, or NULL for stdout;
 * inputs are paths, "-" for stdin.  Compared by device and inode (so a
 * second name, a symlink or /dev/fd/N is caught), only for outputs that
 * exist already.  0, or 2 with a message naming both. */
int sw_cli_output_not_input(const char *cmd, const char *out_flag, const char *out, char *const *inputs,
                            int ninputs);

/* Prints "sessionwatch CMD: <message>" and a hint to use --help; returns 2. */
int sw_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
