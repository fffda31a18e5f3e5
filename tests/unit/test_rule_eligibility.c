/* test_rule_eligibility.c -- pins one clause of the stolen-session rule
 * through the engine API (rule_harness.h): eligibility: dataset, event type,
 * session id, actor id, the okta prefix exclusion (case-sensitive by
 * default, case-insensitive and custom lists on request) and the hardening
 * switches (--require-success, --exclude-unknown-actor); each clause on both
 * sides (filtered / counted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rule_harness.h"

/* The okta exclusion: case-sensitive prefix of actor id or display name. */
static void test_exclusion_default(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT_ACTORS(h, SW_V_EXCLUDED_ACTOR, {"okta123", "Robot", "x1"}, {"00u9", "okta_system", "x2"}, {"okta", NULL, "x3"});
    EXPECT_ACTORS(h, SW_ELIGIBLE, {"00u1", "Okta System", "s1"}, {"Okta9", "U", "s1"}, {"OKTA8", "U", "s1"},
                  {"okt", "ok", "s1"} /* shorter than the prefix */, {"00uokta", "x okta", "s1"} /* not a prefix */);
    /* An excluded actor never alerts. */
    for (int i = 0; i < 5; i++) {
        char sid[16];
        snprintf(sid, sizeof sid, "sys%d", i);
        EXPECT(h, ev("okta123", "Robot", sid, T("08:01")), SW_V_EXCLUDED_ACTOR);
    }
    /* "Okta System" is counted: 3 sessions alert. */
    EXPECT(h, ev("00u1", "Okta System", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "Okta System", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_contains(h->a[0].json, "\"display_name\":\"Okta System\"");
    assert_int_equal(cnt(h)->verdict[SW_V_EXCLUDED_ACTOR], 8);
}

static void test_exclusion_case_insensitive(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.exclude_case_insensitive = true;
    EXPECT_ACTORS(h, SW_V_EXCLUDED_ACTOR, {"00u1", "Okta System", "s1"}, {"OKTA9", "U", "s1"}, {"okta123", "U", "s1"},
                  {"00u2", "oKtA_system", "s1"});
    EXPECT_ACTORS(h, SW_ELIGIBLE, {"00u3", "Human", "s1"}, {"okt", "Oktx", "s1"});
}

/* A custom list replaces "okta". */
static void test_exclusion_custom_list(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.exclude_prefix[0] = "svc-";
    h->cfg.exclude_prefix[1] = "bot";
    h->cfg.n_exclude_prefix = 2;
    h->cfg.exclude_prefix_given = true;
    EXPECT_ACTORS(h, SW_V_EXCLUDED_ACTOR, {"svc-backup", "U", "s1"}, {"00u7", "bot runner", "s1"});
    EXPECT_ACTORS(h, SW_ELIGIBLE, {"00u7", "Bot runner", "s1"}, {"okta123", "okta_system", "s1"});
    EXPECT(h, ev("okta123", "okta_system", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("okta123", "okta_system", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "okta123");
}

/* Dataset: named in ECS (event.dataset or data_stream.dataset, nested or
 * dotted) it must be okta.system; counted records complete an alert. */
static void test_filter_dataset(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ecs("00e1", "s1", T("08:00"), "\"event\":{\"dataset\":\"okta.other\"}"), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s2", T("08:00"), "\"data_stream\":{\"dataset\":\"okta.other\"}"), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s3", T("08:00"), "\"data_stream.dataset\":\"okta.other\""), SW_V_WRONG_DATASET);
    EXPECT(h, ecs("00e1", "s4", T("08:00"), "\"event.dataset\":\"okta.system \""), SW_V_WRONG_DATASET);
    assert_int_equal(h->na, 0);
    EXPECT(h, ecs("00e1", "s1", T("08:00"), "\"event\":{\"dataset\":\"okta.system\"}"), SW_ELIGIBLE);
    EXPECT(h, ecs("00e1", "s2", T("08:01"), "\"data_stream\":{\"dataset\":\"okta.system\"}"), SW_ELIGIBLE);
    EXPECT(h, ecs("00e1", "s3", T("08:02"), "\"event.dataset\":\"okta.system\""), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "00e1");
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");
    /* No dataset at all (raw LogEvent, or ECS without one): okta.system. */
    EXPECT(h, ecs("00e2", "s1", T("08:00"), NULL), SW_ELIGIBLE);
    EXPECT(h, RAW(.actor = "\"00e2\"", .sid = "\"s2\""), SW_ELIGIBLE);
}

static void test_filter_event_type(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT_EACH(h, type, SW_V_NOT_SESSION_START, "\"user.session.end\"", "\"user.session.start.extra\"",
                "\"User.session.start\"", ABSENT, "null");
    EXPECT(h, RAW(.type = "\"user.session.start\""), SW_ELIGIBLE);
    h_free(h);
    h_init(h);
    h->cfg.prefilter = false;
    EXPECT(h, RAW(.type = "\"user.session.end\""), SW_V_NOT_SESSION_START);
    EXPECT(h, RAW(.type = "\"user.session.start\""), SW_ELIGIBLE);
}

/* Session id: missing / null / "" filtered, non-string rejected. */
static void test_filter_session_id(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT_EACH(h, sid, SW_V_NO_SESSION_ID, ABSENT, "null", "\"\"");
    EXPECT_EACH(h, sid, SW_R_WRONG_TYPE, "12345", "true", "{\"id\":\"s1\"}", "[\"s1\"]");
    EXPECT_EACH(h, sid, SW_ELIGIBLE, "\" \"" /* non-empty */, "\"s1\"");
    assert_contains(h->r[0].head, "\"externalSessionId\":12345");
}

/* Actor id: missing / "" / null filtered, object rejected. */
static void test_filter_actor_id(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT_EACH(h, actor, SW_V_NO_ACTOR, ABSENT, "\"\"", "null");
    EXPECT_EACH(h, actor, SW_R_WRONG_TYPE, "{\"id\":\"00u1\"}", "42");
    EXPECT(h, RAW(.actor = "\"00u1\""), SW_ELIGIBLE);
}

static void test_filter_require_success(void **state) {
    (void)state;
    harness *h = &H;
    /* Off (the default): outcome does not matter. */
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s1\"", .time = quote(T("08:00"))), SW_ELIGIBLE);
    EXPECT(h, RAW(.outcome = ABSENT, .sid = "\"s2\"", .time = quote(T("08:01"))), SW_ELIGIBLE);
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s3\"", .time = quote(T("08:02"))), SW_ELIGIBLE);
    assert_int_equal(h->na, 1); /* a password spray's failures alert without hardening */
    h_free(h);
    h_init(h);
    h->cfg.require_success = true;
    EXPECT(h, RAW(.outcome = "\"FAILURE\"", .sid = "\"s1\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = ABSENT, .sid = "\"s2\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = "\"success\"", .sid = "\"s3\""), SW_V_NOT_SUCCESS);
    EXPECT(h, RAW(.outcome = "\"SUCCESS\"", .sid = "\"s4\""), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
}

static void test_filter_unknown_actor(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ev("unknown", "Unknown", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, ev("unknown", "Unknown", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, ev("unknown", "Unknown", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].actor, "unknown");
    h_free(h);
    h_init(h);
    h->cfg.exclude_unknown_actor = true;
    EXPECT_ACTORS(h, SW_V_UNKNOWN_ACTOR, {"unknown", "Unknown", "s1"});
    EXPECT_ACTORS(h, SW_ELIGIBLE, {"unknown2", "Unknown", "s1"}, {"Unknown", "Unknown", "s1"});
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_exclusion_default), RULE_CASE(test_exclusion_case_insensitive),
        RULE_CASE(test_exclusion_custom_list), RULE_CASE(test_filter_dataset), RULE_CASE(test_filter_event_type),
        RULE_CASE(test_filter_session_id), RULE_CASE(test_filter_actor_id), RULE_CASE(test_filter_require_success),
        RULE_CASE(test_filter_unknown_actor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
