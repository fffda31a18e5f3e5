/* values.h -- the text forms of durations, sizes, counts and fractions that flags,
 * the environment and settings files share: one parser each, so that
 * "35m" means the same wherever it is written.  Each parser returns 0, or
 * -1 when the text is not a valid value (the caller names the setting). */
#ifndef SW_VALUES_H
#define SW_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* "35m", "90s", "1h", "500ms", "2d" -> ms; a bare number is refused. */
int sw_parse_duration(const char *s, int64_t *ms);
/* "1048576", "512k", "1M", "1MiB", "2G" -> bytes (binary multiples). */
int sw_parse_size(const char *s, size_t *bytes);
/* A decimal integer in [min, max]. */
int sw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
/* A decimal number in [min, max] ("0.05", "24", "1e-3", ".5"): it starts
 * with a digit or a '.', so nan, inf, a sign or a space are refused, and
 * NaN is never in range. */
int sw_parse_real(const char *s, double min, double max, double *v);

/* The inverse, for showing a value in force: the largest unit that is
 * exact ("35m", "1500ms", "0s"; "8MiB", "256KiB", "100"), which the parser
 * above reads back as the same value. */
void sw_format_duration(int64_t ms, char *buf, size_t len);
void sw_format_size(size_t bytes, char *buf, size_t len);

#endif
