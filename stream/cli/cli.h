/* cli.h -- what every subcommand shares on its command line: the argument
 * cursor, and the settings tables (settings.h) of the rule, the Kafka flags
 * and the service flags of long-running commands, with their help text.
 * Errors name the flag and say what would be valid.
 *
 * Return conventions, one per kind of function:
 *   parse_*  (a command's whole settings: sw_settings_load and the
 *            commands' own parse functions)  SW_PARSE_OK (0): go on;
 *            SW_PARSE_HELP (1): -h/--help was given, print the usage and
 *            exit 0; SW_PARSE_USAGE (2): a usage error, already reported,
 *            and the exit status to return.
 *   sw_cli_*_option, sw_arg_value  (one argument)  1 consumed, 0 not
 *            this option, -1 error (reported).
 *   sw_cli_*_check, sw_cli_error  0, or 2 (the exit status) after a
 *            message.
 *   value parsers (values.h, settings setters, parse_double, ..)  0, or
 *            -1 when the text is not a valid value (the caller names the
 *            setting). */
#ifndef SW_CLI_H
#define SW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "config.h"
#include "kafka.h"
#include "log.h"
#include "settings.h"
#include "values.h"

enum { SW_PARSE_OK = SW_SETTINGS_OK, SW_PARSE_HELP = SW_SETTINGS_HELP, SW_PARSE_USAGE = SW_SETTINGS_USAGE };

/* The sections of a --config file that belong to a command with settings:
 * one file may serve them all (each reads its own and [kafka]). */
extern const char *const sw_cli_config_sections[];

/* ---- the rule's settings (cli_rule.c), stored in an sw_config ---------- */
#define SW_CLI_RULE_ROWS 14
extern const sw_setting sw_cli_rule_rows[SW_CLI_RULE_ROWS];
/* --max-clock-skew and --time-field with kafka (commands that read Kafka),
 * or --time-field without it (files). */
extern const sw_setting sw_cli_time_rows_kafka[2];
extern const sw_setting sw_cli_time_rows_file[1];
#define SW_CLI_RULE_HEADING \
    "Rule (defaults are Elastic's rule 621e92b6-7e54-11ee-bdc0-f661ea17fbcd v" SW_STR(SW_RULE_VERSION) "):\n"
/* The rule's groups for a command whose sw_config is at base. */
#define SW_CLI_RULE_GROUPS(base, time_rows, ntime)                                                                  \
    {sw_cli_rule_rows, 4, (base), SW_CLI_RULE_HEADING, NULL}, {time_rows, ntime, (base), NULL, NULL},              \
        {sw_cli_rule_rows + 4, 4, (base), NULL, NULL},                                                              \
        {sw_cli_rule_rows + 8, 2, (base), "Hardening (off by default: the seed rule does not do it):\n", NULL},   \
        {sw_cli_rule_rows + 10, 4, (base), "Input:\n", NULL}
#define SW_CLI_RULE_NGROUPS 5

/* ---- the Kafka settings (cli_kafka.c), stored in an sw_kafka_opts ------- */
extern const sw_setting sw_cli_kafka_rows[2]; /* --brokers, -X */
extern const char sw_cli_kafka_trailer[];     /* the rest of the Kafka help */
#define SW_CLI_KAFKA_GROUP(base) {sw_cli_kafka_rows, 2, (base), "Kafka:\n", sw_cli_kafka_trailer}
/* The [kafka] section of `config print`: -X properties (from flags and the
 * file) and SESSIONWATCH_KAFKA_* variables, secrets masked, each with the
 * clients it goes to (producer names the command's producer). */
void sw_cli_kafka_print(const sw_kafka_opts *k, const char *producer, FILE *out);

/* ---- the service settings of long-running commands (cli_service.c) ----- */
typedef struct {
    const char *metrics_addr; /* --metrics-addr HOST:PORT, or NULL */
    bool log_json;            /* --log-format json */
    sw_log_level log_level;   /* --log-level */
} sw_service_opts;
extern const sw_setting sw_cli_service_rows[3];
extern const char sw_cli_service_trailer[]; /* --config, -h and the environment */
#define SW_CLI_SERVICE_GROUP(base) {sw_cli_service_rows, 3, (base), NULL, sw_cli_service_trailer}

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
/* A settings setter (settings.h) for a topic name (sw_kafka_topic_name_ok),
 * and what its error says a topic name is. */
int sw_cli_set_topic(void *field, const char *value, char *why, size_t len);
#define SW_CLI_TOPIC_WANT "a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)"
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

/* Opens an input FILE of a command that reads files ("-" is stdin, fd 0);
 * -1 after "sessionwatch CMD: cannot open FILE: <reason>".  Close it with
 * sw_cli_close_input, which leaves stdin open. */
int sw_cli_open_input(const char *cmd, const char *file);
void sw_cli_close_input(const char *file, int fd);

/* After a command's parse_*: false on SW_PARSE_OK (go on); otherwise true,
 * with the usage printed to stdout for --help, the settings freed and the
 * exit status (0 for --help, else rc) in *exit_status. */
bool sw_cli_parse_ended(int rc, void (*usage)(FILE *out), sw_settings *st, int *exit_status);

/* `config print CMD`: the header, the config file read (if any) and the
 * effective settings, each with its origin, as INI text on stdout. */
void sw_cli_print_effective(const char *cmd, const sw_settings *st);

/* Prints "sessionwatch CMD: <message>" and a hint to use --help; returns 2. */
int sw_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
