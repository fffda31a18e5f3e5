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
    s->cap_slots = (uint32_t)(s->horizon_ms / SW_CAP_BUCKET_MS) + 3;
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

sw_tenant *sw_store_tenant(sw_store *s, const char *p, size_t n) {
    if (n > UINT32_MAX) return NULL;
    uint64_t h = sw_table_hash(&s->tenants, p, n);
    sw_tenant *t = sw_table_get(&s->tenants, p, (uint32_t)n, h);
    if (t) return t;
    /* A new tenant: rare (once per tenant), so malloc is fine here. */
    sw_cap_slot *cap = malloc(s->cap_slots * sizeof *cap);
    if (!cap) return NULL;
    int created;
    t = sw_table_put(&s->tenants, p, (uint32_t)n, h, &created);
    if (!t) {
        free(cap);
        return NULL;
    }
    for (uint32_t i = 0; i < s->cap_slots; i++) cap[i] = (sw_cap_slot){SW_TIME_NONE, 0};
    t->cap = cap;
    t->watermark = SW_TIME_NONE;
    t->index = s->tenants.count - 1;
    return t;
}

const sw_tenant *sw_store_tenant_at(const sw_store *s, uint32_t index) {
    return index < s->tenants.count ? sw_table_at(&s->tenants, index) : NULL;
}

int sw_store_cap_take(sw_store *s, sw_tenant *t, int64_t time_ms, uint32_t max) {
    int64_t bucket = time_ms / SW_CAP_BUCKET_MS - (time_ms % SW_CAP_BUCKET_MS < 0);
    sw_cap_slot *slot = NULL, *oldest = &t->cap[0]; /* a free slot sorts first */
    for (uint32_t i = 0; i < s->cap_slots && !slot; i++) {
        if (t->cap[i].bucket == bucket) slot = &t->cap[i];
        else if (t->cap[i].bucket < oldest->bucket) oldest = &t->cap[i];
    }
    if (!slot) {
        /* With cap_slots buckets remembered, the oldest one is behind the
         * horizon: no alert can land in it any more. */
        slot = oldest;
        *slot = (sw_cap_slot){bucket, 0};
    }
    t->dirty = 1;
    if (slot->count >= max) return 0;
    slot->count++;
    return 1;
}

void sw_store_cap_restore(sw_store *s, sw_tenant *t, int64_t bucket, uint32_t count) {
    if (bucket == SW_TIME_NONE) return;
    sw_cap_slot *oldest = &t->cap[0];
    for (uint32_t i = 0; i < s->cap_slots; i++) {
        if (t->cap[i].bucket == bucket) {
            t->cap[i].count = count;
            return;
        }
        if (t->cap[i].bucket < oldest->bucket) oldest = &t->cap[i];
    }
    /* Fewer slots than the checkpoint had (a shorter W + L): keep the newest. */
    if (oldest->bucket < bucket) *oldest = (sw_cap_slot){bucket, count};
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
