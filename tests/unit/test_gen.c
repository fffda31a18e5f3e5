/* test_gen.c -- the synthetic traffic generator (stream/gen/gen.c): determinism,
 * volume, record sizes, event mix, formats, and its ground truth checked
 * against the Python reference detector (bench/reference.py), which pins the
 * generator's promises and the reference's rule semantics to each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "testutil.h"

typedef struct {
    char *out, *truth;
    size_t out_len, truth_len;
    int64_t n;
} gen_result;

static gen_result gen_mem(const sw_gen_opts *o, int want_truth) {
    gen_result r = {0};
    FILE *out = open_memstream(&r.out, &r.out_len);
    FILE *truth = want_truth ? open_memstream(&r.truth, &r.truth_len) : NULL;
    assert_non_null(out);
    if (want_truth) assert_non_null(truth);
    r.n = sw_gen_run(o, out, truth);
    assert_int_equal(fclose(out), 0);
    if (truth) assert_int_equal(fclose(truth), 0);
    return r;
}

static void gen_free(gen_result *r) {
    free(r->out);
    free(r->truth);
}

/* Calls fn on every line (without its newline); returns the line count. */
typedef void (*line_fn)(const char *p, size_t n, void *ctx);
static size_t each_line(const char *buf, size_t len, line_fn fn, void *ctx) {
    size_t count = 0, i = 0;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        if (fn) fn(buf + i, n, ctx);
        count++;
        i += n + 1;
    }
    return count;
}

static int has(const char *p, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0) return 1;
    return 0;
}

static void test_same_seed_identical(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 300;
    o.attack_rate = 0.05;
    gen_result a = gen_mem(&o, 1), b = gen_mem(&o, 1);
    assert_int_equal(a.n, 12000);
    assert_int_equal(a.n, b.n);
    tu_assert_same_bytes(a.out, a.out_len, b.out, b.out_len);
    assert_true(a.truth_len > 0);
    tu_assert_same_bytes(a.truth, a.truth_len, b.truth, b.truth_len);
    gen_free(&a);
    gen_free(&b);
}

static void test_different_seed_differs(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 300;
    gen_result a = gen_mem(&o, 0);
    o.seed = 2;
    gen_result b = gen_mem(&o, 0);
    assert_int_equal(a.n, b.n);
    assert_true(a.out_len != b.out_len || memcmp(a.out, b.out, a.out_len) != 0);
    /* Not just a different tail: the very first record differs. */
    const char *nl = memchr(a.out, '\n', a.out_len);
    assert_non_null(nl);
    assert_true(memcmp(a.out, b.out, (size_t)(nl - a.out)) != 0);
    gen_free(&a);
    gen_free(&b);
}

typedef struct {
    size_t lines, min, max, total, not_object, starts, bad_first;
} shape_stats;

static void shape_line(const char *p, size_t n, void *ctx) {
    shape_stats *s = ctx;
    s->lines++;
    s->total += n;
    if (n < s->min) s->min = n;
    if (n > s->max) s->max = n;
    if (n < 2 || p[0] != '{' || p[n - 1] != '}' || memchr(p, '\n', n) || memchr(p, '\0', n))
        s->not_object++;
    if (has(p, n, "\"eventType\":\"user.session.start\"")) s->starts++;
}

static void test_count_and_sizes(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o); /* 1000 users, 1 hour: 40 events per user-hour */
    gen_result r = gen_mem(&o, 0);
    assert_int_equal(r.n, 40000);
    shape_stats s = {.min = SIZE_MAX};
    assert_int_equal(each_line(r.out, r.out_len, shape_line, &s), 40000);
    assert_int_equal(r.out[r.out_len - 1], '\n');
    double avg = (double)s.total / (double)s.lines;
    print_message("records %zu, bytes/record avg %.1f min %zu max %zu\n", s.lines, avg, s.min, s.max);
    assert_true(s.min >= 1100);
    assert_true(s.max <= 2600);
    assert_true(avg >= 1500 && avg <= 1900);
    assert_int_equal(s.not_object, 0);
    /* The first record is at start_ms exactly. */
    assert_true(has(r.out, 2600, "\"published\":\"2026-01-05T08:00:00.000Z\""));
    gen_free(&r);

    /* An explicit record count wins over users * hours. */
    o.records = 1234;
    r = gen_mem(&o, 0);
    assert_int_equal(r.n, 1234);
    assert_int_equal(each_line(r.out, r.out_len, NULL, NULL), 1234);
    gen_free(&r);
}

