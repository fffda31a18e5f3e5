/* test_rengine_route.c -- the rules engine in two stages (rengine.h:
 * routing and stateful, ISSUE15) and the internal record (irecord.h).
 *
 *   equivalence: `gen --rules` output for deploy/rules (always) and for
 *   Elastic's Okta rules (../shared/testdata/rules/okta, skipped when
 *   absent) fed to a router (every threshold rule routed); each family's
 *   internal records, in emission order, fed to one stateful engine per
 *   family (then per partition of a hash of the key, 3 partitions): the
 *   union of the alerts (query alerts from the router, threshold alerts
 *   from the stateful engines) is `sessionwatch scan --rules`'s alerts,
 *   same ids, same JSON bytes except detected_at; the same with only the
 *   first family routed (the router runs the others);
 *   the encoding: hostile values round-trip; every truncation, a wrong
 *   magic, a future version are refused; the seed rule's internal records
 *   against their raw records (gen data);
 *   the stateful engine: a record naming a rule it does not hold is
 *   counted and makes no alert; bytes that do not decode are rejected as
 *   malformed_json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "gen.h"
#include "hash.h"
#include "irecord.h"
#include "rengine.h"
#include "rulecases.h"
#include "ruleset.h"
#include "rulespec_of.h"
#include "testutil.h"

#define DEPLOY_RULES SW_SOURCE_DIR "/deploy/rules"
#define MAX_LINES 400000
#define FIXED_NOW 1800000000000LL
#define PARTITIONS 3

static int64_t fixed_now(void) { return FIXED_NOW; }

/* ---- alerts, as comparable lines ------------------------------------------ */

typedef struct {
    char **v;
    size_t n, cap;
} lines;

static void lines_add(lines *l, const char *p, size_t n) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = strndup(p, n);
}

