/* engine.c -- see engine.h. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hash.h"
#include "prefilter.h"

#define SWEEP_PER_EVENT 4

struct sw_engine {
    const sw_config *cfg;
    sw_store store;
    sw_counters c;
    sw_engine_io io;
    sw_buf json, scratch;
    sw_user_budget own_budget, own_tenant_budget;
    /* No event array: a record's events live in the feeding thread's
     * parser (sw_parser_extract_events), so an engine per Kafka partition
     * costs its state, not 1000 events' worth of scratch. */
};

sw_engine *sw_engine_new(const sw_config *cfg, sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud) {
    return sw_engine_new_budget(cfg, NULL, on_alert, on_reject, ud);
}

sw_engine *sw_engine_new_budget(const sw_config *cfg, sw_user_budget *budget, sw_alert_fn on_alert,
                                sw_reject_fn on_reject, void *ud) {
    return sw_engine_new_budgets(cfg, budget, NULL, on_alert, on_reject, ud);
}

sw_engine *sw_engine_new_budgets(const sw_config *cfg, sw_user_budget *budget, sw_user_budget *tenant_budget,
                                 sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud) {
    sw_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (sw_store_init(&e->store, cfg->window_ms, cfg->lateness_ms) != 0) {
        free(e);
        return NULL;
    }
    if (!budget && cfg->max_tracked_users) {
        e->own_budget.max = cfg->max_tracked_users;
        budget = &e->own_budget;
    }
    if (budget) sw_store_set_budget(&e->store, budget);
    if (!tenant_budget && cfg->max_tenants) {
        e->own_tenant_budget.max = cfg->max_tenants;
        tenant_budget = &e->own_tenant_budget;
    }
    if (tenant_budget) sw_store_set_tenant_budget(&e->store, tenant_budget);
    e->cfg = cfg;
    sw_engine_io_init(&e->io, cfg, on_alert, on_reject, ud);
    return e;
}

void sw_engine_free(sw_engine *e) {
    if (!e) return;
    sw_store_destroy(&e->store);
    sw_buf_free(&e->json);
    sw_buf_free(&e->scratch);
    free(e);
}

/* cap_evicted is the store's own count: it also holds the keys a
 * checkpoint load evicted to stay within the budget. */
const sw_counters *sw_engine_counters(sw_engine *e) {
    e->c.cap_evicted = e->store.cap_evicted;
    return &e->c;
}
sw_store *sw_engine_store(sw_engine *e) { return &e->store; }
uint64_t sw_engine_id_seed(const sw_engine *e) { return e->io.id_seed; }
void sw_engine_set_clock(sw_engine *e, int64_t (*now_ms)(void)) { sw_engine_io_set_clock(&e->io, now_ms); }
int64_t sw_engine_future_limit(sw_engine *e) { return sw_engine_io_future_limit(&e->io); }

static void reject(sw_engine *e, sw_verdict why, const char *rec, size_t len, const sw_source *src) {
    sw_engine_io_reject(&e->io, &e->c, why, rec, len, src);
}

void sw_engine_reject_oversize(sw_engine *e, const char *prefix, size_t len, const sw_source *src) {
    e->c.records++;
    reject(e, SW_R_TOO_LARGE, prefix, len, src);
}

static sw_span span(const sw_value *v) {
    return v->type == SW_STRING ? (sw_span){v->p, v->n} : (sw_span){"", 0};
}

/* ev is the event that completed the alert: its names are the alert's. */
static void emit(sw_engine *e, sw_tenant *t, sw_user *u, const sw_event *ev, int64_t time_ms,
                 const sw_source *src) {
    const sw_session *q[SW_MAX_SESSIONS];
    size_t nq = sw_window_collect(u, e->cfg->window_ms, q, SW_MAX_SESSIONS);
    if (e->cfg->max_alerts) {
        int take = sw_store_cap_take(&e->store, t, time_ms, e->cfg->max_alerts);
        if (take < 0) {
            e->c.nomem++;
            return;
        }
        if (take == 0) {
            e->c.alerts_capped++;
            return;
        }
    }
    sw_alert a = {
        .tenant = t->k.key, .tenant_len = t->k.key_len, .user = u,
        .name = span(&ev->f[SW_F_ACTOR_NAME]), .alt = span(&ev->f[SW_F_ACTOR_ALT]), .q = q, .nq = nq,
        .event_time = time_ms, .detected_at = e->io.now_ms(), .source = src, .config = e->cfg,
    };
    char id[SW_ALERT_ID_LEN + 1];
    sw_alert_id(&a, &e->scratch, id);
    sw_buf_reset(&e->json);
    sw_alert_write(&e->json, &a, id);
    if (e->json.oom) {
        e->c.nomem++;
        return;
    }
    e->c.alerts++;
    sw_alert_out out = {
        .json = e->json.p, .json_len = e->json.len, .alert_id = id, .rule_id = SW_RULE_ID,
        .tenant = t->k.key, .tenant_len = t->k.key_len,
        .actor = sw_alert_actor(&a), .actor_len = sw_alert_actor_len(&a), .source = src, .alert = &a,
    };
    if (e->io.on_alert) e->io.on_alert(e->io.ud, &out);
}