static void test_session_start_share(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.records = 20000;
    gen_result r = gen_mem(&o, 0);
    shape_stats s = {.min = SIZE_MAX};
    each_line(r.out, r.out_len, shape_line, &s);
    assert_int_equal(s.lines, 20000);
    double share = (double)s.starts / (double)s.lines;
    print_message("user.session.start share %.4f\n", share);
    assert_true(share >= 0.12 && share <= 0.18);
    gen_free(&r);

    o.session_start_share = 0.4;
    r = gen_mem(&o, 0);
    memset(&s, 0, sizeof s);
    s.min = SIZE_MAX;
    each_line(r.out, r.out_len, shape_line, &s);
    share = (double)s.starts / (double)s.lines;
    assert_true(share >= 0.37 && share <= 0.43);
    gen_free(&r);
}

/* uuids unique; published times ordered except for late arrivals, which
 * are at most 2 minutes behind and about 1% of the records. */
typedef struct {
    char (*uuids)[37];
    size_t n;
    char maxt[25];
    size_t late, too_late;
} order_stats;

static int64_t ms_of(const char *t) { /* "2026-01-05THH:MM:SS.mmmZ", same day only */
    return (((int64_t)(t[11] - '0') * 10 + (t[12] - '0')) * 3600 + ((t[14] - '0') * 10 + (t[15] - '0')) * 60 +
            (t[17] - '0') * 10 + (t[18] - '0')) * 1000 +
           (t[20] - '0') * 100 + (t[21] - '0') * 10 + (t[22] - '0');
}

static void order_line(const char *p, size_t n, void *ctx) {
    order_stats *s = ctx;
    const char *u = memmem(p, n, "\"uuid\":\"", 8);
    const char *t = memmem(p, n, "\"published\":\"", 13);
    assert_non_null(u);
    assert_non_null(t);
    memcpy(s->uuids[s->n], u + 8, 36);
    s->uuids[s->n++][36] = '\0';
    t += 13;
    if (s->maxt[0] == '\0' || memcmp(t, s->maxt, 24) > 0) {
        memcpy(s->maxt, t, 24);
    } else if (memcmp(t, s->maxt, 24) < 0) {
        s->late++;
        if (ms_of(s->maxt) - ms_of(t) > 120000) s->too_late++;
    }
}

static int cmp_uuid(const void *a, const void *b) { return memcmp(a, b, 36); }

static void test_unique_uuids_and_order(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.records = 20000;
    gen_result r = gen_mem(&o, 0);
    order_stats s = {.uuids = calloc(20000, 37)};
    assert_non_null(s.uuids);
    each_line(r.out, r.out_len, order_line, &s);
    assert_int_equal(s.n, 20000);
    qsort(s.uuids, s.n, 37, cmp_uuid);
    for (size_t i = 1; i < s.n; i++) assert_true(memcmp(s.uuids[i - 1], s.uuids[i], 36) != 0);
    print_message("out of order: %zu of %zu\n", s.late, s.n);
    assert_true(s.late >= 100 && s.late <= 300);
    assert_int_equal(s.too_late, 0);
    free(s.uuids);
    gen_free(&r);
}

typedef struct {
    size_t lines, sessions_ok, null_tenant;
} truth_stats;

static void truth_line(const char *p, size_t n, void *ctx) {
    truth_stats *s = ctx;
    s->lines++;
    const char *a = memmem(p, n, "\"sessions\":[", 12);
    assert_non_null(a);
    const char *e = memchr(a, ']', n - (size_t)(a - p));
    assert_non_null(e);
    size_t k = 0;
    for (const char *q = a; q < e; q++) k += *q == ',';
    if (k + 1 >= 3 && k + 1 <= 5) s->sessions_ok++;
    if (has(p, n, "{\"tenant\":null,\"actor_id\":\"00u")) s->null_tenant++;
    assert_true(has(p, n, "\"first\":\"2026-01-05T"));
    assert_true(has(p, n, "\"last\":\"2026-01-05T"));
}

