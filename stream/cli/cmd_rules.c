/* cmd_rules.c -- `sessionwatch rules list`: loads the rule files given
 * with --rules (ruleset.h) and prints one line per rule file: what was
 * loaded and, for every refusal, why, and what the rule set's prefilter
 * (ruleindex.h) makes of each rule.  Nothing runs the rules yet.
 *
 * Rule files come from anywhere (a checkout of elastic/detection-rules, a
 * colleague's folder), so every string read from them goes through the
 * one JSON escaper, in text as in JSON: no control byte reaches the
 * terminal and no line or field can be injected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "jsonw.h"
#include "ruleindex.h"
#include "ruleset.h"

static void usage(FILE *out) {
    fputs("Usage: sessionwatch rules list --rules PATH [--rules PATH ..] [--json] [--strict-rules]\n"
          "\n"
          "Loads Elastic detection rules from their TOML files (elastic/detection-rules'\n"
          "format) and prints one line per rule file, tab-separated:\n"
          "  rule_id  name  type  group-by  window  status  prefilter\n"
          "group-by is a threshold rule's threshold.field list (comma-separated; \"-\" for a\n"
          "query rule), window is its `from` (now-35m: 35m), status is \"loaded\" or\n"
          "\"refused: FILE[:LINE:COLUMN]: why\", prefilter is \"event types N\" for a loaded\n"
          "rule whose query requires one of N event types (event.action or okta.event_type),\n"
          "\"raw clauses N\" for one that requires none but needs other values or field names\n"
          "that a record's raw bytes must show (N clauses, each met by one of its values),\n"
          "\"unconstrained\" for one that needs nothing the raw bytes show, \"-\" for a refused\n"
          "rule.  Strings are printed JSON-escaped, so control characters show as \\uXXXX.  A\n"
          "count of loaded and refused rules goes to stderr, and whether records can be\n"
          "skipped unparsed: only when no loaded rule is unconstrained (one turns it off).\n"
          "\n"
          "Loaded: type query or threshold, language kuery, KQL within sessionwatch's\n"
          "subset.  Refused, with the reason: other types (eql, esql, new_terms,\n"
          "machine_learning, threat_match), other languages (lucene, ...), KQL outside the\n"
          "subset (with its line and column in the file), files that are not TOML, missing\n"
          "or ill-typed fields, a rule_id already loaded from another file, a window of zero\n"
          "or over a week, a threshold value of 0 or over 10,000, a cardinality over 10,000.\n"
          "A field name (query, group-by, cardinality) not in the field catalogue refuses it.\n"
          "\n"
          "Options:\n"
          "  --rules PATH      a rule file, or a folder searched recursively for *.toml files\n"
          "                    (sorted by name; names starting with '.' skipped); repeatable,\n"
          "                    loaded in the order given\n"
          "  --json            one JSON object per line instead of text: file, rule_id, name,\n"
          "                    type, status (\"loaded\" or \"refused\"), reason, group_by, window,\n"
          "                    window_ms, and for loaded rules severity, risk_score, interval_ms,\n"
          "                    max_signals, threshold {value, cardinality {field, value}},\n"
          "                    building_block_type, prefilter (\"event types N\",\n"
          "                    \"raw clauses N\", \"unconstrained\"); null where not known\n"
          "  --strict-rules    exit 2 when any rule is refused (after printing the list)\n"
          "  -h, --help        this help\n"
          "\n"
          "Exit status: 0 when the list was printed, 2 on a usage error, on a --rules path\n"
          "that does not exist or holds no *.toml file, or (with --strict-rules) on a refusal.\n",
          out);
}

/* A string for the text listing, or "-" for NULL: JSON-escaped (control
 * characters, tabs and newlines as \uXXXX, \t, \n), except that a
 * double quote stays a double quote, which is harmless in a
 * tab-separated line and keeps the reasons readable. */
static void text_str(sw_buf *b, const char *s) {
    if (!s) {
        sw_buf_putc(b, '-');
        return;
    }
    size_t from = b->len;
    sw_json_str_body(b, s, strlen(s));
    if (b->oom) return;
    size_t w = from;
    for (size_t r = from; r < b->len; r++) {
        if (b->p[r] == '\\' && r + 1 < b->len) {
            if (b->p[r + 1] != '"') b->p[w++] = b->p[r];
            b->p[w++] = b->p[++r];
        } else {
            b->p[w++] = b->p[r];
        }
    }
    b->len = w;
}
/* A JSON string, or null for NULL. */
static void json_str(sw_buf *b, const char *s) {
    if (s) sw_json_cstr(b, s);
    else sw_buf_puts(b, "null");
}

