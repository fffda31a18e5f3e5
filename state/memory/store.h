/* store.h -- all window state of one partition (or of one `scan`): the
 * users table, the tenants table and the slab they allocate from.
 *
 * A store is owned by exactly one thread; nothing in it is locked.
 *
 * Tenants carry the per-tenant watermark that lateness and eviction are
 * judged against, so one tenant's lagging feed never makes another's
 * events late, and the per-tenant alert-cap buckets.
 *
 * The watermark is robust to a few forged or clock-skewed records: it is
 * the SW_WM_ACTORS-th largest of the newest eligible event times of the
 * tenant's distinct actors (each tenant keeps a fixed array of its top
 * SW_WM_ACTORS (time, actor hash) pairs, one per actor).  Records of fewer
 * than SW_WM_ACTORS actors, however far in the future, cannot move it;
 * until that many actors were seen the tenant has no watermark (nothing is
 * too late, nothing is evicted).  It only grows, so eviction on access
 * stays deterministic, and it costs O(SW_WM_ACTORS) per eligible event
 * with no allocation.
 *
 * Eviction is defined on access, which makes it deterministic: a key whose
 * maxT < watermark - (W + L) is forgotten when it is next touched, exactly
 * as if it had been removed the moment the watermark passed it.  A sweep
 * that examines a few entries per event reclaims such keys' memory in the
 * background; when it runs never changes a result.
 *
 * Bounded memory: keys count against a per-process budget
 * (--max-tracked-users) and tenants against another (--max-tenants); a
 * tenant costs the same whatever W and L are, because its alert-cap
 * buckets are allocated lazily, only for buckets that hold alerts and can
 * still change.
 *
 * Change tracking (for checkpoints, off unless sw_store_track is called):
 * a key the engine touches is marked dirty and its entry position listed
 * once; a key the sweep deletes has its table key appended to a list of
 * gone keys; a tenant whose watermark or cap changes is marked dirty.  A
 * checkpoint writes exactly those, then sw_store_tracked_clear forgets
 * them.  The lists grow by doubling (no per-event allocation once warm);
 * if one cannot grow, the store falls back to "everything is dirty". */
#ifndef SW_STORE_H
#define SW_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "slab.h"
#include "table.h"
#include "window.h"

/* The alert cap counts alerts per tenant per 30-minute bucket of event
 * time (the seed rule runs every 30 minutes and creates at most max_signals
 * alerts per run). */
#define SW_CAP_BUCKET_MS (30LL * 60 * 1000)

typedef struct {
    int64_t bucket; /* bucket number, or SW_TIME_NONE when the slot is free */
    uint32_t count; /* alerts let through in it */
} sw_cap_slot;

/* How many distinct actors must be ahead of a time for it to be a
 * tenant's watermark (see above): SW_WM_ACTORS - 1 forged actors cannot
 * move it. */
#define SW_WM_ACTORS 4

typedef struct {
    int64_t time;   /* the actor's newest eligible event time */
    uint64_t actor; /* sw_store_actor_hash of its id */
} sw_wm_actor;

typedef struct {
    sw_tkey k;           /* the tenant name */
    uint32_t index;      /* position in the tenants table: tenants are never
                            deleted, so it is stable and names them in user keys */
    int64_t watermark;   /* top[SW_WM_ACTORS - 1].time once ntop == SW_WM_ACTORS, else SW_TIME_NONE */
    sw_wm_actor top[SW_WM_ACTORS]; /* newest first; ntop are set */
    sw_cap_slot *cap;    /* ncap buckets holding alerts (NULL until the first), see sw_store_cap_take */
    uint16_t ncap, cap_alloc;
    uint8_t ntop;
    uint8_t dirty;       /* watermark or cap changed since the last checkpoint */
} sw_tenant;

/* The most keys the stores of a process may track together
 * (--max-tracked-users), shared by them: a store over the budget evicts
 * one of its own keys for each one it creates.  The count is the only
 * shared thing, one relaxed atomic add per key created or deleted. */
typedef struct {
    uint64_t max;
    atomic_uint_fast64_t count;
} sw_user_budget;

typedef struct {
    sw_slab slab;
    sw_table users;   /* of sw_user */
    sw_table tenants; /* of sw_tenant */
    char *keybuf;     /* scratch for (tenant index, actor id) keys */
    size_t keybuf_cap;
    int64_t horizon_ms; /* W + L */
    uint32_t cap_slots; /* most buckets remembered per tenant: (W + L) / bucket + 3 */
    int64_t cap_bucket_ms; /* the alert cap's bucket: SW_CAP_BUCKET_MS unless set */
    uint32_t sweep_cursor;
    uint32_t last_pos;  /* position of the key sw_store_user returned last */
    uint64_t evicted;   /* keys forgotten because they fell behind the watermark */
    uint64_t cap_evicted; /* keys forgotten to stay within the budget */
    sw_user_budget *budget; /* NULL: no limit */
    sw_user_budget *tenant_budget; /* --max-tenants; NULL: no limit */
    uint64_t tenants_refused; /* tenants not created: over tenant_budget */
    uint64_t rng;       /* sampling the key to evict */
    /* Change tracking, see above. */
    int track;
    int all_dirty;       /* a list could not grow: every key counts as dirty */
    uint32_t *dirty;     /* entry positions of dirty keys (may repeat or be stale) */
    uint32_t ndirty, dirty_cap;
    char *gone;          /* u32 length + table key, per key deleted by the sweep */
    size_t gone_len, gone_cap;
} sw_store;

