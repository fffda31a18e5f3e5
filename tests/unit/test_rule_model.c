/* test_rule_model.c -- pins one clause of the stolen-session rule through
 * the engine API (rule_harness.h): a differential test against a direct
 * model of the spec on random streams (out of order, late, duplicate and
 * escaped ids, two tenants, the cap). */
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

/* --------------------------------------------------- differential model */

enum { M_TENANTS = 2, M_ACTORS = 6, M_SIDS = 10 };
#define NONE INT64_MIN

typedef struct {
    int64_t r, maxT, last[M_SIDS];
} mkey;

typedef struct {
    int tenant, actor;
    unsigned mask;
    int64_t t;
} malert;

enum { M_BUCKETS = 26 * 48 }; /* 30-minute buckets from 2026-01-05T00:00Z */

typedef struct {
    int64_t newest[M_TENANTS][M_ACTORS]; /* each actor's newest eligible time */
    mkey k[M_TENANTS][M_ACTORS];
    uint32_t cap[M_TENANTS][M_BUCKETS]; /* alerts emitted per bucket */
    uint64_t eligible, covered, too_late, evicted, capped;
    malert al[20000]; /* emitted alerts */
    size_t nal;
} model;

static void mkey_reset(mkey *k) {
    k->r = k->maxT = NONE;
    for (int s = 0; s < M_SIDS; s++) k->last[s] = NONE;
}

/* The tenant's watermark: the SW_WM_ACTORS-th newest of its actors'
 * newest times, NONE while fewer actors were seen. */
static int64_t model_wm(const model *m, int tn) {
    int64_t t[M_ACTORS];
    int n = 0;
    for (int a = 0; a < M_ACTORS; a++)
        if (m->newest[tn][a] != NONE) t[n++] = m->newest[tn][a];
    if (n < SW_WM_ACTORS) return NONE;
    for (int i = 0; i < n; i++) /* sort, newest first */
        for (int j = i + 1; j < n; j++)
            if (t[j] > t[i]) {
                int64_t x = t[i];
                t[i] = t[j];
                t[j] = x;
            }
    return t[SW_WM_ACTORS - 1];
}

/* The spec, written as plainly as possible. */
static void model_event(model *m, const sw_config *c, int tn, int ac, int sid, int64_t t) {
    int64_t horizon = c->window_ms + c->lateness_ms;
    int64_t wm0 = model_wm(m, tn);
    if (wm0 != NONE && t < wm0 - horizon) {
        m->too_late++;
        return;
    }
    if (m->newest[tn][ac] == NONE || t > m->newest[tn][ac]) m->newest[tn][ac] = t;
    m->eligible++;
    mkey *k = &m->k[tn][ac];
    int64_t wm = model_wm(m, tn);
    if (k->maxT != NONE && wm != NONE && k->maxT < wm - horizon) {
        mkey_reset(k);
        m->evicted++;
    }
    if (k->r != NONE && t <= k->r) {
        m->covered++;
        return;
    }
    if (k->last[sid] == NONE || t > k->last[sid]) k->last[sid] = t;
    if (k->maxT == NONE || t > k->maxT) k->maxT = t;
    unsigned q = 0, nq = 0;
    for (int s = 0; s < M_SIDS; s++)
        if (k->last[s] != NONE && k->last[s] >= k->maxT - c->window_ms) {
            q |= 1u << s;
            nq++;
        }
    if (nq >= c->min_sessions) {
        int64_t b = t / SW_CAP_BUCKET_MS; /* t >= 0: ms since a bucket boundary */
        assert_true(b < M_BUCKETS);
        if (c->max_alerts && m->cap[tn][b] >= c->max_alerts) {
            m->capped++;
        } else {
            m->cap[tn][b]++;
            assert_true(m->nal < sizeof m->al / sizeof m->al[0]);
            m->al[m->nal++] = (malert){tn, ac, q, t};
        }
        k->r = k->maxT;
        for (int s = 0; s < M_SIDS; s++) k->last[s] = NONE;
    }
}

static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rnd_upto(int64_t n) { return n > 0 ? (int64_t)(rnd() % (uint64_t)(n + 1)) : 0; }

