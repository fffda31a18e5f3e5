/* store.c -- see store.h. */
#include "store.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

int sw_store_init(sw_store *s, int64_t window_ms, int64_t lateness_ms) {
    memset(s, 0, sizeof *s);
    sw_slab_init(&s->slab);
    s->horizon_ms = window_ms + lateness_ms;
    sw_store_set_cap_bucket(s, SW_CAP_BUCKET_MS);
    uint64_t seed = sw_random_seed();
    if (sw_table_init_inline(&s->users, sizeof(sw_user), offsetof(sw_user, tenant), SW_USER_KEY_INLINE, &s->slab,
                             seed) != 0 ||
        sw_table_init(&s->tenants, sizeof(sw_tenant), &s->slab, seed ^ 0x5bd1e995u) != 0) {
        sw_store_destroy(s);
        return -1;
    }
    return 0;
}

static void budget_sub(sw_store *s, uint64_t n) {
    if (s->budget && n) atomic_fetch_sub_explicit(&s->budget->count, n, memory_order_relaxed);
}

void sw_store_set_budget(sw_store *s, sw_user_budget *b) {
    s->budget = b;
    s->rng = sw_random_seed() | 1;
    if (b) atomic_fetch_add_explicit(&b->count, s->users.count, memory_order_relaxed);
}

void sw_store_destroy(sw_store *s) {
    budget_sub(s, s->users.count);
    if (s->tenant_budget && s->tenants.count)
        atomic_fetch_sub_explicit(&s->tenant_budget->count, s->tenants.count, memory_order_relaxed);
    for (uint32_t i = 0; s->tenants.pages && i < s->tenants.count; i++)
        free(((sw_tenant *)sw_table_at(&s->tenants, i))->cap);
    for (uint32_t i = 0; s->users.pages && i < s->users.count; i++)
        sw_window_clear(sw_table_at(&s->users, i), &s->slab);
    sw_table_destroy(&s->users);
    sw_table_destroy(&s->tenants);
    free(s->keybuf);
    free(s->dirty);
    free(s->gone);
    sw_slab_destroy(&s->slab);
    memset(s, 0, sizeof *s);
}

void sw_store_set_tenant_budget(sw_store *s, sw_user_budget *b) {
    s->tenant_budget = b;
    if (b) atomic_fetch_add_explicit(&b->count, s->tenants.count, memory_order_relaxed);
}

/* Takes one tenant from the budget; 0 when it is spent. */
static int tenant_budget_take(sw_store *s) {
    sw_user_budget *b = s->tenant_budget;
    if (!b) return 1;
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_relaxed) + 1 <= b->max) return 1;
    atomic_fetch_sub_explicit(&b->count, 1, memory_order_relaxed);
    return 0;
}

sw_tenant *sw_store_tenant_get(sw_store *s, const char *p, size_t n, int *over_budget) {
    if (over_budget) *over_budget = 0;
    if (n > UINT32_MAX) return NULL;
    uint64_t h = sw_table_hash(&s->tenants, p, n);
    sw_tenant *t = sw_table_get(&s->tenants, p, (uint32_t)n, h);
    if (t) return t;
    /* A new tenant: rare (once per tenant). */
    if (!tenant_budget_take(s)) {
        s->tenants_refused++;
        if (over_budget) *over_budget = 1;
        return NULL;
    }
    int created;
    t = sw_table_put(&s->tenants, p, (uint32_t)n, h, &created);
    if (!t) {
        if (s->tenant_budget) atomic_fetch_sub_explicit(&s->tenant_budget->count, 1, memory_order_relaxed);
        return NULL;
    }
    t->watermark = SW_TIME_NONE;
    t->index = s->tenants.count - 1;
    return t;
}

const sw_tenant *sw_store_tenant_at(const sw_store *s, uint32_t index) {
    return index < s->tenants.count ? sw_table_at(&s->tenants, index) : NULL;
}

/* ---- the robust watermark -------------------------------------------------- */

uint64_t sw_store_actor_hash(const char *actor, size_t n) { return sw_hash64(actor, n, 0x9e3779b97f4a7c15ULL); }

void sw_store_advance(sw_tenant *t, uint64_t actor_hash, int64_t time_ms) {
    uint32_t i = 0;
    while (i < t->ntop && t->top[i].actor != actor_hash) i++;
    if (i < t->ntop) {
        if (time_ms <= t->top[i].time) return; /* the actor's newest time stays */
    } else if (t->ntop < SW_WM_ACTORS) {
        i = t->ntop++;
    } else {
        i = SW_WM_ACTORS - 1;
        if (time_ms <= t->top[i].time) return;
    }
    /* Entry i gets (time, actor); it can only move towards the front. */
    while (i > 0 && t->top[i - 1].time < time_ms) {
        t->top[i] = t->top[i - 1];
        i--;
    }
    t->top[i] = (sw_wm_actor){time_ms, actor_hash};
    if (t->ntop == SW_WM_ACTORS) t->watermark = t->top[SW_WM_ACTORS - 1].time;
    t->dirty = 1;
}