/* The alert without its "detected_at" member (wall clock). */
static void strip_detected_at(char *s) {
    char *k = strstr(s, ",\"detected_at\":\"");
    if (!k) return;
    char *end = strchr(k + 16, '"');
    assert_non_null(end);
    memmove(k, end + 1, strlen(end + 1) + 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void lines_sort(lines *l) {
    for (size_t i = 0; i < l->n; i++) strip_detected_at(l->v[i]);
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
}

static void lines_free(lines *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void assert_same(const lines *want, const lines *got) {
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        if (strcmp(want->v[i], got->v[i]) != 0) fail_msg("alert %zu differs:\n  scan:  %s\n  split: %s", i, want->v[i], got->v[i]);
}

static void on_alert(void *ud, const sw_alert_out *a) { lines_add(ud, a->json, a->json_len); }

/* ---- the internal records of each family -------------------------------------- */

typedef struct {
    char *bytes;
    size_t len;
    uint64_t key_hash;
} irec_copy;

typedef struct {
    irec_copy *v;
    size_t n, cap;
} family_log;

typedef struct {
    family_log *f;
    size_t nf;
    uint64_t records, bytes;
} route_log;

/* The key is tenant 0x1F value [0x1F value ...] of the record's group. */
static void check_key(const char *key, size_t key_len, const char *rec, size_t len) {
    static sw_irecord d;
    assert_int_equal(sw_irecord_decode(&d, rec, len), SW_IREC_OK);
    char want[4096];
    size_t n = 0;
    assert_true(d.tenant.n < sizeof want);
    memcpy(want, d.tenant.p, d.tenant.n), n = d.tenant.n;
    for (uint32_t i = 0; i < d.nterms; i++) {
        assert_true(n + 1 + d.terms[i].n < sizeof want);
        want[n++] = 0x1F;
        memcpy(want + n, d.terms[i].p, d.terms[i].n), n += d.terms[i].n;
    }
    assert_int_equal(key_len, n);
    assert_memory_equal(key, want, n);
}

static void on_route(void *ud, uint32_t family, const char *key, size_t key_len, const char *rec, size_t len,
                     const sw_source *src) {
    route_log *r = ud;
    assert_true(family < r->nf);
    assert_string_equal(src->file, "-"); /* the original record's */
    check_key(key, key_len, rec, len);
    family_log *f = &r->f[family];
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 256;
        f->v = realloc(f->v, f->cap * sizeof *f->v);
        assert_non_null(f->v);
    }
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, rec, len);
    f->v[f->n++] = (irec_copy){copy, len, sw_hash64(key, key_len, 42)};
    r->records++;
    r->bytes += len;
}

static void route_log_free(route_log *r) {
    for (size_t i = 0; i < r->nf; i++) {
        for (size_t k = 0; k < r->f[i].n; k++) free(r->f[i].v[k].bytes);
        free(r->f[i].v);
    }
    free(r->f);
}

/* ---- the rules and the input ------------------------------------------------------ */

typedef struct {
    sw_ruleset rs;
    sw_rulespec *spec;
    size_t n;
    sw_config cfg;
} rules;

static void rules_load(rules *r, const char *dir) {
    memset(r, 0, sizeof *r);
    char err[512];
    if (sw_ruleset_add(&r->rs, dir, err, sizeof err) != 0) fail_msg("%s", err);
    r->spec = calloc(r->rs.n, sizeof *r->spec);
    assert_non_null(r->spec);
    for (size_t i = 0; i < r->rs.n; i++)
        if (r->rs.v[i].loaded) assert_int_equal(sw_ruledef_spec(&r->rs.v[i].def, &r->spec[r->n++]), 0);
    sw_config_defaults(&r->cfg);
}

static void rules_free(rules *r) {
    for (size_t i = 0; i < r->n; i++) sw_rulespec_release(&r->spec[i]);
    free(r->spec);
    sw_ruleset_free(&r->rs);
}

static char *gen_rules(const rules *r, size_t *len) {
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.seed = 3, o.users = 120, o.hours = 1.5, o.attack_rate = 0.05, o.tenants = 2;
    char *out = NULL;
    FILE *f = open_memstream(&out, len), *notes = fopen("/dev/null", "w");
    assert_true(f && notes);
    assert_true(sw_gen_run_rules(&o, &r->rs, f, NULL, notes) > 0);
    assert_int_equal(fclose(f), 0);
    fclose(notes);
    return out;
}

/* `sessionwatch scan --rules dir` over input: its alert lines. */
static void scan_alerts(const char *dir, const char *input, size_t len, lines *out) {
    tu_result res = tu_run((const char *const[]){"scan", "--rules", dir, "--tenant-field", "tenant", NULL}, input, len);
    assert_int_equal(res.status, 0);
    for (char *p = res.out, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        if (strncmp(p, "{\"alert_id\"", 11) == 0) lines_add(out, p, (size_t)(nl - p));
    }
    tu_result_free(&res);
}

/* ---- the two stages ---------------------------------------------------------------- */

static void route_all(const rules *r, const bool *routed, const char *input, size_t len, route_log *log, lines *alerts,
                      uint64_t *nrec, uint64_t *raw_bytes) {
    sw_rengine *e = sw_rengine_new(&r->cfg, r->spec, r->n, -1, on_alert, NULL, alerts);
    assert_non_null(e);
    sw_rengine_set_clock(e, fixed_now);
    log->nf = sw_rengine_family_count(e);
    log->f = calloc(log->nf ? log->nf : 1, sizeof *log->f);
    assert_int_equal(sw_rengine_set_route(e, routed, on_route, log), 0);
    sw_parser *p = sw_parser_new(r->cfg.max_record_bytes);
    assert_non_null(p);
    char *buf = malloc(r->cfg.max_record_bytes + SW_PADDING);
    assert_non_null(buf);
    uint64_t line = 0;
    for (const char *s = input, *nl; s < input + len; s = nl + 1) {
        nl = memchr(s, '\n', (size_t)(input + len - s));
        if (!nl) nl = input + len;
        size_t n = (size_t)(nl - s);
        line++;
        if (!n) continue;
        memcpy(buf, s, n);
        memset(buf + n, '"', SW_PADDING);
        sw_source src = {.file = "-", .line = line, .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
        uint64_t before = log->records;
        sw_rengine_feed(e, p, buf, n, n + SW_PADDING, &src);
        if (log->records > before) *raw_bytes += n * (log->records - before);
        (*nrec)++;
    }
    free(buf);
    sw_parser_free(p);
    for (size_t i = 0; i < r->n; i++) {
        uint32_t f = sw_rengine_rule_family(e, i);
        if (f != SW_RENGINE_NO_FAMILY && (!routed || routed[f]))
            assert_int_equal(sw_rengine_rule_counters(e, i)->alerts, 0);
    }
    sw_rengine_free(e);
}

/* Family f's records, those of partition part of nparts (by key hash),
 * into a stateful engine of their own. */
static void stateful(const rules *r, const family_log *f, size_t part, size_t nparts, lines *alerts) {
    sw_rengine *e = sw_rengine_new(&r->cfg, r->spec, r->n, -1, on_alert, NULL, alerts);
    assert_non_null(e);
    sw_rengine_set_clock(e, fixed_now);
    sw_source in = {.topic = "G-by-family", .partition = (int32_t)part, .kafka_time_ms = SW_TIME_NONE,
                    .index = UINT32_MAX};
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].key_hash % nparts != part) continue;
        in.offset = (int64_t)i;
        sw_rengine_feed_internal(e, f->v[i].bytes, f->v[i].len, &in);
    }
    assert_int_equal(sw_rengine_internal_skipped(e), 0);
    assert_int_equal(sw_rengine_counters(e)->verdict[SW_R_MALFORMED], 0);
    sw_rengine_free(e);
}