/* ms since 2026-01-05T00:00Z -> RFC 3339 (January only). */
static void fmt_ms(int64_t ms, char out[40]) {
    int64_t day = ms / 86400000, rem = ms % 86400000;
    assert_true(ms >= 0 && day < 26);
    snprintf(out, 40, "2026-01-%02dT%02d:%02d:%02d.%03dZ", 5 + (int)day, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static void run_model(uint64_t seed, int64_t W, int64_t L, uint32_t N, uint32_t max_alerts, int events) {
    static model m;
    memset(&m, 0, sizeof m);
    for (int tn = 0; tn < M_TENANTS; tn++) {
        for (int a = 0; a < M_ACTORS; a++) {
            mkey_reset(&m.k[tn][a]);
            m.newest[tn][a] = NONE;
        }
    }
    harness *h = &H;
    h_free(h);
    h_init(h);
    h->cfg.window_ms = W;
    h->cfg.lateness_ms = L;
    h->cfg.min_sessions = N;
    h->cfg.max_alerts = max_alerts;
    h->cfg.tenant_field = "tenant";
    rng_state = seed;

    int64_t base = 8 * 3600000LL; /* 08:00 on the 5th */
    int cur[M_TENANTS][M_ACTORS] = {{0}};
    for (int i = 0; i < events; i++) {
        uint64_t r = rnd() % 1000;
        if (r < 10) base += rnd_upto(2 * (W + L));         /* a quiet stretch: eviction */
        else base += rnd_upto(W / 300);
        int64_t t = base;
        r = rnd() % 100;
        if (r < 20) t -= rnd_upto((W + L) * 13 / 10);      /* out of order, some too late */
        else if (r < 22) t -= rnd_upto(W / 50);             /* slightly out of order */
        int tn = (int)(rnd() % M_TENANTS);
        int ac = rnd() % 10 < 1 ? 5 : (int)(rnd() % 5);    /* actor 5 is rare */
        /* Actor 2 of tenant b comes from a feed lagging ~0.9 (W + L): its
         * alerts land buckets behind the others'. */
        if (tn == 1 && ac == 2 && r >= 22) t = base - (W + L) * 9 / 10 + rnd_upto((W + L) / 20);
        if (rnd() % 100 < 30) cur[tn][ac] = (int)(rnd() % M_SIDS);
        int sid = cur[tn][ac];

        char ts[40], sidtxt[16], actor[8], extra[32];
        fmt_ms(t, ts);
        if (rnd() % 4 == 0) snprintf(sidtxt, sizeof sidtxt, "\\u0073%d", sid); /* "s" escaped */
        else snprintf(sidtxt, sizeof sidtxt, "s%d", sid);
        snprintf(actor, sizeof actor, "\"m%d\"", ac);
        snprintf(extra, sizeof extra, "\"tenant\":\"%c\"", 'a' + tn);
        const char *rec = build((rspec){.actor = actor, .name = "\"Model User\"", .sid = quote(sidtxt),
                                        .time = quote(ts), .extra = extra});
        size_t nal0 = m.nal;
        model_event(&m, &h->cfg, tn, ac, sid, t);
        feed(h, rec);

        if (h->na != m.nal)
            fail_msg("seed %llu event %d (%s): engine has %zu alerts, model %zu", (unsigned long long)seed, i,
                     rec, h->na, m.nal);
        if (m.nal != nal0) {
            const malert *ma = &m.al[m.nal - 1];
            const got_alert *ga = &h->a[h->na - 1];
            char want_actor[8], want_ts[64];
            snprintf(want_actor, sizeof want_actor, "m%d", ma->actor);
            assert_string_equal(ga->actor, want_actor);
            assert_int_equal(ga->tenant[0], 'a' + ma->tenant);
            snprintf(want_ts, sizeof want_ts, "\"@timestamp\":\"%s\"", ts);
            assert_contains(ga->json, want_ts);
            char ids[80][64];
            size_t n = alert_ids(ga->json, ids, 80);
            unsigned mask = 0;
            for (size_t j = 0; j < n; j++) mask |= 1u << atoi(ids[j] + 1);
            if (mask != ma->mask || n != (size_t)__builtin_popcount(ma->mask))
                fail_msg("seed %llu event %d: engine Q %#x (%zu ids), model Q %#x", (unsigned long long)seed, i,
                         mask, n, ma->mask);
            assert_true(n <= N);
        }
        check_bounded(h, N);
    }
    const sw_counters *c = cnt(h);
    assert_int_equal(c->eligible, m.eligible);
    assert_int_equal(c->covered, m.covered);
    assert_int_equal(c->verdict[SW_R_TOO_LATE], m.too_late);
    assert_int_equal(c->alerts, m.nal);
    assert_int_equal(c->alerts_capped, m.capped);
    /* The stream exercised every path. */
    assert_true(m.nal > 20);
    if (max_alerts) assert_true(m.capped > 20);
    assert_true(m.covered > 20);
    assert_true(m.too_late > 20);
    assert_true(m.evicted > 0);
    assert_true(m.eligible - m.covered > (m.nal + m.capped) * N);
}

static void test_model_default(void **state) {
    (void)state;
    run_model(1, 35 * 60000LL, 10 * 60000LL, 3, 0, 6000);
    run_model(2, 35 * 60000LL, 10 * 60000LL, 3, 0, 6000);
}

static void test_model_variants(void **state) {
    (void)state;
    run_model(3, 5 * 60000LL, 0, 2, 0, 6000);
    run_model(4, 10 * 60000LL, 2 * 60000LL, 4, 0, 6000);
    run_model(5, 60 * 60000LL, 30 * 60000LL, 5, 0, 6000);
}

/* The cap on random streams: alerts land out of order across buckets and
 * the streams span days of buckets. */
static void test_model_cap(void **state) {
    (void)state;
    run_model(6, 35 * 60000LL, 10 * 60000LL, 3, 1, 6000);
    run_model(7, 35 * 60000LL, 10 * 60000LL, 3, 2, 6000);
    run_model(8, 5 * 60000LL, 0, 2, 3, 6000);
    run_model(9, 120 * 60000LL, 60 * 60000LL, 3, 1, 6000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        RULE_CASE(test_model_default), RULE_CASE(test_model_variants), RULE_CASE(test_model_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
