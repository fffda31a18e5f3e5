/* test_cap.c -- pins --max-tracked-users: a store never holds more keys
 * than its budget, evicts the least recently active keys first (sampled),
 * counts every eviction, and its memory stays flat while 5 million
 * distinct users stream through a small budget.  Also through `scan`
 * (summary counts and the warning) and the shared budget of two stores.
 * (Skipped by tests/valgrind.sh: 5 million keys take minutes there.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hash.h"
#include "store.h"
#include "testutil.h"
#include "window.h"

#define W (35 * 60 * 1000LL)
#define T0 1767600000000LL

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* One event of user i at time t (a session of its own). */
static void observe(sw_store *s, sw_tenant *t, uint64_t i, int64_t when) {
    char actor[32], sid[32];
    int an = snprintf(actor, sizeof actor, "00u%012llu", (unsigned long long)i);
    int sn = snprintf(sid, sizeof sid, "s%llu", (unsigned long long)(i % 97));
    sw_user *u = sw_store_user(s, t, actor, (size_t)an);
    assert_non_null(u);
    sw_session_info si = {.id = {sid, (size_t)sn}, .ip = {"203.0.113.7", 11}, .user_agent = {"Mozilla/5.0", 11},
                          .country = {"US", 2}, .city = {"Dallas", 6}, .uuid = {"u", 1}};
    assert_int_not_equal(sw_window_observe(u, &s->slab, when, &si, sw_hash64(sid, (size_t)sn, 1), W, 3),
                         SW_OBS_NOMEM);
}

static void test_five_million_users_flat_memory(void **state) {
    (void)state;
    enum { CAP = 50000 };
    const uint64_t total = 5000000;
    sw_store s;
    assert_int_equal(sw_store_init(&s, W, 10 * 60000), 0);
    sw_user_budget b = {.max = CAP};
    sw_store_set_budget(&s, &b);
    sw_tenant *t = sw_store_tenant(&s, "", 0);
    long rss_1m = 0;
    for (uint64_t i = 0; i < total; i++) {
        /* Event time advances 1 s per 1000 users.  Keys fall behind the
         * watermark, but that eviction happens only when a stale key is
         * touched again or swept (neither here), so only the budget evicts. */
        observe(&s, t, i, T0 + (int64_t)(i / 1000));
        if (i + 1 == 1000000) rss_1m = rss_kb();
    }
    long rss_5m = rss_kb();
    assert_int_equal(s.users.count, CAP);
    assert_int_equal(atomic_load(&b.count), CAP);
    assert_int_equal(s.cap_evicted, total - CAP);
    /* Flat: 4 million more users than at the first million cost (almost)
     * nothing; a leak of 4 bytes per user would show 16 MB. */
    if (rss_5m - rss_1m > 8 * 1024)
        fail_msg("RSS grew from %ld kB at 1M users to %ld kB at 5M users", rss_1m, rss_5m);
    /* Least recently active first: the survivors are the recent keys. */
    uint64_t recent = 0;
    for (uint32_t i = 0; i < s.users.count; i++) {
        const sw_user *u = sw_table_at(&s.users, i);
        if (u->max_time >= T0 + (int64_t)((total - 10 * CAP) / 1000)) recent++;
    }
    if (recent < CAP * 9 / 10) fail_msg("only %llu of %d survivors are among the last %d users", (unsigned long long)recent, CAP, 10 * CAP);
    sw_store_destroy(&s);
    assert_int_equal(atomic_load(&b.count), 0);
}

/* Two stores (two partitions of one process) share one budget. */
static void test_shared_budget(void **state) {
    (void)state;
    sw_user_budget b = {.max = 1000};
    sw_store a, c;
    assert_int_equal(sw_store_init(&a, W, 0), 0);
    assert_int_equal(sw_store_init(&c, W, 0), 0);
    sw_store_set_budget(&a, &b);
    sw_store_set_budget(&c, &b);
    sw_tenant *ta = sw_store_tenant(&a, "", 0), *tc = sw_store_tenant(&c, "", 0);
    for (uint64_t i = 0; i < 800; i++) observe(&a, ta, i, T0 + (int64_t)i);
    for (uint64_t i = 0; i < 800; i++) observe(&c, tc, 10000 + i, T0 + 1000 + (int64_t)i);
    assert_int_equal(atomic_load(&b.count), 1000);
    assert_int_equal(a.users.count + c.users.count, 1000);
    assert_int_equal(a.cap_evicted + c.cap_evicted, 600);
    assert_int_equal(a.cap_evicted, 0); /* the store that created over the budget evicts its own */
    /* A key already tracked costs nothing more. */
    observe(&c, tc, 10799, T0 + 5000);
    assert_int_equal(c.cap_evicted, 600);
    sw_store_destroy(&a);
    assert_int_equal(atomic_load(&b.count), c.users.count);
    sw_store_destroy(&c);
    assert_int_equal(atomic_load(&b.count), 0);
}

/* Through the binary: scan counts the evictions and warns. */
static void test_scan_counts_evictions(void **state) {
    (void)state;
    const char *out = tu_write_temp("", 0);
    char path[64];
    snprintf(path, sizeof path, "%s", out);
    const char *gen[] = {"gen", "--seed", "3", "--users", "400", "--hours", "0.5", "--out", path, NULL};
    tu_result r = tu_run(gen, NULL, 0);
    assert_int_equal(r.status, 0);
    tu_result_free(&r);
    const char *scan[] = {"scan", "--max-tracked-users", "50", "--summary", "json", path, NULL};
    r = tu_run(scan, NULL, 0);
    assert_int_equal(r.status, 0);
    const char *tracked = strstr(r.err, "\"tracked_users\":"), *ev = strstr(r.err, "\"cap_evicted\":");
    assert_non_null(tracked);
    assert_non_null(ev);
    assert_int_equal(strtoull(tracked + 16, NULL, 10), 50);
    assert_true(strtoull(ev + 14, NULL, 10) > 300);
    tu_result_free(&r);
    const char *text[] = {"scan", "--max-tracked-users", "50", path, NULL};
    r = tu_run(text, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "keys evicted at --max-tracked-users"));
    tu_result_free(&r);
    const char *bad[] = {"scan", "--max-tracked-users", "lots", path, NULL};
    r = tu_run(bad, NULL, 0);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--max-tracked-users"));
    tu_result_free(&r);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_budget),
        cmocka_unit_test(test_scan_counts_evictions),
        cmocka_unit_test(test_five_million_users_flat_memory),
    };
    return cmocka_run_group_tests_name("cap", tests, NULL, NULL);
}
