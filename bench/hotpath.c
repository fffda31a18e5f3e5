/* hotpath.c -- in-process benchmark of the hot counting path, with its
 * floors measured on the same buffer in the same run:
 *   floor1  memchr newline scan (memory bandwidth for this access pattern)
 *   floor2  simdjson extraction of the rule's fields from every record
 *   rows    the same with the catalogue rows of a rule set extracted too
 *           (sw_parser_want_fields): the rows of the rules under --rules
 *           PATH, or every catalogue row; rows/floor2 is what reading a
 *           rule set's fields costs on top of the seed rule's
 *   index   the rule set's prefilter (ruleindex.h) and the same extraction
 *           of the records it lets through, with each event's rules
 *           selected: what a rule set pays before evaluating its rules
 *   full    prefilter + extraction + rule + window state + alert JSON
 *           (alerts go to a counting null sink): the built-in seed rule
 *   seed-toml  the same rule loaded from its TOML (--seed-rule FILE,
 *           default deploy/rules/sessionwatch_seed_rule.toml) and run by
 *           the rules engine (rengine.h), as `scan --rules FILE` runs it
 *   rules   the rules engine with every rule loaded from --rules PATH
 *           (default: Elastic's Okta rules, $SW_TESTDATA/../rules/okta or
 *           ../shared/testdata/rules/okta, when present, else
 *           deploy/rules); rules/seed-toml is issue 14's budget ("all the
 *           rules cost at most 1.5x the seed rule alone per record")
 * Paths are relative to the working directory (bench/run.sh runs from the
 * checkout); a rule row whose rules do not load is left out, saying so.
 * Records are preloaded into one padded buffer.  Each figure is the median
 * of --runs runs after one warm-up run, with min and max.
 *
 * usage: hotpath FILE [--runs N] [--json] [--rules PATH] [--seed-rule FILE]
 * Timing lives here, never in tests. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "extract.h"
#include "fields.h"
#include "ruleindex.h"
#include "rengine.h"
#include "ruleset.h"
#include "rulespec_of.h"

typedef struct {
    char *buf;
    size_t len;
    size_t *off; /* line starts */
    size_t *llen;
    size_t n;
} corpus;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, corpus *c) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return -1;
    c->len = (size_t)st.st_size;
    c->buf = malloc(c->len + SW_PADDING);
    size_t got = 0;
    while (got < c->len) {
        ssize_t r = read(fd, c->buf + got, c->len - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    close(fd);
    memset(c->buf + c->len, ' ', SW_PADDING);
    size_t cap = 1024;
    c->off = malloc(cap * sizeof *c->off);
    c->llen = malloc(cap * sizeof *c->llen);
    for (size_t pos = 0; pos < c->len;) {
        char *nl = memchr(c->buf + pos, '\n', c->len - pos);
        size_t end = nl ? (size_t)(nl - c->buf) : c->len;
        if (end > pos) {
            if (c->n == cap) {
                cap *= 2;
                c->off = realloc(c->off, cap * sizeof *c->off);
                c->llen = realloc(c->llen, cap * sizeof *c->llen);
            }
            c->off[c->n] = pos;
            c->llen[c->n++] = end - pos;
        }
        pos = end + 1;
    }
    return 0;
}

static volatile uint64_t sink;

static void run_floor1(const corpus *c) {
    uint64_t lines = 0;
    const char *p = c->buf, *end = c->buf + c->len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    sink += lines;
}

static sw_parser *parser;
static sw_event events[SW_MAX_EVENTS_PER_RECORD];

static void run_floor2(const corpus *c) {
    uint64_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t got = 0;
        const char *rec = c->buf + c->off[i];
        if (sw_parser_extract(parser, rec, c->llen[i], c->len + SW_PADDING - c->off[i], NULL, events,
                              SW_MAX_EVENTS_PER_RECORD, &got) == SW_X_OK)
            n += events[0].f[SW_F_SESSION_ID].n + got;
    }
    sink += n;
}

static sw_parser *parser_rows; /* asked for the rows of the rule set */

