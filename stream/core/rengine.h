/* rengine.h -- the rules engine: every loaded query and threshold rule
 * (rulespec.h) over one stream of records, from one parse of each record.
 *
 *   record -> the rule index's raw skip (ruleindex.h)
 *          -> extract, in one walk: the seed's fields (tenant, time, names,
 *             client) and the catalogue values the rules read (sw_event.fields)
 *          -> the rules the event's type selects (ruleindex.h)
 *          -> per rule: KQL match -> time, lateness -> query: one alert;
 *             threshold: group keys -> rkey.h's window -> alert
 *          -> ralert.h's id + JSON -> sink
 *
 * It is the seed engine (engine.h) generalised, and behaves as it does
 * per rule: records the extractor refuses are rejected whole; an event's
 * tenant is --tenant / --tenant-field (sw_rule_tenant); its time is
 * sw_rule_event_time, with event.ingested (ECS input, when present) for a
 * rule whose timestamp_override is event.ingested; an event past the
 * clock + --max-clock-skew is too_early; each rule has its own store
 * (state/memory): per tenant a watermark over the rule's keys (a query
 * rule's "keys" are the events' actors), lateness judged against the
 * rule's window + --allowed-lateness, stale keys evicted; the alert cap is
 * per tenant, per rule, per interval bucket of event time, at the rule's
 * max_signals (or --max-alerts when given).  Keys of every rule count
 * against one budget (--max-tracked-users), tenants against one
 * --max-tenants budget per rule.
 *
 * An event whose event type, or a field a selected rule reads that the
 * seed rule also reads (actor id and name, session id, dataset), holds a
 * number, boolean, object or array is rejected as wrong_type before any
 * query runs on it, as the built-in engine rejects it (rtypes.h).
 * An event that a rule matched but is too late, too early or has a bad
 * time is rejected once (to on_reject) with that reason, whatever the
 * other rules did with it.  Events no rule matches are counted in
 * unmatched.  A record whose bytes hold no event type that any rule
 * requires is skipped unparsed and counted in prefiltered (never when a
 * rule constrains no event type, nor with cfg->prefilter off:
 * --no-prefilter parses every record).  sw_rengine_feed sets the catalogue rows
 * the rules read on the parser it is given (load time: once per parser).
 * Once the state has grown, nothing on this path allocates.
 *
 * The threshold path reads a "counted event" (tenant, identity, the
 * evidence fields, the source; per rule its time and cardinality values;
 * the group's values), built from the extracted event or from an internal
 * record (irecord.h), so that it can run in two stages (ISSUE15, below):
 * a ROUTING engine reads the raw records, runs the query rules and hands
 * each routed threshold rule's events on as internal records, one per key
 * family and group; a STATEFUL engine fed those records (partitioned by
 * their key) holds the windows and gives the alerts the one-engine path
 * gives, naming the original records. */
#ifndef SW_RENGINE_H
#define SW_RENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "rulespec.h"

/* An event whose group-by fields hold arrays counts for at most this many
 * keys (the cross product, first fields varying slowest); an event whose
 * product was cut is counted in groups_dropped. */
#define SW_RENGINE_MAX_GROUPS 64

typedef struct {
    uint64_t matched;       /* events the rule's query matched */
    uint64_t counted;       /* matched and in time (threshold: and holding every group-by field) */
    uint64_t no_group;      /* threshold: matched, but a group-by field is missing */
    uint64_t groups_dropped;/* events with more than SW_RENGINE_MAX_GROUPS keys */
    uint64_t too_late;
    uint64_t covered;       /* threshold: at or before the key's last alert */
    uint64_t alerts;
    uint64_t alerts_capped;
    uint64_t nomem;
} sw_rule_counters;

typedef struct sw_rengine sw_rengine;

/* rules[0 .. n) must outlive the engine.  max_alerts < 0: each rule's cap
 * is its max_signals; else this cap for every rule (0: none).  NULL when
 * out of memory. */
sw_rengine *sw_rengine_new(const sw_config *cfg, const sw_rulespec *rules, size_t n, int64_t max_alerts,
                           sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud);
/* As sw_rengine_new; the keys of every rule count against keys (shared
 * by a process's engines: `run`'s partitions), or, when NULL, against a
 * budget of the engine's own of cfg->max_tracked_users. */
sw_rengine *sw_rengine_new_budget(const sw_config *cfg, const sw_rulespec *rules, size_t n, int64_t max_alerts,
                                  sw_user_budget *keys, sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud);
void sw_rengine_free(sw_rengine *e);

/* As sw_engine_feed. */
void sw_rengine_feed(sw_rengine *e, sw_parser *p, const char *rec, size_t len, size_t cap, const sw_source *src);
void sw_rengine_reject_oversize(sw_rengine *e, const char *prefix, size_t len, const sw_source *src);

