/* test_fixtures_scan.c -- `sessionwatch scan` over Elastic's real Okta
 * fixtures (../shared/testdata/okta, see SOURCES.md there): every raw file
 * and every ECS twin is read without a single rejected record, the session
 * starts are counted exactly, and a raw file and its ECS twin give the same
 * alert with the same alert_id.  Skips (exit 77) when the fixtures are
 * absent.  Nothing of the fixtures is copied into the repo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static const char *dir;

static char *fixture(const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *s = tu_read_file(path, len);
    if (!s) fail_msg("cannot read %s", path);
    return s;
}

/* A pretty-printed JSON document on one line: raw newlines only ever occur
 * between tokens, so turning them into spaces keeps the JSON intact.  With
 * array_only, keeps just the outermost [...] (the "expected" list). */
static char *one_line(char *s, size_t *len, int array_only) {
    for (size_t i = 0; i < *len; i++)
        if (s[i] == '\n' || s[i] == '\r') s[i] = ' ';
    if (array_only) {
        char *open = strchr(s, '['), *close = strrchr(s, ']');
        assert_non_null(open);
        assert_non_null(close);
        *len = (size_t)(close - open + 1);
        memmove(s, open, *len);
        s[*len] = '\0';
    }
    return s;
}

static long field(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) fail_msg("no %s in %s", key, json);
    return strtol(p + strlen(pat), NULL, 10);
}

/* Runs scan with extra args over input and checks the summary: no rejects
 * at all, the given eligible and alert counts. */
static tu_result scan(const char *input, size_t len, const char *const *extra, long eligible, long alerts) {
    const char *argv[16] = {"scan", "--summary", "json"};
    size_t n = 3;
    for (; extra && *extra; extra++) argv[n++] = *extra;
    argv[n] = NULL;
    tu_result r = tu_run(argv, input, len);
    assert_int_equal(r.status, 0);
    const char *summary = strstr(r.err, "{\"records\"");
    assert_non_null(summary);
    const char *rejected = strstr(summary, "\"rejected\":{");
    assert_non_null(rejected);
    assert_null(strpbrk(strchr(rejected, '{'), "123456789")); /* every reason is 0 */
    assert_int_equal(field(summary, "eligible"), eligible);
    assert_int_equal(field(summary, "alerts"), alerts);
    assert_int_equal(tu_count(r.out, "\"alert_id\""), alerts);
    return r;
}

static void test_raw_files(void **state) {
    (void)state;
    static const struct { const char *name; long eligible; } files[] = {
        {"elastic-integrations-okta-system-events.log", 5},
        {"beats-okta-system-test.log", 2},
        {"elastic-integrations-sample_logs-okta-system.json.log", 1},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *s = fixture(files[i].name, &len);
        tu_result r = scan(s, len, NULL, files[i].eligible, 0);
        tu_result_free(&r);
        /* The prefilter must not change what is counted. */
        const char *all[] = {"--no-prefilter", NULL};
        r = scan(s, len, all, files[i].eligible, 0);
        tu_result_free(&r);
        free(s);
    }
}

static void test_ecs_twins(void **state) {
    (void)state;
    size_t len;
    char *s = one_line(fixture("elastic-integrations-okta-system-events.expected-ecs.json", &len), &len, 1);
    tu_result r = scan(s, len, NULL, 5, 0);
    tu_result_free(&r);
    free(s);
    s = one_line(fixture("beats-okta-system-test.expected-ecs.json", &len), &len, 1);
    r = scan(s, len, NULL, 1, 0); /* covers the first 5 raw lines: one session start */
    tu_result_free(&r);
    free(s);
    s = one_line(fixture("elastic-integrations-okta-system-sample_event.json", &len), &len, 0);
    r = scan(s, len, NULL, 1, 0);
    tu_result_free(&r);
    free(s);
}

/* The actor of the raw file has two sessions two years apart: with a
 * window and lateness wide enough and N = 2 it alerts, and its ECS twin
 * (Elastic's own pipeline output) must give the very same alert_id. */
static void test_same_alert_from_raw_and_ecs(void **state) {
    (void)state;
    /* The fixture's two sessions are two years apart, beyond the longest
     * --window (7d): one session per alert, so each session alerts. */
    const char *wide[] = {"--window", "7d", "--allowed-lateness", "7d", "--min-sessions", "1", NULL};
    size_t len;
    char *raw = fixture("elastic-integrations-okta-system-events.log", &len);
    tu_result r1 = scan(raw, len, wide, 5, 2);
    char *ecs = one_line(fixture("elastic-integrations-okta-system-events.expected-ecs.json", &len), &len, 1);
    tu_result r2 = scan(ecs, len, wide, 5, 2);
    char *id1 = tu_first_alert_id(r1.out), *id2 = tu_first_alert_id(r2.out);
    assert_string_equal(id1, id2);
    assert_non_null(strstr(r1.out, "\"102bZDNFfWaQSyEZQuDgWt-uQ\""));
    assert_non_null(strstr(r2.out, "\"102bZDNFfWaQSyEZQuDgWt-uQ\""));
    assert_non_null(strstr(r1.out, "\"terms\":[{\"field\":\"okta.actor.id\",\"value\":\"00u1abvz4pYqdM8ms4x6\"}]"));
    free(id1);
    free(id2);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(raw);
    free(ecs);
}

int main(void) {
    dir = tu_fixture_dir_or_exit(" (set SW_TESTDATA); fixture scan tests skipped");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_files),
        cmocka_unit_test(test_ecs_twins),
        cmocka_unit_test(test_same_alert_from_raw_and_ecs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
