/* rengine.c -- see rengine.h. */
#include "rengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fields.h"
#include "hash.h"
#include "ralert.h"
#include "rkey.h"
#include "rtypes.h"
#include "ruleindex.h"

#define SWEEP_PER_EVENT 4
#define IDENTITY_SEED 0x9e3779b97f4a7c15ULL
#define NUM_TEXT 24 /* an int64 or a boolean as text */

typedef struct {
    const sw_rulespec *spec;
    sw_store store;
    sw_rkey_shape shape;
    sw_rtypes types;        /* the seed fields it reads, which must be strings */
    uint32_t cap;           /* alerts per tenant per interval bucket; 0: no cap */
    sw_user_budget tenants; /* --max-tenants, this rule's */
    sw_rule_counters c;
} rule_state;

/* The event being evaluated, as every rule sees it. */
typedef struct {
    const sw_event *ev;
    const sw_source *src;
    const char *rec;
    size_t len;
    sw_span tenant;
    sw_span identity;  /* uuid, or hex of a hash of the event's bytes */
    char identity_hex[17];
    int64_t time[2];   /* [ingested]: the event time, SW_TIME_NONE until read */
    sw_verdict reject; /* the reason to reject it once all rules ran, or SW_ELIGIBLE */
    int eligible;      /* some rule counted it */
} event_ctx;

struct sw_rengine {
    const sw_config *cfg;
    rule_state *r;
    size_t n;
    sw_counters c;
    uint64_t unmatched;
    sw_engine_io io;
    uint64_t want;                /* every catalogue row a rule or the index reads */
    sw_ruleindex *index;          /* the rules by the event types they require */
    sw_rtypes event_type;         /* the event type, when a rule reads it: checked before selection */
    uint64_t *select;             /* the rules the current event can match */
    const sw_kql_field *fv;       /* the catalogue values of the current event */
    sw_buf json, scratch, key;
    sw_user_budget keys;          /* --max-tracked-users, shared by the rules */
    const sw_session **collect, **sorted; /* room for the largest rule bound */
    size_t collect_cap;
};

/* ---- construction ---------------------------------------------------------- */

static int rule_init(rule_state *rs, const sw_config *cfg, const sw_rulespec *spec, int64_t max_alerts,
                     sw_user_budget *keys) {
    rs->spec = spec;
    int64_t w = spec->window_ms > 0 ? spec->window_ms : 1;
    if (sw_store_init(&rs->store, w, cfg->lateness_ms) != 0) return -1;
    sw_store_set_cap_bucket(&rs->store, spec->interval_ms);
    if (keys) sw_store_set_budget(&rs->store, keys);
    if (cfg->max_tenants) {
        rs->tenants.max = cfg->max_tenants;
        sw_store_set_tenant_budget(&rs->store, &rs->tenants);
    }
    int has_card = spec->cardinality_row >= 0 && spec->cardinality > 0;
    rs->shape = (sw_rkey_shape){
        .window_ms = w, .threshold = spec->threshold ? spec->threshold : 1,
        .cardinality = has_card ? spec->cardinality : 0,
        .count_events = !has_card || spec->threshold > 1,
    };
    rs->types = sw_rtypes_of_rows(spec->rows);
    rs->cap = max_alerts < 0 ? spec->max_signals : (uint32_t)(max_alerts > UINT32_MAX ? UINT32_MAX : max_alerts);
    return 0;
}

static size_t largest_bound(const sw_rulespec *rules, size_t n) {
    size_t m = 1;
    for (size_t i = 0; i < n; i++) {
        if (rules[i].threshold > m) m = rules[i].threshold;
        if (rules[i].cardinality > m) m = rules[i].cardinality;
    }
    return m;
}