/* What the prefilter makes of a loaded rule (ruleindex.h). */
typedef struct {
    long types;     /* event types required, or SW_KQL_UNCONSTRAINED */
    size_t clauses; /* without event types: its raw condition's clauses */
} rule_prefilter;

/* "event types N", "raw clauses N" or "unconstrained". */
static void prefilter_text(char *out, size_t cap, rule_prefilter pf) {
    if (pf.types != SW_KQL_UNCONSTRAINED) snprintf(out, cap, "event types %ld", pf.types);
    else if (pf.clauses) snprintf(out, cap, "raw clauses %zu", pf.clauses);
    else snprintf(out, cap, "unconstrained");
}

static void text_line(sw_buf *b, const sw_rule_entry *e, rule_prefilter types) {
    const sw_ruledef *d = &e->def;
    text_str(b, d->rule_id);
    sw_buf_putc(b, '\t');
    text_str(b, d->name);
    sw_buf_putc(b, '\t');
    text_str(b, d->type_name);
    sw_buf_putc(b, '\t');
    if (e->loaded && d->type == SW_RULE_THRESHOLD && d->n_group_by) {
        for (size_t i = 0; i < d->n_group_by; i++) {
            if (i) sw_buf_putc(b, ',');
            text_str(b, d->group_by[i]);
        }
    } else {
        sw_buf_putc(b, '-');
    }
    sw_buf_putc(b, '\t');
    char w[32] = "-";
    if (e->loaded) sw_rule_duration_format(d->window_ms, w, sizeof w);
    sw_buf_puts(b, w);
    sw_buf_putc(b, '\t');
    char pf[48] = "-";
    if (e->loaded) {
        sw_buf_puts(b, "loaded");
        prefilter_text(pf, sizeof pf, types);
    } else {
        sw_buf_puts(b, "refused: ");
        text_str(b, e->why);
    }
    sw_buf_putc(b, '\t');
    sw_buf_puts(b, pf);
    sw_buf_putc(b, '\n');
}

static void json_threshold(sw_buf *b, const sw_ruledef *d) {
    sw_json_lit_int(b, ",\"threshold\":{\"value\":", d->threshold);
    sw_buf_puts(b, ",\"cardinality\":");
    if (d->cardinality_field) {
        sw_json_lit_cstr(b, "{\"field\":", d->cardinality_field);
        sw_json_lit_int(b, ",\"value\":", d->cardinality);
        sw_buf_putc(b, '}');
    } else {
        sw_buf_puts(b, "null");
    }
    sw_buf_putc(b, '}');
}

static void json_loaded(sw_buf *b, const sw_ruledef *d, rule_prefilter types) {
    char w[32], pf[48];
    sw_rule_duration_format(d->window_ms, w, sizeof w);
    sw_buf_puts(b, ",\"group_by\":[");
    for (size_t i = 0; i < d->n_group_by; i++) {
        if (i) sw_buf_putc(b, ',');
        sw_json_cstr(b, d->group_by[i]);
    }
    sw_json_lit_cstr(b, "],\"window\":", w);
    sw_json_lit_int(b, ",\"window_ms\":", d->window_ms);
    sw_json_lit_cstr(b, ",\"severity\":", d->severity);
    sw_json_lit_int(b, ",\"risk_score\":", d->risk_score);
    sw_json_lit_int(b, ",\"interval_ms\":", d->interval_ms);
    sw_json_lit_int(b, ",\"max_signals\":", d->max_signals);
    if (d->type == SW_RULE_THRESHOLD) json_threshold(b, d);
    else sw_buf_puts(b, ",\"threshold\":null");
    sw_buf_puts(b, ",\"building_block_type\":");
    json_str(b, d->building_block_type);
    prefilter_text(pf, sizeof pf, types);
    sw_json_lit_cstr(b, ",\"prefilter\":", pf);
}

static void json_line(sw_buf *b, const sw_rule_entry *e, rule_prefilter types) {
    sw_json_lit_cstr(b, "{\"file\":", e->path);
    sw_buf_puts(b, ",\"rule_id\":");
    json_str(b, e->def.rule_id);
    sw_buf_puts(b, ",\"name\":");
    json_str(b, e->def.name);
    sw_buf_puts(b, ",\"type\":");
    json_str(b, e->def.type_name);
    sw_buf_puts(b, e->loaded ? ",\"status\":\"loaded\",\"reason\":null" : ",\"status\":\"refused\",\"reason\":");
    if (e->loaded) json_loaded(b, &e->def, types);
    else {
        sw_json_cstr(b, e->why);
        sw_buf_puts(b, ",\"group_by\":null,\"window\":null,\"window_ms\":null,\"prefilter\":null");
    }
    sw_buf_puts(b, "}\n");
}

