/* hugemem.h -- big, long-lived blocks of window state on transparent huge
 * pages.
 *
 * With millions of tracked users every record touches a few random cache
 * lines spread over gigabytes (an index slot, an entry, a session blob).
 * On 4 KiB pages nearly each of those touches also misses the TLB and
 * walks the page tables; on 2 MiB pages the whole state fits the TLB.  So
 * the big arrays -- the users index, the entry pages and the slab chunks
 * once a store has grown past a few MiB -- come from here: anonymous mmap,
 * 2 MiB aligned, with MADV_HUGEPAGE (the kernel's default THP mode on
 * Debian is "madvise").  Small stores never get here, so they do not pay
 * 2 MiB of resident memory for a few KiB of state.
 *
 * Called only when the state grows (never per record in the steady state).
 * Blocks are zeroed.  Where THP is off the blocks are plain pages. */
#ifndef SW_HUGEMEM_H
#define SW_HUGEMEM_H

#include <stddef.h>

#define SW_HUGE_PAGE ((size_t)2 << 20)

/* n bytes (a multiple of SW_HUGE_PAGE), 2 MiB aligned and zeroed; NULL
 * when the mapping fails. */
void *sw_huge_alloc(size_t n);
/* p and n as returned by / passed to sw_huge_alloc. */
void sw_huge_free(void *p, size_t n);

/* calloc for arrays: n >= 2 * SW_HUGE_PAGE and a multiple of SW_HUGE_PAGE
 * go to sw_huge_alloc (falling back to calloc if mapping fails); free with
 * sw_array_free and the same n. */
void *sw_array_alloc(size_t n, int *huge);
void sw_array_free(void *p, size_t n, int huge);

#endif