/* Only the first family routed: the router runs the others itself. */
static void partial_routing(const rules *r, const char *input, size_t len, size_t nf, const lines *want) {
    bool *routed = calloc(nf, sizeof *routed);
    assert_non_null(routed);
    routed[0] = true;
    lines got = {0};
    route_log log = {0};
    uint64_t nrec = 0, raw_bytes = 0;
    route_all(r, routed, input, len, &log, &got, &nrec, &raw_bytes);
    for (size_t fam = 1; fam < log.nf; fam++) assert_int_equal(log.f[fam].n, 0);
    assert_true(log.f[0].n > 0);
    stateful(r, &log.f[0], 0, 1, &got);
    lines_sort(&got);
    assert_same(want, &got);
    lines_free(&got);
    route_log_free(&log);
    free(routed);
}

static void equivalence(const char *dir) {
    rules r;
    rules_load(&r, dir);
    size_t len;
    char *input = gen_rules(&r, &len);
    lines want = {0};
    scan_alerts(dir, input, len, &want);
    r.cfg.tenant_field = "tenant";
    lines routed = {0};
    route_log log = {0};
    uint64_t nrec = 0, raw_bytes = 0;
    route_all(&r, NULL, input, len, &log, &routed, &nrec, &raw_bytes);
    for (size_t parts = 1; parts <= PARTITIONS; parts += PARTITIONS - 1) {
        lines got = {0};
        for (size_t i = 0; i < routed.n; i++) lines_add(&got, routed.v[i], strlen(routed.v[i]));
        for (size_t fam = 0; fam < log.nf; fam++)
            for (size_t part = 0; part < parts; part++) stateful(&r, &log.f[fam], part, parts, &got);
        lines_sort(&got);
        if (parts == 1) lines_sort(&want);
        assert_same(&want, &got);
        lines_free(&got);
    }
    assert_true(want.n > 0 && log.records > 0);
    assert_true(log.nf >= 2);
    partial_routing(&r, input, len, log.nf, &want);
    uint32_t family_of[64];
    assert_true(r.n <= 64);
    assert_int_equal(sw_rengine_families(r.spec, r.n, family_of), log.nf);
    for (size_t fam = 0; fam < log.nf; fam++) {
        size_t i = 0;
        while (family_of[i] != fam) i++;
        char name[256];
        sw_rengine_family_name(&r.spec[i], name, sizeof name);
        print_message("  family %zu %s: %zu internal records\n", fam, name, log.f[fam].n);
    }
    print_message("%s: %llu records, %zu rules, %zu families, %llu internal records (%.1f bytes each, raw %.1f: %.1f%%),"
                  " %zu alerts (%zu query) equal to scan's, also over %d partitions\n",
                  dir, (unsigned long long)nrec, r.n, log.nf, (unsigned long long)log.records,
                  (double)log.bytes / (double)log.records, (double)raw_bytes / (double)log.records,
                  100.0 * (double)log.bytes / (double)raw_bytes, want.n, routed.n, PARTITIONS);
    lines_free(&want);
    lines_free(&routed);
    route_log_free(&log);
    free(input);
    rules_free(&r);
}

