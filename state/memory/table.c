/* table.c -- see table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hugemem.h"

#define SLOT(tag, pos) (((uint64_t)(tag) << 32) | ((uint64_t)(pos) + 1))
#define SLOT_TAG(s) ((uint32_t)((s) >> 32))
#define SLOT_POS(s) ((uint32_t)((s)&0xffffffffu) - 1)
#define FIRST_CAP 32u

static int init(sw_table *t, size_t esize, size_t inline_off, uint32_t inline_cap, sw_slab *slab, uint64_t seed) {
    *t = (sw_table){0};
    t->esize = esize;
    t->inline_off = inline_off;
    t->inline_cap = inline_cap;
    t->slab = slab;
    t->seed = seed;
    t->mask = 63;
    t->slots = calloc(64, sizeof *t->slots);
    t->pages_cap = 4;
    t->pages = calloc(t->pages_cap, sizeof *t->pages);
    if (t->pages) {
        t->pages[0] = malloc(FIRST_CAP * esize);
        t->npages = 1;
    }
    if (!t->slots || !t->pages || !t->pages[0]) {
        sw_table_destroy(t);
        return -1;
    }
    t->entry_cap = FIRST_CAP;
    return 0;
}

int sw_table_init(sw_table *t, size_t esize, sw_slab *slab, uint64_t seed) {
    return init(t, esize, 0, 0, slab, seed);
}

int sw_table_init_inline(sw_table *t, size_t esize, size_t inline_off, uint32_t inline_cap, sw_slab *slab,
                         uint64_t seed) {
    if (inline_off < sizeof(sw_tkey) || inline_off > esize || inline_cap > esize - inline_off) return -1;
    return init(t, esize, inline_off, inline_cap, slab, seed);
}

static inline int is_inline(const sw_table *t, uint32_t len) { return t->inline_cap && len <= t->inline_cap; }

static void free_key(sw_table *t, sw_tkey *k) {
    if (!is_inline(t, k->key_len)) sw_slab_free(t->slab, k->key, k->key_len ? k->key_len : 1);
}

static size_t page_bytes(const sw_table *t) { return (size_t)SW_TABLE_PAGE * t->esize; }

void sw_table_destroy(sw_table *t) {
    for (uint32_t i = 0; t->pages && t->npages && i < t->count; i++) free_key(t, sw_table_at(t, i));
    for (uint32_t p = 0; t->pages && p < t->npages && p < SW_TABLE_ARENA_FROM; p++) free(t->pages[p]);
    for (uint32_t a = 0; a < t->narenas; a++) sw_array_free(t->arenas[a].p, t->arenas[a].n, t->arenas[a].huge);
    free(t->arenas);
    free(t->pages);
    if (t->slots) sw_array_free(t->slots, ((size_t)t->mask + 1) * sizeof *t->slots, t->slots_huge);
    t->slots = NULL;
    t->pages = NULL;
    t->arenas = NULL;
    t->npages = t->pages_cap = t->narenas = t->arenas_cap = 0;
    t->count = t->entry_cap = 0;
}

uint64_t sw_table_hash(const sw_table *t, const void *key, size_t len) {
    return sw_hash64(key, len, t->seed);
}

static inline uint32_t home(const sw_table *t, uint32_t tag) { return tag & t->mask; }

static void *find(const sw_table *t, const void *key, uint32_t len, uint32_t tag, uint32_t *pos) {
    for (uint32_t i = home(t, tag);; i = (i + 1) & t->mask) {
        uint64_t s = t->slots[i];
        if (!s) return NULL;
        if (SLOT_TAG(s) == tag) {
            sw_tkey *k = sw_table_at(t, SLOT_POS(s));
            /* An entry spans two cache lines: fetch both at once. */
            __builtin_prefetch((const char *)k + t->esize - 1);
            if (k->key_len == len && memcmp(k->key, key, len) == 0) {
                if (pos) *pos = SLOT_POS(s);
                return k;
            }
        }
    }
}

