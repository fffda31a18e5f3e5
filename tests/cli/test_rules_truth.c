/* test_rules_truth.c -- THE end-to-end pin of rules as data: what `gen
 * --rules` claims, `scan --rules` finds.
 *
 * `sessionwatch gen --rules PATH --truth FILE` writes background and attack
 * traffic plus a positive case and a near miss per loaded rule, each with a
 * truth line (rule_id, type, case, tenant, group_by, expected_alerts,
 * events).  This test runs the binary as a black box: gen, then `scan
 * --rules` with the same rules (and --tenant-field tenant) on gen's output,
 * and checks every truth case against the alerts, read with the strict JSON
 * reader (tests/fuzz/json_check.c):
 *   - a query positive has exactly one alert of its rule and tenant whose
 *     event (event.original, parsed) is the case's event, by uuid;
 *   - a threshold positive has exactly one alert of its rule and tenant whose
 *     threshold_result.terms are the case's group_by (fields and values, in
 *     order), and every entry that alert lists is one of the case's events;
 *   - a near miss has no such alert;
 *   - every rule gen loaded has its two cases (or a "skipped" line).
 * Alerts from background traffic on other keys are allowed: the truth only
 * claims its cases.  The project's rules (deploy/rules) run always; Elastic's
 * Okta rules (../shared/testdata/rules/okta) with them when present.  Raw,
 * EventBridge with tenants, and ECS with tenants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json_check.h"
#include "testutil.h"

#define PROJECT_RULES SW_SOURCE_DIR "/deploy/rules"
#define MAX_LINES 100000

/* One alert, parsed, with what the cases are matched on. */
typedef struct {
    jc_node *root;
    const jc_node *rule_id, *tenant, *terms, *entries;
    jc_node *original; /* query alerts: event.original parsed */
    const jc_node *uuid;
} alert_t;

typedef struct {
    alert_t *a;
    size_t n;
} alerts_t;

/* The strict reader's value at a dotted path of object names, or NULL. */
static const jc_node *at(const jc_node *n, const char *path) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); n && k; k = strtok_r(NULL, ".", &save))
        n = n->type == JC_OBJECT ? jc_get(n, k) : NULL;
    return n;
}

