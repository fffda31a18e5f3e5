/* rkey.c -- see rkey.h.  Entries are few (the rule's value or cardinality
 * at most, 3 to 5 for Elastic's Okta rules), so they are a list walked per
 * event; a rule with a bound in the thousands pays that walk. */
#include "rkey.h"

#include <string.h>

#include "hash.h"

static inline unsigned id_tag(uint64_t h) { return (unsigned)(h >> 58); } /* as window.c's */

static int64_t window_start(int64_t max_time, int64_t window_ms) {
    if (max_time == SW_TIME_NONE || max_time < INT64_MIN + window_ms) return INT64_MIN;
    return max_time - window_ms;
}

static sw_session *find(const sw_user *u, const char *id, size_t n, unsigned tag) {
    for (sw_session *s = u->sessions; s; s = s->next)
        if (s->tag == tag && s->id_len == n && memcmp(s->data, id, n) == 0) return s;
    return NULL;
}

static int is_kind(const sw_session *s, char kind) { return s->id_len > 0 && s->data[0] == kind; }

/* Unlinks and frees *pp. */
static void drop(sw_user *u, sw_slab *slab, sw_session **pp) {
    sw_session *s = *pp;
    *pp = s->next;
    sw_session_free(slab, s);
    if (u->nsessions) u->nsessions--;
}

static void drop_expired(sw_user *u, sw_slab *slab, char kind, int64_t start) {
    for (sw_session **pp = &u->sessions; *pp;) {
        if (is_kind(*pp, kind) && (*pp)->last_seen < start) drop(u, slab, pp);
        else pp = &(*pp)->next;
    }
}

/* Above the kind's bound: the entry with the oldest last seen goes (the
 * one furthest down the list, i.e. added first, on a tie). */
static void keep_newest(sw_user *u, sw_slab *slab, char kind, uint32_t bound) {
    uint32_t n = 0;
    sw_session **oldest = NULL;
    for (sw_session **pp = &u->sessions; *pp; pp = &(*pp)->next) {
        if (!is_kind(*pp, kind)) continue;
        n++;
        if (!oldest || (*pp)->last_seen <= (*oldest)->last_seen) oldest = pp;
    }
    if (n > bound && oldest) drop(u, slab, oldest);
}

/* The entry kind + text seen at t: updated, or added (step 3). */
static int upsert(sw_user *u, sw_slab *slab, char kind, sw_span text, const sw_rkey_event *ev, int64_t t,
                  int64_t start, uint32_t bound, uint64_t seed, sw_buf *scratch) {
    sw_buf_reset(scratch);
    sw_buf_putc(scratch, kind);
    sw_buf_put(scratch, text.p, text.n);
    if (scratch->oom) return -1;
    uint64_t h = sw_hash64(scratch->p, scratch->len, seed);
    sw_session *s = find(u, scratch->p, scratch->len, id_tag(h));
    if (s) {
        if (t > s->last_seen) s->last_seen = t;
        if (t < s->first_seen) s->first_seen = t;
        if (s->events < UINT32_MAX) s->events++;
        return 0;
    }
    drop_expired(u, slab, kind, start);
    sw_session_info si = ev->client;
    si.id = (sw_span){scratch->p, scratch->len};
    if (!(s = sw_session_new(slab, &si, h, t, t, 1))) return -1;
    s->next = u->sessions;
    u->sessions = s;
    if (u->nsessions < 1023) u->nsessions++;
    keep_newest(u, slab, kind, bound);
    return 0;
}

static uint32_t in_window(const sw_user *u, char kind, int64_t start) {
    uint32_t n = 0;
    for (const sw_session *s = u->sessions; s; s = s->next)
        if (is_kind(s, kind) && s->last_seen >= start) n++;
    return n;
}

sw_observe sw_rkey_observe(sw_user *u, sw_slab *slab, const sw_rkey_shape *sh, int64_t t, const sw_rkey_event *ev,
                           uint64_t seed, sw_buf *scratch) {
    if (u->last_alert != SW_TIME_NONE && t <= u->last_alert) return SW_OBS_COVERED;
    int64_t max_time = (u->max_time == SW_TIME_NONE || t > u->max_time) ? t : u->max_time;
    int64_t start = window_start(max_time, sh->window_ms);
    if (sh->count_events &&
        upsert(u, slab, SW_RKEY_EVENT, ev->identity, ev, t, start, sh->threshold, seed, scratch) != 0)
        return SW_OBS_NOMEM;
    if (sh->cardinality)
        for (size_t i = 0; i < ev->nvalues; i++)
            if (upsert(u, slab, SW_RKEY_VALUE, ev->values[i], ev, t, start, sh->cardinality, seed, scratch) != 0)
                return SW_OBS_NOMEM;
    u->max_time = max_time;
    if (sh->count_events && in_window(u, SW_RKEY_EVENT, start) < sh->threshold) return SW_OBS_COUNTED;
    if (sh->cardinality && in_window(u, SW_RKEY_VALUE, start) < sh->cardinality) return SW_OBS_COUNTED;
    return SW_OBS_ALERT;
}

size_t sw_rkey_collect(const sw_user *u, int64_t window_ms, char kind, const sw_session **out, size_t max) {
    int64_t start = window_start(u->max_time, window_ms);
    size_t n = 0;
    for (const sw_session *s = u->sessions; s && n < max; s = s->next) {
        if (is_kind(s, kind) && s->last_seen >= start) sw_session_insert_ordered(out, n++, s);
    }
    return n;
}
