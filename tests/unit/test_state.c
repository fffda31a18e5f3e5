/* test_state.c -- pins the state layer under the rule: the flat table
 * against a reference model under random inserts and deletes, the slab's
 * accounting, the window's bounded memory, and that eviction is defined on
 * access (so when the sweep runs never changes a result). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "slab.h"
#include "store.h"
#include "table.h"
#include "window.h"

#include "testutil.h"

typedef struct {
    sw_tkey k;
    uint64_t value;
} entry;

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) { return tu_xorshift64(&rng); }

static void test_table_model(void **state) {
    (void)state;
    enum { KEYS = 5000, OPS = 200000 };
    sw_slab slab;
    sw_slab_init(&slab);
    sw_table t;
    assert_int_equal(sw_table_init(&t, sizeof(entry), &slab, 42), 0);
    static uint64_t model[KEYS]; /* 0 = absent, else value */
    memset(model, 0, sizeof model);
    uint32_t live = 0;
    for (int op = 0; op < OPS; op++) {
        uint32_t k = (uint32_t)(next_rand() % KEYS);
        char key[32];
        int len = snprintf(key, sizeof key, "user-%u", k);
        uint64_t h = sw_table_hash(&t, key, (size_t)len);
        if (next_rand() % 3) {
            int created;
            entry *e = sw_table_put(&t, key, (uint32_t)len, h, &created);
            assert_non_null(e);
            assert_int_equal(created, model[k] == 0);
            if (created) live++;
            else assert_int_equal(e->value, model[k]);
            e->value = model[k] = op + 1;
        } else {
            entry *e = sw_table_get(&t, key, (uint32_t)len, h);
            if (model[k] == 0) {
                assert_null(e);
            } else {
                assert_non_null(e);
                assert_int_equal(e->value, model[k]);
                sw_table_del(&t, e);
                model[k] = 0;
                live--;
            }
        }
        assert_int_equal(t.count, live);
    }
    /* every surviving key is found with its value; the dense array holds exactly them */
    for (uint32_t k = 0; k < KEYS; k++) {
        char key[32];
        int len = snprintf(key, sizeof key, "user-%u", k);
        entry *e = sw_table_get(&t, key, (uint32_t)len, sw_table_hash(&t, key, (size_t)len));
        if (model[k]) {
            assert_non_null(e);
            assert_int_equal(e->value, model[k]);
        } else {
            assert_null(e);
        }
    }
    sw_table_destroy(&t);
    assert_int_equal(slab.bytes_live, 0);
    sw_slab_destroy(&slab);
}

static void test_table_binary_keys(void **state) {
    (void)state;
    sw_slab slab;
    sw_slab_init(&slab);
    sw_table t;
    assert_int_equal(sw_table_init(&t, sizeof(entry), &slab, 7), 0);
    const char a[] = "a\0b", b[] = "a\0c";
    int created;
    entry *ea = sw_table_put(&t, a, 3, sw_table_hash(&t, a, 3), &created);
    ea->value = 1;
    entry *eb = sw_table_put(&t, b, 3, sw_table_hash(&t, b, 3), &created);
    assert_int_equal(created, 1);
    eb->value = 2;
    entry *empty = sw_table_put(&t, "", 0, sw_table_hash(&t, "", 0), &created);
    assert_int_equal(created, 1);
    assert_int_equal(t.count, 3);
    assert_int_equal(((entry *)sw_table_get(&t, a, 3, sw_table_hash(&t, a, 3)))->value, 1);
    assert_ptr_equal(sw_table_get(&t, "", 0, sw_table_hash(&t, "", 0)), empty);
    sw_table_destroy(&t);
    sw_slab_destroy(&slab);
}

static void test_slab(void **state) {
    (void)state;
    sw_slab s;
    sw_slab_init(&s);
    void *p[1000];
    for (int i = 0; i < 1000; i++) {
        p[i] = sw_slab_alloc(&s, (size_t)(i % 300) + 1);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        memset(p[i], 0xab, (size_t)(i % 300) + 1);
    }
    size_t reserved = s.bytes_reserved;
    for (int i = 0; i < 1000; i++) sw_slab_free(&s, p[i], (size_t)(i % 300) + 1);
    assert_int_equal(s.bytes_live, 0);
    /* recycled: the same allocations again need no new chunk */
    for (int i = 0; i < 1000; i++) p[i] = sw_slab_alloc(&s, (size_t)(i % 300) + 1);
    assert_int_equal(s.bytes_reserved, reserved);
    void *big = sw_slab_alloc(&s, 100000);
    assert_non_null(big);
    sw_slab_free(&s, big, 100000);
    assert_int_equal(s.bytes_reserved, reserved);
    sw_slab_destroy(&s);
}

static sw_session_info info(const char *id) {
    sw_session_info si = {0};
    si.id = (sw_span){id, strlen(id)};
    si.ip = (sw_span){"10.0.0.1", 8};
    si.country = (sw_span){"Romania", 7};
    return si;
}

static sw_observe observe(sw_user *u, sw_slab *slab, int64_t t, const char *id) {
    sw_session_info si = info(id);
    return sw_window_observe(u, slab, t, &si, sw_hash64(id, strlen(id), 1), 35 * 60000, 3);
}

