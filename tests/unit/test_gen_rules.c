/* test_gen_rules.c -- `gen --rules` (stream/gen/rulecases.c): for the
 * project's seed rule TOML and, when ../shared is there, every loadable
 * rule of Elastic's Okta set, each case in the truth is checked against
 * the records themselves, independently of how gen made them:
 *   - a positive's events all match the rule's query (each record read with
 *     the extractor's catalogue values, the query run with sw_kql_match), lie within the
 *     rule's window, share the group-by values the truth names, and reach
 *     the threshold and the cardinality;
 *   - a near miss falls short exactly as its truth line says: a query near
 *     miss does not match (its flipped field named), a threshold near miss
 *     matches but has one event fewer than the threshold, or one distinct
 *     value fewer than the cardinality;
 *   - every rule loaded gets both cases, except the ones skipped with a
 *     reason (pinned; raw only: as ECS documents all 33 get both);
 *   - the ordinary records are untouched: without the case records the
 *     output is byte for byte the output without --rules (raw, ECS and
 *     eventbridge, several seeds, with tenants), and without --rules
 *     sw_gen_run_rules is sw_gen_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "fields.h"
#include "gen.h"
#include "kql.h"
#include "rulecases.h"
#include "ruleset.h"
#include "testutil.h"
#include "timefmt.h"

#define MAX_LINES 200000
#define SEED_FILE SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml"

typedef struct {
    char *out, *truth;
    size_t out_len, truth_len;
    int64_t n;
} run_t;

static run_t run(const sw_gen_opts *o, const sw_ruleset *rs) {
    run_t r = {0};
    FILE *f[2] = {open_memstream(&r.out, &r.out_len), open_memstream(&r.truth, &r.truth_len)};
    assert_true(f[0] && f[1]);
    r.n = rs ? sw_gen_run_rules(o, rs, f[0], f[1], stdout) : sw_gen_run(o, f[0], f[1]);
    for (int i = 0; i < 2; i++) assert_int_equal(fclose(f[i]), 0);
    return r;
}

static void run_free(run_t *r) { free(r->out), free(r->truth); }

/* The string value of "key":"..." in line (no escapes in the values read
 * here), into dst; 0 when absent. */
static int json_get(tu_span line, const char *key, char *dst, size_t cap) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = memmem(line.p, line.n, pat, strlen(pat));
    if (!p) return 0;
    p += strlen(pat);
    const char *e = memchr(p, '"', line.n - (size_t)(p - line.p));
    if (!e || (size_t)(e - p) >= cap) return 0;
    memcpy(dst, p, (size_t)(e - p));
    dst[e - p] = '\0';
    return 1;
}

static long json_int(tu_span line, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = memmem(line.p, line.n, pat, strlen(pat));
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* The LogEvent uuid of a record (the last "uuid" key). */
static int record_uuid(tu_span rec, char u[40]) {
    const char *at = NULL;
    for (const char *p = rec.p; (p = memmem(p, rec.n - (size_t)(p - rec.p), "\"uuid\":\"", 8)); p += 8) at = p + 8;
    if (!at || rec.n - (size_t)(at - rec.p) < 37) return 0;
    memcpy(u, at, 36);
    u[36] = '\0';
    return 1;
}

typedef struct {
    tu_span *lines;
    size_t n;
    char (*uuid)[40];
    unsigned char *in_case;
} records_t;

static records_t records(const run_t *r) {
    records_t R = {calloc(MAX_LINES, sizeof(tu_span)), 0, NULL, NULL};
    R.n = tu_split_lines(r->out, r->out_len, R.lines, MAX_LINES);
    R.uuid = calloc(R.n, sizeof *R.uuid);
    R.in_case = calloc(R.n, 1);
    for (size_t i = 0; i < R.n; i++) assert_true(record_uuid(R.lines[i], R.uuid[i]));
    return R;
}

static void records_free(records_t *R) {
    free(R->lines);
    free(R->uuid);
    free(R->in_case);
}

static size_t find_record(const records_t *R, const char *u) {
    for (size_t i = 0; i < R->n; i++)
        if (strcmp(R->uuid[i], u) == 0) return i;
    fail_msg("no record with uuid %s", u);
    return 0;
}

static const sw_ruledef *rule_by_id(const sw_ruleset *rs, const char *id) {
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].loaded && strcmp(rs->v[i].def.rule_id, id) == 0) return &rs->v[i].def;
    fail_msg("truth names rule %s, not loaded", id);
    return NULL;
}

static int same(const sw_kql_value *v, const char *s) {
    return v->kind == SW_KQL_V_STRING && v->n == strlen(s) && memcmp(v->p, s, v->n) == 0;
}

