/* test_rule_window.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): the per-key state machine: N distinct
 * sessions within W (inclusive), repeated and escaped session ids,
 * out-of-order events, t <= r covered, reset after an alert, Q listed
 * exactly in the alert, and memory bounded by N sessions per key. */
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

/* 2 sessions: nothing; the 3rd: one alert listing exactly those 3, with the
 * 3rd event's time, the count of events and the first event's time. */
static void test_three_sessions_alert(void **state) {
    (void)state;
    harness *h = &H;
    feed(h, ev("00u1", "User One", "s1", T("08:00")));
    feed(h, ev("00u2", "User Two", "sX", T("08:05"))); /* another user */
    feed(h, ev("00u1", "User One", "s2", T("08:10")));
    const char *j = completes(h, 0, "00u1", "User One", "s3", "08:20");
    EXPECT_SESSIONS(j, "s1", "s2", "s3");
    assert_lacks(j, "\"sX\"");
    assert_contains(j, jtime("@timestamp", "08:20"));
    assert_contains(j, "\"threshold_result\":{\"terms\":[{\"field\":\"okta.actor.id\",\"value\":\"00u1\"}],"
                       "\"count\":3,\"from\":\"2026-01-05T08:00:00.000Z\",\"cardinality\":[{\"field\":"
                       "\"okta.authentication_context.external_session_id\",\"value\":3}]}");
    assert_contains(j, "\"tenant\":\"\"");
    assert_contains(j, "\"okta\":{\"actor\":{\"id\":\"00u1\",\"display_name\":\"User One\","
                       "\"alternate_id\":\"00u1@example.com\"}}");
    assert_contains(j, "\"user\":{\"id\":\"00u1\",\"name\":\"User One\",\"email\":\"00u1@example.com\"}");
    assert_contains(j, "\"parameters\":{\"window_ms\":2100000,\"min_sessions\":3}");
    assert_contains(j, "\"detected_at\":\"2026-01-06T11:46:40.000Z\"");
    assert_contains(j, "\"source\":{\"file\":\"test\",\"line\":4}");
    assert_contains(session_obj(j, "s2"), "{\"id\":\"s2\",\"first_seen\":\"2026-01-05T08:10:00.000Z\","
                                          "\"last_seen\":\"2026-01-05T08:10:00.000Z\",\"events\":1,"
                                          "\"client\":{\"ip\":\"203.0.113.7\",\"user_agent\":\"Mozilla/5.0 (test)\","
                                          "\"geo\":{\"country_name\":\"Testland\",\"city_name\":\"Testville\"}}");

    /* The id: 32 lowercase hex digits, the same in the callback and the JSON. */
    assert_true(is_hex_id(h->a[0].id));
    char head[64];
    snprintf(head, sizeof head, "{\"alert_id\":\"%s\",", h->a[0].id);
    assert_int_equal(strncmp(j, head, strlen(head)), 0);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_string_equal(h->a[0].tenant, "");
    assert_int_equal(h->a[0].line, 4);
    assert_int_equal(h->a[0].index, UINT32_MAX);

    const sw_counters *c = cnt(h);
    assert_int_equal(c->records, 4);
    assert_int_equal(c->events, 4);
    assert_int_equal(c->eligible, 4);
    assert_int_equal(c->alerts, 1);
    assert_int_equal(c->covered, 0);
    assert_int_equal(c->alerts_capped, 0);
    assert_int_equal(c->nomem, 0);
    for (int v = 0; v < SW_VERDICT_COUNT; v++) assert_int_equal(c->verdict[v], 0);
    assert_int_equal(h->nr, 0);
}

/* W is inclusive: a spread of exactly 35 min alerts, 35 min + 1 ms does not
 * (and then the oldest session is out of Q for good). */
static void test_window_boundary(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00ua", "A", {"s1", "08:00:00.000"}, {"s2", "08:20"}, {"s3", "08:35:00.000"});
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");

    FEED(h, "00ub", "B", {"s1", "08:00:00.000"}, {"s2", "08:20"}, {"s3", "08:35:00.001"});
    /* s1 is out; a 4th session completes Q = {s2, s3, s4}. */
    EXPECT_SESSIONS(completes(h, 1, "00ub", "B", "s4", "08:35:00.002"), "s2", "s3", "s4");
    assert_contains(h->a[1].json, "\"from\":\"2026-01-05T08:20:00.000Z\"");
    assert_int_equal(cnt(h)->alerts, 2);
}

