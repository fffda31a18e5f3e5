/* test_gen_cli.c -- `sessionwatch gen --rules` as a black box (tu_run):
 * the project's seed rule gives two truth lines (a positive and a near
 * miss, each strict JSON with the documented keys) after the attacks'
 * lines, and its records are in the output; a refused rule file is listed
 * on stderr and skipped; usage errors (a missing path, no path) exit 2
 * naming the flag; --help names --rules; without --rules the output and
 * truth are those of the same run before (the attacks only); and, when
 * ../shared is there, Elastic's 52 files: 19 refusals listed, 32 rules
 * with both cases, FastPass skipped with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "testutil.h"
#include "tu_cli.h"

#define SEED_ID "621e92b6-7e54-11ee-bdc0-f661ea17fbcd"

static tu_result run(const char *const *argv) { return tu_run(argv, NULL, 0); }

/* The truth lines that name a rule, each checked as strict JSON. */
static size_t rule_lines(const char *truth, const char *want_case, size_t *cases_seen) {
    tu_span l[512];
    size_t n = tu_split_lines(truth, strlen(truth), l, 512), rules = 0;
    *cases_seen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *err = NULL;
        jc_node *j = jc_parse(l[i].p, l[i].n, &err);
        if (!j) fail_msg("truth line %zu is not JSON (%s)", i, err);
        const jc_node *id = jc_get(j, "rule_id");
        if (!id) {
            assert_int_equal(rules, 0); /* attacks' lines come first */
            jc_free(j);
            continue;
        }
        rules++;
        const jc_node *c = jc_get(j, "case");
        assert_non_null(c);
        assert_non_null(jc_get(j, "rule"));
        assert_non_null(jc_get(j, "type"));
        if (jc_is_str(c, "skipped", 7)) {
            assert_int_equal(jc_get(j, "reason")->type, JC_STRING);
        } else {
            assert_non_null(jc_get(j, "group_by"));
            assert_true(jc_get(j, "events")->count >= 1);
            assert_non_null(jc_get(j, "first"));
            assert_non_null(jc_get(j, "last"));
            assert_non_null(jc_get(j, "tenant"));
            int near = jc_is_str(c, "near_miss", 9);
            assert_true(near || jc_is_str(c, "positive", 8));
            assert_string_equal(jc_get(j, "expected_alerts")->s, near ? "0" : "1");
            assert_int_equal(jc_get(j, "near_miss") != NULL, near);
            if (want_case && jc_is_str(c, want_case, strlen(want_case))) (*cases_seen)++;
        }
        jc_free(j);
    }
    return rules;
}

static void test_seed_rule(void **state) {
    (void)state;
    const char *truth = tu_write_temp("", 0);
    tu_result r = run((const char *const[]){"gen", "--users", "100", "--rules",
                                            SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml",
                                            "--truth", truth, NULL});
    assert_int_equal(r.status, 0);
    char *t = tu_read_file(truth, &(size_t){0});
    size_t positives = 0;
    assert_int_equal(rule_lines(t, "positive", &positives), 2);
    assert_int_equal(positives, 1);
    assert_int_equal(tu_count(t, "\"rule_id\":\"" SEED_ID "\""), 2);
    /* 4000 ordinary records, 3 + 3 case records */
    assert_string_equal(r.err, "sessionwatch gen: 4006 records\n");
    assert_int_equal(tu_count(r.out, "\n"), 4006);
    assert_int_equal(tu_count(r.out, ".sw0x0@"), 3); /* the positive's actor, in its 3 records */
    assert_int_equal(tu_count(r.out, ".sw1x0@"), 3); /* the near miss's */
    free(t);
    tu_result_free(&r);
    remove(truth);
}

static void test_without_rules(void **state) {
    (void)state;
    const char *truth = tu_write_temp("", 0);
    tu_result r = run((const char *const[]){"gen", "--users", "100", "--truth", truth, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "sessionwatch gen: 4000 records\n");
    char *t = tu_read_file(truth, &(size_t){0});
    size_t seen;
    assert_int_equal(rule_lines(t, NULL, &seen), 0);
    assert_int_equal(tu_count(r.out, ".sw0x"), 0);
    free(t);
    tu_result_free(&r);
    remove(truth);
}

static void test_refused_rule_is_listed(void **state) {
    (void)state;
    static const char eql[] = "[rule]\nrule_id = \"x-1\"\nname = \"An EQL rule\"\ntype = \"eql\"\nlanguage = \"eql\"\n"
                              "query = 'any where true'\nseverity = \"low\"\nrisk_score = 1\n";
    const char *file = tu_write_temp(eql, sizeof eql - 1);
    tu_result r = run((const char *const[]){"gen", "--users", "10", "--rules", file, NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "sessionwatch gen: skipping refused rule: "));
    assert_non_null(strstr(r.err, file));
    assert_non_null(strstr(r.err, "sessionwatch gen: 400 records\n"));
    tu_result_free(&r);
    remove(file);
}

static void test_usage(void **state) {
    (void)state;
    tu_expect_usage_error((const char *const[]){"gen", "--rules", "/nonexistent/rules", NULL}, "--rules", NULL);
    tu_expect_usage_error((const char *const[]){"gen", "--rules", NULL}, "--rules", NULL);
    /* Numbers that are not in range, NaN first (it compares false with
     * every bound, so a range check alone let it through). */
    static const char *const bad[] = {"nan", "NaN", "inf", "-0.1", "1.5", "0.1x", " 0.1", "+0.1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tu_expect_usage_error((const char *const[]){"gen", "--attack-rate", bad[i], NULL}, "--attack-rate",
                              "is not a fraction from 0 to 1");
        tu_expect_usage_error((const char *const[]){"gen", "--session-start-share", bad[i], NULL},
                              "--session-start-share", NULL);
    }
    tu_expect_usage_error((const char *const[]){"gen", "--hours", "nan", NULL}, "--hours", NULL);
    static const char *const flags[] = {"--rules PATH", "near miss"};
    tu_expect_help((const char *const[]){"gen", "--help", NULL}, "Usage: sessionwatch gen", flags, 2);
}

static void test_elastic_okta_rules(void **state) {
    (void)state;
    const char *dir = tu_okta_rules_dir_or_skip();
    const char *truth = tu_write_temp("", 0);
    tu_result r = run((const char *const[]){"gen", "--users", "100", "--format", "eventbridge", "--rules", dir,
                                            "--truth", truth, NULL});
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.err, "sessionwatch gen: skipping refused rule: "), 19);
    assert_non_null(strstr(r.err, "sessionwatch gen: rule ee39a9f7-5a79-4b0a-9815-d36b3cf28d3e (Okta FastPass Phishing "
                                  "Detection): no cases: no positive case: event.category: "));
    char *t = tu_read_file(truth, &(size_t){0});
    size_t near = 0;
    assert_int_equal(rule_lines(t, "near_miss", &near), 65);
    assert_int_equal(near, 32);
    assert_int_equal(tu_count(t, "\"case\":\"skipped\""), 1);
    free(t);
    tu_result_free(&r);
    remove(truth);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_rule),
        cmocka_unit_test(test_without_rules),
        cmocka_unit_test(test_refused_rule_is_listed),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_elastic_okta_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