static void test_truth_count(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 2000;
    o.records = 20000;
    gen_result r = gen_mem(&o, 1);
    truth_stats s = {0};
    each_line(r.truth, r.truth_len, truth_line, &s);
    print_message("attacks %zu (users 2000, rate 0.01)\n", s.lines);
    assert_true(s.lines >= 19 && s.lines <= 21);
    assert_int_equal(s.sessions_ok, s.lines);
    assert_int_equal(s.null_tenant, s.lines);
    gen_free(&r);

    o.tenants = 3;
    o.users = 400;
    o.attack_rate = 0.05;
    r = gen_mem(&o, 1);
    size_t lines = each_line(r.truth, r.truth_len, NULL, NULL);
    assert_int_equal(lines, 60);
    assert_int_equal(tu_count(r.truth, "{\"tenant\":\"tenant-"), 60);
    gen_free(&r);

    o.attack_rate = 0;
    r = gen_mem(&o, 1);
    assert_int_equal(r.truth_len, 0);
    gen_free(&r);
}

typedef struct {
    const char *needle;
    size_t lines, hits;
} needle_stats;

static void needle_line(const char *p, size_t n, void *ctx) {
    needle_stats *s = ctx;
    s->lines++;
    if (n >= 2 && p[0] == '{' && p[n - 1] == '}' && has(p, n, s->needle)) s->hits++;
}

static size_t count_lines_with(const gen_result *r, const char *needle) {
    needle_stats s = {needle, 0, 0};
    each_line(r->out, r->out_len, needle_line, &s);
    assert_int_equal(s.lines, (size_t)r->n);
    return s.hits;
}

static void test_formats(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.records = 3000;
    o.tenants = 3;
    gen_result raw = gen_mem(&o, 1);
    assert_int_equal(count_lines_with(&raw, "\"tenant\":\"tenant-"), 3000);
    assert_int_equal(count_lines_with(&raw, "{\"actor\":{\"alternateId\":"), 3000);
    o.format = 1;
    gen_result ecs = gen_mem(&o, 1);
    assert_int_equal(ecs.n, 3000);
    assert_int_equal(count_lines_with(&ecs, "\"dataset\":\"okta.system\""), 3000);
    assert_int_equal(count_lines_with(&ecs, "\"okta\":{\"actor\":{"), 3000);
    assert_int_equal(count_lines_with(&ecs, "\"tenant\":\"tenant-"), 3000);
    o.format = 2;
    gen_result eb = gen_mem(&o, 1);
    assert_int_equal(eb.n, 3000);
    assert_int_equal(count_lines_with(&eb, "\"detail-type\":\"SystemLog\""), 3000);
    assert_int_equal(count_lines_with(&eb, ",\"detail\":{\"actor\":{"), 3000);
    /* Same content, whatever the format: same ground truth. */
    assert_int_equal(raw.truth_len, ecs.truth_len);
    assert_memory_equal(raw.truth, ecs.truth, raw.truth_len);
    assert_int_equal(raw.truth_len, eb.truth_len);
    assert_memory_equal(raw.truth, eb.truth, raw.truth_len);
    gen_free(&raw);
    gen_free(&ecs);
    gen_free(&eb);

    /* One tenant: no tenant field at all. */
    sw_gen_defaults(&o);
    o.records = 500;
    gen_result one = gen_mem(&o, 0);
    assert_null(strstr(one.out, "\"tenant\""));
    gen_free(&one);
}

static void test_write_error(void **state) {
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (!f) skip();
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.records = 5000;
    assert_int_equal(sw_gen_run(&o, f, NULL), -1);
    fclose(f);
}

/* ---- the generator's ground truth against the reference detector ---- */

static int python_missing;