static int index_rules(sw_rengine *e, const sw_rulespec *rules, size_t n) {
    const sw_kql **queries = calloc(n ? n : 1, sizeof *queries);
    if (!queries) return -1;
    for (size_t i = 0; i < n; i++) queries[i] = rules[i].kql;
    e->index = sw_ruleindex_new(queries, n);
    free(queries);
    if (!e->index) return -1;
    e->want |= sw_ruleindex_rows();
    e->select = calloc(sw_ruleindex_words(e->index), sizeof *e->select);
    return e->select ? 0 : -1;
}

sw_rengine *sw_rengine_new(const sw_config *cfg, const sw_rulespec *rules, size_t n, int64_t max_alerts,
                           sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud) {
    return sw_rengine_new_budget(cfg, rules, n, max_alerts, NULL, on_alert, on_reject, ud);
}

sw_rengine *sw_rengine_new_budget(const sw_config *cfg, const sw_rulespec *rules, size_t n, int64_t max_alerts,
                                  sw_user_budget *keys, sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud) {
    sw_rengine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->cfg = cfg;
    sw_engine_io_init(&e->io, cfg, on_alert, on_reject, ud);
    e->keys.max = cfg->max_tracked_users;
    if (!keys) keys = &e->keys;
    e->collect_cap = largest_bound(rules, n);
    e->collect = calloc(e->collect_cap, sizeof *e->collect);
    e->sorted = calloc(e->collect_cap, sizeof *e->sorted);
    e->r = calloc(n ? n : 1, sizeof *e->r);
    if (!e->collect || !e->sorted || !e->r) goto fail;
    for (; e->n < n; e->n++) {
        if (rule_init(&e->r[e->n], cfg, &rules[e->n], max_alerts, cfg->max_tracked_users ? keys : NULL) != 0)
            goto fail;
        e->want |= rules[e->n].rows;
        e->event_type.raw |= e->r[e->n].types.raw & SW_RTYPES_EVENT_TYPE;
        e->event_type.ecs |= e->r[e->n].types.ecs & SW_RTYPES_EVENT_TYPE;
    }
    if (index_rules(e, rules, n) != 0) goto fail;
    return e;
fail:
    sw_rengine_free(e);
    return NULL;
}

void sw_rengine_free(sw_rengine *e) {
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) sw_store_destroy(&e->r[i].store);
    free(e->r);
    free(e->collect);
    free(e->sorted);
    sw_ruleindex_free(e->index);
    free(e->select);
    sw_buf_free(&e->json);
    sw_buf_free(&e->scratch);
    sw_buf_free(&e->key);
    free(e);
}

/* The totals: the engine's own (records, events, eligible, rejects) and
 * the sums of the rules' counters. */
const sw_counters *sw_rengine_counters(sw_rengine *e) {
    e->c.cap_evicted = e->c.alerts = e->c.alerts_capped = e->c.covered = e->c.nomem = 0;
    for (size_t i = 0; i < e->n; i++) {
        const rule_state *rs = &e->r[i];
        e->c.cap_evicted += rs->store.cap_evicted;
        e->c.alerts += rs->c.alerts;
        e->c.alerts_capped += rs->c.alerts_capped;
        e->c.covered += rs->c.covered;
        e->c.nomem += rs->c.nomem;
    }
    return &e->c;
}
const sw_rule_counters *sw_rengine_rule_counters(const sw_rengine *e, size_t i) { return &e->r[i].c; }
uint64_t sw_rengine_unmatched(const sw_rengine *e) { return e->unmatched; }
uint64_t sw_rengine_keys(const sw_rengine *e) {
    uint64_t n = 0;
    for (size_t i = 0; i < e->n; i++) n += sw_store_users(&e->r[i].store);
    return n;
}
uint64_t sw_rengine_evicted(const sw_rengine *e) {
    uint64_t n = 0;
    for (size_t i = 0; i < e->n; i++) n += e->r[i].store.evicted;
    return n;
}
void sw_rengine_set_clock(sw_rengine *e, int64_t (*now_ms)(void)) { sw_engine_io_set_clock(&e->io, now_ms); }
size_t sw_rengine_rules(const sw_rengine *e) { return e->n; }
sw_store *sw_rengine_store(sw_rengine *e, size_t i) { return &e->r[i].store; }
uint64_t sw_rengine_id_seed(const sw_rengine *e) { return e->io.id_seed; }
int64_t sw_rengine_future_limit(sw_rengine *e) { return sw_engine_io_future_limit(&e->io); }

