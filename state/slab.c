/* slab.c -- see slab.h. */
#include "slab.h"

#include <stdint.h>
#include <stdlib.h>

static const size_t class_size[SW_SLAB_CLASSES] = {32, 48, 64, 96, 128, 192, 256,
                                                   384, 512, 768, 1024, 2048};
#define CHUNK_SIZE (256u * 1024u)

static int class_of(size_t n) {
    for (int c = 0; c < SW_SLAB_CLASSES; c++)
        if (n <= class_size[c]) return c;
    return -1;
}

void sw_slab_init(sw_slab *s) {
    *s = (sw_slab){0};
}

void sw_slab_destroy(sw_slab *s) {
    void *c = s->chunks;
    while (c) {
        void *next = *(void **)c;
        free(c);
        c = next;
    }
    *s = (sw_slab){0};
}

void *sw_slab_alloc(sw_slab *s, size_t n) {
    int c = class_of(n);
    if (c < 0) {
        void *p = malloc(n);
        if (p) {
            s->bytes_live += n;
            s->bytes_reserved += n;
        }
        return p;
    }
    size_t sz = class_size[c];
    void *p = s->free_list[c];
    if (p) {
        s->free_list[c] = *(void **)p;
    } else {
        if (!s->chunk || s->chunk_used + sz > s->chunk_size) {
            /* The first 16 bytes of a chunk link it into s->chunks. */
            char *chunk = malloc(CHUNK_SIZE);
            if (!chunk) return NULL;
            *(void **)chunk = s->chunks;
            s->chunks = chunk;
            s->chunk = chunk;
            s->chunk_used = 16;
            s->chunk_size = CHUNK_SIZE;
            s->bytes_reserved += CHUNK_SIZE;
        }
        p = s->chunk + s->chunk_used;
        s->chunk_used += sz;
    }
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
    s->bytes_live -= class_size[c];
}
