/* fuzz_extract.c -- libFuzzer target: record parsing and extraction across
 * every input format (stream/core/extract.cpp, stream/core/prefilter.c), and the
 * engine behind them.
 *
 * The input is one record (raw LogEvent, ECS, EventBridge, a JSON array of
 * them, or anything else).  Invariants:
 *  1. The prefilter gives the same answer with the scalar, SSE2, AVX2 and
 *     best scans.
 *  2. sw_parser_extract in place (SW_PADDING hostile bytes after the
 *     record) and copied (cap == len, the exact-size buffer libFuzzer
 *     hands over, so ASan sees any read past it) agree on the status, the
 *     events, every field's type and bytes, the format and the raw span;
 *     a failed status has no events; string views never point into the
 *     caller's record; raw spans do, and lie within it.
 *  3. The prefilter's promise: when it says no, no extracted event has the
 *     event type "user.session.start".
 *  4. A plain object is one event whose raw text is the whole record; an
 *     array element's raw text, extracted on its own, gives the same event
 *     (that is how replay and repartition split an Okta API page); an
 *     element that is not an object has no fields, and its text alone is
 *     NOT_OBJECT when it is a scalar.
 *  5. Without the tenant path and with max_out 2, the status and events
 *     follow from the ones above (tenant-free fields equal; more than 2
 *     events is TOO_MANY; malformed only if malformed with the tenant).
 *  7. The catalogue fields (sw_parser_want_fields, every row asked for):
 *     in place and copied agree on the status, the events, every row's
 *     values and the dropped and skipped counts; at most
 *     SW_FIELD_MAX_VALUES values per field; string views never point into
 *     the caller's record; asking for rows changes no status but to
 *     MALFORMED (what the catalogue reads is validated) and no field of
 *     the rule's; an element that is not an object has every row empty; a
 *     subset of the rows gives the same values for those rows and nothing
 *     for the others; where the rule's extractor reads a non-empty string
 *     event type or actor id, the catalogue holds exactly that value.
 *  8. The rule set's raw skip (ruleindex.h, a fixed set of constrained
 *     rules): when sw_ruleindex_may_match says no, no event extracted
 *     with every catalogue row selects any rule; and it says the same at
 *     every scan level (as 1).
 *  6. The input as NDJSON lines through two engines, with and without the
 *     prefilter: nothing crashes, every alert is strict JSON, every reject
 *     is a reject reason, and both engines raise the same alerts (by their
 *     deterministic ids) from the same eligible events. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "extract.h"
#include "fields.h"
#include "fuzz.h"
#include "json_check.h"
#include "prefilter.h"
#include "rule.h"
#include "ruleindex.h"

#define MAX_REC (1u << 20)
#define TENANT "organization.id"

static sw_parser *P_IN, *P_COPY, *P_RAW;
static sw_event E_IN[SW_MAX_EVENTS_PER_RECORD], E_COPY[SW_MAX_EVENTS_PER_RECORD], E_RAW[1];

static sw_ruleindex *IX; /* invariant 8 */

/* Every rule constrains the event type; the values hold characters with
 * short escapes ('/', '"'), a number and a literal's text. */
static sw_ruleindex *index_new(void) {
    static const char *const queries[] = {
        "event.action:user.session.start",
        "okta.event_type:(policy.rule.update or zone.delete or \"x/y\\\"z\" or 42 or \"true\")",
        ("data_stream.dataset:okta.system and event.action:(system.api_token.create or app.x*) and "
         "event.action:system.api_token.create"),
    };
    enum { NQ = sizeof queries / sizeof queries[0] };
    sw_kql *q[NQ];
    for (size_t i = 0; i < NQ; i++) {
        q[i] = sw_kql_compile(queries[i], strlen(queries[i]), sw_catalogue_resolve, NULL, NULL);
        FZ_CHECK(q[i]);
    }
    sw_ruleindex *ix = sw_ruleindex_new((const sw_kql *const *)q, NQ);
    FZ_CHECK(ix && sw_ruleindex_can_skip(ix));
    for (size_t i = 0; i < NQ; i++) sw_kql_free(q[i]);
    return ix;
}

