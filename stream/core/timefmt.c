/* timefmt.c -- see timefmt.h. */
#include "timefmt.h"


/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's civil-days algorithm, written out). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned month_days(int64_t y, unsigned m) {
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly k digits at p[*i]; -1 if any is not a digit. */
static int digits(const char *p, size_t n, size_t *i, int k) {
    int v = 0;
    if (*i + (size_t)k > n) return -1;
    for (int j = 0; j < k; j++) {
        char c = p[*i + (size_t)j];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)k;
    return v;
}

static int expect(const char *p, size_t n, size_t *i, char c) {
    if (*i >= n || p[*i] != c) return -1;
    (*i)++;
    return 0;
}

/* The offset: 'Z', or +hh:mm / -hh:mm no further than 18:00 from UTC (the
 * range of Java's ZoneOffset, hence of Elasticsearch); -1 if malformed. */
static int offset_minutes(const char *p, size_t n, size_t *i, int *out) {
    if (*i < n && p[*i] == 'Z') {
        (*i)++;
        *out = 0;
        return 0;
    }
    if (*i >= n || (p[*i] != '+' && p[*i] != '-')) return -1;
    int sign = p[*i] == '-' ? -1 : 1;
    (*i)++;
    int oh = digits(p, n, i, 2);
    if (oh < 0 || expect(p, n, i, ':')) return -1;
    int om = digits(p, n, i, 2);
    if (om < 0 || om > 59 || oh * 60 + om > 18 * 60) return -1;
    *out = sign * (oh * 60 + om);
    return 0;
}

int sw_time_parse(const char *p, size_t n, int64_t *ms) {
    size_t i = 0;
    int y = digits(p, n, &i, 4);
    if (y < 0 || expect(p, n, &i, '-')) return -1;
    int mo = digits(p, n, &i, 2);
    if (mo < 1 || mo > 12 || expect(p, n, &i, '-')) return -1;
    int d = digits(p, n, &i, 2);
    if (d < 1 || (unsigned)d > month_days(y, (unsigned)mo)) return -1;
    if (expect(p, n, &i, 'T')) return -1;
    int hh = digits(p, n, &i, 2);
    if (hh < 0 || hh > 23 || expect(p, n, &i, ':')) return -1;
    int mi = digits(p, n, &i, 2);
    if (mi < 0 || mi > 59 || expect(p, n, &i, ':')) return -1;
    int ss = digits(p, n, &i, 2);
    if (ss < 0 || ss > 59) return -1;
    int frac = 0;
    if (i < n && p[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            frac += (p[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start || i - start > 9) return -1;
    }
    int offset_min;
    if (offset_minutes(p, n, &i, &offset_min) || i != n) return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)offset_min * 60;
    *ms = secs * 1000 + frac;
    return 0;
}

static void put_digits(char *out, unsigned v, int k) {
    for (int i = k - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

size_t sw_time_format(int64_t ms, char out[32]) {
    const int64_t min_ms = -62167219200000LL;  /* 0000-01-01T00:00:00Z */
    const int64_t max_ms = 253402300799999LL;  /* 9999-12-31T23:59:59.999Z */
    if (ms < min_ms) ms = min_ms;
    if (ms > max_ms) ms = max_ms;
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int millis = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int sod = (int)(secs - days * 86400);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = 'T';
    put_digits(out + 11, (unsigned)sod / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, (unsigned)sod / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, (unsigned)sod % 60, 2);
    out[19] = '.';
    put_digits(out + 20, (unsigned)millis, 3);
    out[23] = 'Z';
    out[24] = '\0';
    return 24;
}