static void test_equivalence_deploy_rules(void **state) {
    (void)state;
    equivalence(DEPLOY_RULES);
}

static void test_equivalence_elastic_rules(void **state) {
    (void)state;
    equivalence(tu_okta_rules_dir_or_skip());
}

/* ---- the encoding ------------------------------------------------------------------- */

static sw_irecord *hostile_record(void) {
    static const char bytes[] = "a\0\x01\x1f\"\\\xff\xfe\xc3";
    static char longtext[70000];
    memset(longtext, 'x', sizeof longtext);
    sw_irecord *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->tenant = (sw_span){bytes, sizeof bytes - 1};
    r->nterms = SW_SPEC_MAX_GROUP_BY;
    r->terms[0] = (sw_span){"", 0};
    r->terms[1] = (sw_span){longtext, sizeof longtext};
    r->terms[2] = (sw_span){bytes + 1, 3};
    r->terms[3] = (sw_span){"\"quoted\"", 8};
    r->terms[4] = (sw_span){"back\\slash", 10};
    r->identity = (sw_span){"0123456789abcdef", 16};
    r->field[SW_IREC_ACTOR] = (sw_span){bytes, 5};
    r->field[SW_IREC_NAME] = (sw_span){"", 0};
    r->field[SW_IREC_CITY] = (sw_span){longtext, 300};
    r->src = (sw_irec_source){.kafka = 1, .name = {"okta-raw", 8}, .partition = -1, .offset = INT64_MAX,
                              .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX - 1};
    r->nrules = 2;
    r->rules[0] = (sw_irec_rule){.rule = UINT64_MAX, .time = SW_IREC_MIN_TIME, .first = 0, .n = 2};
    r->rules[1] = (sw_irec_rule){.rule = 0, .time = SW_IREC_MAX_TIME, .first = 2, .n = 0};
    r->nvalues = 2;
    r->values[0] = (sw_span){bytes, sizeof bytes - 1};
    r->values[1] = (sw_span){"", 0};
    return r;
}

