/* test_rules_flags.c -- the rule settings with --rules: the ones that
 * configure the built-in seed rule alone are refused when given as flags
 * (exit 2, the flag named with what to write in a rule instead) and
 * ignored with one warning line when they come from the environment or a
 * --config file (cli_rules.h); the ones the rules engine reads act
 * (--max-alerts in either spelling and from any source, --no-prefilter).
 *
 * `scan` is run as a black box; the environment and file origins, which
 * scan does not read, are checked in process on a command whose settings
 * are the rule's rows loaded as `run` loads them (sw_settings_load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_rules.h"
#include "jsonw.h"
#include "testutil.h"

#define SEED_FILE SW_SOURCE_DIR "/deploy/rules/sessionwatch_seed_rule.toml"

/* The seed-only flags, a value for each (NULL: a switch), and a word of
 * what the refusal says to do instead. */
static const struct {
    const char *flag, *value, *instead;
} SEED_ONLY[] = {
    {"--window", "10m", "TOML `from`"},
    {"--min-sessions", "2", "threshold.value"},
    {"--exclude-prefix", "svc", "okta.actor.id: okta*"},
    {"--exclude-case-insensitive", NULL, "case-sensitively"},
    {"--require-success", NULL, "okta.outcome.result:SUCCESS"},
    {"--exclude-unknown-actor", NULL, "not okta.actor.id:unknown"},
};
#define N_SEED_ONLY (sizeof SEED_ONLY / sizeof SEED_ONLY[0])

static void test_seed_flags_refused_with_rules(void **state) {
    (void)state;
    for (size_t i = 0; i < N_SEED_ONLY; i++) {
        const char *f = SEED_ONLY[i].flag, *v = SEED_ONLY[i].value;
        tu_result r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, f, v, NULL}, "", 0);
        if (r.status != 2) fail_msg("%s with --rules: exit %d: %s", f, r.status, r.err);
        char want[128];
        snprintf(want, sizeof want, "sessionwatch scan: %s configures the built-in rule only; with --rules ", f);
        assert_contains_all(r.err, want, SEED_ONLY[i].instead);
        tu_result_free(&r);
        /* Before --rules too: the order does not matter. */
        const char *before[6] = {"scan", f}, **at = before + 2;
        if (v) *at++ = v;
        *at++ = "--rules";
        *at = SEED_FILE;
        r = tu_run(before, "", 0);
        assert_int_equal(r.status, 2);
        tu_result_free(&r);
        /* Without --rules it configures the built-in rule, as always. */
        r = tu_run((const char *const[]){"scan", f, v, NULL}, "", 0);
        if (r.status != 0) fail_msg("%s without --rules: exit %d: %s", f, r.status, r.err);
        tu_result_free(&r);
    }
}

/* The settings the rules engine reads are accepted with --rules. */
static void test_engine_flags_accepted_with_rules(void **state) {
    (void)state;
    const char *const flags[][2] = {
        {"--max-alerts", "3"},         {"--tenant", "acme"},        {"--allowed-lateness", "5m"},
        {"--max-tracked-users", "99"}, {"--max-tenants", "7"},      {"--max-record-bytes", "1M"},
        {"--time-field", "event.ingested"}, {"--no-prefilter", NULL}, {"--tenant-field", "org.id"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        tu_result r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, flags[i][0], flags[i][1], NULL}, "", 0);
        if (r.status != 0) fail_msg("%s with --rules: exit %d: %s", flags[i][0], r.status, r.err);
        assert_lacks(r.err, "built-in rule only");
        tu_result_free(&r);
    }
}

/* Four users with three sessions each, in the same minute: four alerts of
 * the seed rule in one interval bucket of one tenant. */
static char *four_alerts(size_t *len) {
    sw_buf b = {0};
    for (int u = 0; u < 4; u++)
        for (int s = 0; s < 3; s++)
            sw_buf_printf(&b,
                          "{\"uuid\":\"e%d-%d\",\"published\":\"2026-01-05T08:00:%02dZ\",\"eventType\":"
                          "\"user.session.start\",\"actor\":{\"id\":\"00u%d\"},\"authenticationContext\":"
                          "{\"externalSessionId\":\"s%d-%d\"}}\n",
                          u, s, 10 * u + s, u, u, s);
    assert_false(b.oom);
    *len = b.len;
    return b.p;
}

/* --max-alerts N and --max-alerts=N each replace the rules' max_signals
 * (100 for the seed TOML). */
static void test_max_alerts_acts_with_rules(void **state) {
    (void)state;
    size_t len;
    char *in = four_alerts(&len);
    const char *const *runs[] = {
        (const char *const[]){"scan", "--rules", SEED_FILE, NULL},
        (const char *const[]){"scan", "--rules", SEED_FILE, "--max-alerts", "1", NULL},
        (const char *const[]){"scan", "--max-alerts=1", "--rules", SEED_FILE, NULL},
        (const char *const[]){"scan", "--rules", SEED_FILE, "--max-alerts=0", NULL}, /* 0: no cap */
    };
    const size_t want[] = {4, 1, 1, 4};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        tu_result r = tu_run(runs[i], in, len);
        assert_int_equal(r.status, 0);
        if (tu_count(r.out, "\"alert_id\"") != want[i])
            fail_msg("run %zu: %zu alerts, want %zu: %s", i, tu_count(r.out, "\"alert_id\""), want[i], r.err);
        assert_contains(r.err, want[i] == 1 ? "1 alerts (3 capped)" : "4 alerts (0 capped)");
        tu_result_free(&r);
    }
    free(in);
}