void *sw_table_get(const sw_table *t, const void *key, uint32_t len, uint64_t hash) {
    return find(t, key, len, (uint32_t)(hash >> 32), NULL);
}

static int grow_index(sw_table *t) {
    uint32_t n = (t->mask + 1) * 2;
    if (n == 0) return -1;
    int huge;
    uint64_t *slots = sw_array_alloc((size_t)n * sizeof *slots, &huge);
    if (!slots) return -1;
    uint32_t mask = n - 1;
    for (uint32_t j = 0; j <= t->mask; j++) {
        uint64_t s = t->slots[j];
        if (!s) continue;
        uint32_t i = SLOT_TAG(s) & mask;
        while (slots[i]) i = (i + 1) & mask;
        slots[i] = s;
    }
    sw_array_free(t->slots, ((size_t)t->mask + 1) * sizeof *slots, t->slots_huge);
    t->slots = slots;
    t->slots_huge = huge;
    t->mask = mask;
    return 0;
}

/* A page for position npages: malloc'd while the table is small, then
 * carved from 2 MiB-aligned huge page blocks. */
static char *new_page(sw_table *t) {
    size_t pb = page_bytes(t);
    if (t->npages < SW_TABLE_ARENA_FROM) return malloc(pb);
    if (t->arena_pages_left == 0) {
        if (t->narenas == t->arenas_cap) {
            uint32_t cap = t->arenas_cap ? t->arenas_cap * 2 : 16;
            sw_table_arena *a = realloc(t->arenas, (size_t)cap * sizeof *a);
            if (!a) return NULL;
            t->arenas = a;
            t->arenas_cap = cap;
        }
        size_t n = (pb + SW_HUGE_PAGE - 1) / SW_HUGE_PAGE * SW_HUGE_PAGE;
        int huge = 1;
        void *p = sw_huge_alloc(n);
        if (!p) {
            huge = 0;
            if (!(p = malloc(n))) return NULL;
        }
        t->arenas[t->narenas++] = (sw_table_arena){p, n, huge};
        t->arena_bytes += n;
        t->arena_next = p;
        t->arena_pages_left = (uint32_t)(n / pb);
    }
    char *page = t->arena_next;
    t->arena_next += pb;
    t->arena_pages_left--;
    return page;
}

/* Room for one more entry: the first page doubles (its inline keys move
 * with it), later pages are added whole. */
static int grow_entries(sw_table *t) {
    if (t->count < t->entry_cap) return 0;
    if (t->entry_cap < SW_TABLE_PAGE) {
        uint32_t cap = t->entry_cap * 2;
        char *e = realloc(t->pages[0], (size_t)cap * t->esize);
        if (!e) return -1;
        t->pages[0] = e;
        t->entry_cap = cap;
        if (t->inline_cap)
            for (uint32_t i = 0; i < t->count; i++) {
                sw_tkey *k = sw_table_at(t, i);
                if (is_inline(t, k->key_len)) k->key = (char *)k + t->inline_off;
            }
        return 0;
    }
    if (t->entry_cap > UINT32_MAX - SW_TABLE_PAGE) return -1;
    if (t->npages == t->pages_cap) {
        uint32_t cap = t->pages_cap * 2;
        char **p = realloc(t->pages, (size_t)cap * sizeof *p);
        if (!p) return -1;
        t->pages = p;
        t->pages_cap = cap;
    }
    char *page = new_page(t);
    if (!page) return -1;
    t->pages[t->npages++] = page;
    t->entry_cap += SW_TABLE_PAGE;
    return 0;
}