static void init(void) {
    if (P_IN) return;
    P_IN = sw_parser_new(MAX_REC);
    P_COPY = sw_parser_new(MAX_REC);
    P_RAW = sw_parser_new(MAX_REC);
    FZ_CHECK(P_IN && P_COPY && P_RAW);
    IX = index_new();
}

static bool value_eq(const sw_value *a, const sw_value *b) {
    if (a->type != b->type || a->n != b->n) return false;
    if (a->type != SW_STRING) return a->p == NULL && b->p == NULL && a->n == 0;
    return a->n == 0 || memcmp(a->p, b->p, a->n) == 0;
}

static bool event_eq(const sw_event *a, const sw_event *b, bool with_tenant) {
    if (a->format != b->format || a->not_object != b->not_object) return false;
    for (int f = 0; f < SW_F_COUNT; f++)
        if ((with_tenant || f != SW_F_TENANT) && !value_eq(&a->f[f], &b->f[f])) return false;
    return true;
}

static bool inside(const char *p, const void *base, size_t n) {
    return p >= (const char *)base && p < (const char *)base + n;
}

static void check_views(const sw_event *ev, size_t n, const void *rec, size_t len, size_t cap) {
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < SW_F_COUNT; f++) {
            const sw_value *v = &ev[i].f[f];
            FZ_CHECK(v->type <= SW_OTHER);
            if (v->type == SW_STRING) FZ_CHECK(v->n == 0 || !inside(v->p, rec, cap));
            else FZ_CHECK(v->p == NULL && v->n == 0);
        }
        FZ_CHECK(ev[i].format <= SW_FMT_EVENTBRIDGE);
        FZ_CHECK(inside(ev[i].raw, rec, len) && ev[i].raw_len <= len - (size_t)(ev[i].raw - (const char *)rec));
    }
}

/* ---- 7: the catalogue fields -------------------------------------------- */

static sw_event E_F[SW_MAX_EVENTS_PER_RECORD], E_G[SW_MAX_EVENTS_PER_RECORD];

static bool kql_value_eq(const sw_kql_value *a, const sw_kql_value *b) {
    if (a->kind != b->kind) return false;
    if (a->kind == SW_KQL_V_BOOL) return a->b == b->b;
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static bool field_eq(const sw_kql_field *a, const sw_kql_field *b) {
    if (a->n != b->n) return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!kql_value_eq(&a->v[i], &b->v[i])) return false;
    return true;
}

static void check_field_views(const sw_event *ev, const void *rec, size_t cap) {
    FZ_CHECK(ev->fields != NULL);
    for (int i = 0; i < SW_CATALOGUE_MAX; i++) {
        FZ_CHECK(ev->fields[i].n <= SW_FIELD_MAX_VALUES);
        if (ev->not_object) FZ_CHECK(ev->fields[i].n == 0);
        for (uint32_t k = 0; k < ev->fields[i].n; k++) {
            const sw_kql_value *v = &ev->fields[i].v[k];
            FZ_CHECK(v->kind == SW_KQL_V_STRING || v->kind == SW_KQL_V_BOOL);
            if (v->kind == SW_KQL_V_STRING && v->n) FZ_CHECK(!inside(v->p, rec, cap));
        }
    }
}

/* The catalogue's value of row `name` is exactly the rule extractor's string. */
static void check_same_string(const sw_event *ev, const char *name, const sw_value *rule) {
    if (rule->type != SW_STRING || rule->n == 0) return;
    const sw_kql_field *f = &ev->fields[sw_catalogue_find(name, strlen(name))];
    FZ_CHECK(f->n == 1 && f->v[0].kind == SW_KQL_V_STRING && f->v[0].n == rule->n &&
             memcmp(f->v[0].p, rule->p, rule->n) == 0);
}

/* E_COPY still holds P_COPY's events of invariant 2 (rows: none); P_IN
 * and P_RAW are free. */
