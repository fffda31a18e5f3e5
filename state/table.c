/* table.c -- see table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define TAG(h) ((h) >> 32)
#define SLOT(h, pos) ((TAG(h) << 32) | ((uint64_t)(pos) + 1))
#define SLOT_POS(s) ((uint32_t)((s)&0xffffffffu) - 1)

int sw_table_init(sw_table *t, size_t esize, sw_slab *slab, uint64_t seed) {
    *t = (sw_table){0};
    t->esize = esize;
    t->slab = slab;
    t->seed = seed;
    t->mask = 63;
    t->slots = calloc(64, sizeof *t->slots);
    t->entry_cap = 32;
    t->entries = malloc(t->entry_cap * esize);
    if (!t->slots || !t->entries) {
        sw_table_destroy(t);
        return -1;
    }
    return 0;
}

void sw_table_destroy(sw_table *t) {
    for (uint32_t i = 0; t->entries && i < t->count; i++) {
        sw_tkey *k = sw_table_at(t, i);
        sw_slab_free(t->slab, k->key, k->key_len ? k->key_len : 1);
    }
    free(t->slots);
    free(t->entries);
    t->slots = NULL;
    t->entries = NULL;
    t->count = 0;
}

uint64_t sw_table_hash(const sw_table *t, const void *key, size_t len) {
    return sw_hash64(key, len, t->seed);
}

static inline uint32_t home(const sw_table *t, uint64_t hash) {
    return (uint32_t)hash & t->mask;
}

static inline int key_eq(const sw_tkey *k, const void *key, uint32_t len, uint64_t hash) {
    return k->hash == hash && k->key_len == len && memcmp(k->key, key, len) == 0;
}

void *sw_table_get(const sw_table *t, const void *key, uint32_t len, uint64_t hash) {
    for (uint32_t i = home(t, hash);; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (!s) return NULL;
        if ((s >> 32) == TAG(hash)) {
            sw_tkey *k = sw_table_at(t, SLOT_POS(s));
            if (key_eq(k, key, len, hash)) return k;
        }
    }
}

static int grow_index(sw_table *t) {
    uint32_t n = (t->mask + 1) * 2;
    uint64_t *slots = calloc(n, sizeof *slots);
    if (!slots) return -1;
    uint32_t mask = n - 1;
    for (uint32_t pos = 0; pos < t->count; pos++) {
        const sw_tkey *k = sw_table_at(t, pos);
        uint32_t i = (uint32_t)k->hash & mask;
        while (slots[i]) i = (i + 1) & mask;
        slots[i] = SLOT(k->hash, pos);
    }
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

void *sw_table_put(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created) {
    *created = 0;
    void *found = sw_table_get(t, key, len, hash);
    if (found) return found;
    if (t->count == UINT32_MAX - 1) return NULL;
    /* Keep the load factor under 1/2: short probes on the hot path. */
    if ((uint64_t)(t->count + 1) * 2 > (uint64_t)t->mask + 1 && grow_index(t) != 0) return NULL;
    if (t->count == t->entry_cap) {
        uint32_t cap = t->entry_cap * 2;
        char *e = realloc(t->entries, (size_t)cap * t->esize);
        if (!e) return NULL;
        t->entries = e;
        t->entry_cap = cap;
    }
    char *kcopy = sw_slab_alloc(t->slab, len ? len : 1);
    if (!kcopy) return NULL;
    memcpy(kcopy, key, len);
    uint32_t pos = t->count++;
    sw_tkey *k = sw_table_at(t, pos);
    memset(k, 0, t->esize);
    k->hash = hash;
    k->key = kcopy;
    k->key_len = len;
    uint32_t i = home(t, hash);
    while (t->slots[i]) i = (i + 1) & t->mask;
    t->slots[i] = SLOT(hash, pos);
    *created = 1;
    return k;
}

/* Index of the slot that points at entry position pos. */
static uint32_t slot_of(const sw_table *t, uint64_t hash, uint32_t pos) {
    uint32_t i = home(t, hash);
    while (SLOT_POS(t->slots[i]) != pos) i = (i + 1) & t->mask;
    return i;
}

void sw_table_del(sw_table *t, void *entry) {
    sw_tkey *k = entry;
    uint32_t pos = (uint32_t)(((char *)entry - t->entries) / t->esize);
    uint32_t hole = slot_of(t, k->hash, pos);
    sw_slab_free(t->slab, k->key, k->key_len ? k->key_len : 1);

    /* Backward-shift deletion: pull later members of the probe run into the
     * hole so that lookups never need tombstones. */
    for (uint32_t i = (hole + 1) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        const sw_tkey *m = sw_table_at(t, SLOT_POS(t->slots[i]));
        uint32_t h = home(t, m->hash);
        /* Move slot i to the hole when its home is not in (hole, i]. */
        int home_between = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!home_between) {
            t->slots[hole] = t->slots[i];
            hole = i;
        }
    }
    t->slots[hole] = 0;

    /* Keep the entry array dense: move the last entry into pos. */
    uint32_t last = --t->count;
    if (pos != last) {
        sw_tkey *moved = sw_table_at(t, last);
        uint32_t s = slot_of(t, moved->hash, last);
        memcpy(entry, moved, t->esize);
        t->slots[s] = SLOT(moved->hash, pos);
    }
}

size_t sw_table_bytes(const sw_table *t) {
    return ((size_t)t->mask + 1) * sizeof(uint64_t) + (size_t)t->entry_cap * t->esize;
}
