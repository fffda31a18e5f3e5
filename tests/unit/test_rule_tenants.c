/* test_rule_tenants.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): tenants: isolated state, a fixed
 * --tenant, --max-tenants, the per-tenant watermark (the SW_WM_ACTORS-th
 * newest actor) and per-tenant lateness. */
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

/* Tenants never share state, even with colliding actor ids. */
static void test_tenants_isolated(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    FEED_TENANTS(h, "00u1", {"a", "s1", "08:00"}, {"a", "s2", "08:01"}, {"b", "s3", "08:02"},
                 {NULL, "s4", "08:03"} /* no tenant field: tenant "" */);
    assert_int_equal(h->na, 0);
    assert_int_equal(cnt(h)->eligible, 4);
    FEED_TENANTS(h, "00u1", {"b", "s4", "08:04"}, {"b", "s5", "08:05"});
    assert_int_equal(h->na, 1);
    const char *j = h->a[0].json;
    assert_contains(j, "\"tenant\":\"b\"");
    assert_string_equal(h->a[0].tenant, "b");
    assert_string_equal(h->a[0].actor, "00u1");
    EXPECT_SESSIONS(j, "s3", "s4", "s5");
    feed(h, evt("a", "00u1", "s9", T("08:06")));
    assert_int_equal(h->na, 2);
    assert_string_equal(h->a[1].tenant, "a");
    EXPECT_SESSIONS(h->a[1].json, "s1", "s2", "s9");
    /* Same sessions, other tenant: its own alert id. */
    assert_string_not_equal(h->a[0].id, h->a[1].id);
}

/* A fixed tenant overrides the records. */
static void test_fixed_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant = "acme";
    FEED_TENANTS(h, "00u1", {"a", "s1", "08:00"}, {"b", "s2", "08:01"}, {NULL, "s3", "08:02"});
    assert_int_equal(h->na, 1);
    assert_contains(h->a[0].json, "\"tenant\":\"acme\"");
    assert_string_equal(h->a[0].tenant, "acme");
}

/* ms since the epoch of T(hms). */
static int64_t at(const char *hms) {
    const char *t = T(hms);
    int64_t ms;
    assert_int_equal(sw_time_parse(t, strlen(t), &ms), 0);
    return ms;
}

/* The watermark is the SW_WM_ACTORS-th newest of the actors' newest
 * times: fewer actors, however far ahead, set none; one actor's records
 * count once. */
static void test_watermark_needs_k_actors(void **state) {
    (void)state;
    harness *h = &H;
    for (int i = 0; i < SW_WM_ACTORS - 1; i++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00uF%d", i);
        EXPECT(h, ev(actor, "F", "f1", "9999-12-31T23:59:59.999Z"), SW_ELIGIBLE);
        EXPECT(h, ev(actor, "F", "f2", "9999-12-31T23:59:59.999Z"), SW_ELIGIBLE);
    }
    /* Three actors far ahead: no watermark, nothing is late. */
    EXPECT(h, ev("00u1", "U", "s1", T("07:00")), SW_ELIGIBLE);
    const sw_store *st = sw_engine_store(eng(h));
    const sw_tenant *t = sw_store_tenant_at(st, 0);
    assert_int_equal(t->ntop, SW_WM_ACTORS);
    assert_int_equal(t->watermark, at("07:00"));
    /* The watermark is 07:00 (the 4th actor's), not 9999: 06:15 is in time. */
    EXPECT(h, ev("00u2", "U", "s1", T("06:15")), SW_ELIGIBLE);
    EXPECT(h, ev("00u2", "U", "s1", T("06:14:59.999")), SW_R_TOO_LATE);
    /* Repeats of one actor count once: 00u1, the 4th newest actor, moves
     * it as 00u1 moves on; 00u2, behind it, does not. */
    EXPECT(h, ev("00u1", "U", "s2", T("10:00")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("10:00"));
    EXPECT(h, ev("00u1", "U", "s3", T("11:00")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("11:00"));
    EXPECT(h, ev("00u2", "U", "s2", T("10:30")), SW_ELIGIBLE);
    assert_int_equal(t->watermark, at("11:00"));
    assert_int_equal(t->ntop, SW_WM_ACTORS);
}

/* --max-tenants: a new tenant beyond it is rejected, never allocated; its
 * known tenants go on. */
static void test_too_many_tenants(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    h->cfg.max_tenants = 2;
    EXPECT(h, evt("a", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("c", "00u1", "s1", T("08:00")), SW_R_TOO_MANY_TENANTS);
    EXPECT(h, evt("a", "00u1", "s2", T("08:01")), SW_ELIGIBLE);
    assert_int_equal(sw_engine_store(eng(h))->tenants.count, 2);
    assert_int_equal(sw_engine_store(eng(h))->tenants_refused, 1);
}

/* One tenant's newer events never make another tenant's events late. */
static void test_lateness_per_tenant(void **state) {
    (void)state;
    harness *h = &H;
    h->cfg.tenant_field = "tenant";
    EXPECT(h, evt("a", "00u1", "s1", T("10:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s1", T("08:00")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s2", T("08:01")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u1", "s3", T("08:02")), SW_ELIGIBLE);
    assert_int_equal(h->na, 1);
    assert_string_equal(h->a[0].tenant, "b");
    pace(h, "a", T("10:00"));
    pace(h, "b", T("08:02"));
    EXPECT(h, evt("a", "00u2", "s1", T("09:14:59.999")), SW_R_TOO_LATE);
    EXPECT(h, evt("a", "00u2", "s1", T("09:15")), SW_ELIGIBLE);
    EXPECT(h, evt("b", "00u2", "s1", T("07:16:59.999")), SW_R_TOO_LATE);
    EXPECT(h, evt("b", "00u2", "s1", T("07:17")), SW_ELIGIBLE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_tenants_isolated), RULE_CASE(test_fixed_tenant), RULE_CASE(test_lateness_per_tenant),
        RULE_CASE(test_watermark_needs_k_actors), RULE_CASE(test_too_many_tenants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
