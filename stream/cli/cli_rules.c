/* cli_rules.c -- see cli_rules.h. */
#include "cli_rules.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "rengine.h"
#include "summary.h"
#include "rulespec_of.h"

/* --rules as a setting: each value (flag, environment or file) adds its rules. */
static int set_rules(void *field, const char *value, char *why, size_t whylen) {
    sw_cli_rules *r = (sw_cli_rules *)((char *)field - offsetof(sw_cli_rules, set));
    char err[1024];
    r->given = true;
    if (sw_ruleset_add(&r->set, value, err, sizeof err) == 0) return 0;
    snprintf(why, whylen, "--rules %s (give a rule file, or a folder holding *.toml rule files)", err);
    return -1;
}

static int set_key_field(void *field, const char *value, char *why, size_t whylen) {
    if (sw_catalogue_find(value, strlen(value)) < 0) {
        snprintf(why, whylen,
                 "--key-field: '%s' is not a field of the catalogue (the fields rules may name: README, "
                 "\"Rules as data\")", value);
        return -1;
    }
    *(const char **)field = value;
    return 0;
}

static const char *const STAGES[] = {"all", "route", "count", NULL};

#define RS(f) offsetof(sw_cli_rules, f)
const sw_setting sw_cli_rules_rows[SW_CLI_RULES_ROWS] = {
    {.flag = "--rules", .type = SW_SET_CUSTOM, .metavar = "PATH", .offset = RS(set), .set = set_rules,
     .flags = SW_SET_REPEATABLE,
     .help = "run these Elastic rule TOML files instead of the built-in\n"
             "seed rule: a file, or a folder searched recursively for\n"
             "*.toml (repeatable); query and threshold kuery rules load,\n"
             "others are refused with a warning"},
    {.flag = "--strict-rules", .type = SW_SET_SWITCH, .offset = RS(strict),
     .help = "exit 2 when any rule is refused"},
    {.flag = "--key-field", .type = SW_SET_CUSTOM, .metavar = "F", .offset = RS(key_field), .set = set_key_field,
     .help = "the field the input topic is keyed by (default: none, the\n"
             "input is not keyed; `repartition` keys by okta.actor.id): the\n"
             "threshold rules whose group-by fields hold F run where the\n"
             "records are read; every other key family goes through its\n"
             "internal topic"},
    {.flag = "--internal-prefix", .type = SW_SET_CUSTOM, .metavar = "P", .offset = RS(internal_prefix),
     .set = sw_cli_set_topic, .want = SW_CLI_TOPIC_WANT,
     .help = "the internal topics are P-by-<fields of the key family>\n"
             "(default P: --group), e.g. sessionwatch-by-okta.actor.alternate_id"},
    {.flag = "--internal-partitions", .type = SW_SET_U64, .metavar = "N", .def = "0",
     .offset = RS(internal_partitions), .max = 100000, .want = "a count from 0 to 100000",
     .help = "partitions of each internal topic (default 0: as many as\n"
             "--topic); an existing one with another count is refused"},
    {.flag = "--stage", .type = SW_SET_ENUM, .metavar = "all|route|count", .def = "all", .offset = RS(stage),
     .choices = STAGES, .want = "all, route or count",
     .help = "which stage of --rules this process runs (default all):\n"
             "route reads --topic only (query rules, routing, and the\n"
             "families holding --key-field), count reads the internal\n"
             "topics only (the routed families' windows), all both, in\n"
             "one group"},
};
#undef RS

/* A line about the rules: "sessionwatch CMD: ..." on stderr, or through
 * the process's log (log.h: its format and level) when r->log is set. */
__attribute__((format(printf, 4, 5))) static void say(const sw_cli_rules *r, const char *cmd, sw_log_level level,
                                                      const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->log) sw_log(level, "%s", msg);
    else fprintf(stderr, "sessionwatch %s: %s\n", cmd, msg);
}

int sw_cli_rules_option(sw_cli_rules *r, sw_args *a) {
    if (sw_arg_flag(a, "--strict-rules")) {
        r->strict = true;
        return 1;
    }
    const char *path;
    int got = sw_arg_value(a, "--rules", &path);
    if (got <= 0) return got;
    char err[1024];
    r->given = true;
    if (sw_ruleset_add(&r->set, path, err, sizeof err) != 0) {
        sw_cli_error(a->cmd, "--rules %s (give a rule file, or a folder holding *.toml rule files)", err);
        return -1;
    }
    return 1;
}