void *sw_table_put_pos(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created, uint32_t *pos) {
    *created = 0;
    uint32_t tag = (uint32_t)(hash >> 32), p;
    void *found = find(t, key, len, tag, &p);
    if (found) {
        if (pos) *pos = p;
        return found;
    }
    if (t->count == UINT32_MAX - 1) return NULL;
    /* Keep the load factor at most 3/4: short probes on the hot path. */
    if ((uint64_t)(t->count + 1) * 4 > ((uint64_t)t->mask + 1) * 3 && grow_index(t) != 0) return NULL;
    if (grow_entries(t) != 0) return NULL;
    char *kcopy = NULL;
    if (!is_inline(t, len)) {
        kcopy = sw_slab_alloc(t->slab, len ? len : 1);
        if (!kcopy) return NULL;
        memcpy(kcopy, key, len);
    }
    p = t->count++;
    sw_tkey *k = sw_table_at(t, p);
    memset(k, 0, t->esize);
    if (!kcopy) {
        kcopy = (char *)k + t->inline_off;
        memcpy(kcopy, key, len);
    }
    k->key = kcopy;
    k->key_len = len;
    uint32_t i = home(t, tag);
    while (t->slots[i]) i = (i + 1) & t->mask;
    t->slots[i] = SLOT(tag, p);
    *created = 1;
    if (pos) *pos = p;
    return k;
}

void *sw_table_put(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created) {
    return sw_table_put_pos(t, key, len, hash, created, NULL);
}

/* Index of the slot that points at entry position pos. */
static uint32_t slot_of(const sw_table *t, uint32_t tag, uint32_t pos) {
    uint32_t i = home(t, tag);
    while (SLOT_POS(t->slots[i]) != pos) i = (i + 1) & t->mask;
    return i;
}

static inline uint32_t tag_of(const sw_table *t, const sw_tkey *k) {
    return (uint32_t)(sw_table_hash(t, k->key, k->key_len) >> 32);
}

void sw_table_del_at(sw_table *t, uint32_t pos) {
    sw_tkey *k = sw_table_at(t, pos);
    uint32_t hole = slot_of(t, tag_of(t, k), pos);
    free_key(t, k);

    /* Backward-shift deletion: pull later members of the probe run into the
     * hole so that lookups never need tombstones. */
    for (uint32_t i = (hole + 1) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        uint32_t h = home(t, SLOT_TAG(t->slots[i]));
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
        uint32_t tag = tag_of(t, moved), s = slot_of(t, tag, last);
        memcpy(k, moved, t->esize);
        if (is_inline(t, k->key_len)) k->key = (char *)k + t->inline_off;
        t->slots[s] = SLOT(tag, pos);
    }
}

uint32_t sw_table_pos(const sw_table *t, const void *entry) {
    uintptr_t e = (uintptr_t)entry;
    for (uint32_t p = 0; p < t->npages; p++) {
        uintptr_t page = (uintptr_t)t->pages[p];
        size_t cap = p == 0 ? (t->entry_cap < SW_TABLE_PAGE ? t->entry_cap : SW_TABLE_PAGE) : SW_TABLE_PAGE;
        if (e >= page && e < page + cap * t->esize)
            return (uint32_t)(p * SW_TABLE_PAGE + (uint32_t)((e - page) / t->esize));
    }
    return UINT32_MAX;
}

void sw_table_del(sw_table *t, void *entry) { sw_table_del_at(t, sw_table_pos(t, entry)); }

size_t sw_table_bytes(const sw_table *t) {
    size_t first = (size_t)(t->entry_cap < SW_TABLE_PAGE ? t->entry_cap : SW_TABLE_PAGE) * t->esize;
    size_t malloced = t->npages > 1 ? (size_t)((t->npages < SW_TABLE_ARENA_FROM ? t->npages : SW_TABLE_ARENA_FROM) - 1)
                                          * page_bytes(t)
                                    : 0;
    return ((size_t)t->mask + 1) * sizeof(uint64_t) + first + malloced + t->arena_bytes +
           (size_t)t->pages_cap * sizeof(char *) + (size_t)t->arenas_cap * sizeof(sw_table_arena);
}
