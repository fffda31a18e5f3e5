/* fuzz_time.c -- libFuzzer target: the RFC 3339 parser and formatter
 * (stream/core/timefmt.c), which read attacker-controlled event times.
 *
 * The input, as it is (not NUL-terminated: a read past its end is a bug),
 * goes to sw_time_parse.  When it is accepted:
 *  - sw_time_format of the result is "YYYY-MM-DDThh:mm:ss.mmmZ", and parsing
 *    that gives the same milliseconds when they lie in the formatter's range
 *    (years 0000..9999; offsets can push an accepted time just outside it,
 *    and the formatter clamps);
 *  - an input already in that canonical form (24 bytes, 'T', 3 fraction
 *    digits, 'Z', no leap second) formats back to itself, byte for byte;
 *  - appending a zero fraction digit before the zone never changes the
 *    result (fractions are truncated, not rounded), while there are fewer
 *    than the 9 digits the parser accepts.
 * Independently, the first 8 bytes as an int64 go to sw_time_format: any
 * value, clamped to the range, must format to text that parses back to it. */
#include <string.h>

#include "fuzz.h"
#include "timefmt.h"

#define MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static void check_format(int64_t ms) {
    char out[32];
    memset(out, 'X', sizeof out);
    FZ_CHECK(sw_time_format(ms, out) == 24);
    FZ_CHECK(out[24] == '\0' && out[4] == '-' && out[7] == '-' && out[10] == 'T' && out[13] == ':' &&
             out[16] == ':' && out[19] == '.' && out[23] == 'Z');
    int64_t back;
    FZ_CHECK(sw_time_parse(out, 24, &back) == 0);
    int64_t want = ms < MIN_MS ? MIN_MS : ms > MAX_MS ? MAX_MS : ms;
    FZ_CHECK(back == want);
}

static int canonical(const uint8_t *p, size_t n) {
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (n != 24) return 0;
    for (size_t i = 0; i < 24; i++) {
        if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != (uint8_t)shape[i]) return 0;
    }
    return !(p[17] == '6' && p[18] == '0'); /* a leap second formats as the next second */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int64_t ms;
    if (sw_time_parse((const char *)data, size, &ms) == 0) {
        check_format(ms);
        char out[32];
        sw_time_format(ms, out);
        if (ms >= MIN_MS && ms <= MAX_MS) {
            int64_t back;
            FZ_CHECK(sw_time_parse(out, 24, &back) == 0 && back == ms);
        }
        if (canonical(data, size)) FZ_CHECK(memcmp(out, data, 24) == 0);
        /* One more fraction digit '0' just before the zone designator. */
        size_t z = size;
        while (z > 0 && data[z - 1] != 'Z' && data[z - 1] != 'z' && data[z - 1] != '+' && data[z - 1] != '-') z--;
        if (z > 0 && size < 256 && z - 1 >= 19) {
            size_t at = z - 1; /* the zone starts here */
            uint8_t buf[260];
            memcpy(buf, data, at);
            size_t m = at;
            const uint8_t *dot = memchr(data + 19, '.', at - 19);
            if (!dot) buf[m++] = '.';
            buf[m++] = '0';
            memcpy(buf + m, data + at, size - at);
            m += size - at;
            int64_t ms2;
            if (!dot || (size_t)(data + at - dot - 1) < 9)
                FZ_CHECK(sw_time_parse((const char *)buf, m, &ms2) == 0 && ms2 == ms);
        }
    }
    if (size >= 8) {
        int64_t v;
        memcpy(&v, data, 8);
        check_format(v);
    }
    return 0;
}