/* ---- the alert cap ----------------------------------------------------------- */

void sw_store_set_cap_bucket(sw_store *s, int64_t bucket_ms) {
    s->cap_bucket_ms = bucket_ms > 0 ? bucket_ms : SW_CAP_BUCKET_MS;
    int64_t slots = s->horizon_ms / s->cap_bucket_ms + 3;
    /* The seed's W + L is at most 14 days: 675 slots of 30 min. */
    s->cap_slots = slots > UINT16_MAX ? UINT16_MAX : (uint32_t)slots;
}

static int64_t bucket_of(const sw_store *s, int64_t time_ms) {
    return time_ms / s->cap_bucket_ms - (time_ms % s->cap_bucket_ms < 0);
}

/* Drops the buckets no alert can land in any more: behind the horizon. */
static void cap_prune(const sw_store *s, sw_tenant *t) {
    int64_t h = sw_store_horizon(s, t);
    if (h == INT64_MIN) return;
    int64_t first = bucket_of(s, h);
    for (uint32_t i = 0; i < t->ncap;) {
        if (t->cap[i].bucket < first) t->cap[i] = t->cap[--t->ncap];
        else i++;
    }
}

/* A slot for bucket, new (count 0): grows the array up to cap_slots, then
 * reuses the oldest bucket's.  NULL when out of memory. */
static sw_cap_slot *cap_add(sw_store *s, sw_tenant *t, int64_t bucket) {
    if (t->ncap == t->cap_alloc && t->cap_alloc < s->cap_slots) {
        uint32_t want = t->cap_alloc ? (uint32_t)t->cap_alloc * 2 : 2;
        if (want > s->cap_slots) want = s->cap_slots;
        sw_cap_slot *c = realloc(t->cap, want * sizeof *c);
        if (c) t->cap = c, t->cap_alloc = (uint16_t)want;
        else if (!t->ncap) return NULL;
    }
    sw_cap_slot *slot;
    if (t->ncap < t->cap_alloc) {
        slot = &t->cap[t->ncap++];
    } else {
        slot = &t->cap[0];
        for (uint32_t i = 1; i < t->ncap; i++)
            if (t->cap[i].bucket < slot->bucket) slot = &t->cap[i];
    }
    *slot = (sw_cap_slot){bucket, 0};
    return slot;
}

static sw_cap_slot *cap_find(sw_tenant *t, int64_t bucket) {
    for (uint32_t i = 0; i < t->ncap; i++)
        if (t->cap[i].bucket == bucket) return &t->cap[i];
    return NULL;
}

int sw_store_cap_take(sw_store *s, sw_tenant *t, int64_t time_ms, uint32_t max) {
    int64_t bucket = bucket_of(s, time_ms);
    cap_prune(s, t);
    sw_cap_slot *slot = cap_find(t, bucket);
    if (!slot && !(slot = cap_add(s, t, bucket))) return -1;
    t->dirty = 1;
    if (slot->count >= max) return 0;
    slot->count++;
    return 1;
}

int sw_store_cap_restore(sw_store *s, sw_tenant *t, int64_t bucket, uint32_t count) {
    if (bucket == SW_TIME_NONE || count == 0) return 0;
    sw_cap_slot *slot = cap_find(t, bucket);
    if (!slot) {
        /* Fewer slots than the checkpoint had (a shorter W + L): keep the newest. */
        if (t->ncap == s->cap_slots) {
            sw_cap_slot *oldest = &t->cap[0];
            for (uint32_t i = 1; i < t->ncap; i++)
                if (t->cap[i].bucket < oldest->bucket) oldest = &t->cap[i];
            if (oldest->bucket > bucket) return 0;
        }
        if (!(slot = cap_add(s, t, bucket))) return -1;
    }
    slot->count = count;
    return 0;
}

int64_t sw_store_horizon(const sw_store *s, const sw_tenant *t) {
    if (t->watermark == SW_TIME_NONE || t->watermark < INT64_MIN + s->horizon_ms) return INT64_MIN;
    return t->watermark - s->horizon_ms;
}

/* ---- change tracking ------------------------------------------------------ */

void sw_store_track(sw_store *s) { s->track = 1; }

static void push_dirty(sw_store *s, uint32_t pos) {
    if (s->ndirty == s->dirty_cap) {
        uint32_t cap = s->dirty_cap ? s->dirty_cap * 2 : 1024;
        uint32_t *d = cap > s->dirty_cap ? realloc(s->dirty, (size_t)cap * sizeof *d) : NULL;
        if (!d) {
            s->all_dirty = 1; /* correct, only slower: the next checkpoint writes every key */
            return;
        }
        s->dirty = d;
        s->dirty_cap = cap;
    }
    s->dirty[s->ndirty++] = pos;
}