static int span_eq(sw_span a, sw_span b) {
    return (a.p == NULL) == (b.p == NULL) && a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void test_round_trip_hostile(void **state) {
    (void)state;
    sw_irecord *r = hostile_record(), *d = calloc(1, sizeof *d);
    assert_non_null(d);
    sw_buf b = {0};
    assert_int_equal(sw_irecord_encode(&b, r), 0);
    assert_int_equal(sw_irecord_decode(d, b.p, b.len), SW_IREC_OK);
    assert_true(span_eq(d->tenant, r->tenant) && span_eq(d->identity, r->identity));
    assert_int_equal(d->nterms, r->nterms);
    for (uint32_t i = 0; i < r->nterms; i++) assert_true(span_eq(d->terms[i], r->terms[i]));
    for (int f = 0; f < SW_IREC_FIELDS; f++) assert_true(span_eq(d->field[f], r->field[f]));
    assert_true(d->src.kafka && span_eq(d->src.name, r->src.name));
    assert_int_equal(d->src.partition, -1);
    assert_true(d->src.offset == INT64_MAX && d->src.kafka_time_ms == SW_TIME_NONE);
    assert_int_equal(d->src.index, UINT32_MAX - 1);
    assert_int_equal(d->nrules, 2);
    assert_true(d->rules[0].rule == UINT64_MAX && d->rules[0].time == SW_IREC_MIN_TIME && d->rules[0].n == 2);
    assert_true(d->rules[1].rule == 0 && d->rules[1].time == SW_IREC_MAX_TIME && d->rules[1].n == 0);
    assert_true(span_eq(d->values[0], r->values[0]) && span_eq(d->values[1], r->values[1]));
    /* the source back as an sw_source */
    sw_buf name = {0};
    sw_source src;
    sw_irecord_source(d, &name, &src);
    assert_string_equal(src.topic, "okta-raw");
    assert_null(src.file);
    /* every truncation refused; a wrong magic; a future version */
    for (size_t n = 0; n < b.len; n++) assert_int_equal(sw_irecord_decode(d, b.p, n), SW_IREC_MALFORMED);
    b.p[0] ^= 1;
    assert_int_equal(sw_irecord_decode(d, b.p, b.len), SW_IREC_MALFORMED);
    b.p[0] ^= 1;
    b.p[2] = 2;
    assert_int_equal(sw_irecord_decode(d, b.p, b.len), SW_IREC_VERSION);
    b.p[2] = 1;
    sw_buf_putc(&b, 0); /* a byte after the end */
    assert_int_equal(sw_irecord_decode(d, b.p, b.len), SW_IREC_MALFORMED);
    /* out of bounds: nothing written */
    size_t before = b.len;
    r->rules[1].time = SW_IREC_MAX_TIME + 1;
    assert_int_equal(sw_irecord_encode(&b, r), -1);
    r->rules[1].time = SW_IREC_MAX_TIME;
    r->nterms = 0;
    assert_int_equal(sw_irecord_encode(&b, r), -1);
    assert_int_equal(b.len, before);
    sw_buf_free(&b);
    sw_buf_free(&name);
    free(r);
    free(d);
}

/* The seed rule's internal records against their raw records, on a
 * small gen run: a fraction of the size. */
static void test_size_against_raw(void **state) {
    (void)state;
    rules r;
    rules_load(&r, DEPLOY_RULES "/sessionwatch_seed_rule.toml");
    sw_gen_opts o;
    sw_gen_defaults(&o);
    o.users = 60, o.hours = 0.5;
    size_t len;
    char *input = NULL;
    FILE *f = open_memstream(&input, &len);
    assert_non_null(f);
    assert_true(sw_gen_run(&o, f, NULL) > 0);
    assert_int_equal(fclose(f), 0);
    lines alerts = {0};
    route_log log = {0};
    uint64_t nrec = 0, raw_bytes = 0;
    route_all(&r, NULL, input, len, &log, &alerts, &nrec, &raw_bytes);
    assert_int_equal(log.nf, 1);
    assert_true(log.records > 50);
    print_message("seed rule: %llu internal records of %.1f bytes for raw records of %.1f bytes (%.0f%%)\n",
                  (unsigned long long)log.records, (double)log.bytes / (double)log.records,
                  (double)raw_bytes / (double)log.records, 100.0 * (double)log.bytes / (double)raw_bytes);
    assert_true(log.bytes * 4 < raw_bytes);
    lines_free(&alerts);
    route_log_free(&log);
    free(input);
    rules_free(&r);
}

/* ---- the stateful engine's refusals ------------------------------------------------------ */

static void count_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    (void)rec, (void)len, (void)src;
    ((size_t *)ud)[why]++;
}