int sw_cli_rules_ready(sw_cli_rules *r, const char *cmd) {
    size_t refused = r->set.n - r->set.n_loaded;
    for (size_t i = 0; i < r->set.n; i++)
        if (!r->set.v[i].loaded)
            say(r, cmd, r->strict ? SW_LOG_ERROR : SW_LOG_WARN, "%s: rule refused: %s",
                r->strict ? "error" : "warning", r->set.v[i].why);
    if (r->strict && refused) {
        say(r, cmd, SW_LOG_ERROR, "--strict-rules: %zu rule file(s) refused", refused);
        return 2;
    }
    if (r->set.n_loaded == 0) return sw_cli_error(cmd, "--rules: no rule loaded (every rule file was refused)");
    if (!(r->specs = calloc(r->set.n_loaded, sizeof *r->specs))) return 1;
    for (size_t i = 0; i < r->set.n; i++) {
        if (!r->set.v[i].loaded) continue;
        if (sw_ruledef_spec(&r->set.v[i].def, &r->specs[r->n]) != 0) return 1;
        r->n++;
    }
    say(r, cmd, SW_LOG_INFO, "%zu rule(s) loaded, %zu refused", r->n, refused);
    return 0;
}

/* The settings of the built-in seed rule that the rules engine does not
 * read, and what a rule says instead.  (It reads the tenant, lateness,
 * cap, limits, time and prefilter settings: rengine.c.) */
static const struct {
    const char *flag, *instead;
} SEED_ONLY[] = {
    {"--window", "each rule's window is its TOML `from` (from = \"now-35m\" is 35 minutes)"},
    {"--min-sessions", "a threshold rule alerts at its TOML threshold.value events and, with one, "
                       "threshold.cardinality's value distinct values"},
    {"--exclude-prefix", "a rule excludes actors in its query, as the seed rule's TOML does: "
                         "`and not (okta.actor.id: okta* or okta.actor.display_name: okta*)`"},
    {"--exclude-case-insensitive", "a rule's query matches keywords case-sensitively: list each spelling in it "
                                   "(`not okta.actor.id:(okta* or Okta* or OKTA*)`)"},
    {"--require-success", "add `and okta.outcome.result:SUCCESS` to a rule's query"},
    {"--exclude-unknown-actor", "add `and not okta.actor.id:unknown` to a rule's query"},
};

int sw_cli_rules_refuse_seed_flags(const sw_cli_rules *r, const sw_settings *st, const char *cmd) {
    char ignored[1024];
    size_t o = 0;
    for (size_t i = 0; i < sizeof SEED_ONLY / sizeof SEED_ONLY[0]; i++) {
        const char *flag = SEED_ONLY[i].flag, *origin = sw_settings_origin(st, flag);
        if (!origin) continue;
        if (strcmp(origin, "flag") == 0)
            return sw_cli_error(cmd, "%s configures the built-in rule only; with --rules %s", flag,
                                SEED_ONLY[i].instead);
        if (o < sizeof ignored)
            o += (size_t)snprintf(ignored + o, sizeof ignored - o, "%s%s (from %.300s)", o ? ", " : "", flag, origin);
    }
    if (o)
        say(r, cmd, SW_LOG_WARN, "warning: --rules: ignoring %s, which configure%s the built-in rule only; each "
            "loaded rule's TOML says its own", ignored, strchr(ignored, ',') ? "" : "s");
    return 0;
}

int64_t sw_cli_rules_max_alerts(const sw_settings *st, const sw_config *c) {
    return sw_settings_origin(st, "--max-alerts") ? (int64_t)c->max_alerts : -1;
}

void sw_cli_rules_summary(FILE *out, const sw_cli_rules *r, const sw_rengine *e, bool json) {
    sw_rule_counters *c = calloc(r->n ? r->n : 1, sizeof *c);
    if (!c) return;
    for (size_t i = 0; i < r->n; i++) c[i] = *sw_rengine_rule_counters(e, i);
    sw_rules_summary s = {.specs = r->specs, .c = c, .n = r->n, .unmatched = sw_rengine_unmatched(e)};
    sw_rules_summary_print(out, json, &s);
    free(c);
}

void sw_cli_rules_free(sw_cli_rules *r) {
    for (size_t i = 0; i < r->n; i++) sw_rulespec_release(&r->specs[i]);
    free(r->specs);
    sw_ruleset_free(&r->set);
    *r = (sw_cli_rules){0};
}

void sw_cli_rules_help(FILE *out) {
    fputs("Rules (default: the built-in seed rule):\n"
          "  --rules PATH              run these Elastic rule TOML files instead: a file, or a folder\n"
          "                            searched recursively for *.toml (repeatable); query and threshold\n"
          "                            kuery rules load, others are refused with a warning\n"
          "  --strict-rules            exit 2 when any rule is refused\n",
          out);
}
