/* test_rule_cap.c -- pins one clause of the stolen-session rule through the
 * engine API (rule_harness.h): the alert cap: at most max_alerts per tenant
 * per 30-minute bucket of event time, whatever the arrival order, across
 * three or more buckets at once and for any W + L, buckets allocated lazily;
 * 0 is unlimited. */
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

/* Per-tenant memory does not depend on W + L: a tenant holds cap buckets
 * only for alerts, and only while they can change. */
static void test_cap_buckets_lazy(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.window_ms = SW_MAX_WINDOW_MS;
    h->cfg.lateness_ms = SW_MAX_LATENESS_MS;
    h->cfg.tenant_field = "tenant";
    for (int i = 0; i < 1000; i++) {
        char tenant[16];
        snprintf(tenant, sizeof tenant, "t%d", i);
        feed(h, evt(tenant, "00u1", "s1", T("08:00")));
    }
    const sw_store *st = sw_engine_store(eng(h));
    assert_int_equal(st->tenants.count, 1000);
    for (uint32_t i = 0; i < st->tenants.count; i++) {
        assert_null(sw_store_tenant_at(st, i)->cap);
        assert_int_equal(sw_store_tenant_at(st, i)->ncap, 0);
    }
    /* One alert: one bucket. */
    feed(h, evt("t0", "00u1", "s2", T("08:01")));
    feed(h, evt("t0", "00u1", "s3", T("08:02")));
    assert_int_equal(h->na, 1);
    assert_int_equal(sw_store_tenant_at(st, 0)->ncap, 1);
    assert_int_equal(sw_store_tenant_at(st, 1)->ncap, 0);
}

/* Three users in one tenant alert in one 30-minute bucket. */
static void three_users(harness *h, const char *tenant, const char *const users[3], const char *base_min) {
    char hms[16];
    int m0 = atoi(base_min);
    for (int u = 0; u < 3; u++)
        for (int s = 0; s < 3; s++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", s + 1);
            snprintf(hms, sizeof hms, "08:%02d", m0 + u * 3 + s);
            feed(h, tenant ? evt(tenant, users[u], sid, T(hms)) : ev(users[u], "U", sid, T(hms)));
        }
}

/* At most max_alerts per tenant per bucket; the capped key is still reset;
 * the next bucket flows again. */
static void test_cap(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u3"}, "05");
    assert_int_equal(h->na, 2);
    assert_string_equal(h->a[0].actor, "00u1");
    assert_string_equal(h->a[1].actor, "00u2");
    assert_int_equal(cnt(h)->alerts, 2);
    assert_int_equal(cnt(h)->alerts_capped, 1);
    /* 00u3 was reset by its capped alert at 08:13: its sessions are gone. */
    FEED(h, "00u3", "U", {"s4", "08:30"}, {"s5", "08:31"});
    EXPECT_SESSIONS(completes(h, 2, "00u3", "U", "s6", "08:32"), "s4", "s5", "s6");
    /* Bucket 08:30-09:00: one more alert, then capped. */
    FEED(h, "00u4", "U", {"s1", "08:33"}, {"s2", "08:34"}, {"s3", "08:35"});
    FEED(h, "00u5", "U", {"s1", "08:36"}, {"s2", "08:37"}, {"s3", "08:38"});
    assert_int_equal(h->na, 4);
    assert_string_equal(h->a[3].actor, "00u4");
    assert_int_equal(cnt(h)->alerts, 4);
    assert_int_equal(cnt(h)->alerts_capped, 2);
    /* The bucket is floor(t / 30 min): 08:59:59.999 is still capped. */
    FEED(h, "00u6", "U", {"s1", "08:59"}, {"s2", "08:59:30"}, {"s3", "08:59:59.999"});
    assert_int_equal(h->na, 4);
    FEED(h, "00u7", "U", {"s1", "08:59"}, {"s2", "08:59:30"}, {"s3", "09:00:00.000"});
    assert_int_equal(h->na, 5);
    assert_int_equal(cnt(h)->alerts_capped, 3);
}

static void test_cap_per_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    h->cfg.tenant_field = "tenant";
    three_users(h, "a", (const char *const[]){"00u1", "00u2", "00u3"}, "00");
    three_users(h, "b", (const char *const[]){"00u1", "00u2", "00u3"}, "01");
    assert_int_equal(h->na, 4);
    assert_string_equal(h->a[0].tenant, "a");
    assert_string_equal(h->a[1].tenant, "a");
    assert_string_equal(h->a[2].tenant, "b");
    assert_string_equal(h->a[3].tenant, "b");
    assert_string_equal(h->a[3].actor, "00u2");
    assert_int_equal(cnt(h)->alerts_capped, 2);
}

