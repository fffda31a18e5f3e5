/* detector.h -- one stream's detector, whichever rules it runs: the
 * built-in seed engine (engine.h) when no rule is loaded, else the rules
 * engine (rengine.h) over the loaded rules.  `run` keeps one per assigned
 * partition and never asks which it holds: feeding, the counters and the
 * state its checkpoints write (one store per rule; the seed engine's one
 * store) go through this interface, so the Kafka worker, the Redis
 * checkpoints and the metrics are written once for both.
 *
 * A thin dispatch (one branch per call, no allocation): the engines keep
 * every guarantee of their own headers. */
#ifndef SW_DETECTOR_H
#define SW_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "rengine.h"

typedef struct {
    const sw_config *cfg;
    const sw_rulespec *rules; /* NULL (n_rules 0): the built-in seed rule */
    size_t n_rules;
    int64_t max_alerts;       /* rules: < 0 each rule's max_signals, else this cap (engine.h's cfg otherwise) */
    sw_user_budget *budget;   /* keys across a process's detectors; NULL: the detector's own */
    sw_user_budget *tenant_budget; /* seed engine: tenants likewise (rules: per rule, rengine.h) */
    sw_alert_fn on_alert;
    sw_reject_fn on_reject;
    void *ud;
    /* Rules only: the routing stage (rengine.h, sw_rengine_set_route):
     * with route set, the threshold rules of the families routed[f] (NULL:
     * every family) hand their events to route (ud as above) instead of
     * running here.  NULL: every rule runs here. */
    sw_route_fn route;
    const bool *routed;
} sw_detector_opts;

typedef struct sw_detector sw_detector;

/* NULL when out of memory (or a route the rules engine refuses:
 * sw_rengine_set_route).  o->rules must outlive the detector. */
sw_detector *sw_detector_new(const sw_detector_opts *o);
void sw_detector_free(sw_detector *d);

/* As sw_engine_feed. */
void sw_detector_feed(sw_detector *d, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src);

/* The stateful stage: one internal record (sw_rengine_feed_internal);
 * nothing for the seed engine, which has no internal records. */
void sw_detector_feed_internal(sw_detector *d, const char *rec, size_t len, const sw_source *internal_src);

/* The totals, as sw_engine_counters. */
const sw_counters *sw_detector_counters(sw_detector *d);

/* Its state: n stores (1 for the seed engine, one per rule for the rules
 * engine, in rule order), the seed their entry ids hash with, and the
 * newest event time accepted now (sw_engine_future_limit). */
size_t sw_detector_stores(const sw_detector *d);
sw_store *sw_detector_store(sw_detector *d, size_t i);
uint64_t sw_detector_id_seed(const sw_detector *d);
int64_t sw_detector_future_limit(sw_detector *d);
/* The n stores as one array (for checkpoints, state/redis/checkpoint.h),
 * and the name store i is checkpointed under: NULL for the seed engine's
 * (the built-in layout), else its rule's id. */
sw_store *const *sw_detector_store_list(sw_detector *d);
const char *sw_detector_store_name(const sw_detector *d, size_t i);
/* The rolling upgrade (checkpoint.h): the store of the loaded rule that
 * can take over the built-in seed engine's state, or -1.  It is the seed
 * rule's id (SW_RULE_ID) run as a threshold rule over the built-in's key
 * and sessions: grouped by okta.actor.id alone, counting distinct
 * okta.authentication_context.external_session_id values, threshold 1 (so
 * it keeps no counted-event entries, rkey.h).  Its keys are then the
 * built-in's keys, and its distinct-value entries the built-in's sessions
 * with SW_RKEY_VALUE in front of the id (the client, uuid, first and last
 * seen and counts are the same fields of the same events).  Always -1 for
 * the seed engine, whose store is that state. */
long sw_detector_seed_store(const sw_detector *d);

/* Keys tracked now and keys evicted, over every store. */
uint64_t sw_detector_keys(sw_detector *d);
uint64_t sw_detector_evicted(sw_detector *d);

/* Adds each rule's counters into into[0 .. rules) and the events no rule
 * matched into *unmatched; nothing for the seed engine. */
void sw_detector_add_rule_counters(const sw_detector *d, sw_rule_counters *into, uint64_t *unmatched);

#endif