void sw_store_touch(sw_store *s, sw_user *u) {
    if (!s->track || u->dirty) return;
    u->dirty = 1;
    /* The key sw_store_user just returned (every caller's case), else a search. */
    uint32_t pos = s->last_pos < s->users.count && sw_table_at(&s->users, s->last_pos) == (void *)u
                       ? s->last_pos
                       : sw_table_pos(&s->users, u);
    push_dirty(s, pos);
}

static void push_gone(sw_store *s, const sw_tkey *k) {
    size_t need = s->gone_len + 4 + k->key_len;
    if (need > s->gone_cap) {
        size_t cap = s->gone_cap ? s->gone_cap : 4096;
        while (cap < need) cap *= 2;
        char *g = realloc(s->gone, cap);
        if (!g) {
            /* Without the list the checkpoint cannot delete this key; it
             * stays in Redis until the partition's TTL, and is dropped as
             * stale by whoever restores it. */
            return;
        }
        s->gone = g;
        s->gone_cap = cap;
    }
    memcpy(s->gone + s->gone_len, &k->key_len, 4);
    memcpy(s->gone + s->gone_len + 4, k->key, k->key_len);
    s->gone_len = need;
}

void sw_store_changes(sw_store *s, sw_store_change_fn fn, void *ud) {
    if (s->all_dirty) {
        for (uint32_t i = 0; i < s->users.count; i++) fn(ud, sw_table_at(&s->users, i), NULL, 0);
    } else {
        /* Positions may repeat (an entry moved by a deletion is listed
         * again) or be stale (past the end, or reused by a key that is
         * listed itself): the dirty flag decides, and the first visit
         * clears a private copy of it. */
        for (uint32_t i = 0; i < s->ndirty; i++) {
            uint32_t pos = s->dirty[i];
            if (pos >= s->users.count) continue;
            sw_user *u = sw_table_at(&s->users, pos);
            if (u->dirty != 1) continue;
            u->dirty = 2; /* visited in this pass */
            fn(ud, u, NULL, 0);
        }
        for (uint32_t i = 0; i < s->ndirty; i++) {
            uint32_t pos = s->dirty[i];
            if (pos < s->users.count) {
                sw_user *u = sw_table_at(&s->users, pos);
                if (u->dirty == 2) u->dirty = 1;
            }
        }
    }
    for (size_t off = 0; off < s->gone_len;) {
        uint32_t n;
        memcpy(&n, s->gone + off, 4);
        fn(ud, NULL, s->gone + off + 4, n);
        off += 4 + n;
    }
}

int sw_store_changed(const sw_store *s) {
    if (s->all_dirty || s->ndirty || s->gone_len) return 1;
    for (uint32_t i = 0; i < s->tenants.count; i++)
        if (((const sw_tenant *)sw_table_at(&s->tenants, i))->dirty) return 1;
    return 0;
}

void sw_store_tracked_clear(sw_store *s) {
    if (s->all_dirty) {
        for (uint32_t i = 0; i < s->users.count; i++) ((sw_user *)sw_table_at(&s->users, i))->dirty = 0;
    } else {
        for (uint32_t i = 0; i < s->ndirty; i++)
            if (s->dirty[i] < s->users.count) ((sw_user *)sw_table_at(&s->users, s->dirty[i]))->dirty = 0;
    }
    for (uint32_t i = 0; i < s->tenants.count; i++) ((sw_tenant *)sw_table_at(&s->tenants, i))->dirty = 0;
    s->all_dirty = 0;
    s->ndirty = 0;
    s->gone_len = 0;
}

/* ---- users ----------------------------------------------------------------- */

static int is_stale(const sw_store *s, const sw_user *u) {
    const sw_tenant *t = sw_store_tenant_at(s, u->tenant);
    return t && u->max_time != SW_TIME_NONE && u->max_time < sw_store_horizon(s, t);
}

/* Deletes the entry at pos (tracking it as gone); the last entry moves
 * there. */
static void delete_at(sw_store *s, uint32_t pos) {
    sw_user *u = sw_table_at(&s->users, pos);
    if (s->track) push_gone(s, &u->k);
    sw_window_clear(u, &s->slab);
    sw_table_del_at(&s->users, pos);
    budget_sub(s, 1);
    if (s->track && pos < s->users.count && ((sw_user *)sw_table_at(&s->users, pos))->dirty) push_dirty(s, pos);
}

/* Over the budget after creating the key at s->last_pos: evicts the least
 * recently active of a few sampled other keys; the new key's position is
 * kept in s->last_pos. */