static void test_cap_unlimited(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 0;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u3"}, "00");
    three_users(h, NULL, (const char *const[]){"00u4", "00u5", "00u6"}, "01");
    assert_int_equal(h->na, 6);
    assert_int_equal(cnt(h)->alerts_capped, 0);
}

/* The cap counts per bucket of event time, whatever the arrival order: an
 * alert that lands back in a full bucket after one in the next bucket is
 * still capped. */
static void test_cap_bucket_out_of_order(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 2;
    three_users(h, NULL, (const char *const[]){"00u1", "00u2", "00u9"}, "00"); /* 08:00-08:08 */
    assert_int_equal(h->na, 2);                                              /* 00u9 capped */
    FEED(h, "00u3", "U", {"s1", "08:30"}, {"s2", "08:31"});
    feed(h, ev("00u3", "U", "s3", T("08:32"))); /* next bucket: emitted */
    assert_int_equal(h->na, 3);
    /* Back in 08:00-08:30 (in time: the watermark is 08:32). */
    FEED(h, "00u4", "U", {"s1", "08:27"}, {"s2", "08:28"}, {"s3", "08:29:30"});
    assert_int_equal(cnt(h)->verdict[SW_R_TOO_LATE], 0);
    /* Spec: bucket 08:00-08:30 already holds 2 alerts, so 00u4 is capped. */
    assert_int_equal(cnt(h)->alerts_capped, 2);
    assert_int_equal(cnt(h)->alerts, 3);
    assert_int_equal(h->na, 3);
}

/* W + L = 45 min: alerts can land in three buckets at once; each is
 * counted exactly. */
static void test_cap_three_buckets(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.max_alerts = 1;
    const char *const users[] = {"00a1", "00b1", "00c1", "00a2", "00b2", "00c2"};
    const char *const times[][3] = {
        {"08:18", "08:19", "08:20"}, /* bucket 08:00: emitted */
        {"08:38", "08:39", "08:40"}, /* bucket 08:30: emitted */
        {"08:59", "09:00", "09:01"}, /* bucket 09:00: emitted; watermark 09:01 */
        {"08:20", "08:21", "08:25"}, /* bucket 08:00 again: capped */
        {"08:41", "08:42", "08:43"}, /* bucket 08:30 again: capped */
        {"09:02", "09:03", "09:04"}, /* bucket 09:00 again: capped */
    };
    for (int u = 0; u < 6; u++)
        for (int i = 0; i < 3; i++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", i);
            EXPECT(h, ev(users[u], "U", sid, T(times[u][i])), SW_ELIGIBLE);
        }
    assert_int_equal(h->na, 3);
    assert_int_equal(cnt(h)->alerts_capped, 3);
}

/* The cap holds for any W + L: with W = 6 h an alert can land 12 buckets
 * behind the watermark, and its bucket's count must still be known (a
 * fixed ring of 8 buckets once let a second alert out here). */
static void test_cap_wide_window(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.window_ms = 6 * 3600000LL;
    h->cfg.lateness_ms = 0;
    h->cfg.max_alerts = 1;
    for (int k = 0; k < 10; k++) { /* one alert in each bucket 08:00, 08:30, ..., 12:30 */
        char actor[8], hms[8];
        snprintf(actor, sizeof actor, "u%d", k);
        snprintf(hms, sizeof hms, "%02d:%02d", 8 + (k * 30 + 5) / 60, (k * 30 + 5) % 60);
        for (int s = 0; s < 3; s++) {
            char sid[8];
            snprintf(sid, sizeof sid, "s%d", s);
            feed(h, ev(actor, "U", sid, T(hms)));
        }
    }
    assert_int_equal(h->na, 10);
    /* Back in bucket 08:00 (in time: the watermark is 12:35, W + L = 6 h). */
    EXPECT(h, ev("late", "U", "s0", T("08:10")), SW_ELIGIBLE);
    EXPECT(h, ev("late", "U", "s1", T("08:10")), SW_ELIGIBLE);
    EXPECT(h, ev("late", "U", "s2", T("08:10")), SW_ELIGIBLE);
    assert_int_equal(cnt(h)->alerts_capped, 1);
    assert_int_equal(h->na, 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_cap), RULE_CASE(test_cap_per_tenant), RULE_CASE(test_cap_unlimited),
        RULE_CASE(test_cap_bucket_out_of_order), RULE_CASE(test_cap_three_buckets), RULE_CASE(test_cap_wide_window),
        RULE_CASE(test_cap_buckets_lazy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
