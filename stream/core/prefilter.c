/* prefilter.c -- see prefilter.h.
 *
 * The SIMD pass (SSE2, AVX2 or AVX-512BW, the widest the CPU has) compares
 * 16, 32 or 64 positions at a time against the needle's first byte and the
 * two dots inside it ('u' at i, '.' at i+4 and i+12), and against '\\' for
 * escapes; only positions where one of them matches are checked exactly.
 * An escape only matters if it can spell one of the needle's characters,
 * i.e. it is \u00XX with XX one of u s e r . i o n t a (JSON escapes are
 * lowercase \u, the hex digits either case): the \u0026 ('&') common in
 * Okta URLs does not make a record a candidate. */
#include "prefilter.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SW_X86 1
#endif

static const char NEEDLE[] = "user.session.start";
#define NEEDLE_LEN (sizeof NEEDLE - 1)

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* p[i] is '\\' and p[i+1] is 'u': can this escape be one of the needle's
 * characters?  A truncated escape cannot be anything. */
static bool escape_spells_needle_char(const char *p, size_t n, size_t i) {
    if (i + 6 > n || p[i + 2] != '0' || p[i + 3] != '0') return false;
    int hi = hex(p[i + 4]), lo = hex(p[i + 5]);
    if (hi < 0 || lo < 0) return false;
    char c = (char)(hi * 16 + lo);
    return c != '\0' && memchr(NEEDLE, c, NEEDLE_LEN) != NULL;
}

static bool match_at(const char *p, size_t n, size_t i) {
    if (p[i] == 'u') return i + NEEDLE_LEN <= n && memcmp(p + i, NEEDLE, NEEDLE_LEN) == 0;
    return p[i] == '\\' && i + 1 < n && p[i + 1] == 'u' && escape_spells_needle_char(p, n, i);
}

#ifdef SW_X86
/* Positions [0, scanned) checked 16 at a time; returns 1 on a match. */
static int scan_sse2(const char *p, size_t n, size_t *scanned) {
    const __m128i u = _mm_set1_epi8('u'), dot = _mm_set1_epi8('.'), bs = _mm_set1_epi8('\\');
    size_t i = 0;
    /* Loads reach p[i + 12 + 15]: stay inside the record. */
    for (; i + 12 + 16 <= n; i += 16) {
        __m128i b0 = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b4 = _mm_loadu_si128((const __m128i *)(p + i + 4));
        __m128i b12 = _mm_loadu_si128((const __m128i *)(p + i + 12));
        __m128i word = _mm_and_si128(_mm_cmpeq_epi8(b0, u),
                                     _mm_and_si128(_mm_cmpeq_epi8(b4, dot), _mm_cmpeq_epi8(b12, dot)));
        __m128i esc = _mm_cmpeq_epi8(b0, bs);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(word, esc));
        for (; mask; mask &= mask - 1)
            if (match_at(p, n, i + (unsigned)__builtin_ctz(mask))) return 1;
    }
    *scanned = i;
    return 0;
}

/* The same, 32 positions at a time, for CPUs with AVX2. */
__attribute__((target("avx2"))) static int scan_avx2(const char *p, size_t n, size_t *scanned) {
    const __m256i u = _mm256_set1_epi8('u'), dot = _mm256_set1_epi8('.'), bs = _mm256_set1_epi8('\\');
    size_t i = 0;
    for (; i + 12 + 32 <= n; i += 32) {
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(p + i));
        __m256i b4 = _mm256_loadu_si256((const __m256i *)(p + i + 4));
        __m256i b12 = _mm256_loadu_si256((const __m256i *)(p + i + 12));
        __m256i word = _mm256_and_si256(_mm256_cmpeq_epi8(b0, u),
                                        _mm256_and_si256(_mm256_cmpeq_epi8(b4, dot), _mm256_cmpeq_epi8(b12, dot)));
        __m256i esc = _mm256_cmpeq_epi8(b0, bs);
        unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(word, esc));
        for (; mask; mask &= mask - 1)
            if (match_at(p, n, i + (unsigned)__builtin_ctz(mask))) return 1;
    }
    *scanned = i;
    return 0;
}

/* The same, 64 positions at a time, for CPUs with AVX-512BW. */
__attribute__((target("avx512f,avx512bw"))) static int scan_avx512(const char *p, size_t n, size_t *scanned) {
    const __m512i u = _mm512_set1_epi8('u'), dot = _mm512_set1_epi8('.'), bs = _mm512_set1_epi8('\\');
    size_t i = 0;
    for (; i + 12 + 64 <= n; i += 64) {
        __m512i b0 = _mm512_loadu_si512((const void *)(p + i));
        __m512i b4 = _mm512_loadu_si512((const void *)(p + i + 4));
        __m512i b12 = _mm512_loadu_si512((const void *)(p + i + 12));
        uint64_t mask = (_mm512_cmpeq_epi8_mask(b0, u) & _mm512_cmpeq_epi8_mask(b4, dot) &
                         _mm512_cmpeq_epi8_mask(b12, dot)) |
                        _mm512_cmpeq_epi8_mask(b0, bs);
        for (; mask; mask &= mask - 1)
            if (match_at(p, n, i + (unsigned)__builtin_ctzll(mask))) return 1;
    }
    *scanned = i;
    return 0;
}

static int scan_none(const char *p, size_t n, size_t *scanned) {
    (void)p, (void)n;
    *scanned = 0;
    return 0;
}

static int (*scan_simd)(const char *, size_t, size_t *) = scan_sse2;

/* Picks the widest scan the CPU runs, once, before main(). */
__attribute__((constructor)) static void pick_scan(void) { sw_prefilter_limit(SW_SCAN_BEST); }
#endif

static int scan_level = SW_SCAN_BEST;

int sw_prefilter_level(void) { return scan_level; }

void sw_prefilter_limit(int level) {
    scan_level = level;
#ifdef SW_X86
    __builtin_cpu_init();
    if (level == SW_SCAN_SCALAR) scan_simd = scan_none;
    else if (level == SW_SCAN_SSE2) scan_simd = scan_sse2;
    else if (level == SW_SCAN_AVX2 || !__builtin_cpu_supports("avx512bw"))
        scan_simd = __builtin_cpu_supports("avx2") ? scan_avx2 : scan_sse2;
    else scan_simd = scan_avx512;
#else
    (void)level;
#endif
}

bool sw_prefilter_may_match(const char *p, size_t n) {
    size_t i = 0;
#ifdef SW_X86
    if (scan_simd(p, n, &i)) return true;
#endif
    for (; i < n; i++)
        if (match_at(p, n, i)) return true;
    return false;
}
