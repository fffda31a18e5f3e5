/* test_rules_cli.c -- `sessionwatch rules list` as a black box (tu_run):
 * the exact text line of the project's seed rule file, --json parsed by
 * the fuzz targets' strict JSON reader, refusals with the file, line and
 * column, hostile strings escaped (no control byte reaches the output),
 * --strict-rules, repeated --rules with a duplicate rule_id, usage errors
 * and a missing path (exit 2 saying what to give), --help naming every
 * flag; and Elastic's 52 Okta rule files from ../shared/testdata/rules/okta
 * (skipped with a message when absent): 33 loaded, 19 refused by type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_check.h"
#include "testutil.h"

#define SEED_FILE SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml"
#define SEED_ID "621e92b6-7e54-11ee-bdc0-f661ea17fbcd"
#define SEED_LINE SEED_ID "\tMultiple Okta Sessions Detected for a Single User\tthreshold\tokta.actor.id\t35m\tloaded\tevent types 1\n"
#define SKIP_ON \
    "sessionwatch rules: prefilter: records holding none of the rules' event types or required values are skipped " \
    "unparsed\n"

static tu_result run(const char *const *argv) { return tu_run(argv, NULL, 0); }

static void test_seed_rule_text(void **state) {
    (void)state;
    tu_result r = run((const char *const[]){"rules", "list", "--rules", SEED_FILE, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, SEED_LINE);
    assert_string_equal(r.err, "sessionwatch rules: 1 loaded, 0 refused\n" SKIP_ON);
    tu_result_free(&r);
}

/* deploy/rules, the folder: the seed rule and the 4 sessionwatch example
 * rules all load, each with the event types it requires. */
static void test_project_rules_folder(void **state) {
    (void)state;
    tu_result r = run((const char *const[]){"rules", "list", "--rules", SW_SOURCE_DIR "/deploy/rules", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "sessionwatch rules: 5 loaded, 0 refused\n" SKIP_ON);
    assert_int_equal(tu_count(r.out, "\n"), 5);
    assert_int_equal(tu_count(r.out, "\tloaded\tevent types "), 5);
    assert_non_null(strstr(r.out, SEED_LINE));
    assert_int_equal(tu_count(r.out, "\tsessionwatch example: "), 4);
    tu_result_free(&r);
}

static void test_seed_rule_json(void **state) {
    (void)state;
    tu_result r = run((const char *const[]){"rules", "list", "--json", "--rules=" SEED_FILE, NULL});
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "\n"), 1);
    const char *err = NULL;
    jc_node *j = jc_parse(r.out, r.out_len - 1, &err);
    if (!j) fail_msg("not JSON (%s): %s", err, r.out);
#define STR(k, v) assert_true(jc_is_str(jc_get(j, k), v, strlen(v)))
#define NUM(k, v) assert_string_equal(jc_get(j, k)->s, v)
    STR("file", SEED_FILE);
    STR("rule_id", SEED_ID);
    STR("name", "Multiple Okta Sessions Detected for a Single User");
    STR("type", "threshold");
    STR("status", "loaded");
    assert_int_equal(jc_get(j, "reason")->type, JC_NULL);
    assert_int_equal(jc_get(j, "group_by")->count, 1);
    assert_true(jc_is_str(jc_at(jc_get(j, "group_by"), 0), "okta.actor.id", 13));
    STR("window", "35m");
    NUM("window_ms", "2100000");
    STR("severity", "medium");
    NUM("risk_score", "47");
    NUM("interval_ms", "300000");
    NUM("max_signals", "100");
    const jc_node *th = jc_get(j, "threshold");
    assert_string_equal(jc_get(th, "value")->s, "1");
    const jc_node *card = jc_get(th, "cardinality");
    assert_true(jc_is_str(jc_get(card, "field"), "okta.authentication_context.external_session_id", 47));
    assert_string_equal(jc_get(card, "value")->s, "3");
    assert_int_equal(jc_get(j, "building_block_type")->type, JC_NULL);
    STR("prefilter", "event types 1");
    jc_free(j);
    tu_result_free(&r);
}

