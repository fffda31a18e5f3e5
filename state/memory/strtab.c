/* strtab.c -- see strtab.h. */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "slab.h"

#define MIN_SLOTS 64u

static uint64_t triple_hash(uint64_t seed, const char *ua, size_t ua_n, const char *co, size_t co_n,
                            const char *ci, size_t ci_n) {
    /* sw_hash64 mixes each part's length in, so ("ab","c") and ("a","bc")
     * hash apart. */
    uint64_t h = sw_hash64(ua, ua_n, seed);
    h = sw_hash64(co, co_n, h ^ 0x9e3779b97f4a7c15ULL);
    return sw_hash64(ci, ci_n, h ^ 0xc2b2ae3d27d4eb4fULL);
}

/* An absent string is (NULL, 0): memcmp must not see its pointer. */
static inline int same(const char *a, const char *b, size_t n) { return n == 0 || memcmp(a, b, n) == 0; }

/* Rebuilds the index with n slots (a power of two >= 2 * count). */
static int resize(sw_slab *s, uint32_t n) {
    sw_strtab *t = &s->strtab;
    sw_client **slots = calloc(n, sizeof *slots);
    if (!slots) return -1;
    uint32_t mask = n - 1;
    for (uint32_t i = 0; t->slots && i <= t->mask; i++) {
        sw_client *c = t->slots[i];
        if (!c) continue;
        uint32_t j = c->hash & mask;
        while (slots[j]) j = (j + 1) & mask;
        slots[j] = c;
    }
    if (t->slots) s->bytes_reserved -= ((size_t)t->mask + 1) * sizeof *slots;
    free(t->slots);
    t->slots = slots;
    t->mask = mask;
    s->bytes_reserved += (size_t)n * sizeof *slots;
    return 0;
}

sw_client *sw_strtab_intern(sw_slab *s, const char *ua, size_t ua_n, const char *co, size_t co_n, const char *ci,
                            size_t ci_n) {
    sw_strtab *t = &s->strtab;
    if (!t->slots) {
        t->seed = sw_random_seed();
        if (resize(s, MIN_SLOTS) != 0) return NULL;
    }
    uint32_t h = (uint32_t)(triple_hash(t->seed, ua, ua_n, co, co_n, ci, ci_n) >> 32);
    uint32_t i = h & t->mask;
    for (sw_client *c; (c = t->slots[i]) != NULL; i = (i + 1) & t->mask) {
        if (c->hash == h && c->ua_len == ua_n && c->country_len == co_n && c->city_len == ci_n &&
            same(c->data, ua, ua_n) && same(c->data + ua_n, co, co_n) && same(c->data + ua_n + co_n, ci, ci_n)) {
            if (c->refs == UINT32_MAX) return NULL;
            c->refs++;
            return c;
        }
    }
    /* New triple: keep the load under 1/2. */
    if ((uint64_t)(t->count + 1) * 2 > (uint64_t)t->mask + 1) {
        if (t->mask >= UINT32_MAX / 2 || resize(s, (t->mask + 1) * 2) != 0) return NULL;
        i = h & t->mask;
        while (t->slots[i]) i = (i + 1) & t->mask;
    }
    sw_client *c = sw_slab_alloc(s, sw_client_size(ua_n, co_n, ci_n));
    if (!c) return NULL;
    c->refs = 1;
    c->hash = h;
    c->ua_len = (uint16_t)ua_n;
    c->country_len = (uint8_t)co_n;
    c->city_len = (uint8_t)ci_n;
    if (ua_n) memcpy(c->data, ua, ua_n);
    if (co_n) memcpy(c->data + ua_n, co, co_n);
    if (ci_n) memcpy(c->data + ua_n + co_n, ci, ci_n);
    t->slots[i] = c;
    t->count++;
    return c;
}

void sw_strtab_release(sw_slab *s, sw_client *c) {
    if (!c || --c->refs > 0) return;
    sw_strtab *t = &s->strtab;
    uint32_t hole = c->hash & t->mask;
    while (t->slots[hole] != c) hole = (hole + 1) & t->mask;
    /* Backward-shift deletion (no tombstones), as in table.c. */
    for (uint32_t i = (hole + 1) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        uint32_t home = t->slots[i]->hash & t->mask;
        int home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!home_between) {
            t->slots[hole] = t->slots[i];
            hole = i;
        }
    }
    t->slots[hole] = NULL;
    t->count--;
    sw_slab_free(s, c, sw_client_size(c->ua_len, c->country_len, c->city_len));
    /* Give back an index a burst of distinct clients left mostly empty. */
    if (t->mask + 1 > MIN_SLOTS && (uint64_t)t->count * 8 < (uint64_t)t->mask + 1)
        (void)resize(s, (t->mask + 1) / 2); /* on failure the bigger index stays: still correct */
}

void sw_strtab_destroy(sw_slab *s) {
    sw_strtab *t = &s->strtab;
    if (t->slots) s->bytes_reserved -= ((size_t)t->mask + 1) * sizeof *t->slots;
    free(t->slots);
    *t = (sw_strtab){0};
}
