/* test_rules_scan.c -- `sessionwatch scan --rules` as a black box.
 *
 * THE pin: the seed rule loaded from deploy/rules/sessionwatch_seed_rule.toml
 * gives exactly the alerts of the built-in seed engine: the same alert ids,
 * in the same order, and the same alert JSON except detected_at and the
 * rule's "parameters" (which lists more of the rule) -- on `sessionwatch
 * gen` output (three seeds, each input format, thousands of events with
 * attacks) and on Elastic's Okta fixtures (../shared/testdata/okta, or
 * $SW_TESTDATA; skipped with a message when absent).  Also: every rule of
 * ../shared/testdata/rules/okta runs over gen output with a count per rule
 * (skipped when absent); refusals are warnings, or exit 2 with
 * --strict-rules; --partitions is refused with --rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_check.h"
#include "testutil.h"

#define SEED_FILE SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml"

static char *gen(const char *seed, const char *format, size_t *len) {
    tu_result r = tu_run((const char *const[]){"gen", "--seed", seed, "--users", "150", "--hours", "2",
                                               "--attack-rate", "0.05", "--format", format, NULL},
                         NULL, 0);
    assert_int_equal(r.status, 0);
    *len = r.out_len;
    free(r.err);
    return r.out;
}

/* Cuts `"key":` and its value (a string or a flat object) out of every
 * line, in place. */
static void strip(char *s, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, ",\"%s\":", key);
    for (char *p; (p = strstr(s, pat));) {
        char *v = p + strlen(pat), *end;
        if (*v == '"') end = strchr(v + 1, '"') + 1;
        else end = strchr(v, '}') + 1;
        memmove(p, end, strlen(end) + 1);
    }
}

static tu_result scan(const char *const *argv, const char *input, size_t len) {
    tu_result r = tu_run(argv, input, len);
    if (r.status != 0) fail_msg("scan exited %d: %s", r.status, r.err);
    return r;
}

/* The built-in engine and the seed rule's TOML over input, with extra
 * flags for both: the same alerts; returns how many. */
static size_t same_alerts(const char *input, size_t len, const char *const *extra, const char *rules_file) {
    const char *plain[24] = {"scan"}, *rules[24] = {"scan", "--rules", rules_file};
    size_t np = 1, nr = 3;
    for (; extra && *extra; extra++) plain[np++] = rules[nr++] = *extra;
    tu_result a = scan(plain, input, len), b = scan(rules, input, len);
    size_t n = tu_count(a.out, "\"alert_id\"");
    assert_int_equal(tu_count(b.out, "\"alert_id\""), n);
    strip(a.out, "detected_at");
    strip(b.out, "detected_at");
    strip(a.out, "parameters");
    strip(b.out, "parameters");
    assert_string_equal(a.out, b.out);
    assert_non_null(strstr(b.err, "rule 621e92b6-7e54-11ee-bdc0-f661ea17fbcd (Multiple Okta Sessions Detected for a "
                                  "Single User): "));
    tu_result_free(&a);
    tu_result_free(&b);
    return n;
}

static void test_seed_toml_equals_builtin_on_gen(void **state) {
    (void)state;
    const char *seeds[] = {"1", "7", "42"}, *formats[] = {"raw", "ecs", "eventbridge"};
    size_t total = 0;
    for (size_t s = 0; s < 3; s++) {
        for (size_t f = 0; f < 3; f++) {
            size_t len;
            char *in = gen(seeds[s], formats[f], &len);
            assert_true(tu_count(in, "\n") > 2000);
            size_t n = same_alerts(in, len, NULL, SEED_FILE);
            assert_true(n > 0); /* the generator's attacks alert */
            total += n;
            free(in);
        }
    }
    assert_true(total >= 9);
}

/* Tenants and a tighter cap: still the same alerts. */
static void test_seed_toml_equals_builtin_with_tenants(void **state) {
    (void)state;
    tu_result r = tu_run((const char *const[]){"gen", "--seed", "5", "--users", "60", "--tenants", "3", "--hours",
                                               "2", "--attack-rate", "0.1", NULL},
                         NULL, 0);
    assert_int_equal(r.status, 0);
    const char *extra[] = {"--tenant-field", "tenant", NULL};
    assert_true(same_alerts(r.out, r.out_len, extra, SEED_FILE) > 0);
    tu_result_free(&r);
}

/* The seed rule with a week's window and one session (the fixtures' two
 * sessions are two years apart), as a temporary rule file. */
static const char *wide_seed_rule(void) {
    size_t len;
    char *t = tu_read_file(SEED_FILE, &len);
    assert_non_null(t);
    char *from = strstr(t, "from = \"now-35m\"");
    char *card = strstr(t, "value = 3");
    assert_non_null(from);
    assert_non_null(card);
    memcpy(from, "from = \"now-7d\" ", 16);
    card[8] = '1';
    const char *path = tu_write_temp(t, len);
    static char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    free(t);
    return copy;
}