static void process_event(void *engine, const sw_event *ev, const char *rec, size_t len, const sw_source *src) {
    sw_engine *e = engine;
    const sw_config *cfg = e->cfg;
    int64_t t;
    sw_verdict v = sw_rule_check(cfg, ev, src->kafka_time_ms, &t);
    if (v != SW_ELIGIBLE) {
        if (sw_verdict_is_reject(v)) reject(e, v, rec, len, src);
        else e->c.verdict[v]++;
        return;
    }

    sw_span tenant;
    v = sw_rule_tenant(cfg, ev, &tenant.p, &tenant.n);
    if (v != SW_ELIGIBLE) {
        reject(e, v, rec, len, src);
        return;
    }

    if (sw_engine_io_too_early(&e->io, t)) {
        reject(e, SW_R_TOO_EARLY, rec, len, src);
        return;
    }
    sw_store *st = &e->store;
    int over_budget;
    sw_tenant *ten = sw_store_tenant_get(st, tenant.p, tenant.n, &over_budget);
    if (!ten) {
        if (over_budget) reject(e, SW_R_TOO_MANY_TENANTS, rec, len, src);
        else e->c.nomem++;
        return;
    }
    if (t < sw_store_horizon(st, ten)) {
        reject(e, SW_R_TOO_LATE, rec, len, src);
        return;
    }
    const sw_value *actor = &ev->f[SW_F_ACTOR_ID];
    sw_store_advance_actor(ten, actor->p, actor->n, t);
    e->c.eligible++;

    sw_user *u = sw_store_user(st, ten, actor->p, actor->n);
    if (!u) {
        e->c.nomem++;
        return;
    }
    sw_store_touch(st, u);
    sw_session_info si = {
        .id = span(&ev->f[SW_F_SESSION_ID]),
        .ip = span(&ev->f[SW_F_CLIENT_IP]),
        .user_agent = span(&ev->f[SW_F_USER_AGENT]),
        .country = span(&ev->f[SW_F_COUNTRY]),
        .city = span(&ev->f[SW_F_CITY]),
        .uuid = span(&ev->f[SW_F_UUID]),
    };
    uint64_t id_hash = sw_hash64(si.id.p, si.id.n, e->io.id_seed);
    switch (sw_window_observe(u, &st->slab, t, &si, id_hash, cfg->window_ms, cfg->min_sessions)) {
    case SW_OBS_COVERED: e->c.covered++; break;
    case SW_OBS_COUNTED: break;
    case SW_OBS_NOMEM: e->c.nomem++; break;
    case SW_OBS_ALERT:
        emit(e, ten, u, ev, t, src);
        sw_window_reset(u, &st->slab);
        break;
    }
    sw_store_sweep(st, SWEEP_PER_EVENT);
}

sw_verdict sw_extract_verdict(sw_xstatus x) {
    switch (x) {
    case SW_X_NOT_OBJECT: return SW_R_WRONG_TYPE;
    case SW_X_DUPLICATE_KEY: return SW_R_DUPLICATE_KEY;
    case SW_X_TOO_MANY:
    case SW_X_TOO_LARGE: return SW_R_TOO_LARGE;
    default: return SW_R_MALFORMED;
    }
}

static int is_array(const char *rec, size_t len) {
    size_t first = 0;
    while (first < len && (rec[first] == ' ' || rec[first] == '\t' || rec[first] == '\r' || rec[first] == '\n'))
        first++;
    return first < len && rec[first] == '[';
}

sw_verdict sw_record_each(sw_parser *p, const char *rec, size_t len, size_t cap, const char *tenant_field,
                          const sw_source *src, sw_event_fn fn, void *ud, size_t *n_events) {
    const sw_event *events;
    *n_events = 0;
    sw_xstatus x = sw_parser_extract_events(p, rec, len, cap, tenant_field, &events, n_events);
    if (x != SW_X_OK) return sw_extract_verdict(x);
    int array = is_array(rec, len);
    sw_source s = *src;
    for (size_t i = 0; i < *n_events; i++) {
        /* A plain object has no index; an array's elements are numbered. */
        s.index = array ? (uint32_t)i : UINT32_MAX;
        fn(ud, &events[i], rec, len, &s);
    }
    return SW_ELIGIBLE;
}

void sw_engine_feed(sw_engine *e, sw_parser *p, const char *rec, size_t len, size_t cap,
                    const sw_source *src) {
    e->c.records++;
    if (len > e->cfg->max_record_bytes) {
        reject(e, SW_R_TOO_LARGE, rec, len, src);
        return;
    }
    if (e->cfg->prefilter && !sw_prefilter_may_match(rec, len)) {
        e->c.prefiltered++;
        e->c.verdict[SW_V_NOT_SESSION_START]++;
        return;
    }
    size_t n = 0;
    sw_verdict v = sw_record_each(p, rec, len, cap, e->cfg->tenant_field, src, process_event, e, &n);
    e->c.events += n;
    if (v != SW_ELIGIBLE) reject(e, v, rec, len, src);
}
