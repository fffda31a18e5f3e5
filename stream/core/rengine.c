/* rengine.c -- see rengine.h. */
#include "rengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fields.h"
#include "hash.h"
#include "irecord.h"
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
    uint64_t hash;          /* sw_irecord_rule_hash(rule_id): its name in internal records */
    uint32_t family;        /* threshold: its key family (sw_rengine_families); else SW_RENGINE_NO_FAMILY */
    bool routed;            /* threshold: handed to the route, not run here */
} rule_state;

/* A counted event: what the threshold path reads of an event, built from
 * the extracted event (sw_rengine_feed) or from a decoded internal record
 * (sw_rengine_feed_internal). */
typedef struct {
    const sw_source *src;
    sw_span tenant;
    sw_span identity;  /* uuid, or hex of a hash of the event's bytes */
    sw_span field[SW_IREC_FIELDS]; /* actor, name, alt, client, uuid; p NULL: absent or not a string */
    sw_verdict reject; /* the reason to reject it once all rules ran, or SW_ELIGIBLE */
    int eligible;      /* some rule counted it */
} counted_event;

/* The event being evaluated, as every rule sees it. */
typedef struct {
    counted_event c;
    const sw_event *ev;
    const char *rec;
    size_t len;
    char identity_hex[17];
    int64_t time[2];   /* [ingested]: the event time, SW_TIME_NONE until read */
} event_ctx;

/* The routing stage (sw_rengine_set_route): the routed rules the current
 * event counts for, then one internal record per family and group. */
typedef struct {
    uint32_t rule;        /* rule index */
    int64_t time;         /* the event time it uses */
} pending_rule;

typedef struct {
    sw_route_fn fn;
    void *ud;
    pending_rule *pend;   /* in rule order */
    size_t npend;
    sw_buf bytes, key;
    sw_irecord rec;
    char vnum[SW_IREC_MAX_VALUES][NUM_TEXT]; /* number texts of rec.values */
} route_state;

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
    size_t nfamilies;
    route_state *route;           /* NULL: every rule runs here */
    sw_irecord *in;               /* sw_rengine_feed_internal's decoded record */
    sw_buf in_name;               /* its source's name, NUL-terminated */
    uint64_t internal_skipped;    /* entries for rules this engine does not hold */
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
    rs->hash = sw_irecord_rule_hash(spec->rule_id);
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

static void route_free(route_state *r); /* with the route, below */

static int assign_families(sw_rengine *e, const sw_rulespec *rules, size_t n) {
    uint32_t *family_of = calloc(n ? n : 1, sizeof *family_of);
    if (!family_of) return -1;
    e->nfamilies = sw_rengine_families(rules, n, family_of);
    for (size_t i = 0; i < n; i++) e->r[i].family = family_of[i];
    free(family_of);
    return 0;
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
    if (index_rules(e, rules, n) != 0 || assign_families(e, rules, n) != 0) goto fail;
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
    route_free(e->route);
    free(e->in);
    sw_buf_free(&e->in_name);
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
        sw_verdict v = sw_rule_event_time(e->cfg, x->ev, x->c.src->kafka_time_ms, k, &x->time[k]);
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
        x->c.identity = (sw_span){u->p, u->n};
        return;
    }
    uint64_t h = sw_hash64(x->ev->raw, x->ev->raw_len, IDENTITY_SEED);
    for (int i = 0; i < 16; i++) x->identity_hex[i] = hex[(h >> (60 - 4 * i)) & 15];
    x->c.identity = (sw_span){x->identity_hex, 16};
}