static void check_fields(const uint8_t *data, size_t size, const char *buf, size_t cap, sw_xstatus s2, size_t n2) {
    const uint64_t all = ~(uint64_t)0, some = 0x5a5a5a5a5a5a5a5aull ^ size;
    const size_t max = SW_MAX_EVENTS_PER_RECORD;
    sw_parser_want_fields(P_IN, all);
    sw_parser_want_fields(P_RAW, all);
    size_t nf = 99, ng = 99;
    sw_xstatus f1 = sw_parser_extract(P_IN, buf, size, cap, TENANT, E_F, max, &nf);
    sw_xstatus f2 = sw_parser_extract(P_RAW, (const char *)data, size, size, TENANT, E_G, max, &ng);
    FZ_CHECK(f1 == f2 && nf == ng);
    FZ_CHECK(f2 == s2 || f2 == SW_X_MALFORMED);
    if (f2 == SW_X_OK) FZ_CHECK(ng == n2);
    uint32_t dropped = 0; /* the pool is shared by a record's events */
    for (size_t i = 0; i < ng; i++) {
        const sw_event *in = &E_F[i], *cp = &E_G[i];
        FZ_CHECK(event_eq(cp, &E_COPY[i], true) && event_eq(in, cp, true));
        check_field_views(in, buf, cap);
        check_field_views(cp, data, size);
        for (int r = 0; r < SW_CATALOGUE_MAX; r++) FZ_CHECK(field_eq(&in->fields[r], &cp->fields[r]));
        FZ_CHECK(in->fields_dropped == cp->fields_dropped && in->fields_skipped == cp->fields_skipped);
        dropped += cp->fields_dropped;
        const char *event_type = cp->format == SW_FMT_ECS ? "okta.event_type" : "event.action";
        check_same_string(cp, event_type, &cp->f[SW_F_EVENT_TYPE]);
        check_same_string(cp, "okta.actor.id", &cp->f[SW_F_ACTOR_ID]);
        check_same_string(cp, "okta.actor.alternate_id", &cp->f[SW_F_ACTOR_ALT]);
    }
    /* 8 */
    if (!sw_ruleindex_may_match(IX, (const char *)data, size))
        for (size_t i = 0; i < ng; i++) {
            uint64_t m;
            sw_ruleindex_select(IX, E_G[i].fields, &m);
            FZ_CHECK(m == 0);
        }
    /* A subset of the rows, in place: E_G (P_RAW's) is still valid. */
    sw_parser_want_fields(P_IN, some);
    sw_xstatus f3 = sw_parser_extract(P_IN, buf, size, cap, TENANT, E_F, max, &nf);
    if (f2 == SW_X_OK) {
        FZ_CHECK(f3 == SW_X_OK && nf == ng);
        for (size_t i = 0; i < nf; i++)
            for (int r = 0; r < SW_CATALOGUE_MAX; r++) {
                if (some >> r & 1) FZ_CHECK(dropped || field_eq(&E_F[i].fields[r], &E_G[i].fields[r]));
                else FZ_CHECK(E_F[i].fields[r].n == 0);
            }
    }
    sw_parser_want_fields(P_IN, 0);
    sw_parser_want_fields(P_RAW, 0);
}

/* ---- 6: the engine ------------------------------------------------------- */

typedef struct {
    char (*ids)[SW_ALERT_ID_LEN + 1];
    size_t n, cap;
} alerts;

static void on_alert(void *ud, const sw_alert_out *a) {
    alerts *al = ud;
    FZ_CHECK(strlen(a->alert_id) == SW_ALERT_ID_LEN);
    const char *err = NULL;
    jc_node *root = jc_parse(a->json, a->json_len, &err);
    if (!root) fprintf(stderr, "alert is not JSON (%s): %.*s\n", err, (int)a->json_len, a->json);
    FZ_CHECK(root && root->type == JC_OBJECT);
    FZ_CHECK(jc_is_str(jc_get(root, "alert_id"), a->alert_id, SW_ALERT_ID_LEN));
    FZ_CHECK(jc_no_raw_separators(a->json, a->json_len));
    jc_free(root);
    if (al->n == al->cap) {
        al->cap = al->cap ? al->cap * 2 : 16;
        al->ids = realloc(al->ids, al->cap * sizeof *al->ids);
        FZ_CHECK(al->ids);
    }
    memcpy(al->ids[al->n++], a->alert_id, SW_ALERT_ID_LEN + 1);
}

