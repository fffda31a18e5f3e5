/* detector.c -- see detector.h. */
#include "detector.h"

#include <stdlib.h>

struct sw_detector {
    sw_engine *seed; /* exactly one of the two */
    sw_rengine *rules;
};

sw_detector *sw_detector_new(const sw_detector_opts *o) {
    sw_detector made = {NULL, NULL};
    if (o->n_rules)
        made.rules = sw_rengine_new_budget(o->cfg, o->rules, o->n_rules, o->max_alerts, o->budget, o->on_alert,
                                           o->on_reject, o->ud);
    else
        made.seed = sw_engine_new_budgets(o->cfg, o->budget, o->tenant_budget, o->on_alert, o->on_reject, o->ud);
    sw_detector *d = made.seed || made.rules ? malloc(sizeof *d) : NULL;
    if (d) {
        *d = made;
        return d;
    }
    sw_engine_free(made.seed);
    sw_rengine_free(made.rules);
    return NULL;
}

void sw_detector_free(sw_detector *d) {
    if (!d) return;
    sw_engine_free(d->seed);
    sw_rengine_free(d->rules);
    free(d);
}

void sw_detector_feed(sw_detector *d, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src) {
    if (d->rules) sw_rengine_feed(d->rules, p, rec, len, cap, src);
    else sw_engine_feed(d->seed, p, rec, len, cap, src);
}

const sw_counters *sw_detector_counters(sw_detector *d) {
    return d->rules ? sw_rengine_counters(d->rules) : sw_engine_counters(d->seed);
}

size_t sw_detector_stores(const sw_detector *d) { return d->rules ? sw_rengine_rules(d->rules) : 1; }

sw_store *sw_detector_store(sw_detector *d, size_t i) {
    return d->rules ? sw_rengine_store(d->rules, i) : sw_engine_store(d->seed);
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

const sw_rengine *sw_detector_rules(const sw_detector *d) { return d->rules; }
