/* table.h -- flat open-addressing hash table from byte-string keys to
 * fixed-size entries.
 *
 * Entries live in a dense array (so sweeping is a linear scan) made of
 * pages: the first page grows by doubling up to SW_TABLE_PAGE entries,
 * later pages hold SW_TABLE_PAGE entries each, so the array never has more
 * than one page of spare capacity and, past the first page, entries never
 * move when it grows.  A big table's pages and index are huge pages
 * (hugemem.h).  The index is a power-of-two array of 64-bit slots
 * holding (tag << 32 | entry position + 1), where tag is the high half of
 * the key's hash; a key's home slot is tag & mask, so the index rebuilds
 * and shifts from the slots alone (a deletion rehashes the two keys it
 * touches).  It is probed linearly and kept at most
 * 3/4 full, so a lookup touches about one cache line of slots and compares
 * keys only on a tag match.  Deletion is backward-shift (no tombstones) and
 * moves the last entry into the hole.
 *
 * Keys: a table made with sw_table_init_inline stores a key of up to
 * inline_cap bytes inside the entry itself, at inline_off (no
 * allocation, and the key is in the entry's cache lines); longer keys, and
 * every key of a table made with sw_table_init, are copied into the slab.
 * k.key always points at the key bytes.
 *
 * Every entry starts with an sw_tkey.  Pointers to entries are invalidated
 * by sw_table_put (while the first page grows) and sw_table_del (the move). */
#ifndef SW_TABLE_H
#define SW_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "slab.h"

#define SW_TABLE_PAGE_SHIFT 12
#define SW_TABLE_PAGE (1u << SW_TABLE_PAGE_SHIFT)
#define SW_TABLE_ARENA_FROM 64u /* pages before this one are malloc'd */

/* 12 bytes, 4-aligned, so that an entry's next field can follow at once
 * (sw_user's inline key does). */
typedef struct __attribute__((packed, aligned(4))) {
    char *key;        /* the key bytes: in the entry (inline) or in the slab */
    uint32_t key_len;
} sw_tkey;

typedef struct {
    void *p;
    size_t n;
    int huge;
} sw_table_arena;

typedef struct {
    uint64_t *slots;
    uint32_t mask;     /* slot count - 1 */
    int slots_huge;    /* slots are huge pages (hugemem.h) */
    uint32_t count, entry_cap;
    char **pages;      /* entry pages: page 0 holds min(entry_cap, SW_TABLE_PAGE) entries */
    uint32_t npages, pages_cap;
    /* Pages from SW_TABLE_ARENA_FROM on are carved from 2 MiB-aligned huge
     * page blocks (hugemem.h). */
    sw_table_arena *arenas;
    uint32_t narenas, arenas_cap;
    char *arena_next;  /* the next page to hand out in the last block */
    uint32_t arena_pages_left;
    size_t arena_bytes;
    size_t esize;
    size_t inline_off; /* where an inline key goes; inline_cap bytes fit */
    uint32_t inline_cap;
    uint64_t seed;
    sw_slab *slab;
} sw_table;

/* esize >= sizeof(sw_tkey); the entry struct must begin with sw_tkey.
 * Returns -1 when out of memory. */
int sw_table_init(sw_table *t, size_t esize, sw_slab *slab, uint64_t seed);
/* As sw_table_init, and keys of up to inline_cap bytes are kept in the
 * entry at [inline_off, inline_off + inline_cap) (after the sw_tkey, inside
 * the entry).  The table writes those bytes when it inserts the key; the
 * owner must never change them. */
int sw_table_init_inline(sw_table *t, size_t esize, size_t inline_off, uint32_t inline_cap, sw_slab *slab,
                         uint64_t seed);
void sw_table_destroy(sw_table *t);

uint64_t sw_table_hash(const sw_table *t, const void *key, size_t len);
void *sw_table_get(const sw_table *t, const void *key, uint32_t len, uint64_t hash);
/* Finds or inserts; a new entry is zeroed apart from its key and *created is
 * set to 1.  NULL when out of memory (the table is unchanged).  With pos,
 * *pos is the entry's position. */
void *sw_table_put(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created);
void *sw_table_put_pos(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created, uint32_t *pos);
/* Removes the entry (frees its key).  The last entry moves into its place. */
void sw_table_del(sw_table *t, void *entry);
void sw_table_del_at(sw_table *t, uint32_t pos);

static inline void *sw_table_at(const sw_table *t, uint32_t i) {
    return t->pages[i >> SW_TABLE_PAGE_SHIFT] + (size_t)(i & (SW_TABLE_PAGE - 1)) * t->esize;
}
/* The position of an entry (a search over the pages: not for the hot path). */
uint32_t sw_table_pos(const sw_table *t, const void *entry);

/* Bytes held by the index, the entry pages (and the huge blocks they are
 * carved from) and the page list (not the slab). */
size_t sw_table_bytes(const sw_table *t);

#endif
