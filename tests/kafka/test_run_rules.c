/* test_run_rules.c -- pins `sessionwatch run --rules` against librdkafka's
 * mock cluster, with the harness of test_run (run_harness.h): the input is
 * `gen --rules deploy/rules` (a positive case and a near miss of each of
 * the project's example rules, in 30 minutes of background traffic), keyed
 * by user; the reference is `scan --rules deploy/rules` over the same file.
 *
 * The input is keyed by okta.actor.id and run is told so (--key-field), so
 * the rules whose key family holds that field run where the records are
 * read, with no internal topic (ISSUE15: the other families would go
 * through theirs; test_run_pipeline covers them): run is given the query
 * rules and the seed rule of deploy/rules (--rules, one file each) and its
 * alerts must be exactly scan's alerts of those rules, each once, with the
 * rule's id in the rule_id header, from one thread, two threads and two
 * processes.  The command line: the built-in rule's own flags (--window,
 * ...) are refused, --key-field refuses a field outside the catalogue, and
 * `config print` lists the rules that would run and where each key family
 * runs (before ISSUE15, run refused the rules --key-field could not hold;
 * now every rule runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <unistd.h>

#include "run_harness.h"
#include "tu_cli.h"

#define RULES RUN_RULES_DIR
#define PROXY_RULE "3e534dd8-4cb0-4b0a-a351-1c9178f61c5c"  /* query */
#define MFA_RULE "4cd9dfa5-f4c7-4da1-a570-8f1687aa8822"    /* query */

#define KEYED_RULES RUN_KEYED_RULES
static const char *const RUN_RULES[] = {KEYED_RULES, NULL};

/* scan's alerts of rule (exp_a). */
static size_t expected_of(const char *rule) {
    size_t n = 0;
    for (size_t i = 0; i < exp_a.n; i++) n += (size_t)expected_alert_of(&exp_a.a[i], rule);
    return n;
}

static const char *const RUNNABLE[] = {SEED_RULE, PROXY_RULE, MFA_RULE};

/* Keeps only scan's alerts of the rules run runs; each kept rule must
 * have alerts, the refused ones had some in scan. */
static void expect_runnable(void) {
    assert_true(expected_drop_rules(&exp_a, RUN_REFUSED_RULES) >= 2);
    for (size_t k = 0; k < 3; k++)
        if (expected_of(RUNNABLE[k]) == 0) fail_msg("scan --rules gave no alert of rule %s", RUNNABLE[k]);
}

static int setup_data(void) {
    gen_rules("7", "2026-01-05T08:00:00Z", RULES, path_a);
    load(&data_a, path_a);
    const char *fa[] = {path_a, NULL};
    scan_expected_rules(&exp_a, fa, RULES);
    expect_runnable();
    return 0;
}

/* run loaded the three rules and needs no internal topic for them. */
static void expect_keyed(const char *err) {
    if (!strstr(err, "3 rule(s) loaded, 0 refused") || strstr(err, "internal topic"))
        fail_msg("run did not run the 3 rules where the input is read:\n%.4000s", err);
}

/* run's per-rule JSON summary line gives each rule scan's alert count. */
static void expect_rule_summary(const char *err) {
    const char *line = strstr(err, "{\"unmatched\":");
    if (!line) fail_msg("no per-rule JSON summary:\n%.4000s", err);
    for (size_t k = 0; k < 3; k++) {
        char want[200];
        snprintf(want, sizeof want, "{\"rule_id\":\"%s\",", RUNNABLE[k]);
        const char *r = strstr(line, want);
        if (!r) fail_msg("rule %s is not in the summary:\n%.4000s", RUNNABLE[k], line);
        assert_int_equal(strtoull(field(r, "alerts"), NULL, 10), expected_of(RUNNABLE[k]));
    }
    assert_null(strstr(line, FAILURES_RULE));
}

static void test_rules_match_scan(void **state) {
    (void)state;
    const char *extra[] = {"--threads", "1", "--status-interval", "0", KEYED_RULES, NULL};
    char *err = one_member_matches_scan("gr1", extra);
    expect_keyed(err);
    expect_rule_summary(err);
    free(err);
}

/* test_rules_two_threads, test_rules_two_processes: MEMBERS_CASE in main. */

