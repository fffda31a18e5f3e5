/* values.c -- see values.h.  Strict: the whole string must be the value,
 * so "35" (no unit), "1e3m", "5 m" or "12x" are refused rather than read
 * as something the user did not mean. */
#include "values.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v) {
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x < min || x > max) return -1;
    *v = x;
    return 0;
}

int sw_parse_real(const char *s, double min, double max, double *v) {
    if (!s || !((*s >= '0' && *s <= '9') || *s == '.')) return -1;
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (errno || *end || !(x >= min && x <= max)) return -1; /* NaN compares false */
    *v = x;
    return 0;
}

int sw_parse_duration(const char *s, int64_t *ms) {
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *unit;
    double x = strtod(s, &unit);
    if (errno || x < 0) return -1;
    double mult;
    if (strcmp(unit, "ms") == 0) mult = 1;
    else if (strcmp(unit, "s") == 0) mult = 1e3;
    else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0) mult = 60e3;
    else if (strcmp(unit, "h") == 0) mult = 3600e3;
    else if (strcmp(unit, "d") == 0) mult = 86400e3;
    else return -1;
    double v = x * mult;
    if (v > 1e15) return -1; /* ~31,000 years: surely a typo */
    *ms = (int64_t)(v + 0.5);
    return 0;
}

int sw_parse_size(const char *s, size_t *bytes) {
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    char *unit;
    unsigned long long x = strtoull(s, &unit, 10);
    if (errno) return -1;
    unsigned long long mult;
    if (*unit == '\0' || strcmp(unit, "B") == 0) mult = 1;
    else if (strcmp(unit, "k") == 0 || strcmp(unit, "K") == 0 || strcmp(unit, "KiB") == 0) mult = 1ull << 10;
    else if (strcmp(unit, "M") == 0 || strcmp(unit, "MiB") == 0) mult = 1ull << 20;
    else if (strcmp(unit, "G") == 0 || strcmp(unit, "GiB") == 0) mult = 1ull << 30;
    else return -1;
    if (x > (unsigned long long)SIZE_MAX / mult) return -1;
    *bytes = (size_t)(x * mult);
    return 0;
}

void sw_format_duration(int64_t ms, char *buf, size_t len) {
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    for (size_t i = 0; ms > 0 && i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].ms == 0) {
            snprintf(buf, len, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    if (ms == 0) snprintf(buf, len, "0s");
    else snprintf(buf, len, "%lldms", (long long)ms);
}

void sw_format_size(size_t bytes, char *buf, size_t len) {
    static const struct {
        const char *unit;
        size_t shift;
    } units[] = {{"GiB", 30}, {"MiB", 20}, {"KiB", 10}};
    for (size_t i = 0; bytes > 0 && i < sizeof units / sizeof units[0]; i++)
        if (bytes % ((size_t)1 << units[i].shift) == 0) {
            snprintf(buf, len, "%zu%s", bytes >> units[i].shift, units[i].unit);
            return;
        }
    snprintf(buf, len, "%zu", bytes);
}
