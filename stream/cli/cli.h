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
#include "kafka.h"
#include "values.h"

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


/* Parses argv[i] if it is a rule flag: 1 consumed, 0 not a rule flag, -1
 * error (already reported on stderr).  allow_kafka_time admits
 * --time-field kafka. */
int sw_cli_rule_option(sw_config *c, sw_args *a, bool allow_kafka_time);

/* After every rule flag is parsed: the combinations that cannot mean
 * anything, whatever their sources.  --tenant and --tenant-field exclude
 * each other (the fixed tenant would silently win).  0, or 2 with a
 * message saying what to do. */
int sw_cli_rule_check(const char *cmd, const sw_config *c);

/* Parses argv[i] if it is --brokers, -X key=value, -Xkey=value or
 * -X=key=value: 1 consumed, 0 not a Kafka flag, -1 error (reported). */
int sw_cli_kafka_option(sw_kafka_opts *k, sw_args *a);
/* Parses argv[i] if it is the flag name with a topic name as its value
 * (checked with sw_kafka_topic_name_ok): 1 with *topic, 0 not that flag,
 * -1 error (reported). */
int sw_cli_topic_option(sw_args *a, const char *name, const char **topic);
/* The help lines for --brokers and -X. */
void sw_cli_kafka_help(FILE *out);

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