/* A session seen twice counts once; the alert reports its 2 events. */
static void test_repeated_session(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s1", "08:05"}, {"s2", "08:10"});
    assert_int_equal(h->na, 0);
    assert_int_equal(cnt(h)->eligible, 3);
    feed(h, ev("00u1", "U", "s3", T("08:15")));
    assert_int_equal(h->na, 1);
    const char *j = h->a[0].json;
    EXPECT_SESSIONS(j, "s1", "s2", "s3");
    assert_contains(session_obj(j, "s1"), "\"first_seen\":\"2026-01-05T08:00:00.000Z\","
                                          "\"last_seen\":\"2026-01-05T08:05:00.000Z\",\"events\":2,");
    assert_contains(session_obj(j, "s3"), "\"events\":1,");
    assert_contains(j, "\"count\":4,\"from\":\"2026-01-05T08:00:00.000Z\"");
}

/* Session ids compare after JSON unescaping. */
static void test_escaped_session_ids(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "U", {"102ab", "08:00"}, {"102\\u0061b", "08:01"}, {"c", "08:02"});
    EXPECT_SESSIONS(completes(h, 0, "00u1", "U", "d", "08:03"), "102ab", "c", "d");
    assert_contains(session_obj(h->a[0].json, "102ab"), "\"events\":2,");

    /* \/ and a non-ASCII \u escape against the literal bytes. */
    FEED(h, "00u2", "U", {"a/b", "08:10"}, {"a\\/b", "08:11"}, {"caf\xc3\xa9", "08:12"}, {"caf\\u00e9", "08:13"});
    EXPECT_SESSIONS(completes(h, 1, "00u2", "U", "z", "08:14"), "a/b", "caf\xc3\xa9", "z");
}

/* After an alert: r = maxT, sessions forgotten; t <= r is covered and does
 * not count toward the next alert. */
static void test_reset_and_covered(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s2", "08:01"}, {"s3", "08:02"});
    assert_int_equal(h->na, 1);
    FEED(h, "00u1", "U", {"s4", "08:03"}, {"s5", "08:04"});
    EXPECT_SESSIONS(completes(h, 1, "00u1", "U", "s6", "08:05"), "s4", "s5", "s6");
    assert_contains(h->a[1].json, "\"count\":3,\"from\":\"2026-01-05T08:03:00.000Z\"");
    assert_int_equal(cnt(h)->covered, 0);

    /* Covered: t == r, t < r, and an old session id at t == r. */
    FEED(h, "00u2", "U", {"s1", "08:00"}, {"s2", "08:01"}, {"s3", "08:02"});
    assert_int_equal(h->na, 3);
    FEED(h, "00u2", "U", {"s7", "08:02:00.000"}, {"s8", "08:01"}, {"s1", "08:02"});
    assert_int_equal(cnt(h)->covered, 3);
    assert_int_equal(cnt(h)->eligible, 12);
    FEED(h, "00u2", "U", {"s4", "08:02:00.001"}, {"s5", "08:04"});
    /* s7, s8 did not count */
    EXPECT_SESSIONS(completes(h, 3, "00u2", "U", "s6", "08:05"), "s4", "s5", "s6");

    /* The same three ids again after the alert are new sessions. */
    FEED(h, "00u3", "U", {"s1", "08:00"}, {"s2", "08:01"}, {"s3", "08:02"}, {"s1", "08:03"}, {"s2", "08:04"});
    EXPECT_SESSIONS(completes(h, 5, "00u3", "U", "s3", "08:05"), "s1", "s2", "s3");
    assert_contains(h->a[5].json, "\"count\":3,\"from\":\"2026-01-05T08:03:00.000Z\"");
    assert_int_equal(cnt(h)->covered, 3);
}

/* Out of order inside the window counts; Q is listed by last_seen. */
static void test_out_of_order(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s2", "08:30"}, {"s3", "08:10"});
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s3", "s2");
    assert_contains(h->a[0].json, jtime("@timestamp", "08:10")); /* the completing event */
    assert_contains(h->a[0].json, "\"from\":\"2026-01-05T08:00:00.000Z\"");

    /* Inclusive at maxT - W, also when the old one arrives last. */
    FEED(h, "00u2", "U", {"s1", "08:35"}, {"s2", "08:10"}, {"s3", "08:00:00.000"});
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s3", "s2", "s1");

    /* last(s) = max: an older event of a session does not pull it back. */
    FEED(h, "00u3", "U", {"s1", "08:00"}, {"s1", "07:58"}, {"s2", "08:30"}, {"s3", "08:34"});
    assert_int_equal(h->na, 3);
    EXPECT_SESSIONS(h->a[2].json, "s1", "s2", "s3");
    assert_contains(session_obj(h->a[2].json, "s1"), "\"first_seen\":\"2026-01-05T07:58:00.000Z\","
                                                     "\"last_seen\":\"2026-01-05T08:00:00.000Z\",\"events\":2,");
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 0);
}

