/* detector.c -- see detector.h. */
#include "detector.h"

#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "summary.h"

struct sw_detector {
    sw_engine *seed; /* exactly one of the two */
    sw_rengine *rules;
    const sw_rulespec *specs; /* the rules engine's, in store order */
    sw_store **stores;        /* every store, for checkpoints */
};

sw_detector *sw_detector_new(const sw_detector_opts *o) {
    sw_detector *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (o->n_rules)
        d->rules = sw_rengine_new_budget(o->cfg, o->rules, o->n_rules, o->max_alerts, o->budget, o->on_alert,
                                         o->on_reject, o->ud);
    else
        d->seed = sw_engine_new_budgets(o->cfg, o->budget, o->tenant_budget, o->on_alert, o->on_reject, o->ud);
    d->specs = o->rules;
    if (d->rules && o->route && sw_rengine_set_route(d->rules, o->routed, o->route, o->ud) != 0) {
        sw_detector_free(d);
        return NULL;
    }
    size_t n = d->rules || d->seed ? sw_detector_stores(d) : 0;
    d->stores = n ? calloc(n, sizeof *d->stores) : NULL;
    if (!d->stores) {
        sw_detector_free(d);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) d->stores[i] = sw_detector_store(d, i);
    return d;
}

void sw_detector_free(sw_detector *d) {
    if (!d) return;
    sw_engine_free(d->seed);
    sw_rengine_free(d->rules);
    free(d->stores);
    free(d);
}

void sw_detector_feed(sw_detector *d, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src) {
    if (d->rules) sw_rengine_feed(d->rules, p, rec, len, cap, src);
    else sw_engine_feed(d->seed, p, rec, len, cap, src);
}

void sw_detector_feed_internal(sw_detector *d, const char *rec, size_t len, const sw_source *internal_src) {
    if (d->rules) sw_rengine_feed_internal(d->rules, rec, len, internal_src);
}

const sw_counters *sw_detector_counters(sw_detector *d) {
    return d->rules ? sw_rengine_counters(d->rules) : sw_engine_counters(d->seed);
}

size_t sw_detector_stores(const sw_detector *d) { return d->rules ? sw_rengine_rules(d->rules) : 1; }

sw_store *sw_detector_store(sw_detector *d, size_t i) {
    return d->rules ? sw_rengine_store(d->rules, i) : sw_engine_store(d->seed);
}

sw_store *const *sw_detector_store_list(sw_detector *d) { return d->stores; }

const char *sw_detector_store_name(const sw_detector *d, size_t i) { return d->rules ? d->specs[i].rule_id : NULL; }

/* Whether rule r keeps its state as the built-in seed engine does (detector.h). */
static int keeps_seed_state(const sw_rulespec *r) {
    static const char key[] = "okta.actor.id", session[] = "okta.authentication_context.external_session_id";
    return r->rule_id && strcmp(r->rule_id, SW_RULE_ID) == 0 && r->type == SW_SPEC_THRESHOLD &&
           r->n_group_by == 1 && (int)r->group_by[0] == sw_catalogue_find(key, sizeof key - 1) &&
           r->cardinality_row >= 0 && r->cardinality_row == sw_catalogue_find(session, sizeof session - 1) &&
           r->cardinality > 0 && r->threshold <= 1;
}

long sw_detector_seed_store(const sw_detector *d) {
    for (size_t i = 0; d->rules && i < sw_detector_stores(d); i++)
        if (keeps_seed_state(&d->specs[i])) return (long)i;
    return -1;
}

uint64_t sw_detector_id_seed(const sw_detector *d) {
    return d->rules ? sw_rengine_id_seed(d->rules) : sw_engine_id_seed(d->seed);
}

int64_t sw_detector_future_limit(sw_detector *d) {
    return d->rules ? sw_rengine_future_limit(d->rules) : sw_engine_future_limit(d->seed);
}

uint64_t sw_detector_keys(sw_detector *d) {
    uint64_t n = 0;
    for (size_t i = 0; i < sw_detector_stores(d); i++) n += sw_store_users(sw_detector_store(d, i));
    return n;
}

uint64_t sw_detector_evicted(sw_detector *d) {
    uint64_t n = 0;
    for (size_t i = 0; i < sw_detector_stores(d); i++) n += sw_detector_store(d, i)->evicted;
    return n;
}

void sw_detector_add_rule_counters(const sw_detector *d, sw_rule_counters *into, uint64_t *unmatched) {
    if (!d->rules) return;
    for (size_t i = 0; i < sw_rengine_rules(d->rules); i++)
        sw_rule_counters_add(&into[i], sw_rengine_rule_counters(d->rules, i));
    *unmatched += sw_rengine_unmatched(d->rules);
}