/* ---- the event ------------------------------------------------------------- */

void sw_rengine_reject_oversize(sw_rengine *e, const char *prefix, size_t len, const sw_source *src) {
    e->c.records++;
    sw_engine_io_reject(&e->io, &e->c, SW_R_TOO_LARGE, prefix, len, src);
}

/* The event's time for rule spec (read once per kind); the reason when it
 * has none or is too early. */
static sw_verdict event_time(sw_rengine *e, event_ctx *x, const sw_rulespec *spec, int64_t *t) {
    int k = spec->time_ingested ? 1 : 0;
    if (x->time[k] == SW_TIME_NONE) {
        sw_verdict v = sw_rule_event_time(e->cfg, x->ev, x->src->kafka_time_ms, k, &x->time[k]);
        if (v != SW_ELIGIBLE) return v;
    }
    *t = x->time[k];
    return sw_engine_io_too_early(&e->io, *t) ? SW_R_TOO_EARLY : SW_ELIGIBLE;
}

static sw_span text_of(const sw_value *v) {
    return v->type == SW_STRING ? (sw_span){v->p, v->n} : (sw_span){NULL, 0};
}

/* A catalogue value as text: strings as they are, booleans and numbers as
 * JSON writes them (into buf). */
static sw_span value_text(const sw_kql_value *v, char buf[NUM_TEXT]) {
    switch (v->kind) {
    case SW_KQL_V_BOOL: return v->b ? (sw_span){"true", 4} : (sw_span){"false", 5};
    case SW_KQL_V_INT: {
        int n = snprintf(buf, NUM_TEXT, "%lld", (long long)v->i);
        return (sw_span){buf, (size_t)(n > 0 ? n : 0)};
    }
    default: return (sw_span){v->p, v->n};
    }
}

static void set_identity(event_ctx *x) {
    static const char hex[] = "0123456789abcdef";
    const sw_value *u = &x->ev->f[SW_F_UUID];
    if (u->type == SW_STRING && u->n) {
        x->identity = (sw_span){u->p, u->n};
        return;
    }
    uint64_t h = sw_hash64(x->ev->raw, x->ev->raw_len, IDENTITY_SEED);
    for (int i = 0; i < 16; i++) x->identity_hex[i] = hex[(h >> (60 - 4 * i)) & 15];
    x->identity = (sw_span){x->identity_hex, 16};
}

/* ---- alerts ------------------------------------------------------------------ */

/* 1 when the rule's cap lets one more alert at t through for tenant ten. */
static int cap_take(rule_state *rs, sw_tenant *ten, int64_t t) {
    if (!rs->cap) return 1;
    int take = sw_store_cap_take(&rs->store, ten, t, rs->cap);
    if (take < 0) rs->c.nomem++;
    else if (take == 0) rs->c.alerts_capped++;
    return take > 0;
}

static void publish(sw_rengine *e, rule_state *rs, sw_ralert *a) {
    char id[SW_ALERT_ID_LEN + 1];
    sw_ralert_id(a, &e->scratch, id);
    sw_buf_reset(&e->json);
    sw_ralert_write(&e->json, a, id);
    if (e->json.oom) {
        rs->c.nomem++;
        return;
    }
    rs->c.alerts++;
    sw_alert_out out = {
        .json = e->json.p, .json_len = e->json.len, .alert_id = id, .rule_id = rs->spec->rule_id, .tenant = a->tenant.p,
        .tenant_len = a->tenant.n, .actor = a->actor.p ? a->actor.p : "", .actor_len = a->actor.n,
        .source = a->source, .alert = NULL,
    };
    if (e->io.on_alert) e->io.on_alert(e->io.ud, &out);
}