/* The evidence fields of the event (once it matched a rule). */
static void set_fields(counted_event *c, const sw_event *ev) {
    static const sw_field from[SW_IREC_FIELDS] = {
        [SW_IREC_ACTOR] = SW_F_ACTOR_ID, [SW_IREC_NAME] = SW_F_ACTOR_NAME, [SW_IREC_ALT] = SW_F_ACTOR_ALT,
        [SW_IREC_IP] = SW_F_CLIENT_IP, [SW_IREC_USER_AGENT] = SW_F_USER_AGENT, [SW_IREC_COUNTRY] = SW_F_COUNTRY,
        [SW_IREC_CITY] = SW_F_CITY, [SW_IREC_UUID] = SW_F_UUID,
    };
    for (int f = 0; f < SW_IREC_FIELDS; f++) c->field[f] = text_of(&ev->f[from[f]]);
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

static sw_ralert alert_base(sw_rengine *e, const rule_state *rs, const counted_event *c, int64_t t) {
    sw_span actor = c->field[SW_IREC_ACTOR];
    if (!actor.n) actor.p = NULL;
    return (sw_ralert){
        .rule = rs->spec, .tenant = c->tenant, .actor = actor, .name = c->field[SW_IREC_NAME],
        .alt = c->field[SW_IREC_ALT], .event_time = t, .detected_at = e->io.now_ms(), .source = c->src,
    };
}

static void emit_threshold(sw_rengine *e, rule_state *rs, sw_tenant *ten, const sw_user *u, const counted_event *c,
                           int64_t t, const sw_span *terms) {
    int values = rs->shape.cardinality > 0;
    size_t nq = sw_rkey_collect(u, rs->shape.window_ms, values ? SW_RKEY_VALUE : SW_RKEY_EVENT, e->collect,
                                e->collect_cap);
    if (!cap_take(rs, ten, t)) return;
    sw_ralert a = alert_base(e, rs, c, t);
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

/* The rule's tenant entry for the event; NULL (with c->reject set, or
 * nomem counted) when there is none. */
static sw_tenant *rule_tenant(rule_state *rs, counted_event *c, int64_t t) {
    int over;
    sw_tenant *ten = sw_store_tenant_get(&rs->store, c->tenant.p, c->tenant.n, &over);
    if (!ten) {
        if (over) c->reject = SW_R_TOO_MANY_TENANTS;
        else rs->c.nomem++;
        return NULL;
    }
    if (t < sw_store_horizon(&rs->store, ten)) {
        rs->c.too_late++;
        if (c->reject == SW_ELIGIBLE) c->reject = SW_R_TOO_LATE;
        return NULL;
    }
    return ten;
}

static void run_query(sw_rengine *e, rule_state *rs, event_ctx *x, int64_t t) {
    sw_tenant *ten = rule_tenant(rs, &x->c, t);
    if (!ten) return;
    sw_span actor = x->c.field[SW_IREC_ACTOR];
    if (!actor.n) actor = x->c.identity;
    sw_store_advance_actor(ten, actor.p, actor.n, t);
    rs->c.counted++;
    x->c.eligible = 1;
    if (!cap_take(rs, ten, t)) return;
    sw_ralert a = alert_base(e, rs, &x->c, t);
    const sw_span *uuid = &x->c.field[SW_IREC_UUID];
    if (uuid->n) a.uuid = *uuid;
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
static void observe_key(sw_rengine *e, rule_state *rs, sw_tenant *ten, const counted_event *c, int64_t t,
                        const sw_span *terms, const sw_rkey_event *rev) {
    sw_store *st = &rs->store;
    build_key(&e->key, terms, rs->spec->n_group_by);
    if (e->key.oom) {
        rs->c.nomem++;
        return;
    }
    const char *key = e->key.p ? e->key.p : ""; /* one empty value as the first key: no buffer yet */
    sw_store_advance_actor(ten, key, e->key.len, t);
    sw_user *u = sw_store_user(st, ten, key, e->key.len);
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
        emit_threshold(e, rs, ten, u, c, t, terms);
        sw_rkey_reset(u, &st->slab);
        break;
    }
}

/* What the event brings to every key of a rule: its client, identity and
 * cardinality values. */
static sw_rkey_event key_event(const counted_event *c, const sw_span *values, size_t nvalues) {
    return (sw_rkey_event){
        .client = {.ip = c->field[SW_IREC_IP], .user_agent = c->field[SW_IREC_USER_AGENT],
                   .country = c->field[SW_IREC_COUNTRY], .city = c->field[SW_IREC_CITY],
                   .uuid = c->field[SW_IREC_UUID]},
        .identity = c->identity, .values = values, .nvalues = nvalues,
    };
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
 * SW_RENGINE_MAX_GROUPS: the local path and the routing stage walk them
 * alike. */
typedef struct {
    const sw_kql_field *g[SW_SPEC_MAX_GROUP_BY];
    uint32_t at[SW_SPEC_MAX_GROUP_BY];
    size_t n, done;
    sw_span terms[SW_SPEC_MAX_GROUP_BY];
    char num[SW_SPEC_MAX_GROUP_BY][NUM_TEXT];
} groups;

/* 0 when a group-by field is missing. */
static int groups_start(groups *gs, const sw_rengine *e, const sw_rulespec *spec) {
    gs->n = spec->n_group_by;
    gs->done = 0;
    for (size_t i = 0; i < gs->n; i++) {
        gs->g[i] = &e->fv[spec->group_by[i]];
        gs->at[i] = 0;
        if (gs->g[i]->n == 0) return 0;
    }
    return 1;
}

/* The next combination's terms: 1, or 0 when there is none left (*cut
 * set when the bound cut the product). */
static int groups_next(groups *gs, int *cut) {
    if (gs->done > 0) {
        size_t i = gs->n;
        while (i > 0 && ++gs->at[i - 1] == gs->g[i - 1]->n) gs->at[--i] = 0;
        if (i == 0) return 0;
    }
    if (gs->done++ == SW_RENGINE_MAX_GROUPS) {
        *cut = 1;
        return 0;
    }
    for (size_t i = 0; i < gs->n; i++) gs->terms[i] = value_text(&gs->g[i]->v[gs->at[i]], gs->num[i]);
    return 1;
}

static void run_threshold(sw_rengine *e, rule_state *rs, event_ctx *x, int64_t t) {
    groups gs;
    if (!groups_start(&gs, e, rs->spec)) {
        rs->c.no_group++;
        return;
    }
    sw_tenant *ten = rule_tenant(rs, &x->c, t);
    if (!ten) return;
    rs->c.counted++;
    x->c.eligible = 1;
    sw_span values[SW_FIELD_MAX_VALUES];
    char vnum[SW_FIELD_MAX_VALUES][NUM_TEXT];
    sw_rkey_event rev = key_event(&x->c, values, card_values(e, rs, values, vnum));
    int cut = 0;
    while (groups_next(&gs, &cut)) observe_key(e, rs, ten, &x->c, t, gs.terms, &rev);
    if (cut) rs->c.groups_dropped++;
    sw_store_sweep(&rs->store, SWEEP_PER_EVENT);
}

/* ---- the routing stage ------------------------------------------------------- */

/* A routed rule counted the event: it joins the family's internal records. */
/* Not inlined (nor route_flush): the local path's process_event stays as
 * small as it was (instruction cache). */
__attribute__((noinline)) static void route_rule(sw_rengine *e, rule_state *rs, event_ctx *x, int64_t t) {
    if (t < SW_IREC_MIN_TIME || t > SW_IREC_MAX_TIME) { /* only a Kafka timestamp can be */
        x->c.reject = SW_R_BAD_TIME;
        return;
    }
    groups gs;
    if (!groups_start(&gs, e, rs->spec)) {
        rs->c.no_group++;
        return;
    }
    /* Not counted (nor eligible) here: lateness and the count are the
     * stateful stage's, which counts it once it is in time (run sums both
     * stages' counters). */
    route_state *r = e->route;
    r->pend[r->npend++] = (pending_rule){(uint32_t)(rs - e->r), t};
}

/* The rules of family f among the pending ones, into the record. */
static void route_rules(sw_rengine *e, uint32_t f) {
    route_state *r = e->route;
    sw_irecord *rec = &r->rec;
    rec->nrules = rec->nvalues = 0;
    for (size_t i = 0; i < r->npend; i++) {
        rule_state *rs = &e->r[r->pend[i].rule];
        if (rs->family != f) continue;
        sw_irec_rule *ru = &rec->rules[rec->nrules++];
        *ru = (sw_irec_rule){.rule = rs->hash, .time = r->pend[i].time, .first = rec->nvalues};
        ru->n = (uint32_t)card_values(e, rs, rec->values + rec->nvalues, r->vnum + rec->nvalues);
        rec->nvalues += ru->n;
    }
}

static void route_count(sw_rengine *e, uint32_t f, int nomem) {
    route_state *r = e->route;
    for (size_t i = 0; i < r->npend; i++) {
        rule_state *rs = &e->r[r->pend[i].rule];
        if (rs->family != f) continue;
        if (nomem) rs->c.nomem++;
        else rs->c.groups_dropped++;
    }
}

/* The Kafka key of a group: tenant 0x1F value [0x1F value ...]. */
static void route_key(sw_buf *k, const counted_event *c, const groups *gs) {
    sw_buf_reset(k);
    sw_buf_put(k, c->tenant.p, c->tenant.n);
    for (size_t i = 0; i < gs->n; i++) {
        sw_buf_putc(k, 0x1F);
        sw_buf_put(k, gs->terms[i].p, gs->terms[i].n);
    }
}

/* One internal record per group of family f, to the route. */
static void route_family(sw_rengine *e, event_ctx *x, uint32_t f, const rule_state *first) {
    route_state *r = e->route;
    sw_irecord *rec = &r->rec;
    route_rules(e, f);
    rec->tenant = x->c.tenant;
    rec->identity = x->c.identity;
    memcpy(rec->field, x->c.field, sizeof rec->field);
    sw_irecord_set_source(rec, x->c.src);
    groups gs;
    groups_start(&gs, e, first->spec);
    rec->nterms = (uint32_t)gs.n;
    int cut = 0;
    while (groups_next(&gs, &cut)) {
        memcpy(rec->terms, gs.terms, gs.n * sizeof *gs.terms);
        sw_buf_reset(&r->bytes);
        route_key(&r->key, &x->c, &gs);
        if (sw_irecord_encode(&r->bytes, rec) != 0 || r->bytes.oom || r->key.oom) {
            route_count(e, f, 1);
            continue;
        }
        r->fn(r->ud, f, r->key.p, r->key.len, r->bytes.p, r->bytes.len, x->c.src);
    }
    if (cut) route_count(e, f, 0);
}

/* After every rule ran: the pending families, each once, in the order of
 * their first rule. */
__attribute__((noinline)) static void route_flush(sw_rengine *e, event_ctx *x) {
    route_state *r = e->route;
    for (size_t i = 0; i < r->npend; i++) {
        const rule_state *rs = &e->r[r->pend[i].rule];
        size_t k = 0;
        while (k < i && e->r[r->pend[k].rule].family != rs->family) k++;
        if (k == i) route_family(e, x, rs->family, rs);
    }
    r->npend = 0;
}

/* ---- the local path ------------------------------------------------------------ */

static void run_rule(sw_rengine *e, rule_state *rs, event_ctx *x) {
    int64_t t;
    sw_verdict v = event_time(e, x, rs->spec, &t);
    if (v != SW_ELIGIBLE) {
        x->c.reject = v;
        return;
    }
    if (rs->spec->type == SW_SPEC_QUERY) run_query(e, rs, x, t);
    else if (rs->routed) route_rule(e, rs, x, t);
    else run_threshold(e, rs, x, t);
}

static void reject(sw_rengine *e, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    sw_engine_io_reject(&e->io, &e->c, why, rec, len, src);
}

static void process_event(void *engine, const sw_event *ev, const char *rec, size_t len, const sw_source *src) {
    sw_rengine *e = engine;
    event_ctx x; /* set member by member: c.field is read only once a rule matched (set_fields) */
    x.c.src = src, x.c.tenant = (sw_span){NULL, 0}, x.c.reject = SW_ELIGIBLE, x.c.eligible = 0;
    x.ev = ev, x.rec = rec, x.len = len, x.time[0] = x.time[1] = SW_TIME_NONE;
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
            x.c.reject = SW_R_WRONG_TYPE; /* a field it reads is not a string, as the seed engine (rtypes.h) */
            break;
        }
        if (!sw_kql_match(rs->spec->kql, e->fv, SW_CATALOGUE_MAX)) continue;
        if (!matched) {
            if (sw_rule_tenant(e->cfg, ev, &x.c.tenant.p, &x.c.tenant.n) != SW_ELIGIBLE) {
                x.c.reject = SW_R_WRONG_TYPE; /* as the seed engine: only an event a rule reads */
                break;
            }
            set_fields(&x.c, ev);
        }
        rs->c.matched++;
        matched = 1;
        run_rule(e, rs, &x);
        if (x.c.reject == SW_R_BAD_TIME || x.c.reject == SW_R_TOO_EARLY) break; /* the same for every rule */
    }
    if (e->route && e->route->npend) route_flush(e, &x);
    if (!matched && x.c.reject == SW_ELIGIBLE) e->unmatched++;
    if (x.c.eligible) e->c.eligible++;
    if (x.c.reject != SW_ELIGIBLE) reject(e, x.c.reject, rec, len, src);
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

/* ---- the stateful stage ---------------------------------------------------------- */

/* The engine's threshold rule of hash h for nterms group values; NULL
 * when it holds none. */
static rule_state *rule_of_hash(sw_rengine *e, uint64_t h, uint32_t nterms) {
    for (size_t i = 0; i < e->n; i++) {
        rule_state *rs = &e->r[i];
        if (rs->hash == h) return rs->spec->type == SW_SPEC_THRESHOLD && rs->spec->n_group_by == nterms ? rs : NULL;
    }
    return NULL;
}

/* One rule's entry of an internal record: the rule's key of the group. */
static void run_entry(sw_rengine *e, rule_state *rs, counted_event *c, const sw_irecord *in, const sw_irec_rule *ru) {
    sw_tenant *ten = rule_tenant(rs, c, ru->time);
    if (!ten) return;
    rs->c.counted++;
    c->eligible = 1;
    sw_rkey_event rev = key_event(c, in->values + ru->first, ru->n);
    observe_key(e, rs, ten, c, ru->time, in->terms, &rev);
    sw_store_sweep(&rs->store, SWEEP_PER_EVENT);
}

void sw_rengine_feed_internal(sw_rengine *e, const char *rec, size_t len, const sw_source *internal_src) {
    /* records and events stay the input's (the routing stage counts them);
     * internal records are counted by whoever feeds them. */
    if (!e->in && !(e->in = malloc(sizeof *e->in))) {
        reject(e, SW_R_MALFORMED, rec, len, internal_src); /* no room to decode into: never silent */
        return;
    }
    sw_irecord *in = e->in;
    if (sw_irecord_decode(in, rec, len) != SW_IREC_OK) {
        reject(e, SW_R_MALFORMED, rec, len, internal_src);
        return;
    }
    sw_source src;
    sw_irecord_source(in, &e->in_name, &src);
    counted_event c = {.src = &src, .tenant = in->tenant, .identity = in->identity, .reject = SW_ELIGIBLE};
    memcpy(c.field, in->field, sizeof c.field);
    for (uint32_t i = 0; i < in->nrules; i++) {
        rule_state *rs = rule_of_hash(e, in->rules[i].rule, in->nterms);
        if (!rs) {
            e->internal_skipped++;
            continue;
        }
        run_entry(e, rs, &c, in, &in->rules[i]);
    }
    if (c.eligible) e->c.eligible++;
    if (c.reject != SW_ELIGIBLE) reject(e, c.reject, rec, len, internal_src);
}

uint64_t sw_rengine_internal_skipped(const sw_rengine *e) { return e->internal_skipped; }

/* ---- key families ------------------------------------------------------------------ */

static int same_family(const sw_rulespec *a, const sw_rulespec *b) {
    return a->n_group_by == b->n_group_by && memcmp(a->group_by, b->group_by, a->n_group_by * sizeof *a->group_by) == 0;
}

size_t sw_rengine_families(const sw_rulespec *rules, size_t n, uint32_t *family_of) {
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        family_of[i] = SW_RENGINE_NO_FAMILY;
        if (rules[i].type != SW_SPEC_THRESHOLD) continue;
        for (size_t k = 0; k < i && family_of[i] == SW_RENGINE_NO_FAMILY; k++)
            if (family_of[k] != SW_RENGINE_NO_FAMILY && same_family(&rules[k], &rules[i])) family_of[i] = family_of[k];
        if (family_of[i] == SW_RENGINE_NO_FAMILY) family_of[i] = (uint32_t)nf++;
    }
    return nf;
}

/* Appends text to buf[0 .. cap) at len (what fits), returns the new length. */
static size_t name_put(char *buf, size_t cap, size_t len, const char *text) {
    size_t n = strlen(text);
    if (len < cap) memcpy(buf + len, text, n < cap - len ? n : cap - len);
    return len + n;
}

size_t sw_rengine_family_name(const sw_rulespec *rule, char *buf, size_t cap) {
    size_t ncat, len = 0;
    const sw_catalogue_field *cat = sw_catalogue(&ncat);
    for (size_t i = 0; i < rule->n_group_by; i++) {
        uint32_t row = rule->group_by[i];
        if (i) len = name_put(buf, cap, len, "+");
        len = name_put(buf, cap, len, row < ncat ? cat[row].ecs : "?");
    }
    if (cap) buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

size_t sw_rengine_family_count(const sw_rengine *e) { return e->nfamilies; }
uint32_t sw_rengine_rule_family(const sw_rengine *e, size_t i) { return e->r[i].family; }

/* ---- the route ------------------------------------------------------------------------ */

static void route_free(route_state *r) {
    if (!r) return;
    free(r->pend);
    sw_buf_free(&r->bytes);
    sw_buf_free(&r->key);
    free(r);
}

/* 0 when every routed family fits an internal record and no two
 * threshold rules share a hash. */
static int route_fits(const sw_rengine *e) {
    for (size_t i = 0; i < e->n; i++) {
        size_t same_family_rules = 0;
        for (size_t k = 0; k < e->n; k++) {
            if (e->r[k].routed && e->r[k].family == e->r[i].family) same_family_rules++;
            if (k != i && e->r[k].hash == e->r[i].hash && e->r[i].spec->type == SW_SPEC_THRESHOLD) return -1;
        }
        if (e->r[i].routed && same_family_rules > SW_IREC_MAX_RULES) return -1;
    }
    return 0;
}

int sw_rengine_set_route(sw_rengine *e, const bool *routed_families, sw_route_fn fn, void *ud) {
    route_state *r = calloc(1, sizeof *r);
    if (!r) return -1;
    r->fn = fn, r->ud = ud;
    r->pend = calloc(e->n ? e->n : 1, sizeof *r->pend);
    if (!r->pend) goto fail;
    for (size_t i = 0; i < e->n; i++) {
        uint32_t f = e->r[i].family;
        e->r[i].routed = f != SW_RENGINE_NO_FAMILY && (!routed_families || routed_families[f]);
    }
    if (route_fits(e) != 0) goto fail;
    route_free(e->route);
    e->route = r;
    return 0;
fail: /* the engine routes nothing */
    for (size_t i = 0; i < e->n; i++) e->r[i].routed = false;
    route_free(e->route);
    e->route = NULL;
    route_free(r);
    return -1;
}