static void evict_for_budget(sw_store *s) {
    uint32_t n = s->users.count, victim = UINT32_MAX;
    if (n < 2) return;
    int64_t oldest = INT64_MAX;
    for (int i = 0; i < 8; i++) {
        s->rng ^= s->rng << 13;
        s->rng ^= s->rng >> 7;
        s->rng ^= s->rng << 17;
        uint32_t pos = (uint32_t)(s->rng % n);
        if (pos == s->last_pos) continue;
        const sw_user *u = sw_table_at(&s->users, pos);
        if (victim == UINT32_MAX || u->max_time < oldest) oldest = u->max_time, victim = pos;
    }
    if (victim == UINT32_MAX) victim = s->last_pos == 0 ? 1 : 0;
    uint32_t last = n - 1;
    delete_at(s, victim);
    if (s->last_pos == last) s->last_pos = victim; /* the new key was the one moved */
    s->cap_evicted++;
}

sw_user *sw_store_user(sw_store *s, const sw_tenant *t, const char *actor, size_t n) {
    if (n > UINT32_MAX - 8) return NULL;
    size_t len = 4 + n;
    if (len > s->keybuf_cap) {
        size_t cap = len < 256 ? 256 : len * 2;
        char *b = realloc(s->keybuf, cap);
        if (!b) return NULL;
        s->keybuf = b;
        s->keybuf_cap = cap;
    }
    memcpy(s->keybuf, &t->index, 4);
    memcpy(s->keybuf + 4, actor, n);
    uint64_t h = sw_table_hash(&s->users, s->keybuf, len);
    int created;
    sw_user *u = sw_table_put_pos(&s->users, s->keybuf, (uint32_t)len, h, &created, &s->last_pos);
    if (!u) return NULL;
    if (created) {
        sw_window_init(u);
        u->tenant = t->index; /* already there when the key is inline */
        if (s->budget &&
            atomic_fetch_add_explicit(&s->budget->count, 1, memory_order_relaxed) + 1 > s->budget->max) {
            evict_for_budget(s);
            u = sw_table_at(&s->users, s->last_pos);
        }
    } else if (is_stale(s, u)) {
        sw_window_clear(u, &s->slab);
        sw_window_init(u);
        s->evicted++;
    } else if (u->sessions) {
        /* The window reads the key's sessions next: start that miss now. */
        __builtin_prefetch(u->sessions);
        __builtin_prefetch((const char *)u->sessions + 64);
    }
    return u;
}

void sw_store_sweep(sw_store *s, uint32_t budget) {
    while (budget-- > 0 && s->users.count > 0) {
        if (s->sweep_cursor >= s->users.count) s->sweep_cursor = 0;
        sw_user *u = sw_table_at(&s->users, s->sweep_cursor);
        if (is_stale(s, u)) {
            delete_at(s, s->sweep_cursor); /* the last entry moves here: look again */
            s->evicted++;
        } else {
            s->sweep_cursor++;
        }
    }
}

/* ---- after a checkpoint load --------------------------------------------- */

/* Drops t's top-list entries and cap buckets beyond not_after. */
static uint64_t tenant_drop_future(const sw_store *s, sw_tenant *t, int64_t not_after) {
    uint64_t dropped = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->ntop; i++) {
        if (t->top[i].time > not_after) dropped++;
        else t->top[k++] = t->top[i];
    }
    t->ntop = (uint8_t)k;
    t->watermark = k == SW_WM_ACTORS ? t->top[k - 1].time : SW_TIME_NONE;
    int64_t last = bucket_of(s, not_after);
    for (uint32_t i = 0; i < t->ncap;) {
        if (t->cap[i].bucket > last) t->cap[i] = t->cap[--t->ncap], dropped++;
        else i++;
    }
    if (dropped) t->dirty = 1;
    return dropped;
}

uint64_t sw_store_restored(sw_store *s, int64_t not_after) {
    uint64_t dropped = 0;
    for (uint32_t i = 0; i < s->tenants.count; i++)
        dropped += tenant_drop_future(s, sw_table_at(&s->tenants, i), not_after);
    for (uint32_t pos = 0; pos < s->users.count;) {
        sw_user *u = sw_table_at(&s->users, pos);
        if (u->max_time != SW_TIME_NONE && u->max_time > not_after) {
            delete_at(s, pos); /* the last entry moves here: look again */
            dropped++;
            continue;
        }
        sw_tenant *t = (sw_tenant *)sw_store_tenant_at(s, u->tenant);
        if (t && u->max_time != SW_TIME_NONE && u->k.key_len >= 4) {
            uint64_t before = t->dirty;
            sw_store_advance_actor(t, u->k.key + 4, u->k.key_len - 4, u->max_time);
            t->dirty = (uint8_t)before; /* what Redis holds already implies it */
        }
        pos++;
    }
    return dropped;
}