static sw_ralert alert_base(sw_rengine *e, const rule_state *rs, const event_ctx *x, int64_t t) {
    const sw_event *ev = x->ev;
    sw_span actor = text_of(&ev->f[SW_F_ACTOR_ID]);
    if (!actor.n) actor.p = NULL;
    return (sw_ralert){
        .rule = rs->spec, .tenant = x->tenant, .actor = actor, .name = text_of(&ev->f[SW_F_ACTOR_NAME]),
        .alt = text_of(&ev->f[SW_F_ACTOR_ALT]), .event_time = t, .detected_at = e->io.now_ms(), .source = x->src,
    };
}

static void emit_threshold(sw_rengine *e, rule_state *rs, sw_tenant *ten, const sw_user *u, const event_ctx *x,
                           int64_t t, const sw_span *terms) {
    int values = rs->shape.cardinality > 0;
    size_t nq = sw_rkey_collect(u, rs->shape.window_ms, values ? SW_RKEY_VALUE : SW_RKEY_EVENT, e->collect,
                                e->collect_cap);
    if (!cap_take(rs, ten, t)) return;
    sw_ralert a = alert_base(e, rs, x, t);
    a.terms = terms;
    a.r = u->max_time;
    a.evidence = e->collect;
    a.nevidence = nq;
    a.evidence_values = values;
    a.sort_scratch = e->sorted;
    a.from = nq ? e->collect[0]->first_seen : t;
    for (size_t i = 0; i < nq; i++) {
        if (!rs->shape.count_events) a.count += e->collect[i]->events;
        if (e->collect[i]->first_seen < a.from) a.from = e->collect[i]->first_seen;
    }
    if (rs->shape.count_events)
        a.count = values ? sw_rkey_collect(u, rs->shape.window_ms, SW_RKEY_EVENT, e->sorted, e->collect_cap) : nq;
    publish(e, rs, &a);
}

/* ---- rules ------------------------------------------------------------------- */

/* The rule's tenant entry for the event; NULL (with x->reject set, or
 * nomem counted) when there is none. */
static sw_tenant *rule_tenant(rule_state *rs, event_ctx *x, int64_t t) {
    int over;
    sw_tenant *ten = sw_store_tenant_get(&rs->store, x->tenant.p, x->tenant.n, &over);
    if (!ten) {
        if (over) x->reject = SW_R_TOO_MANY_TENANTS;
        else rs->c.nomem++;
        return NULL;
    }
    if (t < sw_store_horizon(&rs->store, ten)) {
        rs->c.too_late++;
        if (x->reject == SW_ELIGIBLE) x->reject = SW_R_TOO_LATE;
        return NULL;
    }
    return ten;
}

static void run_query(sw_rengine *e, rule_state *rs, event_ctx *x, int64_t t) {
    sw_tenant *ten = rule_tenant(rs, x, t);
    if (!ten) return;
    sw_span actor = text_of(&x->ev->f[SW_F_ACTOR_ID]);
    if (!actor.n) actor = x->identity;
    sw_store_advance_actor(ten, actor.p, actor.n, t);
    rs->c.counted++;
    x->eligible = 1;
    if (!cap_take(rs, ten, t)) return;
    sw_ralert a = alert_base(e, rs, x, t);
    const sw_value *uuid = &x->ev->f[SW_F_UUID];
    if (uuid->type == SW_STRING && uuid->n) a.uuid = (sw_span){uuid->p, uuid->n};
    a.original = (sw_span){x->ev->raw, x->ev->raw_len};
    publish(e, rs, &a);
}

/* The key bytes of one combination of group-by values: the value itself
 * for one field, else each value with its 4-byte length. */