/* A refused rule: the file, its line and column; a hostile name escaped. */
static void test_refusals_and_escaping(void **state) {
    (void)state;
    static const char kql[] = "[rule]\nrule_id = \"k-1\"\nname = \"bad\\u001b[31m\\nname\\t\\\"q\\\"\"\n"
                              "type = \"query\"\nlanguage = \"kuery\"\nseverity = \"low\"\nrisk_score = 1\n"
                              "query = '''\nevent.action:x\n  and f >= 5\n'''\n";
    char kql_path[64];
    snprintf(kql_path, sizeof kql_path, "%s", tu_write_temp(kql, sizeof kql - 1));
    tu_result r = run((const char *const[]){"rules", "list", "--rules", kql_path, NULL});
    assert_int_equal(r.status, 0);
    char want[512];
    snprintf(want, sizeof want,
             "k-1\tbad\\u001b[31m\\nname\\t\"q\"\tquery\t-\t-\trefused: %s:10:7: KQL not supported: range query "
             "`f >= ...` is not supported (query line 2, column 7)\t-\n",
             kql_path);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "sessionwatch rules: 0 loaded, 1 refused\n");
    tu_result_free(&r);
    /* --json: the same, strict JSON, the name decoded back */
    r = run((const char *const[]){"rules", "list", "--rules", kql_path, "--json", NULL});
    assert_int_equal(r.status, 0);
    jc_node *j = jc_parse(r.out, r.out_len - 1, NULL);
    assert_non_null(j);
    assert_true(jc_is_str(jc_get(j, "name"), "bad\x1b[31m\nname\t\"q\"", 17));
    assert_true(jc_is_str(jc_get(j, "status"), "refused", 7));
    assert_non_null(strstr(jc_get(j, "reason")->s, ":10:7: KQL not supported: range query"));
    assert_int_equal(jc_get(j, "window")->type, JC_NULL);
    assert_int_equal(jc_get(j, "prefilter")->type, JC_NULL);
    jc_free(j);
    tu_result_free(&r);
    /* --strict-rules: the list is printed, then exit 2 */
    r = run((const char *const[]){"rules", "list", "--strict-rules", "--rules", kql_path, NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.out, "refused: "));
    assert_non_null(strstr(r.err, "--strict-rules: 1 rule file(s) refused"));
    tu_result_free(&r);
    remove(kql_path);
}

/* Repeated --rules, in order: the second file with the seed's id is refused
 * naming the first; --strict-rules without refusals exits 0. */
