/* prefilter.h -- the cheap test that lets ~85% of a real Okta stream skip
 * JSON parsing.
 *
 * An eligible record's event type is the string "user.session.start" after
 * unescaping.  No short escape (\n, \/, ...) yields a letter or a dot, so the
 * raw bytes of an eligible record contain either that literal or a \u00XX
 * escape of one of its characters.  A record with neither cannot be
 * eligible: skipping it can never drop an alert.  One SIMD pass looks for
 * both at once. */
#ifndef SW_PREFILTER_H
#define SW_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>

/* False only when the record cannot hold a user.session.start event. */
bool sw_prefilter_may_match(const char *p, size_t n);

/* For tests and benchmarks: limit the scan (this one's and the rule
 * index's raw skip, ruleindex.h) to SW_SCAN_SCALAR, SW_SCAN_SSE2,
 * SW_SCAN_AVX2 or the best the CPU has (SW_SCAN_BEST, the default); a level
 * the CPU lacks falls back to the best below it.  Not thread-safe. */
enum { SW_SCAN_SCALAR, SW_SCAN_SSE2, SW_SCAN_AVX2, SW_SCAN_BEST };
void sw_prefilter_limit(int level);
/* The level last given to sw_prefilter_limit. */
int sw_prefilter_level(void);

#endif