static void test_window_bounded(void **state) {
    (void)state;
    sw_slab slab;
    sw_slab_init(&slab);
    sw_user u;
    sw_window_init(&u);
    /* 1000 distinct sessions, each 36 minutes apart: never 3 in a window,
     * and the key never holds more than N sessions. */
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "s%d", i);
        assert_int_equal(observe(&u, &slab, (int64_t)i * 36 * 60000, id), SW_OBS_COUNTED);
        assert_true(u.nsessions <= 3);
    }
    /* 2 more within the window of the last one: alert with exactly those 3 */
    int64_t last = 999LL * 36 * 60000;
    assert_int_equal(observe(&u, &slab, last + 1000, "x"), SW_OBS_COUNTED);
    assert_int_equal(observe(&u, &slab, last + 2000, "y"), SW_OBS_ALERT);
    const sw_session *q[8];
    size_t n = sw_window_collect(&u, 35 * 60000, q, 8);
    assert_int_equal(n, 3);
    assert_memory_equal(sw_session_id(q[0]), "s999", 4);
    assert_memory_equal(sw_session_id(q[1]), "x", 1);
    assert_memory_equal(sw_session_id(q[2]), "y", 1);
    assert_memory_equal(sw_session_country(q[2]), "Romania", 7);
    sw_window_reset(&u, &slab);
    assert_int_equal(u.last_alert, last + 2000);
    assert_int_equal(u.nsessions, 0);
    assert_int_equal(observe(&u, &slab, last + 2000, "z"), SW_OBS_COVERED);
    sw_window_clear(&u, &slab);
    assert_int_equal(slab.bytes_live, 0);
    sw_slab_destroy(&slab);
}

static void test_utf8_cut(void **state) {
    (void)state;
    const char s[] = "ab\xc3\xbc"; /* a b u-umlaut */
    assert_int_equal(sw_utf8_cut(s, 4, 10), 4);
    assert_int_equal(sw_utf8_cut(s, 4, 3), 2); /* never split the 2-byte char */
    assert_int_equal(sw_utf8_cut(s, 4, 2), 2);
}

/* Runs a fixed event sequence through a store, sweeping with the given
 * budget after each event; returns the alert times joined into out. */
static void run_store(uint32_t sweep_budget, char *out, size_t outn) {
    sw_store st;
    assert_int_equal(sw_store_init(&st, 35 * 60000, 10 * 60000), 0);
    out[0] = '\0';
    const int64_t M = 60000;
    struct { const char *tenant, *actor, *sid; int64_t t; } evs[] = {
        {"a", "u1", "s1", 0}, {"a", "u1", "s2", 1 * M}, /* u1 holds 2 sessions */
        {"a", "u2", "x", 70 * M},                        /* watermark 70m: u1 (maxT 1m) is stale */
        {"a", "u1", "s3", 30 * M},                       /* >= 70-45=25m: not late; u1 fresh -> no alert */
        {"a", "u1", "s4", 31 * M}, {"a", "u1", "s5", 32 * M}, /* alert: s3 s4 s5 */
        {"b", "u1", "s1", 5 * M},                        /* tenant b is not late */
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        sw_tenant *t = sw_store_tenant(&st, evs[i].tenant, strlen(evs[i].tenant));
        assert_non_null(t);
        assert_true(evs[i].t >= sw_store_horizon(&st, t));
        if (t->watermark == SW_TIME_NONE || evs[i].t > t->watermark) t->watermark = evs[i].t;
        sw_user *u = sw_store_user(&st, t, evs[i].actor, strlen(evs[i].actor));
        assert_non_null(u);
        if (observe(u, &st.slab, evs[i].t, evs[i].sid) == SW_OBS_ALERT) {
            size_t len = strlen(out);
            snprintf(out + len, outn - len, "%s/%s@%lld ", evs[i].tenant, evs[i].actor, (long long)(evs[i].t / M));
            sw_window_reset(u, &st.slab);
        }
        sw_store_sweep(&st, sweep_budget);
    }
    sw_store_destroy(&st);
}

static void test_eviction_on_access_is_deterministic(void **state) {
    (void)state;
    char never[256], always[256];
    run_store(0, never, sizeof never);
    run_store(1000, always, sizeof always);
    assert_string_equal(never, "a/u1@32 ");
    assert_string_equal(always, never);
}

static void test_sweep_frees_stale_keys(void **state) {
    (void)state;
    sw_store st;
    assert_int_equal(sw_store_init(&st, 35 * 60000, 10 * 60000), 0);
    sw_tenant *t = sw_store_tenant(&st, "", 0);
    char actor[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(actor, sizeof actor, "user%d", i);
        t->watermark = i * 1000LL;
        sw_user *u = sw_store_user(&st, t, actor, (size_t)n);
        assert_int_equal(observe(u, &st.slab, i * 1000LL, "s"), SW_OBS_COUNTED);
    }
    assert_int_equal(sw_store_users(&st), 10000);
    t->watermark = 10000LL * 1000 + 46 * 60000; /* every key is now stale */
    sw_store_sweep(&st, 20000);
    assert_int_equal(sw_store_users(&st), 0);
    assert_int_equal(st.evicted, 10000);
    sw_store_destroy(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_model),
        cmocka_unit_test(test_table_binary_keys),
        cmocka_unit_test(test_slab),
        cmocka_unit_test(test_window_bounded),
        cmocka_unit_test(test_utf8_cut),
        cmocka_unit_test(test_eviction_on_access_is_deterministic),
        cmocka_unit_test(test_sweep_frees_stale_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