static void run_rows(const corpus *c) {
    uint64_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const sw_event *ev;
        size_t got = 0;
        const char *rec = c->buf + c->off[i];
        if (sw_parser_extract_events(parser_rows, rec, c->llen[i], c->len + SW_PADDING - c->off[i], NULL, &ev,
                                     &got) == SW_X_OK && got)
            n += ev[0].f[SW_F_SESSION_ID].n + got + ev[0].fields[2].n;
    }
    sink += n;
}

static sw_ruleindex *rix;
static uint64_t *rix_mask, index_parsed;

static void run_index(const corpus *c) {
    uint64_t n = 0, parsed = 0;
    for (size_t i = 0; i < c->n; i++) {
        const sw_event *ev;
        size_t got = 0;
        const char *rec = c->buf + c->off[i];
        if (!sw_ruleindex_may_match(rix, rec, c->llen[i])) continue;
        parsed++;
        if (sw_parser_extract_events(parser_rows, rec, c->llen[i], c->len + SW_PADDING - c->off[i], NULL, &ev,
                                     &got) != SW_X_OK)
            continue;
        for (size_t k = 0; k < got; k++) {
            sw_ruleindex_select(rix, ev[k].fields, rix_mask);
            n += rix_mask[0] & 1;
        }
    }
    sink += n;
    index_parsed = parsed;
}

/* The catalogue rows of the rules under path, or every row (path NULL);
 * the rules' prefilter index into rix (no rules without path). */
static uint64_t rule_rows(const char *path, size_t *n_rules) {
    size_t n;
    sw_catalogue(&n);
    *n_rules = 0;
    if (!path) {
        rix = sw_ruleindex_new(NULL, 0);
        return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    }
    sw_ruleset rs = {0};
    char err[512];
    if (sw_ruleset_add(&rs, path, err, sizeof err) != 0) {
        fprintf(stderr, "hotpath: %s\n", err);
        exit(1);
    }
    uint64_t rows = 0;
    const sw_kql **q = calloc(rs.n + 1, sizeof *q);
    for (size_t i = 0; i < rs.n; i++)
        if (rs.v[i].loaded) {
            rows |= rs.v[i].def.rows;
            q[(*n_rules)++] = rs.v[i].def.kql;
        }
    rix = sw_ruleindex_new(q, *n_rules);
    free(q);
    sw_ruleset_free(&rs);
    return rows;
}

static uint64_t alerts_seen;
static void null_alert(void *ud, const sw_alert_out *a) {
    (void)ud;
    alerts_seen++;
    sink += a->json_len;
}

static sw_config cfg;
static uint64_t last_alerts, last_users;

static void run_full(const corpus *c) {
    sw_engine *e = sw_engine_new(&cfg, null_alert, NULL, NULL);
    sw_source src = {.file = "bench", .kafka_time_ms = INT64_MIN, .index = UINT32_MAX};
    for (size_t i = 0; i < c->n; i++) {
        src.line = i + 1;
        sw_engine_feed(e, parser, c->buf + c->off[i], c->llen[i], c->len + SW_PADDING - c->off[i], &src);
    }
    last_alerts = sw_engine_counters(e)->alerts;
    last_users = sw_store_users(sw_engine_store(e));
    sw_engine_free(e);
}

/* A rule set as the rules engine runs it, with a parser of its own (the
 * engine sets the rules' catalogue rows on it). */
typedef struct {
    const char *path;
    sw_ruleset rs;
    sw_rulespec *specs;
    size_t n;
    sw_parser *parser;
    uint64_t alerts;
} spec_set;

static int specs_load(spec_set *s, const char *path) {
    char err[512];
    s->path = path;
    if (sw_ruleset_add(&s->rs, path, err, sizeof err) != 0) {
        fprintf(stderr, "hotpath: %s: row left out\n", err);
        return -1;
    }
    s->specs = calloc(s->rs.n_loaded + 1, sizeof *s->specs);
    for (size_t i = 0; i < s->rs.n; i++)
        if (s->rs.v[i].loaded && sw_ruledef_spec(&s->rs.v[i].def, &s->specs[s->n++]) != 0) exit(1);
    s->parser = sw_parser_new(cfg.max_record_bytes);
    return s->n ? 0 : -1;
}