/* /metrics: each rule's alerts, labelled with its id and name. */
static void test_rules_metrics(void **state) {
    (void)state;
    const char *extra[] = {"--threads", "1", "--status-interval", "0", "--metrics-addr", "127.0.0.1:0",
                           KEYED_RULES, NULL};
    child c = start_run("gr-metrics", ALERTS, extra);
    int port = metrics_port(&c);
    child_wait_assigned(&c, 0, 60);
    produce_all(&data_a);
    wait_committed_to_end("gr-metrics", 180, NULL);
    char records[64];
    snprintf(records, sizeof records, "\nsessionwatch_records_total %zu\n", data_a.n);
    char *body = tu_http_get_until(port, "/metrics", 200, records);
    assert_int_equal(metric(body, "sessionwatch_alerts_total"), exp_a.n);
    assert_contains(body, "# TYPE sessionwatch_rule_alerts_total counter\n");
    char sample[256];
    snprintf(sample, sizeof sample, "sessionwatch_rule_alerts_total{rule_id=\"%s\",rule=\"%s\"}", SEED_RULE,
             "Multiple Okta Sessions Detected for a Single User");
    assert_int_equal(metric(body, sample), expected_of(SEED_RULE));
    snprintf(sample, sizeof sample, "sessionwatch_rule_alerts_total{rule_id=\"%s\",rule=\"%s\"}", PROXY_RULE,
             "sessionwatch example: Okta Session Started Behind a Proxy");
    assert_int_equal(metric(body, sample), expected_of(PROXY_RULE));
    assert_true(metric(body, "sessionwatch_unmatched_total") > 0);
    free(body);
    kill(c.pid, SIGTERM);
    assert_int_equal(child_wait(&c, RUN_TIMEOUT_MS), 0);
    child_done(&c);
}

/* `config print run` with argv exits 0, refuses no rule and prints every
 * line of want (NULL-terminated). */
static void expect_config_print(const char *const *argv, const char *const *want) {
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    for (; *want; want++)
        if (!strstr(r.out, *want)) fail_msg("config print has no '%s':\n%.4000s", *want, r.out);
    assert_null(strstr(r.err, "rule refused"));
    tu_result_free(&r);
}

static void test_rules_command_line(void **state) {
    (void)state;
    /* Every rule runs; an input not keyed (the default) sends every key
     * family through its internal topic, named from the group. */
    const char *all[] = {"config", "print", "run", "--brokers", "127.0.0.1:1", "--rules", RULES, "--strict-rules",
                         "--group", "g", NULL};
    expect_config_print(all, (const char *const[]){
        "; rule " DEVICE_RULE " (", "; rule " FAILURES_RULE " (",
        "; key family okta.actor.id: internal topic g-by-okta.actor.id\n",
        "; key family okta.debug_context.debug_data.dt_hash: internal topic g-by-okta.debug_context.debug_data.dt_hash\n",
        NULL});
    /* The built-in rule's own flags are refused with --rules, saying what to do. */
    const char *seed_flag[] = {"run", "--brokers", "127.0.0.1:1", "--rules", RULES, "--window", "10m", NULL};
    tu_result r = tu_run(seed_flag, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--window configures the built-in rule only; with --rules each rule's window is"));
    tu_result_free(&r);
    /* --key-field names a field of the catalogue. */
    const char *bad_key[] = {"run", "--brokers", "127.0.0.1:1", "--rules", RULES, "--key-field", "actor.id", NULL};
    r = tu_run(bad_key, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--key-field: 'actor.id' is not a field of the catalogue"));
    tu_result_free(&r);
    /* Keyed by dt_hash: the device-token rule runs where the input is read,
     * the seed rule through its internal topic. */
    const char *by_device[] = {"config", "print", "run", "--brokers", "127.0.0.1:1", "--rules", RULES,
                               "--key-field", "okta.debug_context.debug_data.dt_hash", NULL};
    expect_config_print(by_device, (const char *const[]){
        "; rule " DEVICE_RULE " (", "; rule " PROXY_RULE " (", "; rule " SEED_RULE " (", "\nkey-field ",
        "= okta.debug_context.debug_data.dt_hash ; flag\n",
        "; key family okta.debug_context.debug_data.dt_hash: where the input is read",
        "; key family okta.actor.id: internal topic sessionwatch-by-okta.actor.id\n", NULL});
    /* Without --rules, config print lists no rule. */
    const char *none[] = {"config", "print", "run", "--brokers", "127.0.0.1:1", NULL};
    r = tu_run(none, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "; rule "));
    tu_result_free(&r);
}

int main(void) {
    unsetenv("SESSIONWATCH_BROKERS");
    if (access(RULES, R_OK) != 0) {
        fprintf(stderr, "test_run_rules: run from the source directory (ctest does)\n");
        return 1;
    }
    setup_data();
    if (getenv("SW_TEST_FILTER")) cmocka_set_test_filter(getenv("SW_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_command_line), CLUSTER_CASE(test_rules_match_scan),
        MEMBERS_CASE("test_rules_two_threads", "gr-t2", 1, "2", RUN_RULES),
        MEMBERS_CASE("test_rules_two_processes", "gr-p2", 2, "1", RUN_RULES),
        CLUSTER_CASE(test_rules_metrics),
    };
    int rc = cmocka_run_group_tests_name("run --rules", tests, NULL, NULL);
    expected_free(&exp_a);
    dataset_free(&data_a);
    unlink(path_a);
    return rc;
}
