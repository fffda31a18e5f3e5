/* slab.h -- size-class allocator for window state.
 *
 * Sessions and names are small, short-lived blobs created on the hot path.
 * The slab carves them out of 256 KiB chunks and recycles them through one
 * free list per size class, so steady-state processing never calls malloc;
 * malloc is only reached when the live state grows.  Blobs over the largest
 * class (hostile multi-KB strings) go straight to malloc.  Single-threaded:
 * every partition's state owns its slab. */
#ifndef SW_SLAB_H
#define SW_SLAB_H

#include <stddef.h>

#define SW_SLAB_CLASSES 12

typedef struct sw_slab {
    void *free_list[SW_SLAB_CLASSES];
    char *chunk;          /* current chunk being carved */
    size_t chunk_used, chunk_size;
    void *chunks;         /* list of all chunks, for sw_slab_destroy */
    size_t bytes_live;    /* bytes handed out and not yet freed */
    size_t bytes_reserved;/* bytes obtained from malloc */
} sw_slab;

void sw_slab_init(sw_slab *s);
void sw_slab_destroy(sw_slab *s);
/* NULL when memory is exhausted (never aborts). */
void *sw_slab_alloc(sw_slab *s, size_t n);
/* n must be the size passed to sw_slab_alloc. */
void sw_slab_free(sw_slab *s, void *p, size_t n);

#endif