/* One truth line of a case, checked against the records. */
static void check_case(sw_parser *parser, const sw_ruleset *rs, records_t *R, tu_span t) {
    char id[80], kind[16], u[40], want[300];
    assert_true(json_get(t, "rule_id", id, sizeof id));
    assert_true(json_get(t, "case", kind, sizeof kind));
    const sw_ruledef *r = rule_by_id(rs, id);
    int near = strcmp(kind, "near_miss") == 0;
    assert_true(near || strcmp(kind, "positive") == 0);
    assert_int_equal(json_int(t, "expected_alerts"), near ? 0 : 1);
    int query_near = near && memmem(t.p, t.n, "\"flipped\":", 10) != NULL;
    size_t nf;
    sw_catalogue(&nf);
    const char *ev = memmem(t.p, t.n, "\"events\":[", 10);
    assert_non_null(ev);
    ev += 10;
    int64_t first = INT64_MAX, last = INT64_MIN, count = 0;
    char distinct[128][128];
    size_t n_distinct = 0;
    while (*ev == '"') {
        memcpy(u, ev + 1, 36);
        u[36] = '\0';
        ev += 38 + (ev[38] == ',');
        size_t i = find_record(R, u);
        assert_false(R->in_case[i]);
        R->in_case[i] = 1;
        count++;
        tu_span rec = R->lines[i];
        char *copy = malloc(rec.n + SW_PADDING);
        memcpy(copy, rec.p, rec.n);
        memset(copy + rec.n, ' ', SW_PADDING); /* simdjson peeks past the end */
        const sw_event *events;
        size_t n_events;
        sw_parser_want_fields(parser, ~0ULL >> (64 - nf));
        assert_int_equal(sw_parser_extract_events(parser, copy, rec.n, rec.n + SW_PADDING, NULL, &events, &n_events),
                         SW_X_OK);
        assert_int_equal(n_events, 1);
        const sw_kql_field *fv = events[0].fields;
        bool m = sw_kql_match(r->kql, fv, SW_CATALOGUE_MAX);
        if (m != !query_near) fail_msg("%s %s: record %s %s the query", r->name, kind, u, m ? "matches" : "does not match");
        /* the time, from the record */
        char ts[40];
        tu_span whole = {copy, rec.n};
        assert_true(json_get(whole, "published", ts, sizeof ts) || json_get(whole, "@timestamp", ts, sizeof ts));
        int64_t ms;
        assert_int_equal(sw_time_parse(ts, strlen(ts), &ms), 0);
        if (ms < first) first = ms;
        if (ms > last) last = ms;
        /* the group: one value per group-by field, the truth's */
        for (size_t k = 0; k < r->n_group_by; k++) {
            const sw_kql_field *g = &fv[r->group_by_rows[k]];
            assert_int_equal(g->n, 1);
            assert_true(json_get(t, r->group_by[k], want, sizeof want));
            if (!same(&g->v[0], want)) fail_msg("%s: group %s differs from the truth's %s", r->name, r->group_by[k], want);
        }
        if (r->cardinality_row >= 0) {
            const sw_kql_field *c = &fv[r->cardinality_row];
            assert_int_equal(c->n, 1);
            size_t s = 0;
            while (s < n_distinct && !same(&c->v[0], distinct[s])) s++;
            if (s == n_distinct) {
                assert_true(n_distinct < 128 && c->v[0].n < 128);
                memcpy(distinct[n_distinct], c->v[0].p, c->v[0].n);
                distinct[n_distinct++][c->v[0].n] = '\0';
            }
        }
        free(copy);
    }
    assert_true(count >= 1);
    assert_true(last - first <= r->window_ms);
    if (r->type == SW_RULE_QUERY || query_near) {
        assert_int_equal(count, 1);
        return;
    }
    int64_t card = r->cardinality_row >= 0 ? r->cardinality : 0;
    if (!near) {
        assert_true(count >= r->threshold);
        if (card) assert_true((int64_t)n_distinct >= card);
        return;
    }
    const char *nm = memmem(t.p, t.n, "\"near_miss\":{", 13);
    assert_non_null(nm);
    tu_span how = {nm, t.n - (size_t)(nm - t.p)};
    if (json_int(how, "distinct") >= 0) {
        /* one distinct value short, and only that */
        assert_int_equal((int64_t)n_distinct, card - 1);
        assert_int_equal(json_int(how, "distinct"), card - 1);
        assert_true(count >= r->threshold);
    } else {
        assert_int_equal(count, r->threshold - 1);
        assert_int_equal(json_int(how, "events"), r->threshold - 1);
        if (card) assert_true((int64_t)n_distinct >= card);
    }
}