/* The prefilter of the loaded rules, in the order of rs (refused entries
 * are not in it); NULL when out of memory. */
static sw_ruleindex *index_loaded(const sw_ruleset *rs) {
    const sw_kql **q = calloc(rs->n_loaded ? rs->n_loaded : 1, sizeof *q);
    if (!q) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].loaded) q[n++] = rs->v[i].def.kql;
    sw_ruleindex *ix = sw_ruleindex_new(q, n);
    free(q);
    return ix;
}

static void print_prefilter(const sw_ruleindex *ix, size_t n_loaded) {
    size_t open = 0;
    for (size_t r = 0; r < n_loaded; r++) open += sw_ruleindex_raw_clauses(ix, r) == 0;
    if (!n_loaded) return;
    if (sw_ruleindex_can_skip(ix))
        fputs("sessionwatch rules: prefilter: records holding none of the rules' event types or required values are "
              "skipped unparsed\n",
              stderr);
    else if (open)
        fprintf(stderr, "sessionwatch rules: prefilter: off, %zu loaded rule(s) need nothing a record's raw bytes "
                        "show, so every record is parsed\n", open);
    else
        fputs("sessionwatch rules: prefilter: off, an event type shorter than 2 bytes\n", stderr);
}

static int print_list(const sw_ruleset *rs, bool json) {
    sw_ruleindex *ix = index_loaded(rs);
    if (!ix) {
        fputs("sessionwatch rules: out of memory\n", stderr);
        return 1;
    }
    sw_buf b = {0};
    for (size_t i = 0, r = 0; i < rs->n; i++) {
        rule_prefilter types = {SW_KQL_UNCONSTRAINED, 0};
        if (rs->v[i].loaded) {
            types = (rule_prefilter){sw_ruleindex_event_types(ix, r), sw_ruleindex_raw_clauses(ix, r)};
            r++;
        }
        sw_buf_reset(&b);
        if (json) json_line(&b, &rs->v[i], types);
        else text_line(&b, &rs->v[i], types);
        if (b.oom) {
            sw_buf_free(&b);
            sw_ruleindex_free(ix);
            fputs("sessionwatch rules: out of memory\n", stderr);
            return 1;
        }
        fwrite(b.p, 1, b.len, stdout);
    }
    sw_buf_free(&b);
    fprintf(stderr, "sessionwatch rules: %zu loaded, %zu refused\n", rs->n_loaded, rs->n - rs->n_loaded);
    print_prefilter(ix, rs->n_loaded);
    sw_ruleindex_free(ix);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int rules_list(int argc, char **argv) {
    sw_args a = {.argc = argc, .argv = argv, .i = 1, .cmd = "rules"};
    sw_ruleset rs = {0};
    bool json = false, strict = false, any_path = false;
    int rc = 0;
    while (a.i < a.argc && rc == 0) {
        const char *path;
        int r;
        if (sw_arg_flag(&a, "-h") || sw_arg_flag(&a, "--help")) {
            usage(stdout);
            sw_ruleset_free(&rs);
            return 0;
        } else if (sw_arg_flag(&a, "--json")) {
            json = true;
        } else if (sw_arg_flag(&a, "--strict-rules")) {
            strict = true;
        } else if ((r = sw_arg_value(&a, "--rules", &path)) != 0) {
            char err[1024];
            if (r < 0) rc = 2;
            else if (sw_ruleset_add(&rs, path, err, sizeof err) != 0)
                rc = sw_cli_error("rules", "--rules %s (give a rule file, or a folder holding *.toml rule files)",
                                  err);
            any_path = true;
        } else {
            rc = sw_cli_error("rules", "unknown option '%s'", a.argv[a.i]);
        }
    }
    if (rc == 0 && !any_path) rc = sw_cli_error("rules", "list needs --rules PATH (a rule file or a folder of them)");
    if (rc == 0) rc = print_list(&rs, json);
    if (rc == 0 && strict && rs.n_loaded < rs.n) {
        fprintf(stderr, "sessionwatch rules: --strict-rules: %zu rule file(s) refused\n", rs.n - rs.n_loaded);
        rc = 2;
    }
    sw_ruleset_free(&rs);
    return rc;
}

int sw_cmd_rules(int argc, char **argv) {
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        usage(sub ? stdout : stderr);
        return sub ? 0 : 2;
    }
    if (strcmp(sub, "list") != 0)
        return sw_cli_error("rules", "unknown subcommand '%s' (the one subcommand is list)", sub);
    return rules_list(argc - 1, argv + 1);
}