int sw_store_init(sw_store *s, int64_t window_ms, int64_t lateness_ms);
void sw_store_destroy(sw_store *s);

/* The tenant named p[0..n), created on first use; NULL when out of memory
 * or when creating it would exceed the tenant budget (then *over_budget is
 * set, if over_budget is not NULL, and tenants_refused counted). */
sw_tenant *sw_store_tenant_get(sw_store *s, const char *p, size_t n, int *over_budget);
static inline sw_tenant *sw_store_tenant(sw_store *s, const char *p, size_t n) {
    return sw_store_tenant_get(s, p, n, NULL);
}
/* Counts this store's tenants against b from now on (call while empty). */
void sw_store_set_tenant_budget(sw_store *s, sw_user_budget *b);

/* The hash that names an actor in a tenant's top list: a fixed seed, so
 * that a list restored by another process names the same actors. */
uint64_t sw_store_actor_hash(const char *actor, size_t n);
/* Applies one eligible event time of actor (its hash) to t's top list and
 * watermark; marks t dirty when they change. */
void sw_store_advance(sw_tenant *t, uint64_t actor_hash, int64_t time_ms);
/* The same, hashing the actor only when the time can enter the list. */
static inline void sw_store_advance_actor(sw_tenant *t, const char *actor, size_t n, int64_t time_ms) {
    if (t->ntop == SW_WM_ACTORS && time_ms <= t->top[SW_WM_ACTORS - 1].time) return; /* cannot change it */
    sw_store_advance(t, sw_store_actor_hash(actor, n), time_ms);
}
const sw_tenant *sw_store_tenant_at(const sw_store *s, uint32_t index);

/* The alert cap: 1 if one more alert at time_ms may go out for tenant t
 * (and counts it), 0 if its bucket already holds max alerts, -1 when out
 * of memory for a first bucket.  An alert is never older than the
 * tenant's horizon (older events are too late), so buckets behind it are
 * dropped; the rest are kept, at most cap_slots of them (the oldest goes
 * first), which covers every bucket an alert can land in while the
 * tenant's actors stay within W + L + 1 h of each other.  A tenant that
 * never alerted holds no bucket. */
int sw_store_cap_take(sw_store *s, sw_tenant *t, int64_t time_ms, uint32_t max);
/* The width of the alert cap's buckets (a rule's interval; default
 * SW_CAP_BUCKET_MS); call while the store holds no bucket. */
void sw_store_set_cap_bucket(sw_store *s, int64_t bucket_ms);

/* Time before which a tenant's events are too late and its keys stale
 * (watermark - (W + L)); INT64_MIN while the tenant has no watermark. */
int64_t sw_store_horizon(const sw_store *s, const sw_tenant *t);

/* The key (tenant, actor), created fresh on first use or when it went stale
 * behind the tenant's watermark.  NULL when out of memory.  The pointer is
 * valid until the next call that may insert or delete. */
sw_user *sw_store_user(sw_store *s, const sw_tenant *t, const char *actor, size_t n);

/* Counts this store's keys against b from now on (call while empty).  At
 * the budget, creating a key evicts the least recently active (smallest
 * maxT) of 8 keys sampled at random, Redis-style approximate LRU: exact
 * LRU would cost a list per key, and the sample finds a key among the
 * oldest few percent. */
void sw_store_set_budget(sw_store *s, sw_user_budget *b);

/* Examines up to budget entries and frees the stale ones. */
void sw_store_sweep(sw_store *s, uint32_t budget);

/* Change tracking.  sw_store_track turns it on (from now: call it while
 * the store is empty or right after restoring it). */
void sw_store_track(sw_store *s);
/* Marks u (an entry of s->users) changed. */
void sw_store_touch(sw_store *s, sw_user *u);
static inline void sw_store_touch_tenant(sw_tenant *t) { t->dirty = 1; }
/* Calls fn for every dirty user, then for every gone key (user NULL;
 * key = tenant index + actor id as in the table). */
typedef void (*sw_store_change_fn)(void *ud, const sw_user *u, const char *gone_key, uint32_t gone_len);
void sw_store_changes(sw_store *s, sw_store_change_fn fn, void *ud);
/* Whether anything (a user, a gone key or a tenant) changed. */
int sw_store_changed(const sw_store *s);
/* After a successful checkpoint: nothing is dirty and nothing gone. */
void sw_store_tracked_clear(sw_store *s);
/* Puts back one bucket of the alert cap (restoring a checkpoint); -1 when
 * out of memory. */
int sw_store_cap_restore(sw_store *s, sw_tenant *t, int64_t bucket, uint32_t count);

/* After a checkpoint is loaded: nothing restored may lie beyond not_after
 * (run: the processing clock + --max-clock-skew; INT64_MAX: no bound).
 * Keys whose maxT is beyond it are dropped (they start empty), and so are
 * tenants' top-list entries and cap buckets beyond it; then every
 * remaining key's maxT is applied to its tenant's top list (which rebuilds
 * the list of a tenant value an older build wrote, without one).  Returns
 * how many keys, entries and buckets were dropped. */
uint64_t sw_store_restored(sw_store *s, int64_t not_after);

static inline uint32_t sw_store_users(const sw_store *s) { return s->users.count; }

#endif
