/* table.h -- flat open-addressing hash table from byte-string keys to
 * fixed-size entries.
 *
 * Entries live in one dense array (so sweeping is a linear scan and memory
 * per entry is exactly esize); the index is a power-of-two array of 64-bit
 * slots holding (hash tag << 32 | entry position + 1), probed linearly, so a
 * lookup touches one cache line of slots and compares keys only on a tag
 * match.  Deletion is backward-shift (no tombstones) and moves the last
 * entry into the hole.  Keys are copied into the owner's slab.
 *
 * Every entry starts with an sw_tkey.  Pointers to entries are invalidated
 * by sw_table_put (growth) and sw_table_del (the move). */
#ifndef SW_TABLE_H
#define SW_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "slab.h"

typedef struct {
    uint64_t hash;
    char *key;
    uint32_t key_len;
} sw_tkey;

typedef struct {
    uint64_t *slots;
    uint32_t mask;     /* slot count - 1 */
    char *entries;     /* count * esize bytes in use */
    uint32_t count, entry_cap;
    size_t esize;
    uint64_t seed;
    sw_slab *slab;
} sw_table;

/* esize >= sizeof(sw_tkey); the entry struct must begin with sw_tkey.
 * Returns -1 when out of memory. */
int sw_table_init(sw_table *t, size_t esize, sw_slab *slab, uint64_t seed);
void sw_table_destroy(sw_table *t);

uint64_t sw_table_hash(const sw_table *t, const void *key, size_t len);
void *sw_table_get(const sw_table *t, const void *key, uint32_t len, uint64_t hash);
/* Finds or inserts; a new entry is zeroed apart from its key and *created is
 * set to 1.  NULL when out of memory (the table is unchanged). */
void *sw_table_put(sw_table *t, const void *key, uint32_t len, uint64_t hash, int *created);
/* Removes the entry (frees its key).  The last entry moves into its place. */
void sw_table_del(sw_table *t, void *entry);

static inline void *sw_table_at(const sw_table *t, uint32_t i) {
    return t->entries + (size_t)i * t->esize;
}

/* Bytes held by the index and entry array (not the slab). */
size_t sw_table_bytes(const sw_table *t);

#endif
