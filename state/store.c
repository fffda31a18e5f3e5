/* store.c -- see store.h. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

int sw_store_init(sw_store *s, int64_t window_ms, int64_t lateness_ms) {
    memset(s, 0, sizeof *s);
    sw_slab_init(&s->slab);
    s->horizon_ms = window_ms + lateness_ms;
    s->cap_slots = (uint32_t)(s->horizon_ms / SW_CAP_BUCKET_MS) + 3;
    uint64_t seed = sw_random_seed();
    if (sw_table_init(&s->users, sizeof(sw_user), &s->slab, seed) != 0 ||
        sw_table_init(&s->tenants, sizeof(sw_tenant), &s->slab, seed ^ 0x5bd1e995u) != 0) {
        sw_store_destroy(s);
        return -1;
    }
    return 0;
}

void sw_store_destroy(sw_store *s) {
    for (uint32_t i = 0; s->tenants.entries && i < s->tenants.count; i++)
        free(((sw_tenant *)sw_table_at(&s->tenants, i))->cap);
    for (uint32_t i = 0; s->users.entries && i < s->users.count; i++)
        sw_window_clear(sw_table_at(&s->users, i), &s->slab);
    sw_table_destroy(&s->users);
    sw_table_destroy(&s->tenants);
    free(s->keybuf);
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
    if (slot->count >= max) return 0;
    slot->count++;
    return 1;
}

int64_t sw_store_horizon(const sw_store *s, const sw_tenant *t) {
    if (t->watermark == SW_TIME_NONE || t->watermark < INT64_MIN + s->horizon_ms) return INT64_MIN;
    return t->watermark - s->horizon_ms;
}

static int is_stale(const sw_store *s, const sw_user *u) {
    const sw_tenant *t = sw_store_tenant_at(s, u->tenant);
    return t && u->max_time != SW_TIME_NONE && u->max_time < sw_store_horizon(s, t);
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
    sw_user *u = sw_table_put(&s->users, s->keybuf, (uint32_t)len, h, &created);
    if (!u) return NULL;
    if (created) {
        sw_window_init(u);
        u->tenant = t->index;
    } else if (is_stale(s, u)) {
        sw_window_clear(u, &s->slab);
        sw_window_init(u);
        s->evicted++;
    }
    return u;
}

void sw_store_sweep(sw_store *s, uint32_t budget) {
    while (budget-- > 0 && s->users.count > 0) {
        if (s->sweep_cursor >= s->users.count) s->sweep_cursor = 0;
        sw_user *u = sw_table_at(&s->users, s->sweep_cursor);
        if (is_stale(s, u)) {
            sw_window_clear(u, &s->slab);
            sw_table_del(&s->users, u); /* the last entry moves here: look again */
            s->evicted++;
        } else {
            s->sweep_cursor++;
        }
    }
}