static void test_unknown_rule_and_garbage(void **state) {
    (void)state;
    rules r;
    rules_load(&r, DEPLOY_RULES);
    size_t rejects[SW_VERDICT_COUNT] = {0};
    sw_rengine *e = sw_rengine_new(&r.cfg, r.spec, r.n, -1, NULL, count_reject, rejects);
    assert_non_null(e);
    sw_irecord *rec = hostile_record();
    rec->nterms = 1;
    rec->nrules = 1;
    rec->rules[0] = (sw_irec_rule){.rule = sw_irecord_rule_hash("no-such-rule"), .time = 1767600000000LL};
    sw_buf b = {0};
    assert_int_equal(sw_irecord_encode(&b, rec), 0);
    sw_source in = {.topic = "internal", .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    for (int i = 0; i < 5; i++) sw_rengine_feed_internal(e, b.p, b.len, &in);
    assert_int_equal(sw_rengine_internal_skipped(e), 5);
    assert_int_equal(sw_rengine_counters(e)->alerts, 0);
    assert_int_equal(sw_rengine_counters(e)->eligible, 0);
    /* a query rule's hash is not a threshold rule this engine holds */
    for (size_t i = 0; i < r.n; i++)
        if (r.spec[i].type == SW_SPEC_QUERY) {
            sw_buf_reset(&b);
            rec->rules[0].rule = sw_irecord_rule_hash(r.spec[i].rule_id);
            assert_int_equal(sw_irecord_encode(&b, rec), 0);
            sw_rengine_feed_internal(e, b.p, b.len, &in);
            assert_int_equal(sw_rengine_internal_skipped(e), 6);
            break;
        }
    /* bytes that do not decode: rejected as malformed_json, never fatal */
    sw_rengine_feed_internal(e, "{\"eventType\":\"x\"}", 17, &in);
    b.p[2] = 9;
    sw_rengine_feed_internal(e, b.p, b.len, &in);
    assert_int_equal(rejects[SW_R_MALFORMED], 2);
    assert_int_equal(sw_rengine_counters(e)->alerts, 0);
    sw_buf_free(&b);
    free(rec);
    sw_rengine_free(e);
    rules_free(&r);
}

/* Families: one per ordered group-by list, named from the fields. */
static void test_families(void **state) {
    (void)state;
    rules r;
    rules_load(&r, DEPLOY_RULES);
    uint32_t fam[16];
    assert_true(r.n <= 16);
    size_t nf = sw_rengine_families(r.spec, r.n, fam);
    assert_true(nf >= 2);
    char name[256];
    int seen_actor = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.spec[i].type == SW_SPEC_QUERY) {
            assert_int_equal(fam[i], SW_RENGINE_NO_FAMILY);
            continue;
        }
        assert_true(fam[i] < nf);
        size_t n = sw_rengine_family_name(&r.spec[i], name, sizeof name);
        assert_int_equal(n, strlen(name));
        if (strcmp(r.spec[i].rule_id, "sessionwatch-seed-multiple-okta-sessions") == 0 ||
            strcmp(name, "okta.actor.id") == 0)
            seen_actor = 1;
        for (size_t k = 0; k < i; k++) {
            if (r.spec[k].type != SW_SPEC_THRESHOLD) continue;
            char other[256];
            sw_rengine_family_name(&r.spec[k], other, sizeof other);
            assert_int_equal(fam[k] == fam[i], strcmp(other, name) == 0);
        }
    }
    assert_true(seen_actor);
    rules_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_hostile),
        cmocka_unit_test(test_size_against_raw),
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_unknown_rule_and_garbage),
        cmocka_unit_test(test_equivalence_deploy_rules),
        cmocka_unit_test(test_equivalence_elastic_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