static void specs_free(spec_set *s) {
    for (size_t i = 0; i < s->n; i++) sw_rulespec_release(&s->specs[i]);
    free(s->specs);
    sw_ruleset_free(&s->rs);
    sw_parser_free(s->parser);
}

static spec_set *rules_now; /* the set run_rules runs */

static void run_rules(const corpus *c) {
    sw_rengine *e = sw_rengine_new(&cfg, rules_now->specs, rules_now->n, -1, null_alert, NULL, NULL);
    sw_source src = {.file = "bench", .kafka_time_ms = INT64_MIN, .index = UINT32_MAX};
    for (size_t i = 0; i < c->n; i++) {
        src.line = i + 1;
        sw_rengine_feed(e, rules_now->parser, c->buf + c->off[i], c->llen[i], c->len + SW_PADDING - c->off[i], &src);
    }
    rules_now->alerts = sw_rengine_counters(e)->alerts;
    sw_rengine_free(e);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --rules, else Elastic's Okta rules when present, else the project's. */
static const char *default_rules(const char *given) {
    static char dir[4200];
    const char *td = getenv("SW_TESTDATA");
    if (given) return given;
    if (td && *td && (snprintf(dir, sizeof dir, "%s/../rules/okta", td), is_dir(dir))) return dir;
    if (is_dir("../shared/testdata/rules/okta")) return "../shared/testdata/rules/okta";
    return "deploy/rules";
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct { double med, min, max; } stat3;

static stat3 stats_of(double *t, int runs) {
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    return (stat3){t[runs / 2], t[0], t[runs - 1]};
}

static double time_once(void (*fn)(const corpus *), const corpus *c) {
    double t0 = now_s();
    fn(c);
    return now_s() - t0;
}

static stat3 measure(void (*fn)(const corpus *), const corpus *c, int runs) {
    double t[64];
    fn(c); /* warm-up */
    for (int i = 0; i < runs; i++) t[i] = time_once(fn, c);
    return stats_of(t, runs);
}

/* The rule sets' rows (NULL sets left out), timed alternately, one run of
 * each in turn, so that a shared machine's drift falls on all of them. */
static void measure_sets(spec_set *const *sets, stat3 *out, size_t n, const corpus *c, int runs) {
    double t[4][64];
    for (int i = -1; i < runs; i++)
        for (size_t k = 0; k < n; k++) {
            if (!sets[k]) continue;
            rules_now = sets[k];
            double dt = time_once(run_rules, c);
            if (i >= 0) t[k][i] = dt; /* run -1 is the warm-up */
        }
    for (size_t k = 0; k < n; k++)
        if (sets[k]) out[k] = stats_of(t[k], runs);
}

static void report(const char *name, stat3 s, const corpus *c, int json) {
    double recs = (double)c->n;
    if (json) {
        printf("{\"name\":\"%s\",\"records\":%zu,\"bytes\":%zu,\"median_s\":%.6f,\"min_s\":%.6f,\"max_s\":%.6f,"
               "\"records_per_s\":%.0f,\"gb_per_s\":%.3f,\"ns_per_record\":%.1f}\n",
               name, c->n, c->len, s.med, s.min, s.max, recs / s.med, (double)c->len / s.med / 1e9,
               s.med / recs * 1e9);
    } else {
        printf("%-8s %12.0f rec/s %7.3f GB/s %8.1f ns/rec   (median of runs; min %.4f s, max %.4f s)\n", name,
               recs / s.med, (double)c->len / s.med / 1e9, s.med / recs * 1e9, s.min, s.max);
    }
}

/* What the rule rows ran, and issue 14's ratio. */
static void report_sets(spec_set *const *sets, const stat3 *st, int json) {
    for (size_t k = 0; k < 2; k++) {
        if (!sets[k]) continue;
        if (json)
            printf("{\"name\":\"%s_info\",\"path\":\"%s\",\"rules\":%zu,\"alerts\":%llu}\n",
                   k ? "rules" : "seed-toml", sets[k]->path, sets[k]->n, (unsigned long long)sets[k]->alerts);
        else
            printf("%s: %zu rule(s) from %s, %llu alerts\n", k ? "rules" : "seed-toml", sets[k]->n,
                   sets[k]->path, (unsigned long long)sets[k]->alerts);
    }
    if (sets[0] && sets[1] && !json)
        printf("rules/seed-toml time ratio %.2f (issue 14's budget: at most 1.5)\n", st[1].med / st[0].med);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: hotpath FILE [--runs N] [--json] [--rules PATH]\n");
        return 2;
    }
    int runs = 7, json = 0;
    const char *rules = NULL, *seed_rule = "deploy/rules/sessionwatch_seed_rule.toml";
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) rules = argv[++i];
        else if (strcmp(argv[i], "--seed-rule") == 0 && i + 1 < argc) seed_rule = argv[++i];
    }
    if (runs < 1 || runs > 64) runs = 7;
    corpus c = {0};
    if (load(argv[1], &c) != 0) {
        fprintf(stderr, "hotpath: cannot read %s\n", argv[1]);
        return 1;
    }
    sw_config_defaults(&cfg);
    parser = sw_parser_new(cfg.max_record_bytes);
    parser_rows = sw_parser_new(cfg.max_record_bytes);
    size_t n_rules;
    uint64_t rows = rule_rows(rules, &n_rules);
    if (!rix) return 1;
    rix_mask = calloc(sw_ruleindex_words(rix), sizeof *rix_mask);
    sw_parser_want_fields(parser_rows, rows | sw_ruleindex_rows());
    if (!json) printf("%s: %zu records, %.1f MB, %.0f bytes/record; rows: %d catalogue rows (%s)\n", argv[1], c.n,
                      (double)c.len / 1e6, (double)c.len / (double)c.n, __builtin_popcountll(rows),
                      rules ? "the rules' union" : "all");
    stat3 f1 = measure(run_floor1, &c, runs);
    stat3 f2 = measure(run_floor2, &c, runs);
    stat3 rw = measure(run_rows, &c, runs);
    stat3 ix = measure(run_index, &c, runs);
    stat3 full = measure(run_full, &c, runs);
    spec_set seed_set = {0}, all_set = {0};
    spec_set *sets[2] = {specs_load(&seed_set, seed_rule) == 0 ? &seed_set : NULL,
                         specs_load(&all_set, default_rules(rules)) == 0 ? &all_set : NULL};
    stat3 set_stat[2];
    measure_sets(sets, set_stat, 2, &c, runs);
    report("floor1", f1, &c, json);
    report("floor2", f2, &c, json);
    report("rows", rw, &c, json);
    report("index", ix, &c, json);
    report("full", full, &c, json);
    if (sets[0]) report("seed-toml", set_stat[0], &c, json);
    if (sets[1]) report("rules", set_stat[1], &c, json);
    if (json) printf("{\"name\":\"full_info\",\"alerts\":%llu,\"tracked_users\":%llu}\n",
                     (unsigned long long)last_alerts, (unsigned long long)last_users);
    else printf("full: %llu alerts, %llu users tracked at end; full/floor2 time ratio %.2f; rows/floor2 %.2f\n",
                (unsigned long long)last_alerts, (unsigned long long)last_users, full.med / f2.med,
                rw.med / f2.med);
    if (json)
        printf("{\"name\":\"rows_info\",\"rows\":%d,\"rules\":%zu,\"raw_skip\":%s,\"index_parsed\":%llu}\n",
               __builtin_popcountll(rows), n_rules, sw_ruleindex_can_skip(rix) ? "true" : "false",
               (unsigned long long)index_parsed);
    else
        printf("index: %zu rules, raw skip %s, %llu of %zu records parsed; index/floor2 %.2f\n", n_rules,
               sw_ruleindex_can_skip(rix) ? "on" : "off", (unsigned long long)index_parsed, c.n, ix.med / f2.med);
    report_sets(sets, set_stat, json);
    specs_free(&seed_set);
    specs_free(&all_set);
    sw_parser_free(parser);
    sw_parser_free(parser_rows);
    sw_ruleindex_free(rix);
    free(rix_mask);
    free(c.buf);
    free(c.off);
    free(c.llen);
    return 0;
}