static void test_repeated_rules(void **state) {
    (void)state;
    tu_result r = run((const char *const[]){"rules", "list", "--rules", SEED_FILE, "--rules", SEED_FILE, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, SEED_LINE SEED_ID "\tMultiple Okta Sessions Detected for a Single User"
                                                 "\tthreshold\t-\t-\t"
                               "refused: " SEED_FILE ": rule_id " SEED_ID " is already loaded from " SEED_FILE "\t-\n");
    tu_result_free(&r);
    r = run((const char *const[]){"rules", "list", "--strict-rules", "--rules", SEED_FILE, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, SEED_LINE);
    tu_result_free(&r);
}

static void test_usage_errors(void **state) {
    (void)state;
    tu_result r = run((const char *const[]){"rules", "list", "--rules", "/nonexistent/rules", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "--rules /nonexistent/rules: No such file or directory (give a rule file, or a "
                                  "folder holding *.toml rule files)"));
    tu_result_free(&r);
    r = run((const char *const[]){"rules", "list", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "list needs --rules PATH"));
    tu_result_free(&r);
    r = run((const char *const[]){"rules", "list", "--rules", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--rules needs a value"));
    tu_result_free(&r);
    r = run((const char *const[]){"rules", "list", "--rules", SEED_FILE, "--bogus", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--bogus'"));
    assert_string_equal(r.out, "");
    tu_result_free(&r);
    r = run((const char *const[]){"rules", "show", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown subcommand 'show'"));
    tu_result_free(&r);
    r = run((const char *const[]){"rules", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "Usage: sessionwatch rules list"));
    tu_result_free(&r);
}

static void test_help(void **state) {
    (void)state;
    const char *forms[][3] = {{"rules", "--help", NULL}, {"rules", "list", "--help"}};
    for (size_t i = 0; i < 2; i++) {
        const char *argv[4] = {forms[i][0], forms[i][1], forms[i][2], NULL};
        tu_result r = run(argv);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "  --rules PATH"));
        assert_non_null(strstr(r.out, "  --json"));
        assert_non_null(strstr(r.out, "  --strict-rules"));
        assert_non_null(strstr(r.out, "  -h, --help"));
        assert_non_null(strstr(r.out, "not in the field catalogue refuses it"));
        assert_non_null(strstr(r.out, "\"unconstrained\" for one that needs nothing the raw bytes show"));
        tu_result_free(&r);
    }
    tu_result r = run((const char *const[]){"--help", NULL});
    assert_non_null(strstr(r.out, "  rules        load Elastic rule TOML files"));
    tu_result_free(&r);
}

/* ---- Elastic's Okta rules -------------------------------------------------------- */

static void test_elastic_okta_rules(void **state) {
    (void)state;
    const char *dir = tu_okta_rules_dir_or_skip();
    tu_result r = run((const char *const[]){"rules", "list", "--rules", dir, NULL});
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "\n"), 52);
    assert_int_equal(tu_count(r.out, "\tloaded\t"), 33);
    assert_int_equal(tu_count(r.out, "\tloaded\tevent types "), 29);
    assert_int_equal(tu_count(r.out, "\tloaded\traw clauses "), 4); /* the other 4 still get a raw skip */
    assert_int_equal(tu_count(r.out, "\tloaded\tunconstrained\n"), 0);
    assert_int_equal(tu_count(r.out, "\tloaded\tevent types 1\n"), 23);
    assert_int_equal(tu_count(r.out, "\tquery\t-\t"), 28 + 0);
    assert_int_equal(tu_count(r.out, "\tthreshold\t"), 5);
    assert_int_equal(tu_count(r.out, "\tthreshold\tokta.actor.alternate_id\t"), 2);
    assert_int_equal(tu_count(r.out, "\tthreshold\tokta.debug_context.debug_data.dt_hash\t"), 2);
    assert_int_equal(tu_count(r.out, "\tthreshold\tokta.actor.id\t35m\tloaded\tevent types 1\n"), 1);
    assert_int_equal(tu_count(r.out, "\teql\t-\t-\trefused: "), 5);
    assert_int_equal(tu_count(r.out, "\tesql\t-\t-\trefused: "), 10);
    assert_int_equal(tu_count(r.out, "\tnew_terms\t-\t-\trefused: "), 4);
    assert_int_equal(tu_count(r.out, "is not supported (sessionwatch runs query and threshold rules)\t-\n"), 19);
    assert_non_null(strstr(r.out, SEED_LINE));
    assert_string_equal(r.err, "sessionwatch rules: 33 loaded, 19 refused\n"
                               "sessionwatch rules: prefilter: records holding none of the rules' event types or "
                               "required values are skipped unparsed\n");
    tu_result_free(&r);
    /* --json: 52 strict JSON objects */
    r = run((const char *const[]){"rules", "list", "--json", "--rules", dir, NULL});
    assert_int_equal(r.status, 0);
    size_t loaded = 0, lines = 0;
    for (char *p = r.out, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
        jc_node *j = jc_parse(p, (size_t)(nl - p), NULL);
        assert_non_null(j);
        loaded += jc_is_str(jc_get(j, "status"), "loaded", 6);
        jc_free(j);
    }
    assert_int_equal(lines, 52);
    assert_int_equal(loaded, 33);
    tu_result_free(&r);
    /* --strict-rules refuses the set; the project's seed rule file first
     * makes Elastic's file of the same rule a duplicate */
    r = run((const char *const[]){"rules", "list", "--strict-rules", "--rules", SEED_FILE, "--rules", dir, NULL});
    assert_int_equal(r.status, 2);
    assert_int_equal(tu_count(r.out, "\tloaded\t"), 33);
    assert_int_equal(tu_count(r.out, "is already loaded from " SEED_FILE "\t-\n"), 1);
    tu_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_rule_text),      cmocka_unit_test(test_project_rules_folder),
        cmocka_unit_test(test_seed_rule_json),
        cmocka_unit_test(test_refusals_and_escaping), cmocka_unit_test(test_repeated_rules),
        cmocka_unit_test(test_usage_errors),        cmocka_unit_test(test_help),
        cmocka_unit_test(test_elastic_okta_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