/* "tenant|actor" of every line, sorted, joined by '\n'. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *key_set(const char *buf, size_t len, size_t *count) {
    size_t n = 0, cap = 64;
    char **keys = malloc(cap * sizeof *keys);
    assert_non_null(keys);
    size_t i = 0;
    while (i < len) {
        const char *p = buf + i, *nl = memchr(p, '\n', len - i);
        size_t ln = nl ? (size_t)(nl - p) : len - i;
        i += ln + 1;
        if (ln == 0) continue;
        const char *t = memmem(p, ln, "\"tenant\":", 9);
        const char *a = memmem(p, ln, "\"actor_id\":\"", 12);
        assert_non_null(t);
        assert_non_null(a);
        t += 9; /* null or a string without commas ("tenant-3") */
        const char *te = memchr(t, ',', ln - (size_t)(t - p));
        a += 12;
        const char *ae = memchr(a, '"', ln - (size_t)(a - p));
        assert_non_null(te);
        assert_non_null(ae);
        size_t tl = (size_t)(te - t), al = (size_t)(ae - a);
        char *k = malloc(tl + al + 2);
        assert_non_null(k);
        memcpy(k, t, tl);
        k[tl] = '|';
        memcpy(k + tl + 1, a, al);
        k[tl + 1 + al] = '\0';
        if (n == cap) {
            cap *= 2;
            keys = realloc(keys, cap * sizeof *keys);
            assert_non_null(keys);
        }
        keys[n++] = k;
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    size_t total = 1, u = 0;
    for (size_t j = 0; j < n; j++) total += strlen(keys[j]) + 1;
    char *out = malloc(total);
    assert_non_null(out);
    out[0] = '\0';
    char *w = out;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || strcmp(keys[j], keys[j - 1]) != 0) {
            w += sprintf(w, "%s\n", keys[j]);
            u++;
        }
    }
    for (size_t j = 0; j < n; j++) free(keys[j]);
    free(keys);
    *count = u;
    return out;
}

static void check_reference(const sw_gen_opts *o, const char *ref_args, size_t want_attacks) {
    if (python_missing) {
        print_message("python3 not found: skipping the reference cross-check\n");
        skip();
    }
    gen_result r = gen_mem(o, 1);
    assert_true(r.n > 0);
    const char *path = tu_write_temp(r.out, r.out_len);
    assert_non_null(path);
    char data[64];
    snprintf(data, sizeof data, "%s", path);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "python3 '%s/bench/reference.py' %s '%s'", SW_SOURCE_DIR, ref_args, data);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *alerts = NULL;
    size_t alerts_len = 0;
    FILE *mem = open_memstream(&alerts, &alerts_len);
    assert_non_null(mem);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) fwrite(chunk, 1, got, mem);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(fclose(mem), 0);
    unlink(data);

    size_t n_alert_keys, n_truth_keys;
    char *ak = key_set(alerts, alerts_len, &n_alert_keys);
    char *tk = key_set(r.truth, r.truth_len, &n_truth_keys);
    print_message("reference: %zu alerting keys, truth: %zu attacks\n", n_alert_keys, n_truth_keys);
    assert_int_equal(n_truth_keys, want_attacks);
    assert_string_equal(ak, tk);
    free(ak);
    free(tk);
    free(alerts);
    gen_free(&r);
}

static void test_reference_matches_truth(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.seed = 7;
    o.users = 500;
    o.hours = 1;
    o.attack_rate = 0.05;
    check_reference(&o, "", 25);
}

static void test_reference_matches_truth_ecs_tenants(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.seed = 8;
    o.users = 150;
    o.tenants = 2;
    o.hours = 2;
    o.attack_rate = 0.04;
    o.format = 1;
    check_reference(&o, "--tenant-field tenant", 12);
}

static void test_reference_matches_truth_eventbridge(void **state) {
    (void)state;
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.seed = 9;
    o.users = 200;
    o.tenants = 3;
    o.hours = 0.75;
    o.attack_rate = 0.05;
    o.format = 2;
    check_reference(&o, "--tenant-field tenant", 30);
}

int main(void) {
    python_missing = system("python3 -c 'import json, argparse, datetime' >/dev/null 2>&1") != 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_identical),
        cmocka_unit_test(test_different_seed_differs),
        cmocka_unit_test(test_count_and_sizes),
        cmocka_unit_test(test_session_start_share),
        cmocka_unit_test(test_unique_uuids_and_order),
        cmocka_unit_test(test_truth_count),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_reference_matches_truth),
        cmocka_unit_test(test_reference_matches_truth_ecs_tenants),
        cmocka_unit_test(test_reference_matches_truth_eventbridge),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc == 0 && python_missing) {
        fprintf(stderr, "test_gen: python3 is missing, the reference cross-checks were skipped\n");
        return 77;
    }
    return rc;
}