static void test_seed_toml_equals_builtin_on_fixtures(void **state) {
    (void)state;
    const char *dir = tu_fixture_dir_or_skip("; fixture pin skipped");
    const char *files[] = {"elastic-integrations-okta-system-events.log", "beats-okta-system-test.log",
                           "elastic-integrations-sample_logs-okta-system.json.log"};
    const char *wide_rule = wide_seed_rule();
    const char *wide[] = {"--window", "7d", "--allowed-lateness", "7d", "--min-sessions", "1", NULL};
    const char *late[] = {"--allowed-lateness", "7d", NULL};
    size_t alerts = 0;
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        char *in = tu_read_file(path, &len);
        assert_non_null(in);
        same_alerts(in, len, NULL, SEED_FILE); /* none at the seed's 35 min and 3 sessions */
        /* The wide built-in engine against the wide rule file. */
        const char *plain[16] = {"scan"}, *rules[16] = {"scan", "--rules", wide_rule};
        size_t np = 1, nr = 3;
        for (const char *const *w = wide; *w; w++) plain[np++] = *w;
        for (const char *const *w = late; *w; w++) rules[nr++] = *w;
        tu_result a = scan(plain, in, len), b = scan(rules, in, len);
        size_t n = tu_count(a.out, "\"alert_id\"");
        assert_int_equal(tu_count(b.out, "\"alert_id\""), n);
        static const char key[] = "\"alert_id\":\"";
        for (const char *p = a.out, *q = b.out; (p = strstr(p, key)) && (q = strstr(q, key)); p++, q++)
            assert_memory_equal(p, q, sizeof key - 1 + 32);
        alerts += n;
        tu_result_free(&a);
        tu_result_free(&b);
        free(in);
    }
    assert_true(alerts >= 2);
}

static void test_every_okta_rule_runs_on_gen(void **state) {
    (void)state;
    const char *dir = tu_okta_rules_dir_or_skip();
    size_t len;
    char *in = gen("3", "raw", &len);
    tu_result r = tu_run((const char *const[]){"scan", "--rules", dir, "--summary", "json", NULL}, in, len);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "sessionwatch scan: 33 rule(s) loaded, 19 refused\n"));
    assert_int_equal(tu_count(r.err, ": warning: rule refused: "), 19);
    const char *line = strstr(r.err, "{\"unmatched\":");
    assert_non_null(line);
    const char *err = NULL;
    jc_node *j = jc_parse(line, (size_t)(strchr(line, '\n') - line), &err);
    if (!j) fail_msg("rules summary is not JSON (%s): %s", err, line);
    const jc_node *rules = jc_get(j, "rules");
    assert_non_null(rules);
    assert_int_equal(rules->count, 33);
    long sum = 0;
    for (size_t i = 0; i < rules->count; i++) sum += strtol(jc_get(jc_at(rules, i), "alerts")->s, NULL, 10);
    assert_int_equal((size_t)sum, tu_count(r.out, "\"alert_id\""));
    assert_true(sum > 0);
    /* Every alert is strict JSON within the size bound. */
    for (const char *p = r.out; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        jc_node *a = jc_parse(p, (size_t)(nl - p), &err);
        if (!a) fail_msg("alert is not JSON (%s)", err);
        jc_free(a);
        assert_true(nl - p <= 65536);
        p = nl + 1;
    }
    jc_free(j);
    tu_result_free(&r);
    r = tu_run((const char *const[]){"scan", "--strict-rules", "--rules", dir, NULL}, in, len);
    assert_int_equal(r.status, 2);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "--strict-rules: 19 rule file(s) refused"));
    tu_result_free(&r);
    free(in);
}

static void test_usage_errors(void **state) {
    (void)state;
    tu_result r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, "--partitions", "2", NULL}, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--partitions: not with --rules"));
    tu_result_free(&r);
    r = tu_run((const char *const[]){"scan", "--rules", "/nonexistent/rules", NULL}, NULL, 0);
    assert_int_equal(r.status, 2);
    tu_result_free(&r);
    const char *bad = tu_write_temp("[rule]\nrule_id = \"x\"\n", 21);
    char path[4096];
    snprintf(path, sizeof path, "%s", bad);
    r = tu_run((const char *const[]){"scan", "--rules", path, NULL}, NULL, 0);
    assert_int_equal(r.status, 2); /* nothing loaded */
    assert_non_null(strstr(r.err, "warning: rule refused: "));
    tu_result_free(&r);
    r = tu_run((const char *const[]){"scan", "--rules", path, "--rules", SEED_FILE, NULL}, "", 0);
    assert_int_equal(r.status, 0); /* the refusal is a warning; the seed rule runs */
    assert_non_null(strstr(r.err, "1 rule(s) loaded, 1 refused"));
    tu_result_free(&r);
}

/* --rejects works as without --rules: a malformed record, and an event a
 * rule reads with a bad time, each one line with its reason.  (A record
 * that holds no event type a rule requires is skipped unparsed, as the
 * seed rule's prefilter skips it: malformed or not, it is no reject.) */
static void test_rejects_file(void **state) {
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s", tu_write_temp("", 0));
    const char in[] = "{\"eventType\":\"user.session.start\",\n"
                      "{\"eventType\":\"user.session.start\",\"published\":\"soon\",\"actor\":{\"id\":\"00u1\"},"
                      "\"authenticationContext\":{\"externalSessionId\":\"s1\"}}\n"
                      "{\"eventType\":\"user.session.end\",\"published\":\"soon\"}\n";
    tu_result r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, "--rejects", path, NULL}, in,
                         sizeof in - 1);
    assert_int_equal(r.status, 0);
    size_t len;
    char *rej = tu_read_file(path, &len);
    assert_non_null(rej);
    assert_int_equal(tu_count(rej, "\n"), 2);
    assert_non_null(strstr(rej, "{\"reason\":\"malformed_json\",\"source\":{\"file\":\"-\",\"line\":1}"));
    assert_non_null(strstr(rej, "{\"reason\":\"bad_time\",\"source\":{\"file\":\"-\",\"line\":2}"));
    free(rej);
    tu_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_toml_equals_builtin_on_gen),
        cmocka_unit_test(test_seed_toml_equals_builtin_with_tenants),
        cmocka_unit_test(test_seed_toml_equals_builtin_on_fixtures),
        cmocka_unit_test(test_every_okta_rule_runs_on_gen),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_rejects_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