static void build_key(sw_buf *k, const sw_span *terms, size_t n) {
    sw_buf_reset(k);
    for (size_t i = 0; i < n; i++) {
        if (n > 1) {
            uint32_t len = (uint32_t)terms[i].n;
            sw_buf_put(k, &len, sizeof len);
        }
        sw_buf_put(k, terms[i].p, terms[i].n);
    }
}

/* One key of a threshold rule: the event counted in its window. */
static void observe_key(sw_rengine *e, rule_state *rs, sw_tenant *ten, const event_ctx *x, int64_t t,
                        const sw_span *terms, const sw_rkey_event *rev) {
    sw_store *st = &rs->store;
    build_key(&e->key, terms, rs->spec->n_group_by);
    if (e->key.oom) {
        rs->c.nomem++;
        return;
    }
    sw_store_advance_actor(ten, e->key.p, e->key.len, t);
    sw_user *u = sw_store_user(st, ten, e->key.p, e->key.len);
    if (!u) {
        rs->c.nomem++;
        return;
    }
    sw_store_touch(st, u);
    switch (sw_rkey_observe(u, &st->slab, &rs->shape, t, rev, e->io.id_seed, &e->scratch)) {
    case SW_OBS_COVERED: rs->c.covered++; break;
    case SW_OBS_COUNTED: break;
    case SW_OBS_NOMEM: rs->c.nomem++; break;
    case SW_OBS_ALERT:
        emit_threshold(e, rs, ten, u, x, t, terms);
        sw_rkey_reset(u, &st->slab);
        break;
    }
}

/* The cardinality field's values of the event, as text. */
static size_t card_values(const sw_rengine *e, const rule_state *rs, sw_span *out, char (*num)[NUM_TEXT]) {
    if (rs->spec->cardinality_row < 0) return 0;
    const sw_kql_field *f = &e->fv[rs->spec->cardinality_row];
    for (uint32_t i = 0; i < f->n; i++) out[i] = value_text(&f->v[i], num[i]);
    return f->n;
}

/* Every combination of the group-by fields' values (an array puts the
 * event in one group per element), first fields varying slowest, at most
 * SW_RENGINE_MAX_GROUPS. */
static void run_threshold(sw_rengine *e, rule_state *rs, event_ctx *x, int64_t t) {
    const sw_rulespec *spec = rs->spec;
    const sw_kql_field *g[SW_SPEC_MAX_GROUP_BY];
    for (size_t i = 0; i < spec->n_group_by; i++) {
        g[i] = &e->fv[spec->group_by[i]];
        if (g[i]->n == 0) {
            rs->c.no_group++;
            return;
        }
    }
    sw_tenant *ten = rule_tenant(rs, x, t);
    if (!ten) return;
    rs->c.counted++;
    x->eligible = 1;
    sw_span values[SW_FIELD_MAX_VALUES];
    char vnum[SW_FIELD_MAX_VALUES][NUM_TEXT];
    sw_rkey_event rev = {
        .client = {.ip = text_of(&x->ev->f[SW_F_CLIENT_IP]), .user_agent = text_of(&x->ev->f[SW_F_USER_AGENT]),
                   .country = text_of(&x->ev->f[SW_F_COUNTRY]), .city = text_of(&x->ev->f[SW_F_CITY]),
                   .uuid = text_of(&x->ev->f[SW_F_UUID])},
        .identity = x->identity, .values = values, .nvalues = card_values(e, rs, values, vnum),
    };
    uint32_t at[SW_SPEC_MAX_GROUP_BY] = {0};
    sw_span terms[SW_SPEC_MAX_GROUP_BY];
    char tnum[SW_SPEC_MAX_GROUP_BY][NUM_TEXT];
    for (size_t done = 0;; done++) {
        if (done == SW_RENGINE_MAX_GROUPS) {
            rs->c.groups_dropped++;
            break;
        }
        for (size_t i = 0; i < spec->n_group_by; i++) terms[i] = value_text(&g[i]->v[at[i]], tnum[i]);
        observe_key(e, rs, ten, x, t, terms, &rev);
        size_t i = spec->n_group_by;
        while (i > 0 && ++at[i - 1] == g[i - 1]->n) at[--i] = 0;
        if (i == 0) break;
    }
    sw_store_sweep(&rs->store, SWEEP_PER_EVENT);
}

