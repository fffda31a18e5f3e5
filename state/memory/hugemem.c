/* hugemem.c -- see hugemem.h. */
#include "hugemem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

void *sw_huge_alloc(size_t n) {
    if (n == 0 || n % SW_HUGE_PAGE || n > SIZE_MAX - SW_HUGE_PAGE) return NULL;
    /* Map one huge page more and trim both ends to a 2 MiB boundary. */
    size_t span = n + SW_HUGE_PAGE;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uintptr_t start = ((uintptr_t)m + SW_HUGE_PAGE - 1) & ~(uintptr_t)(SW_HUGE_PAGE - 1);
    char *p = (char *)start;
    size_t head = (size_t)(p - m), tail = span - head - n;
    if (head) munmap(m, head);
    if (tail) munmap(p + n, tail);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: without THP these are plain pages */
#endif
    return p;
}

void sw_huge_free(void *p, size_t n) {
    if (p) munmap(p, n);
}

void *sw_array_alloc(size_t n, int *huge) {
    *huge = 0;
    if (n >= 2 * SW_HUGE_PAGE && n % SW_HUGE_PAGE == 0) {
        void *p = sw_huge_alloc(n);
        if (p) {
            *huge = 1;
            return p;
        }
    }
    return calloc(1, n);
}

void sw_array_free(void *p, size_t n, int huge) {
    if (huge) sw_huge_free(p, n);
    else free(p);
}