/* The totals (alerts of every rule, rejects by reason, ...). */
const sw_counters *sw_rengine_counters(sw_rengine *e);
const sw_rule_counters *sw_rengine_rule_counters(const sw_rengine *e, size_t i);
/* Events no rule matched. */
uint64_t sw_rengine_unmatched(const sw_rengine *e);
/* Keys tracked now, and keys evicted behind their tenant's watermark. */
uint64_t sw_rengine_keys(const sw_rengine *e);
uint64_t sw_rengine_evicted(const sw_rengine *e);
void sw_rengine_set_clock(sw_rengine *e, int64_t (*now_ms)(void));

/* The rules' state, for checkpoints and measurements (bench/growth):
 * rule i's store (rules[i] of sw_rengine_new: its keys, slab and
 * tenants), the seed of the entry id hashes (restoring a store
 * needs it) and the too_early bound (sw_engine_future_limit). */
size_t sw_rengine_rules(const sw_rengine *e);
sw_store *sw_rengine_store(sw_rengine *e, size_t i);
uint64_t sw_rengine_id_seed(const sw_rengine *e);
int64_t sw_rengine_future_limit(sw_rengine *e);

/* ---- two stages: routing and stateful (ISSUE15) --------------------------
 *
 * A threshold rule's key family is its ordered list of group-by catalogue
 * rows; its name joins the fields' ECS names with '+' ("okta.actor.id",
 * "okta.actor.alternate_id+okta.event_type").  sw_rengine_families gives
 * family_of[i] (SW_RENGINE_NO_FAMILY for a query rule), numbered from 0 in
 * the order of each family's first rule; returns the number of families. */
#define SW_RENGINE_NO_FAMILY UINT32_MAX
size_t sw_rengine_families(const sw_rulespec *rules, size_t n, uint32_t *family_of);
/* The family's name into buf (cut at cap, NUL-terminated when cap > 0);
 * returns its full length, as snprintf. */
size_t sw_rengine_family_name(const sw_rulespec *rule, char *buf, size_t cap);
/* The engine's families (sw_rengine_families of its rules). */
size_t sw_rengine_family_count(const sw_rengine *e);
uint32_t sw_rengine_rule_family(const sw_rengine *e, size_t i);

/* ROUTING.  Once set, the threshold rules of the families routed[f] (NULL:
 * every family) are not run here: for each event that one of them matched
 * in time (its time read and checked for bad_time and too_early here, as
 * every reject but too_late and too_many_tenants, which need the key
 * state), and for each combination of the family's group-by values (the
 * same cross product and SW_RENGINE_MAX_GROUPS bound as the local path),
 * ONE internal record (irecord.h) carrying every such rule of the family is
 * handed to fn with the family, the key to partition it by (tenant 0x1F
 * value [0x1F value ...]) and the event's source; the bytes are valid
 * until fn returns.  Query rules and the other threshold rules run as
 * before.  An event time outside SW_IREC_MIN_TIME .. SW_IREC_MAX_TIME
 * (years 0000..9999: only --time-field kafka can give one) is bad_time
 * for a routed rule.  Such a rule's counters here are matched, no_group and
 * groups_dropped (nomem: a record that could not be built); counted,
 * too_late and the alerts are the stateful stage's, so that the sum of
 * both stages' counters counts each event once.  -1 (and nothing routed) when out of
 * memory, when a family holds more than SW_IREC_MAX_RULES rules or when
 * two threshold rules share a rule-id hash (irecord.h). */
typedef void (*sw_route_fn)(void *ud, uint32_t family, const char *key, size_t key_len, const char *rec, size_t len,
                            const sw_source *src);
int sw_rengine_set_route(sw_rengine *e, const bool *routed, sw_route_fn fn, void *ud);

/* STATEFUL.  Decodes one internal record and runs the engine's threshold
 * rules it names (by rule-id hash) on its group exactly as the local path
 * does: lateness, the key's window and the alert, whose source is the
 * ORIGINAL record's (the record's own source).  An entry for a rule the
 * engine does not hold (or holds with another number of group-by fields)
 * is counted in sw_rengine_internal_skipped and skipped.  A record that
 * does not decode (foreign bytes, a future version) is rejected as
 * malformed_json (SW_R_MALFORMED: "not a record this build reads") with
 * internal_src, as is a too_late or too_many_tenants verdict here.  The
 * engine's records and events stay the input's (the routing stage counted
 * the record): the caller counts internal records; counted and eligible
 * count per rule per internal record in time. */
void sw_rengine_feed_internal(sw_rengine *e, const char *rec, size_t len, const sw_source *internal_src);
uint64_t sw_rengine_internal_skipped(const sw_rengine *e);

#endif