static int same_text(const jc_node *a, const jc_node *b) {
    return a && b && a->s && b->s && a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

static jc_node *parse_or_fail(const char *p, size_t n, const char *what) {
    const char *err = NULL;
    jc_node *j = jc_parse(p, n, &err);
    if (!j) fail_msg("%s is not strict JSON (%s): %.*s", what, err, (int)(n > 300 ? 300 : n), p);
    return j;
}

/* A record's identity as gen writes it: the LogEvent's uuid (EventBridge:
 * detail.uuid; ECS: event.id). */
static const jc_node *record_uuid(const jc_node *rec) {
    const jc_node *u = at(rec, "detail.uuid");
    if (!u) u = at(rec, "uuid");
    if (!u) u = at(rec, "event.id");
    return u && u->type == JC_STRING ? u : NULL;
}

static alerts_t read_alerts(const char *out, size_t len) {
    tu_span *lines = calloc(MAX_LINES, sizeof *lines);
    assert_non_null(lines);
    alerts_t as = {calloc(MAX_LINES, sizeof(alert_t)), tu_split_lines(out, len, lines, MAX_LINES)};
    assert_non_null(as.a);
    for (size_t i = 0; i < as.n; i++) {
        alert_t *a = &as.a[i];
        a->root = parse_or_fail(lines[i].p, lines[i].n, "alert");
        a->rule_id = at(a->root, "rule.id");
        a->tenant = at(a->root, "tenant");
        assert_non_null(a->rule_id);
        assert_non_null(a->tenant);
        const jc_node *type = at(a->root, "rule.type");
        if (jc_is_str(type, "query", 5)) {
            const jc_node *orig = at(a->root, "event.original");
            assert_non_null(orig);
            assert_null(at(a->root, "event.truncated")); /* gen's records fit */
            a->original = parse_or_fail(orig->s, orig->n, "event.original");
            a->uuid = record_uuid(a->original);
            assert_non_null(a->uuid);
        } else {
            assert_true(jc_is_str(type, "threshold", 9));
            a->terms = at(a->root, "threshold_result.terms");
            a->entries = jc_get(a->root, "events");
            if (!a->entries) a->entries = jc_get(a->root, "sessions");
            assert_non_null(a->terms);
            assert_non_null(a->entries);
        }
    }
    free(lines);
    return as;
}

static void alerts_free(alerts_t *as) {
    for (size_t i = 0; i < as->n; i++) jc_free(as->a[i].root), jc_free(as->a[i].original);
    free(as->a);
}

/* Whether the alert's terms are exactly the case's group_by, in order. */
static int terms_are(const jc_node *terms, const jc_node *group_by) {
    if (!terms || terms->type != JC_ARRAY || terms->count != group_by->count) return 0;
    const jc_node *g = group_by->child;
    for (size_t i = 0; i < terms->count; i++, g = g->next) {
        const jc_node *t = jc_at(terms, i), *f = jc_get(t, "field");
        if (!f || f->n != g->key_n || memcmp(f->s, g->key, f->n) != 0) return 0;
        if (!same_text(jc_get(t, "value"), g)) return 0;
    }
    return 1;
}

static int holds(const jc_node *list, const jc_node *s) {
    for (const jc_node *e = list->child; e; e = e->next)
        if (same_text(e, s)) return 1;
    return 0;
}

/* The alerts of the case's rule and tenant that concern its events. */
static size_t case_alerts(const alerts_t *as, const jc_node *c, const alert_t **last) {
    const jc_node *rule_id = jc_get(c, "rule_id"), *tenant = jc_get(c, "tenant");
    const jc_node *events = jc_get(c, "events"), *group_by = jc_get(c, "group_by");
    int query = jc_is_str(jc_get(c, "type"), "query", 5);
    size_t hits = 0;
    for (size_t i = 0; i < as->n; i++) {
        const alert_t *a = &as->a[i];
        if (!same_text(a->rule_id, rule_id)) continue;
        if (tenant->type == JC_NULL ? a->tenant->n != 0 : !same_text(a->tenant, tenant)) continue;
        if (query ? !(a->uuid && holds(events, a->uuid)) : !terms_are(a->terms, group_by)) continue;
        hits++;
        *last = a;
    }
    return hits;
}

/* A positive's threshold alert lists only the case's own events. */
static void assert_entries_are_the_case(const alert_t *a, const jc_node *c) {
    const jc_node *events = jc_get(c, "events");
    assert_true(a->entries->count > 0);
    for (const jc_node *e = a->entries->child; e; e = e->next)
        if (!holds(events, jc_get(e, "event_uuid")))
            fail_msg("rule %s: the alert lists an event that is not the case's", jc_get(c, "rule")->s);
}

typedef struct {
    size_t positives, near_misses, skipped;
} tally_t;

static void check_case(const alerts_t *as, const jc_node *c, tally_t *t) {
    const jc_node *kind = jc_get(c, "case"), *name = jc_get(c, "rule");
    assert_non_null(kind);
    assert_non_null(name);
    if (jc_is_str(kind, "skipped", 7)) {
        t->skipped++;
        return;
    }
    int positive = jc_is_str(kind, "positive", 8);
    assert_true(positive || jc_is_str(kind, "near_miss", 9));
    const jc_node *expected = jc_get(c, "expected_alerts"), *events = jc_get(c, "events");
    assert_non_null(expected);
    assert_non_null(events);
    assert_true(events->type == JC_ARRAY && events->count > 0);
    assert_non_null(jc_get(c, "group_by"));
    assert_non_null(jc_get(c, "tenant"));
    assert_int_equal(strtol(expected->s, NULL, 10), positive);
    const alert_t *hit = NULL;
    size_t n = case_alerts(as, c, &hit);
    if (n != (size_t)positive)
        fail_msg("rule \"%s\": %s case has %zu alert(s), the truth says %d", name->s, kind->s, n, positive);
    if (positive) {
        t->positives++;
        if (hit->entries) assert_entries_are_the_case(hit, c);
    } else {
        t->near_misses++;
    }
}

/* gen with the rules, then scan with the same rules; every truth case
 * checked.  Returns the tally. */
static tally_t gen_scan_check(const char *const *rules, const char *format, const char *seed, const char *tenants) {
    char truth_path[64];
    snprintf(truth_path, sizeof truth_path, "%s", tu_write_temp("", 0));
    const char *g[32] = {"gen",   "--seed",  seed,      "--users", "80",          "--hours", "1",
                         "--attack-rate", "0.05", "--format", format, "--tenants", tenants, "--truth",
                         truth_path};
    const char *s[32] = {"scan", "--tenant-field", "tenant"};
    size_t ng = 15, ns = 3;
    for (; *rules; rules++) g[ng++] = s[ns++] = "--rules", g[ng++] = s[ns++] = *rules;
    tu_result gr = tu_run(g, NULL, 0);
    if (gr.status != 0) fail_msg("gen exited %d: %s", gr.status, gr.err);
    assert_true(tu_count(gr.out, "\n") > 2000);
    tu_result sr = tu_run(s, gr.out, gr.out_len);
    if (sr.status != 0) fail_msg("scan exited %d: %s", sr.status, sr.err);
    alerts_t as = read_alerts(sr.out, sr.out_len);

    size_t len;
    char *truth = tu_read_file(truth_path, &len);
    assert_non_null(truth);
    unlink(truth_path);
    tu_span *lines = calloc(MAX_LINES, sizeof *lines);
    assert_non_null(lines);
    size_t nl = tu_split_lines(truth, len, lines, MAX_LINES);
    tally_t t = {0};
    for (size_t i = 0; i < nl; i++) {
        jc_node *c = parse_or_fail(lines[i].p, lines[i].n, "truth line");
        if (jc_get(c, "rule_id")) check_case(&as, c, &t); /* the others are gen's seed-rule attacks */
        jc_free(c);
    }
    assert_int_equal(t.positives, t.near_misses);
    free(lines);
    free(truth);
    alerts_free(&as);
    tu_result_free(&sr);
    tu_result_free(&gr);
    return t;
}

/* The number of rules `rules list` loads from these rules. */
static size_t loaded_rules(const char *const *rules) {
    const char *argv[16] = {"rules", "list"};
    size_t n = 2;
    for (; *rules; rules++) argv[n++] = "--rules", argv[n++] = *rules;
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    size_t loaded = tu_count(r.out, "\tloaded\t");
    tu_result_free(&r);
    return loaded;
}

static void check_all_formats(const char *const *rules, size_t min_rules) {
    size_t loaded = loaded_rules(rules);
    assert_true(loaded >= min_rules);
    const char *formats[] = {"raw", "eventbridge", "ecs"}, *seeds[] = {"21", "22", "23"};
    const char *tenants[] = {"1", "3", "2"};
    for (size_t f = 0; f < 3; f++) {
        tally_t t = gen_scan_check(rules, formats[f], seeds[f], tenants[f]);
        /* Every loaded rule has its two cases, or a line saying why not. */
        assert_int_equal(t.positives + t.skipped, loaded);
        assert_true(t.positives > 0);
    }
}

static void test_project_rules_find_their_cases(void **state) {
    (void)state;
    check_all_formats((const char *const[]){PROJECT_RULES, NULL}, 5); /* the seed and 4 examples */
}

static void test_elastic_and_project_rules_find_their_cases(void **state) {
    (void)state;
    const char *dir = tu_okta_rules_dir_or_skip();
    check_all_formats((const char *const[]){dir, PROJECT_RULES, NULL}, 33 + 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_project_rules_find_their_cases),
        cmocka_unit_test(test_elastic_and_project_rules_find_their_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
