/* strtab.h -- per-store interning of a session's client strings.
 *
 * The alert shows, for each session, the user agent, country and city of
 * its first event.  Across millions of users the same few hundred user
 * agents and a few thousand places repeat, so each distinct (user agent,
 * country, city) triple is stored once, as an sw_client, and sessions hold
 * a reference to it.  Entries are reference counted: the last session that
 * lets go frees its entry, so the table holds only what live sessions show
 * and stays bounded under hostile input (every entry is referenced by at
 * least one session, and its strings are capped like the session's own).
 *
 * The table belongs to a slab (slab.h): the window code, which only sees
 * the slab, reaches it from there; entries are slab blobs and the index is
 * counted in the slab's bytes_reserved.  Single-threaded, like the slab.
 * Interning an existing triple allocates nothing; a new one allocates one
 * slab blob (and, rarely, a bigger index). */
#ifndef SW_STRTAB_H
#define SW_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct sw_slab;

typedef struct sw_client {
    uint32_t refs;        /* sessions that point here */
    uint32_t hash;        /* high 32 bits of the triple's hash (places it in the index) */
    uint16_t ua_len;
    uint8_t country_len, city_len;
    char data[];          /* user agent, country, city */
} sw_client;

typedef struct {
    sw_client **slots;    /* open addressing, linear probing; NULL = free */
    uint32_t mask;        /* slot count - 1 (0 while there is no index) */
    uint32_t count;
    uint64_t seed;
} sw_strtab;

/* The entry for (ua, country, city) with one more reference; NULL when out
 * of memory.  Lengths must already be capped (ua <= 65535, others <= 255). */
sw_client *sw_strtab_intern(struct sw_slab *s, const char *ua, size_t ua_n, const char *co, size_t co_n,
                            const char *ci, size_t ci_n);
/* Drops one reference; the last one frees the entry. */
void sw_strtab_release(struct sw_slab *s, sw_client *c);
/* Frees the index (the entries are slab memory: sw_slab_destroy). */
void sw_strtab_destroy(struct sw_slab *s);

static inline size_t sw_client_size(size_t ua_n, size_t co_n, size_t ci_n) {
    return sizeof(sw_client) + ua_n + co_n + ci_n;
}

#endif