/* --no-prefilter parses every record with --rules too: a malformed record
 * that holds no event type is rejected instead of skipped. */
static void test_no_prefilter_acts_with_rules(void **state) {
    (void)state;
    const char in[] = "{\"eventType\":\n";
    tu_result r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, "--summary", "json", NULL}, in,
                         sizeof in - 1);
    assert_int_equal(r.status, 0);
    assert_contains_all(r.err, "\"prefiltered\":1,", "\"malformed_json\":0,");
    tu_result_free(&r);
    r = tu_run((const char *const[]){"scan", "--rules", SEED_FILE, "--summary", "json", "--no-prefilter", NULL}, in,
               sizeof in - 1);
    assert_int_equal(r.status, 0);
    assert_contains_all(r.err, "\"prefiltered\":0,", "\"malformed_json\":1,");
    tu_result_free(&r);
}

/* ---- origins: flags, the environment, a file (in process) ----------------- */

static const sw_setting_group RULE_GROUPS[] = {SW_CLI_RULE_GROUPS(0, sw_cli_time_rows_kafka, 2)};
static const sw_command_settings RUNLIKE = {.cmd = "run", .groups = RULE_GROUPS, .ngroups = SW_CLI_RULE_NGROUPS};

static const char *const VARS[] = {"SESSIONWATCH_WINDOW", "SESSIONWATCH_REQUIRE_SUCCESS", "SESSIONWATCH_MAX_ALERTS",
                                   "SESSIONWATCH_CONFIG", NULL};

static int clean_env(void **state) {
    (void)state;
    for (const char *const *v = VARS; *v; v++) unsetenv(*v);
    return 0;
}

typedef struct {
    const char *const *args; /* after the command's name */
    int64_t max_alerts;      /* sw_cli_rules_max_alerts */
} job;

/* Loads the rule's settings as run does, then asks cli_rules.h. */
static int load_and_refuse(void *arg) {
    job *j = arg;
    char *argv[16] = {"run"};
    int argc = 1;
    for (; j->args[argc - 1]; argc++) argv[argc] = (char *)j->args[argc - 1];
    sw_config c;
    sw_config_defaults(&c);
    sw_settings *st;
    int rc = sw_settings_load(&RUNLIKE, &c, argc, argv, &st);
    assert_int_equal(rc, SW_SETTINGS_OK);
    sw_cli_rules plain = {0}; /* warnings on stderr, not through the log */
    rc = sw_cli_rules_refuse_seed_flags(&plain, st, "run");
    j->max_alerts = sw_cli_rules_max_alerts(st, &c);
    sw_settings_free(st);
    return rc;
}

static char *refuse(const char *const *args, int *rc, int64_t *max_alerts) {
    job j = {args, 0};
    char *err = tu_captured_stderr(load_and_refuse, &j, rc);
    *max_alerts = j.max_alerts;
    return err;
}

static void test_origins(void **state) {
    (void)state;
    int rc;
    int64_t max;
    /* Nothing given: nothing said; each rule's max_signals. */
    char *err = refuse((const char *const[]){NULL}, &rc, &max);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    assert_int_equal(max, -1);
    free(err);

    /* A flag: refused, whatever the environment says. */
    setenv("SESSIONWATCH_REQUIRE_SUCCESS", "1", 1);
    err = refuse((const char *const[]){"--window", "10m", NULL}, &rc, &max);
    assert_int_equal(rc, 2);
    assert_contains(err, "sessionwatch run: --window configures the built-in rule only; with --rules each rule's "
                         "window is its TOML `from`");
    assert_lacks(err, "warning");
    free(err);

    /* The environment and a file: ignored, in one warning line naming each
     * with its origin. */
    setenv("SESSIONWATCH_WINDOW", "10m", 1);
    static const char ini[] = "[run]\nmin-sessions = 2\nmax-alerts = 4\n";
    const char *file = tu_write_temp(ini, sizeof ini - 1);
    setenv("SESSIONWATCH_CONFIG", file, 1);
    err = refuse((const char *const[]){NULL}, &rc, &max);
    assert_int_equal(rc, 0);
    char want[512];
    snprintf(want, sizeof want,
             "sessionwatch run: warning: --rules: ignoring --window (from SESSIONWATCH_WINDOW), --min-sessions "
             "(from %s:2), --require-success (from SESSIONWATCH_REQUIRE_SUCCESS), which configure the built-in rule "
             "only; each loaded rule's TOML says its own\n",
             file);
    assert_string_equal(err, want);
    assert_int_equal(max, 4); /* --max-alerts from the file acts */
    free(err);

    /* --max-alerts from the environment, and from a flag (which wins). */
    setenv("SESSIONWATCH_MAX_ALERTS", "5", 1);
    free(refuse((const char *const[]){NULL}, &rc, &max));
    assert_int_equal(max, 5);
    free(refuse((const char *const[]){"--max-alerts=7", NULL}, &rc, &max));
    assert_int_equal(max, 7);
    free(refuse((const char *const[]){"--max-alerts", "0", NULL}, &rc, &max));
    assert_int_equal(max, 0); /* 0: no cap, not "not given" */
    clean_env(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_flags_refused_with_rules),
        cmocka_unit_test(test_engine_flags_accepted_with_rules),
        cmocka_unit_test(test_max_alerts_acts_with_rules),
        cmocka_unit_test(test_no_prefilter_acts_with_rules),
        cmocka_unit_test_setup(test_origins, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
