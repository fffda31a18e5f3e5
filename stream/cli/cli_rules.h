/* cli_rules.h -- the rules a command runs (--rules PATH, repeatable, and
 * --strict-rules): loaded with the rules layer (ruleset.h), refusals
 * reported, the loaded ones converted for the rules engine (rulespec.h);
 * and which rule settings mean something with them (the seed rule's own
 * do not: refused as flags, ignored from the environment or a file). */
#ifndef SW_CLI_RULES_H
#define SW_CLI_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "ruleset.h"
#include "rulespec.h"

typedef struct {
    sw_ruleset set;
    sw_rulespec *specs; /* one per loaded rule, in load order */
    size_t n;
    bool given;         /* some --rules */
    bool strict;        /* --strict-rules */
    const char *key_field; /* run: the field the input topic is keyed by (--key-field; NULL: not keyed) */
    const char *internal_prefix; /* run: the internal topics' prefix (NULL: the group) */
    uint64_t internal_partitions; /* run: their partition count (0: as the input) */
    int stage;          /* run: --stage, an index in sw_cli_stages (0 all, 1 route, 2 count) */
    bool log;           /* messages through sw_log (run: --log-format), else plain on stderr */
} sw_cli_rules;

/* The settings rows of --rules, --strict-rules, --key-field and the
 * internal topics' (--internal-prefix, --internal-partitions, --stage),
 * for the commands declared with settings.h (run): a group whose base is
 * the offset of their sw_cli_rules. */
extern const sw_setting sw_cli_rules_rows[];
#define SW_CLI_RULES_ROWS 6
#define SW_CLI_RULES_GROUP(base) \
    {sw_cli_rules_rows, SW_CLI_RULES_ROWS, (base), "\nRules (default: the built-in seed rule):\n", NULL}

/* Parses argv[i] if it is --rules PATH or --strict-rules: 1 consumed, 0
 * not one of them, -1 error (reported: a path that does not exist or
 * holds no rule file). */
int sw_cli_rules_option(sw_cli_rules *r, sw_args *a);

/* After parsing: each refusal printed to stderr (a warning; with
 * --strict-rules an error), the loaded rules converted.  0, or the exit
 * status: 2 under --strict-rules with a refusal, or when no rule loaded;
 * 1 when out of memory. */
int sw_cli_rules_ready(sw_cli_rules *r, const char *cmd);

/* With --rules, the settings that configure the built-in seed rule alone
 * (--window, --min-sessions, --exclude-prefix, --exclude-case-insensitive,
 * --require-success, --exclude-unknown-actor) would silently do nothing:
 * given as a flag, the command exits 2 with a message that names the flag
 * and says what to write in a rule instead; from the environment or a
 * --config file (which may serve the same deployment with and without
 * --rules) each is ignored, named with its origin in one warning line on
 * stderr (r->log: the process log).  st holds the command's settings (sw_settings_load, or
 * sw_settings_new + sw_settings_take); cmd names it in the messages.
 * 0, or 2 after the message. */
int sw_cli_rules_refuse_seed_flags(const sw_cli_rules *r, const sw_settings *st, const char *cmd);

/* The max_alerts argument of sw_rengine_new: c->max_alerts when any
 * source (flag, environment, file) set --max-alerts, else -1 (each rule's
 * own max_signals). */
int64_t sw_cli_rules_max_alerts(const sw_settings *st, const sw_config *c);

/* One line per rule on out: its id and name, then what the engine did
 * with it (text), or one JSON line {"rules":[...]} (json). */
struct sw_rengine;
void sw_cli_rules_summary(FILE *out, const sw_cli_rules *r, const struct sw_rengine *e, bool json);

void sw_cli_rules_free(sw_cli_rules *r);

/* The help lines of --rules and --strict-rules. */
void sw_cli_rules_help(FILE *out);

#endif