/* Generates with rs, checks every case, and that the rest is the output
 * without rules.  Returns the number of rules with cases; skipped rule ids
 * go to skipped (comma-separated). */
static size_t check_run(const sw_gen_opts *o, const sw_ruleset *rs, char *skipped, size_t cap) {
    run_t with = run(o, rs), without = run(o, NULL);
    records_t R = records(&with);
    assert_int_equal(with.n, (int64_t)R.n);
    tu_span truth[512];
    memset(truth, 0, sizeof truth);
    size_t nt = tu_split_lines(with.truth, with.truth_len, truth, 512), cases = 0, rules = 0;
    sw_parser *parser = sw_parser_new(1 << 16);
    assert_non_null(parser);
    skipped[0] = '\0';
    for (size_t i = 0; i < nt; i++) {
        char kind[16], id[80];
        if (!json_get(truth[i], "rule_id", id, sizeof id)) continue; /* an attack line */
        assert_true(json_get(truth[i], "case", kind, sizeof kind));
        if (strcmp(kind, "skipped") == 0) {
            snprintf(skipped + strlen(skipped), cap - strlen(skipped), "%s%s", *skipped ? "," : "", id);
            continue;
        }
        check_case(parser, rs, &R, truth[i]);
        cases++;
        if (strcmp(kind, "positive") == 0) rules++;
    }
    assert_int_equal(cases, 2 * rules);
    /* the other records, in order, are the run without rules */
    size_t at = 0;
    for (size_t i = 0; i < R.n; i++) {
        if (R.in_case[i]) continue;
        tu_span l = R.lines[i];
        assert_true(at + l.n + 1 <= without.out_len);
        if (memcmp(without.out + at, l.p, l.n) != 0) fail_msg("ordinary record %zu differs", i);
        at += l.n + 1;
    }
    assert_int_equal(at, without.out_len);
    /* the truth starts with the attacks' lines, unchanged */
    assert_true(with.truth_len >= without.truth_len);
    assert_memory_equal(with.truth, without.truth, without.truth_len);
    sw_parser_free(parser);
    records_free(&R);
    run_free(&with);
    run_free(&without);
    return rules;
}

