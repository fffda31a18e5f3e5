/* prefilter.c -- see prefilter.h.
 *
 * The SIMD pass compares 16 bytes at a time against the first and the last
 * byte of the needle ('u' at i and 't' at i+17), and against '\\' at i and
 * 'u' at i+1 for a \u escape; only positions where a pair matches are
 * checked with memcmp.  The scalar tail and non-SSE2 builds use memmem. */
#include "prefilter.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char NEEDLE[] = "user.session.start";
#define NEEDLE_LEN (sizeof NEEDLE - 1)

static bool scalar(const char *p, size_t n) {
    return memmem(p, n, NEEDLE, NEEDLE_LEN) != NULL || memmem(p, n, "\\u", 2) != NULL;
}

bool sw_prefilter_may_match(const char *p, size_t n) {
#ifdef __SSE2__
    const __m128i first = _mm_set1_epi8('u');
    const __m128i last = _mm_set1_epi8('t');
    const __m128i bslash = _mm_set1_epi8('\\');
    size_t i = 0;
    /* Loads reach p[i + 17 + 15]: stay inside the record. */
    for (; i + NEEDLE_LEN + 15 <= n; i += 16) {
        __m128i b0 = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b1 = _mm_loadu_si128((const __m128i *)(p + i + 1));
        __m128i b17 = _mm_loadu_si128((const __m128i *)(p + i + NEEDLE_LEN - 1));
        __m128i word = _mm_and_si128(_mm_cmpeq_epi8(b0, first), _mm_cmpeq_epi8(b17, last));
        __m128i esc = _mm_and_si128(_mm_cmpeq_epi8(b0, bslash), _mm_cmpeq_epi8(b1, first));
        unsigned esc_mask = (unsigned)_mm_movemask_epi8(esc);
        if (esc_mask) return true;
        unsigned mask = (unsigned)_mm_movemask_epi8(word);
        while (mask) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (memcmp(p + i + bit + 1, NEEDLE + 1, NEEDLE_LEN - 2) == 0) return true;
            mask &= mask - 1;
        }
    }
    /* The last needle-length-plus-a-bit bytes: overlap the scalar scan by
     * NEEDLE_LEN so that matches straddling the boundary are seen. */
    size_t from = i >= NEEDLE_LEN ? i - NEEDLE_LEN : 0;
    return scalar(p + from, n - from);
#else
    return scalar(p, n);
#endif
}
