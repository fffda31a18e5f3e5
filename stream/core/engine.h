/* engine.h -- one record in, zero or more alerts out: the detector.
 *
 * The engine joins the pieces on the hot path:
 *   record -> prefilter -> extract (simdjson) -> rule -> lateness -> window
 *   state -> alert id + JSON -> sink
 * and counts every record's fate.  One engine owns one sw_store (a Kafka
 * partition's state, or a whole `scan`), and must be fed by one thread at a
 * time; the sw_parser it borrows belongs to that thread, and holds the
 * record's events (so engines carry no per-record scratch of their own).
 * Nothing on this path allocates once the state and the alert buffer have
 * grown to their working size. */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "extract.h"
#include "rule.h"
#include "store.h"

typedef struct {
    uint64_t records;      /* records (lines / messages) fed */
    uint64_t events;       /* events seen in parsed records (array pages hold several) */
    uint64_t prefiltered;  /* records skipped unparsed by the prefilter */
    uint64_t eligible;     /* events that passed the rule's query and were in time */
    uint64_t covered;      /* eligible events at or before the key's last alert */
    uint64_t alerts;       /* alerts emitted */
    uint64_t alerts_capped;/* alerts suppressed by --max-alerts */
    uint64_t nomem;        /* events dropped because state could not grow */
    uint64_t cap_evicted;  /* keys evicted to stay within --max-tracked-users */
    uint64_t verdict[SW_VERDICT_COUNT]; /* filtered and rejected, by reason */
} sw_counters;

/* An alert ready to publish; valid during the callback only. */
typedef struct {
    const char *json;          /* one JSON object, no newline */
    size_t json_len;
    const char *alert_id;      /* SW_ALERT_ID_LEN hex digits */
    const char *rule_id;       /* the rule that fired (SW_RULE_ID for the built-in seed rule) */
    const char *tenant;
    size_t tenant_len;
    const char *actor;
    size_t actor_len;
    const sw_source *source;
    const sw_alert *alert;     /* the whole alert: names, sessions of Q (built-in seed rule; else NULL) */
} sw_alert_out;

typedef void (*sw_alert_fn)(void *ud, const sw_alert_out *a);
/* rec/len is the whole record; src->index names the array element, if any. */
typedef void (*sw_reject_fn)(void *ud, sw_verdict why, const char *rec, size_t len,
                             const sw_source *src);

typedef struct sw_engine sw_engine;

/* NULL when out of memory.  on_reject may be NULL.  The engine's keys
 * count against budget (shared by a process's engines), or, when NULL,
 * against a budget of its own of cfg->max_tracked_users. */
sw_engine *sw_engine_new(const sw_config *cfg, sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud);
sw_engine *sw_engine_new_budget(const sw_config *cfg, sw_user_budget *budget, sw_alert_fn on_alert,
                                sw_reject_fn on_reject, void *ud);
/* As sw_engine_new_budget; the engine's tenants count against
 * tenant_budget, or, when NULL, against one of its own of cfg->max_tenants. */
sw_engine *sw_engine_new_budgets(const sw_config *cfg, sw_user_budget *budget, sw_user_budget *tenant_budget,
                                 sw_alert_fn on_alert, sw_reject_fn on_reject, void *ud);
void sw_engine_free(sw_engine *e);

/* Feeds one record.  rec[0 .. cap) must be readable (cap >= len); with
 * cap >= len + SW_PADDING it is parsed in place. */
void sw_engine_feed(sw_engine *e, sw_parser *p, const char *rec, size_t len, size_t cap,
                    const sw_source *src);

/* Counts a record that was too large to even buffer (the reader skipped
 * it); prefix is its first bytes, for the rejects output. */
void sw_engine_reject_oversize(sw_engine *e, const char *prefix, size_t len, const sw_source *src);

/* What an engine reports to, its clock and its hash seed: the part the
 * seed engine and the rules engine (rengine.h) share (engine_io.c). */
typedef struct {
    sw_alert_fn on_alert;
    sw_reject_fn on_reject; /* may be NULL */
    void *ud;
    int64_t (*now_ms)(void);
    const sw_config *cfg; /* its max_clock_skew_ms, read each time; 0: no bound (scan) */
    int64_t future_limit; /* the clock + skew_ms when last read */
    uint64_t id_seed;     /* the seed of the engine's session id hashes */
} sw_engine_io;

void sw_engine_io_init(sw_engine_io *io, const sw_config *cfg, sw_alert_fn on_alert, sw_reject_fn on_reject,
                       void *ud);
/* The clock (NULL: the wall clock). */
void sw_engine_io_set_clock(sw_engine_io *io, int64_t (*now_ms)(void));
/* As sw_engine_future_limit. */
int64_t sw_engine_io_future_limit(sw_engine_io *io);
/* Whether t is beyond the clock + the skew.  The clock is read again only
 * when t passes the bound last computed, so an event in the past costs
 * one compare. */
int sw_engine_io_too_early(sw_engine_io *io, int64_t t);
/* Counts a record rejected with why in c and hands it to on_reject. */
void sw_engine_io_reject(const sw_engine_io *io, sw_counters *c, sw_verdict why, const char *rec, size_t len,
                         const sw_source *src);

/* One record's events, for an engine's feed: extracts them with p and
 * calls fn(ud, event, rec, len, src) for each, src->index numbering the
 * elements of a top-level array (UINT32_MAX for a plain object).  Returns
 * SW_ELIGIBLE, or the reason to reject the whole record (what the
 * extractor refused; then fn was not called).  *n_events: how many. */
typedef void (*sw_event_fn)(void *ud, const sw_event *ev, const char *rec, size_t len, const sw_source *src);
sw_verdict sw_record_each(sw_parser *p, const char *rec, size_t len, size_t cap, const char *tenant_field,
                          const sw_source *src, sw_event_fn fn, void *ud, size_t *n_events);

/* The reason a record the extractor refused is rejected under. */
sw_verdict sw_extract_verdict(sw_xstatus x);

const sw_counters *sw_engine_counters(sw_engine *e);
sw_store *sw_engine_store(sw_engine *e);
/* The seed of the engine's session id hashes (restoring a checkpoint into
 * its store needs it). */
uint64_t sw_engine_id_seed(const sw_engine *e);

/* Overrides the wall clock used for detected_at and the too_early bound
 * (tests); NULL restores it. */
void sw_engine_set_clock(sw_engine *e, int64_t (*now_ms)(void));
/* The newest event time accepted now: the clock + cfg->max_clock_skew_ms
 * (events after it are rejected too_early), INT64_MAX when the skew is 0
 * (scan: no bound). */
int64_t sw_engine_future_limit(sw_engine *e);

#endif
