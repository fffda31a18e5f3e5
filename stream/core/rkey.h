/* rkey.h -- one key of a threshold rule: what it remembers and when it
 * fires (ISSUE14 "Semantics", streaming).
 *
 * A key is (rule, tenant, the values of threshold.field in order), one
 * sw_user entry of the rule's store.  It holds r (its last alert time),
 * maxT (its newest counted event time) and a list of entries, each an
 * sw_session blob (window.h) whose id starts with a kind byte:
 *   'v' + a value of the cardinality field: a distinct value, with first
 *       and last seen, event count and the client and uuid of its first
 *       event (the seed rule's sessions);
 *   'e' + the event's identity (its uuid, else 16 hex digits of a hash of
 *       its bytes): a counted event.  Two events of one identity (a record
 *       delivered twice) are one entry: they count once.
 * For an event at t with r = last alert, W = the window:
 *   1. t <= r: ignored (covered by the previous alert);
 *   2. maxT = max(maxT, t); start = maxT - W;
 *   3. the event's 'e' entry is added (only when the count is a real
 *      condition: threshold.value > 1, or no cardinality), and one 'v'
 *      entry per value of its cardinality field (none when it lacks it);
 *      before a new entry, entries of its kind with last seen < start go;
 *   4. count = 'e' entries with last seen >= start, distinct = 'v'
 *      entries with last seen >= start; fire when count >= value and
 *      distinct >= cardinality (each condition only when it applies);
 *   5. after an alert (sw_rkey_reset): r = maxT, every entry goes.
 * Bounded by the rule's own numbers: a kind holding more entries than its
 * bound (value for 'e', cardinality for 'v') drops its entry with the
 * oldest last seen, which never changes whether 4. holds: count >= value
 * needs only the newest value event times, distinct >= cardinality only
 * the newest cardinality values.  For the seed rule's shape (value 1,
 * cardinality N) this is window.c's state machine step for step, so the
 * same events give the same alerts, sessions and ids. */
#ifndef SW_RKEY_H
#define SW_RKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"
#include "window.h"

#define SW_RKEY_VALUE 'v'
#define SW_RKEY_EVENT 'e'

typedef struct {
    int64_t window_ms;
    uint32_t threshold;    /* value, >= 1 */
    uint32_t cardinality;  /* 0: none */
    bool count_events;     /* keep 'e' entries (see 3.) */
} sw_rkey_shape;

/* What one event brings to a key. */
typedef struct {
    sw_session_info client;  /* ip, user agent, geo, uuid of the event (id unused) */
    sw_span identity;        /* the event's identity (see 'e') */
    const sw_span *values;   /* its cardinality field's values */
    size_t nvalues;
} sw_rkey_event;

/* Applies one event at t (steps 1-4).  scratch holds the entry ids it
 * builds; seed is the entry id hash's seed. */
sw_observe sw_rkey_observe(sw_user *u, sw_slab *slab, const sw_rkey_shape *sh, int64_t t, const sw_rkey_event *ev,
                           uint64_t seed, sw_buf *scratch);

/* The entries of kind in the window, ordered by last seen then id (as
 * sw_window_collect orders sessions); at most max. */
size_t sw_rkey_collect(const sw_user *u, int64_t window_ms, char kind, const sw_session **out, size_t max);

/* The text of an entry (its id without the kind byte). */
static inline const char *sw_rkey_text(const sw_session *s) { return sw_session_id(s) + 1; }
static inline size_t sw_rkey_text_len(const sw_session *s) { return s->id_len - 1; }

/* After an alert: r = maxT, every entry goes. */
static inline void sw_rkey_reset(sw_user *u, sw_slab *slab) { sw_window_reset(u, slab); }

#endif