static void on_reject(void *ud, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    (void)ud, (void)rec, (void)len;
    FZ_CHECK(sw_verdict_is_reject(why) && why < SW_VERDICT_COUNT);
    FZ_CHECK(src->file && src->line >= 1);
}

static sw_counters run_engine(const sw_config *cfg, const char *buf, size_t size, size_t cap, alerts *al) {
    sw_engine *e = sw_engine_new(cfg, on_alert, on_reject, al);
    FZ_CHECK(e);
    sw_source src = {.file = "fuzz", .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX};
    size_t start = 0;
    while (start < size) {
        const char *nl = memchr(buf + start, '\n', size - start);
        size_t len = nl ? (size_t)(nl - (buf + start)) : size - start;
        src.line++;
        if (len > 0) sw_engine_feed(e, P_IN, buf + start, len, cap - start, &src);
        start += len + 1;
    }
    sw_counters c = *sw_engine_counters(e);
    sw_engine_free(e);
    return c;
}

static void check_engine(const uint8_t *data, size_t size, char *buf, size_t cap) {
    memcpy(buf, data, size);
    sw_config cfg;
    sw_config_defaults(&cfg);
    cfg.tenant_field = TENANT;
    cfg.max_record_bytes = MAX_REC;
    alerts with = {0}, without = {0};
    sw_counters a = run_engine(&cfg, buf, size, cap, &with);
    cfg.prefilter = false;
    sw_counters b = run_engine(&cfg, buf, size, cap, &without);
    FZ_CHECK(a.records == b.records && b.prefiltered == 0);
    FZ_CHECK(a.eligible == b.eligible && a.alerts == b.alerts && a.covered == b.covered);
    FZ_CHECK(a.alerts + a.alerts_capped <= a.eligible && a.eligible <= b.events);
    FZ_CHECK(with.n == a.alerts && without.n == b.alerts);
    for (size_t i = 0; i < with.n; i++) FZ_CHECK(strcmp(with.ids[i], without.ids[i]) == 0);
    free(with.ids);
    free(without.ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init();
    const char *rec = (const char *)data;

    /* 1 */
    bool pf = sw_prefilter_may_match(rec, size), rf = sw_ruleindex_may_match(IX, rec, size);
    for (int level = SW_SCAN_SCALAR; level <= SW_SCAN_BEST; level++) {
        sw_prefilter_limit(level);
        FZ_CHECK(sw_prefilter_may_match(rec, size) == pf);
        FZ_CHECK(sw_ruleindex_may_match(IX, rec, size) == rf); /* and 8's at every level */
    }
    sw_prefilter_limit(SW_SCAN_BEST);

    /* 2: in place, with padding that looks like more JSON */
    size_t cap = size + SW_PADDING;
    char *buf = malloc(cap);
    FZ_CHECK(buf);
    if (size) memcpy(buf, data, size);
    for (size_t i = 0; i < SW_PADDING; i++) buf[size + i] = "\"}]\\{[:,"[i % 8];
    size_t n1 = 99, n2 = 99;
    sw_xstatus s1 = sw_parser_extract(P_IN, buf, size, cap, TENANT, E_IN, SW_MAX_EVENTS_PER_RECORD, &n1);
    sw_xstatus s2 = sw_parser_extract(P_COPY, rec, size, size, TENANT, E_COPY, SW_MAX_EVENTS_PER_RECORD, &n2);
    FZ_CHECK(s1 == s2 && n1 == n2);
    if (s2 != SW_X_OK) FZ_CHECK(n2 == 0);
    if (size == 0) FZ_CHECK(s2 == SW_X_MALFORMED);
    if (size > MAX_REC) FZ_CHECK(s2 == SW_X_TOO_LARGE);
    check_views(E_IN, n1, buf, size, cap);
    check_views(E_COPY, n2, data, size, size);
    for (size_t i = 0; i < n2; i++) {
        FZ_CHECK(event_eq(&E_IN[i], &E_COPY[i], true));
        FZ_CHECK(E_IN[i].raw - buf == E_COPY[i].raw - rec && E_IN[i].raw_len == E_COPY[i].raw_len);
    }

    /* 3 */
    if (!pf)
        for (size_t i = 0; i < n2; i++) {
            const sw_value *t = &E_COPY[i].f[SW_F_EVENT_TYPE];
            FZ_CHECK(!(t->type == SW_STRING && t->n == 18 && memcmp(t->p, "user.session.start", 18) == 0));
        }

    /* 4 */
    size_t first = 0;
    while (first < size && (rec[first] == ' ' || rec[first] == '\t' || rec[first] == '\n' || rec[first] == '\r'))
        first++;
    bool is_array = first < size && rec[first] == '[';
    if (s2 == SW_X_OK && !is_array) FZ_CHECK(n2 == 1 && E_COPY[0].raw == rec && E_COPY[0].raw_len == size);
    if (s2 == SW_X_OK && is_array) {
        for (size_t i = 0; i < n2; i++) {
            const sw_event *ev = &E_COPY[i];
            size_t n3 = 99;
            if (ev->not_object) {
                /* An element that is not an object: no fields; alone, a
                 * scalar is NOT_OBJECT (an array is a record of its own). */
                FZ_CHECK(ev->raw_len >= 1 && ev->raw[0] != '{');
                for (int f = 0; f < SW_F_COUNT; f++) FZ_CHECK(ev->f[f].type == SW_ABSENT);
                if (ev->raw[0] != '[')
                    FZ_CHECK(sw_parser_extract(P_RAW, ev->raw, ev->raw_len, ev->raw_len, TENANT, E_RAW, 1, &n3) ==
                             SW_X_NOT_OBJECT);
                continue;
            }
            FZ_CHECK(ev->raw_len >= 2 && ev->raw[0] == '{' && ev->raw[ev->raw_len - 1] == '}');
            FZ_CHECK(sw_parser_extract(P_RAW, ev->raw, ev->raw_len, ev->raw_len, TENANT, E_RAW, 1, &n3) == SW_X_OK);
            FZ_CHECK(n3 == 1 && event_eq(&E_RAW[0], ev, true));
        }
    }

    /* 5: E_IN is free again */
    size_t n4 = 99;
    sw_xstatus s4 = sw_parser_extract(P_IN, buf, size, cap, NULL, E_IN, 2, &n4);
    if (s4 != SW_X_OK) FZ_CHECK(n4 == 0);
    if (s2 == SW_X_OK && n2 <= 2) {
        FZ_CHECK(s4 == SW_X_OK && n4 == n2);
        for (size_t i = 0; i < n2; i++) {
            FZ_CHECK(event_eq(&E_IN[i], &E_COPY[i], false));
            FZ_CHECK(E_IN[i].f[SW_F_TENANT].type == SW_ABSENT);
        }
    }
    if (s2 == SW_X_OK && n2 > 2) FZ_CHECK(s4 == SW_X_TOO_MANY);
    if (s4 == SW_X_MALFORMED) FZ_CHECK(s2 == SW_X_MALFORMED);
    if (s2 == SW_X_NOT_OBJECT) FZ_CHECK(s4 == SW_X_NOT_OBJECT);

    /* 7 (uses E_RAW, P_RAW and the parsers' buffers: after 2-5) */
    check_fields(data, size, buf, cap, s2, n2);

    /* 6 */
    check_engine(data, size, buf, cap);
    free(buf);
    return 0;
}
