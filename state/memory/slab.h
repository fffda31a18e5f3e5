/* slab.h -- size-class allocator for window state.
 *
 * Sessions are small, short-lived blobs created on the hot path.
 * The slab carves them out of chunks and recycles them through one free
 * list per size class, so steady-state processing never calls malloc;
 * malloc is only reached when the live state grows.  Chunks start at
 * 16 KiB and double up to 1 MiB, so a small store does not reserve a big
 * chunk it will never fill; once one slab holds 16 MiB its chunks are
 * 2 MiB huge pages (hugemem.h).  Blobs are 16-byte aligned, in classes
 * 16 bytes apart up to 512 and 64 bytes apart up to 2 KiB (sessions,
 * client strings, keys too long for their table entry).  Blobs over the largest class (hostile multi-KB strings) go straight to
 * malloc.  Single-threaded: every partition's state owns its slab.
 *
 * The slab also holds the store's client string table (strtab.h), because
 * the window code reaches all of its memory through the slab. */
#ifndef SW_SLAB_H
#define SW_SLAB_H

#include <stddef.h>

#include "strtab.h"

#define SW_SLAB_CLASSES 56        /* 32 of 16 bytes (16..512) + 24 of 64 bytes (576..2048) */
#define SW_SLAB_MAX 2048

typedef struct {
    char *chunk;          /* chunk being carved */
    size_t used, size;
    size_t next;          /* size of this slab's next chunk */
    size_t reserved;      /* bytes of chunks this slab took */
} sw_slab_cursor;

typedef struct sw_slab {
    void *free_list[SW_SLAB_CLASSES];
    sw_slab_cursor aligned;
    void *chunks;         /* list of all chunks, for sw_slab_destroy */
    size_t bytes_live;    /* bytes handed out and not yet freed */
    size_t bytes_reserved;/* bytes obtained from malloc (chunks, big blobs, the strtab index) */
    sw_strtab strtab;     /* interned client strings (strtab.h) */
} sw_slab;

void sw_slab_init(sw_slab *s);
void sw_slab_destroy(sw_slab *s);
/* NULL when memory is exhausted (never aborts). */
void *sw_slab_alloc(sw_slab *s, size_t n);
/* n must be the size passed to sw_slab_alloc. */
void sw_slab_free(sw_slab *s, void *p, size_t n);
/* Bytes an n-byte request takes (its size class; n itself above the classes). */
size_t sw_slab_rounded(size_t n);

#endif