static void run_rule(sw_rengine *e, rule_state *rs, event_ctx *x) {
    int64_t t;
    sw_verdict v = event_time(e, x, rs->spec, &t);
    if (v != SW_ELIGIBLE) {
        x->reject = v;
        return;
    }
    if (rs->spec->type == SW_SPEC_QUERY) run_query(e, rs, x, t);
    else run_threshold(e, rs, x, t);
}

static void reject(sw_rengine *e, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    sw_engine_io_reject(&e->io, &e->c, why, rec, len, src);
}

static void process_event(void *engine, const sw_event *ev, const char *rec, size_t len, const sw_source *src) {
    sw_rengine *e = engine;
    event_ctx x = {.ev = ev, .src = src, .rec = rec, .len = len, .time = {SW_TIME_NONE, SW_TIME_NONE},
                   .reject = SW_ELIGIBLE};
    if (ev->not_object || sw_rtypes_check(ev, e->event_type) != SW_ELIGIBLE) {
        reject(e, SW_R_WRONG_TYPE, rec, len, src); /* a non-string event type: before selecting by it */
        return;
    }
    e->fv = ev->fields; /* read in the same walk: sw_rengine_feed wants the rows */
    set_identity(&x);
    sw_ruleindex_select(e->index, e->fv, e->select);
    int matched = 0;
    for (size_t i = 0; i < e->n; i++) {
        rule_state *rs = &e->r[i];
        if (!(e->select[i / 64] >> (i % 64) & 1)) continue; /* its event types are not this event's */
        if (sw_rtypes_check(ev, rs->types) != SW_ELIGIBLE) {
            x.reject = SW_R_WRONG_TYPE; /* a field it reads is not a string, as the seed engine (rtypes.h) */
            break;
        }
        if (!sw_kql_match(rs->spec->kql, e->fv, SW_CATALOGUE_MAX)) continue;
        if (!matched && sw_rule_tenant(e->cfg, ev, &x.tenant.p, &x.tenant.n) != SW_ELIGIBLE) {
            x.reject = SW_R_WRONG_TYPE; /* as the seed engine: only an event a rule reads */
            break;
        }
        rs->c.matched++;
        matched = 1;
        run_rule(e, rs, &x);
        if (x.reject == SW_R_BAD_TIME || x.reject == SW_R_TOO_EARLY) break; /* the same for every rule */
    }
    if (!matched && x.reject == SW_ELIGIBLE) e->unmatched++;
    if (x.eligible) e->c.eligible++;
    if (x.reject != SW_ELIGIBLE) reject(e, x.reject, rec, len, src);
}

void sw_rengine_feed(sw_rengine *e, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src) {
    e->c.records++;
    if (len > e->cfg->max_record_bytes) {
        reject(e, SW_R_TOO_LARGE, rec, len, src);
        return;
    }
    if (e->cfg->prefilter && !sw_ruleindex_may_match(e->index, rec, len)) { /* --no-prefilter: parse all */
        e->c.prefiltered++; /* no event type any rule requires: no rule can match */
        return;
    }
    if (sw_parser_fields_wanted(p) != e->want) sw_parser_want_fields(p, e->want);
    size_t n = 0;
    sw_verdict v = sw_record_each(p, rec, len, cap, e->cfg->tenant_field, src, process_event, e, &n);
    e->c.events += n;
    if (v != SW_ELIGIBLE) reject(e, v, rec, len, src);
}