/* An event older than maxT - W (but in time) is eligible and not in Q. */
static void test_old_event_not_in_q(void **state) {
    (void)state;
    harness *h = &H;
    FEED(h, "00u1", "U", {"s1", "08:35"}, {"s2", "08:10"});
    EXPECT(h, ev("00u1", "U", "s3", T("07:59:59.999")), SW_ELIGIBLE);
    EXPECT_SESSIONS(completes(h, 0, "00u1", "U", "s4", "08:20"), "s2", "s4", "s1");
    assert_lacks(h->a[0].json, "\"s3\"");
}

static const sw_user *find_user(harness *h, const char *actor) {
    sw_store *st = sw_engine_store(eng(h));
    size_t n = strlen(actor);
    for (uint32_t i = 0; i < st->users.count; i++) {
        const sw_user *u = sw_table_at(&st->users, i);
        if (u->k.key_len == n + 4 && memcmp(u->k.key + 4, actor, n) == 0) return u;
    }
    return NULL;
}

static void test_bounded_state(void **state) {
    (void)state;
    for (uint32_t N = 3; N <= 5; N += 2) {
        harness *h = &H;
        h_free(h);
        h_init(h);
        h->cfg.min_sessions = N;
        char sid[32], hms[32];
        /* N - 1 sessions in the window (maxT ~ 10:00) ... */
        for (uint32_t i = 0; i + 1 < N; i++) {
            snprintf(sid, sizeof sid, "in%u", i);
            snprintf(hms, sizeof hms, "10:00:00.00%u", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        /* ... then 500 distinct sessions older than maxT - W (09:25), in time (>= 09:15). */
        for (int i = 0; i < 500; i++) {
            snprintf(sid, sizeof sid, "old%d", i);
            snprintf(hms, sizeof hms, "09:%02d:%02d.%03d", 16 + i / 60, i % 60, i);
            EXPECT(h, ev("00u1", "U", sid, T(hms)), SW_ELIGIBLE);
            check_bounded(h, N);
        }
        /* ... and 500 sessions 36 minutes apart for another user. */
        for (int i = 0; i < 500; i++) {
            snprintf(sid, sizeof sid, "far%d", i);
            char t[64];
            int64_t m = 36LL * i;
            snprintf(t, sizeof t, "2026-01-%02dT%02d:%02d:00.000Z", 5 + (int)(m / 1440),
                     (int)(m / 60 % 24), (int)(m % 60));
            feed(h, ev("00u2", "U", sid, t));
            check_bounded(h, N);
        }
        assert_int_equal(h->na, 0);
        const sw_user *u = find_user(h, "00u2");
        assert_non_null(u);
        assert_int_equal(u->nsessions, 1);
        /* One more in-window session for 00u1 (whose key is stale by now:
         * start it again) alerts with exactly N. */
        h_free(h);
        h_init(h);
        h->cfg.min_sessions = N;
        for (uint32_t i = 0; i + 1 < N; i++) {
            snprintf(sid, sizeof sid, "in%u", i);
            snprintf(hms, sizeof hms, "10:00:00.00%u", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        for (int i = 0; i < 50; i++) {
            snprintf(sid, sizeof sid, "old%d", i);
            snprintf(hms, sizeof hms, "09:20:%02d", i);
            feed(h, ev("00u1", "U", sid, T(hms)));
        }
        u = find_user(h, "00u1");
        assert_non_null(u);
        assert_int_equal(u->nsessions, N); /* N - 1 in the window + the newest stale one */
        feed(h, ev("00u1", "U", "last", T("10:30")));
        assert_int_equal(h->na, 1);
        char ids[80][64];
        assert_int_equal(alert_ids(h->a[0].json, ids, 80), N);
        u = find_user(h, "00u1");
        assert_int_equal(u->nsessions, 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_three_sessions_alert), RULE_CASE(test_window_boundary), RULE_CASE(test_repeated_session),
        RULE_CASE(test_escaped_session_ids), RULE_CASE(test_reset_and_covered), RULE_CASE(test_out_of_order),
        RULE_CASE(test_old_event_not_in_q), RULE_CASE(test_bounded_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