/* The rules under path; want_loaded of them load. */
static sw_ruleset load(const char *path, size_t want_loaded) {
    sw_ruleset rs = {0};
    char err[512];
    if (sw_ruleset_add(&rs, path, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(rs.n_loaded, want_loaded);
    return rs;
}

/* check_run on raw records (one tenant), on EventBridge (3 tenants, another
 * seed) and on ECS documents: the rules with cases, and the raw skips. */
static void check_formats(const sw_ruleset *rs, uint64_t users, size_t raw, const char *raw_skipped, size_t ecs) {
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = users;
    char skipped[2048];
    for (int f = 0; f < 3; f++) {
        o.format = f == 0 ? 0 : f == 1 ? 2 : 1;
        o.tenants = f == 1 ? 3 : 1;
        o.seed = 1 + 6 * (uint64_t)f;
        size_t rules = check_run(&o, rs, skipped, sizeof skipped);
        printf("  format %d: %zu of %zu loaded rules have a positive case and a near miss; skipped: %s\n", o.format,
               rules, rs->n_loaded, skipped);
        assert_int_equal(rules, o.format == 1 ? ecs : raw);
        assert_string_equal(skipped, o.format == 1 ? "" : raw_skipped);
    }
}

static void test_seed_rule_cases(void **state) {
    (void)state;
    sw_ruleset rs = load(SEED_FILE, 1);
    check_formats(&rs, 200, 1, "", 1);
    sw_ruleset_free(&rs);
}

/* The project's rules (deploy/rules: the seed and the sessionwatch
 * examples) all get both cases, raw, EventBridge and ECS. */
static void test_project_rules_cases(void **state) {
    (void)state;
    sw_ruleset rs = load(SW_SOURCE_DIR "/deploy/rules", 5);
    check_formats(&rs, 200, 5, "", 5);
    sw_ruleset_free(&rs);
}

/* The seed rule's positive: 3 session starts, 3 distinct sessions, one
 * actor; its near miss: 3 starts, 2 sessions. */
static void test_seed_rule_truth(void **state) {
    (void)state;
    sw_ruleset rs = load(SEED_FILE, 1);
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 50;
    o.attack_rate = 0;
    run_t r = run(&o, &rs);
    tu_span t[4];
    assert_int_equal(tu_split_lines(r.truth, r.truth_len, t, 4), 2);
    assert_non_null(strstr(r.truth, "\"rule_id\":\"621e92b6-7e54-11ee-bdc0-f661ea17fbcd\",\"rule\":\"Multiple Okta "
                                    "Sessions Detected for a Single User\",\"type\":\"threshold\",\"case\":\"positive\","
                                    "\"tenant\":null,\"group_by\":{\"okta.actor.id\":\"00u"));
    assert_int_equal(tu_count(t[0].p, "\"expected_alerts\":1"), 1);
    assert_int_equal(tu_count(r.truth, "\"near_miss\":{\"distinct\":2,\"of\":\"okta.authentication_context.external_session_id\"}"), 1);
    run_free(&r);
    sw_ruleset_free(&rs);
}

static void test_no_rules_is_gen(void **state) {
    (void)state;
    sw_ruleset empty = {0};
    for (int f = 0; f < 3; f++) {
        sw_gen_opts o;
        sw_gen_defaults(&o);
        o.users = 100;
        o.format = f;
        o.seed = 3 + (uint64_t)f;
        run_t a = run(&o, NULL), b = run(&o, &empty);
        tu_assert_same_bytes(a.out, a.out_len, b.out, b.out_len);
        tu_assert_same_bytes(a.truth, a.truth_len, b.truth, b.truth_len);
        run_free(&a);
        run_free(&b);
    }
}

static void test_elastic_okta_rules(void **state) {
    (void)state;
    sw_ruleset rs = load(tu_okta_rules_dir_or_skip(), 33);
    /* Okta FastPass Phishing Detection wants event.category authentication
     * with okta.event_type user.authentication.auth_via_mfa, which the
     * pipeline's category lists (fields.c) do not derive from that type:
     * no raw event matches it.  As ECS documents, event.category is written
     * as such: all 33. */
    check_formats(&rs, 300, 32, "ee39a9f7-5a79-4b0a-9815-d36b3cf28d3e", 33);
    sw_ruleset_free(&rs);
}

/* Rules written here: the inverse derivations (client.user.name,
 * event.outcome, a boolean), a cardinality above the 64 distinct values
 * gen tells apart, a one-second window, and a field no raw event has. */
#define RULE(id, type, query, extra)                                                                                \
    "[rule]\nrule_id = \"" id "\"\nname = \"rule " id "\"\ntype = \"" type "\"\nlanguage = \"kuery\"\n"                \
    "severity = \"low\"\nrisk_score = 1\nquery = '''" query "'''\n" extra
static const char *const OWN_RULES[] = {
    RULE("own-1", "query",
         "event.dataset:okta.system and client.user.name:alice.smith and event.outcome:failure and "
         "okta.security_context.is_proxy:true and not okta.client.device:Mobile",
         ""),
    RULE("own-2", "threshold", "okta.event_type:user.session.start",
         "from = \"now-2h\"\n[rule.threshold]\nfield = [\"okta.actor.id\"]\nvalue = 5\n"
         "[[rule.threshold.cardinality]]\nfield = \"okta.authentication_context.external_session_id\"\nvalue = 70\n"),
    RULE("own-3", "threshold", "event.action:(user.account.lock or user.account.unlock)",
         "from = \"now-1s\"\n[rule.threshold]\nfield = [\"okta.actor.alternate_id\", \"okta.client.device\"]\nvalue = 4\n"),
    RULE("own-4", "query", "cloud.account.id:123 and event.action:x", ""),
};

static void test_own_rules(void **state) {
    (void)state;
    sw_ruleset rs = {0};
    for (size_t i = 0; i < sizeof OWN_RULES / sizeof *OWN_RULES; i++)
        assert_int_equal(sw_ruleset_add_text(&rs, "own.toml", OWN_RULES[i], strlen(OWN_RULES[i])), 0);
    for (size_t i = 0; i < rs.n; i++)
        if (!rs.v[i].loaded) fail_msg("refused: %s", rs.v[i].why);
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 100;
    char skipped[256];
    assert_int_equal(check_run(&o, &rs, skipped, sizeof skipped), 3);
    assert_string_equal(skipped, "own-4");
    run_t r = run(&o, &rs);
    assert_non_null(strstr(r.truth, "\"case\":\"skipped\",\"reason\":\"no positive case: cloud.account.id has no "
                                    "source in a raw event (ECS input only)\"}"));
    assert_non_null(strstr(r.out, "\"alternateId\":\"alice.smith@"));
    assert_non_null(strstr(r.truth, "\"near_miss\":{\"distinct\":69,"));
    assert_non_null(strstr(r.truth, "\"near_miss\":{\"events\":3}"));
    run_free(&r);
    sw_ruleset_free(&rs);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_seed_rule_cases), cmocka_unit_test(test_project_rules_cases),
                                       cmocka_unit_test(test_seed_rule_truth),
                                       cmocka_unit_test(test_no_rules_is_gen), cmocka_unit_test(test_elastic_okta_rules),
                                       cmocka_unit_test(test_own_rules)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
