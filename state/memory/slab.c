/* slab.c -- see slab.h. */
#include "slab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"

#define FIRST_CHUNK (16u * 1024u)
#define MAX_CHUNK (1024u * 1024u)
#define HUGE_AFTER ((size_t)16 << 20) /* a slab's chunks become huge pages past this */

/* The first 16 bytes of a chunk (keeping blobs 16-aligned): the next chunk
 * of s->chunks, and this chunk's size with bit 0 set for a huge page. */
typedef struct {
    void *next;
    size_t size_huge;
} chunk_header;
#define CHUNK_HEADER sizeof(chunk_header)
_Static_assert(sizeof(chunk_header) == 16, "chunk header keeps blobs 16-aligned");

static inline int class_of(size_t n) {
    if (n <= 512) return n ? (int)((n + 15) / 16) - 1 : 0;
    if (n <= SW_SLAB_MAX) return 31 + (int)((n - 512 + 63) / 64);
    return -1;
}

static inline size_t class_size(int c) {
    return c < 32 ? (size_t)(c + 1) * 16 : 512 + (size_t)(c - 31) * 64;
}

size_t sw_slab_rounded(size_t n) {
    int c = class_of(n);
    return c < 0 ? n : class_size(c);
}

void sw_slab_init(sw_slab *s) { *s = (sw_slab){0}; }

void sw_slab_destroy(sw_slab *s) {
    sw_strtab_destroy(s);
    void *c = s->chunks;
    while (c) {
        chunk_header h;
        memcpy(&h, c, sizeof h);
        if (h.size_huge & 1) sw_huge_free(c, h.size_huge & ~(size_t)1);
        else free(c);
        c = h.next;
    }
    *s = (sw_slab){0};
}

/* sz bytes from the cursor's chunk, starting a new chunk when it is full
 * (the rest of the old one is left unused: under one class's size). */
static void *carve(sw_slab *s, sw_slab_cursor *cur, size_t sz) {
    if (!cur->chunk || cur->used + sz > cur->size) {
        size_t size = cur->next ? cur->next : FIRST_CHUNK;
        int huge = 0;
        char *chunk = NULL;
        if (cur->reserved >= HUGE_AFTER && (chunk = sw_huge_alloc(SW_HUGE_PAGE)) != NULL) {
            size = SW_HUGE_PAGE;
            huge = 1;
        } else if (!(chunk = malloc(size))) {
            return NULL;
        }
        chunk_header h = {s->chunks, size | (size_t)huge};
        memcpy(chunk, &h, sizeof h);
        s->chunks = chunk;
        cur->chunk = chunk;
        cur->used = CHUNK_HEADER;
        cur->size = size;
        cur->reserved += size;
        s->bytes_reserved += size;
        cur->next = size < MAX_CHUNK ? size * 2 : MAX_CHUNK;
    }
    void *p = cur->chunk + cur->used;
    cur->used += sz;
    return p;
}

static void *alloc_big(sw_slab *s, size_t n) {
    void *p = malloc(n);
    if (p) {
        s->bytes_live += n;
        s->bytes_reserved += n;
    }
    return p;
}

void *sw_slab_alloc(sw_slab *s, size_t n) {
    int c = class_of(n);
    if (c < 0) return alloc_big(s, n);
    size_t sz = class_size(c);
    void *p = s->free_list[c];
    if (p) s->free_list[c] = *(void **)p;
    else if (!(p = carve(s, &s->aligned, sz))) return NULL;
    s->bytes_live += sz;
    return p;
}

void sw_slab_free(sw_slab *s, void *p, size_t n) {
    if (!p) return;
    int c = class_of(n);
    if (c < 0) {
        free(p);
        s->bytes_live -= n;
        s->bytes_reserved -= n;
        return;
    }
    *(void **)p = s->free_list[c];
    s->free_list[c] = p;
    s->bytes_live -= class_size(c);
}
