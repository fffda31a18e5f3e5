/* test_rule_lateness.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): lateness and eviction: an event too far
 * behind its tenant's watermark is rejected too_late, one dated after the
 * clock + the allowed skew too_early, and a key whose newest event fell more
 * than W + L behind is evicted. */
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

/* Lateness is judged against the tenant's newest eligible event. */
static void test_lateness(void **state) {
    (void)state;
    harness *h = &H;
    EXPECT(h, ev("00u1", "U", "s1", T("10:00")), SW_ELIGIBLE);
    pace(h, NULL, T("10:00")); /* the watermark needs SW_WM_ACTORS actors at 10:00 */
    EXPECT(h, ev("00u2", "U", "s1", T("09:14:59.999")), SW_R_TOO_LATE);
    EXPECT(h, ev("00u2", "U", "s2", T("09:15:00.000")), SW_ELIGIBLE);
    assert_contains(h->r[0].head, "09:14:59.999");
    /* Neither filtered nor rejected events move the watermark. */
    EXPECT(h, ev("okta1", "U", "s1", T("12:00")), SW_V_EXCLUDED_ACTOR);
    EXPECT(h, RAW(.actor = "\"00u3\"", .sid = ABSENT, .time = quote(T("12:00"))), SW_V_NO_SESSION_ID);
    EXPECT(h, ev("00u3", "U", "s1", T("09:15:00.000")), SW_ELIGIBLE);
    /* A too-late event does not count toward an alert. */
    EXPECT(h, ev("00u4", "U", "s1", T("09:30")), SW_ELIGIBLE);
    EXPECT(h, ev("00u4", "U", "s2", T("09:31")), SW_ELIGIBLE);
    EXPECT(h, ev("00u4", "U", "s3", T("09:00")), SW_R_TOO_LATE);
    assert_int_equal(h->na, 0);
    EXPECT(h, ev("00u4", "U", "s3", T("09:32")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 2);
}

/* run: an event dated after the clock + --max-clock-skew is rejected
 * too_early: not counted, no tenant or key created, the watermark never
 * sees it. */
static void test_too_early(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_clock_skew_ms = 5 * 60000; /* clock_a: 2026-01-06T11:46:40Z */
    EXPECT(h, ev("00u1", "U", "s1", "2026-01-06T11:51:40.001Z"), SW_R_TOO_EARLY);
    EXPECT(h, ev("00u1", "U", "s1", "9999-12-31T23:59:59.999Z"), SW_R_TOO_EARLY);
    assert_int_equal(sw_engine_store(eng(h))->tenants.count, 0);
    assert_int_equal(sw_store_users(sw_engine_store(eng(h))), 0);
    EXPECT(h, ev("00u1", "U", "s1", "2026-01-06T11:51:40.000Z"), SW_ELIGIBLE);
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_EARLY], 2);
    assert_int_equal(sw_engine_future_limit(eng(h)), clock_a() + 5 * 60000);
    /* Without a skew (scan) there is no bound. */
    h->cfg.max_clock_skew_ms = 0;
    assert_int_equal(sw_engine_future_limit(eng(h)), INT64_MAX);
}

/* 00u1's s1 and s2 at 08:00, the watermark paced to hms, then its s3 at
 * 08:01 (eligible): whether s1 and s2 still count is the key's staleness. */
static void sessions_then_watermark(harness *h, const char *hms) {
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s2", "08:00"});
    pace(h, NULL, T(hms));
    EXPECT(h, ev("00u1", "U", "s3", T("08:01")), SW_ELIGIBLE);
}

/* A key whose maxT fell more than W + L behind the tenant's watermark is
 * forgotten: its sessions no longer count. */
static void test_eviction(void **state) {
    (void)state;
    harness *h = &H;
    /* Control: without the other user, s1 s2 s3 alert. */
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s2", "08:00"}, {"s3", "08:01"});
    assert_int_equal(h->na, 1);
    h_free(h);
    h_init(h);

    /* Boundary: maxT == watermark - (W + L) is not stale yet. */
    sessions_then_watermark(h, "08:45:00.000");
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s1", "s2", "s3");
    assert_int_equal(sw_engine_store(h->e)->evicted, 0);
    h_free(h);
    h_init(h);

    /* One ms later the key is stale: s1 and s2 are forgotten. */
    sessions_then_watermark(h, "08:45:00.001");
    assert_int_equal(h->na, 0);
    assert_int_equal(sw_engine_store(h->e)->evicted, 1);
    EXPECT(h, ev("00u1", "U", "s4", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 0);
    EXPECT(h, ev("00u1", "U", "s5", T("08:03")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    EXPECT_SESSIONS(h->a[0].json, "s3", "s4", "s5");
    h_free(h);
    h_init(h);

    /* After an alert (r = 08:02) the key goes stale and is forgotten too.
     * (Its r can never suppress again anyway: maxT >= r, and an in-time
     * event is newer than any stale maxT.) */
    FEED(h, "00u1", "U", {"s1", "08:00"}, {"s2", "08:01"}, {"s3", "08:02"});
    assert_int_equal(h->na, 1);
    pace(h, NULL, T("08:47:00.001"));
    assert_int_equal(sw_engine_store(h->e)->evicted, 1);
    EXPECT(h, ev("00u1", "U", "s4", T("08:03")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "U", "s5", T("08:04")), SW_ELIGIBLE);
    EXPECT(h, ev("00u1", "U", "s6", T("08:05")), SW_ELIGIBLE);
    assert_int_equal(h->na, 2);
    EXPECT_SESSIONS(h->a[1].json, "s4", "s5", "s6");
    assert_int_equal(cnt(h)->covered, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_lateness), RULE_CASE(test_eviction), RULE_CASE(test_too_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
