/* cli_rules.c -- see cli_rules.h. */
#include "cli_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rengine.h"
#include "rulespec_of.h"

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
            fprintf(stderr, "sessionwatch %s: %s: rule refused: %s\n", cmd, r->strict ? "error" : "warning",
                    r->set.v[i].why);
    if (r->strict && refused) {
        fprintf(stderr, "sessionwatch %s: --strict-rules: %zu rule file(s) refused\n", cmd, refused);
        return 2;
    }
    if (r->set.n_loaded == 0) return sw_cli_error(cmd, "--rules: no rule loaded (every rule file was refused)");
    if (!(r->specs = calloc(r->set.n_loaded, sizeof *r->specs))) return 1;
    for (size_t i = 0; i < r->set.n; i++) {
        if (!r->set.v[i].loaded) continue;
        if (sw_ruledef_spec(&r->set.v[i].def, &r->specs[r->n]) != 0) return 1;
        r->n++;
    }
    fprintf(stderr, "sessionwatch %s: %zu rule(s) loaded, %zu refused\n", cmd, r->n, refused);
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

int sw_cli_rules_refuse_seed_flags(const sw_settings *st, const char *cmd) {
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
        fprintf(stderr, "sessionwatch %s: warning: --rules: ignoring %s, which configure%s the built-in rule only; "
                        "each loaded rule's TOML says its own\n",
                cmd, ignored, strchr(ignored, ',') ? "" : "s");
    return 0;
}

int64_t sw_cli_rules_max_alerts(const sw_settings *st, const sw_config *c) {
    return sw_settings_origin(st, "--max-alerts") ? (int64_t)c->max_alerts : -1;
}

static void summary_text(FILE *out, const sw_cli_rules *r, const sw_rengine *e) {
    fprintf(out, "  rules %zu: %llu events matched no rule\n", r->n, (unsigned long long)sw_rengine_unmatched(e));
    for (size_t i = 0; i < r->n; i++) {
        const sw_rule_counters *c = sw_rengine_rule_counters(e, i);
        fprintf(out,
                "  rule %s (%s): %llu alerts (%llu capped), %llu matched, %llu counted, %llu too_late, "
                "%llu covered, %llu without a group-by field\n",
                r->specs[i].rule_id, r->specs[i].name, (unsigned long long)c->alerts,
                (unsigned long long)c->alerts_capped, (unsigned long long)c->matched,
                (unsigned long long)c->counted, (unsigned long long)c->too_late, (unsigned long long)c->covered,
                (unsigned long long)c->no_group);
    }
}

static void summary_json(FILE *out, const sw_cli_rules *r, const sw_rengine *e) {
    sw_buf b = {0};
    sw_json_lit_int(&b, "{\"unmatched\":", (int64_t)sw_rengine_unmatched(e));
    sw_buf_puts(&b, ",\"rules\":[");
    for (size_t i = 0; i < r->n; i++) {
        const sw_rule_counters *c = sw_rengine_rule_counters(e, i);
        sw_json_lit_cstr(&b, i ? ",{\"rule_id\":" : "{\"rule_id\":", r->specs[i].rule_id);
        sw_json_lit_cstr(&b, ",\"name\":", r->specs[i].name);
        sw_json_lit_int(&b, ",\"alerts\":", (int64_t)c->alerts);
        sw_json_lit_int(&b, ",\"alerts_capped\":", (int64_t)c->alerts_capped);
        sw_json_lit_int(&b, ",\"matched\":", (int64_t)c->matched);
        sw_json_lit_int(&b, ",\"counted\":", (int64_t)c->counted);
        sw_json_lit_int(&b, ",\"too_late\":", (int64_t)c->too_late);
        sw_json_lit_int(&b, ",\"covered\":", (int64_t)c->covered);
        sw_json_lit_int(&b, ",\"no_group\":", (int64_t)c->no_group);
        sw_json_lit_int(&b, ",\"groups_dropped\":", (int64_t)c->groups_dropped);
        sw_json_lit_int(&b, ",\"nomem\":", (int64_t)c->nomem);
        sw_buf_putc(&b, '}');
    }
    sw_buf_puts(&b, "]}\n");
    if (!b.oom) fwrite(b.p, 1, b.len, out);
    sw_buf_free(&b);
}

void sw_cli_rules_summary(FILE *out, const sw_cli_rules *r, const sw_rengine *e, bool json) {
    if (json) summary_json(out, r, e);
    else summary_text(out, r, e);
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
